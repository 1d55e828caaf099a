"""A member's own language: chosen with ``/language``, it wins over Discord's client locale everywhere.

Every interaction the bot answers carries the member's locale, and reminders and DMs carry the locale
stored when the member signed up. Both are resolved here, in one place:

* interactions: before discord.py builds an ``Interaction``, the payload's ``locale`` is replaced with the
  member's choice (``install``), so every ``interaction.locale`` in every cog already is their language;
* messages sent later (reminders, notices by DM): ``locale_for(guild_id, user_id, stored_locale)``.

The choices are few and read on every interaction, so they live in memory, written through to the
database. ``/privacy forget`` erases a member's choice with the rest of their data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from babel import Locale, UnknownLocaleError

from bot.clock import Clock
from bot.data.languages import LanguageRepository
from bot.errors import UserError
from bot.feedback.language import LanguageDetector
from bot.i18n import language_of, languages

if TYPE_CHECKING:
    from discord import Client

log = logging.getLogger(__name__)

INTERACTION_CREATE = "INTERACTION_CREATE"
BACKFILL_BATCH = 500


def display_name(code: str) -> str:
    """A language's name in itself ("Español", "العربية", "中文 (繁體)"), or its code."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


class MemberLanguages:
    """Each member's chosen language per guild, in memory and in the database."""

    def __init__(self, repo: LanguageRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock
        # user -> {guild: language}, the latest choice last (a DM has no guild: the latest one answers).
        self._choices: dict[int, dict[int, str]] = {}
        # The Discord locale the last interaction of a member with a choice came with (it is replaced).
        self._client_locales: dict[int, str] = {}

    async def load(self) -> None:
        self._choices = {}
        for guild_id, user_id, language in await self.repo.chosen():
            self._remember(guild_id, user_id, language)

    def _remember(self, guild_id: int, user_id: int, language: str) -> None:
        mine = self._choices.setdefault(user_id, {})
        mine.pop(guild_id, None)
        mine[guild_id] = language

    def chosen(self, guild_id: int | None, user_id: int) -> str | None:
        mine = self._choices.get(user_id)
        if not mine:
            return None
        if guild_id is None:
            return next(reversed(mine.values()))
        return mine.get(guild_id)

    def locale_for(self, guild_id: int | None, user_id: int, fallback: object) -> object:
        """The language to write to this member in: their choice, else the locale the caller has."""
        return self.chosen(guild_id, user_id) or fallback

    async def choose(self, guild_id: int, user_id: int, wanted: str) -> str:
        """Store the member's choice; ``wanted`` is a catalogue code or a locale (``"zh-TW"``)."""
        language = wanted.strip().lower()
        if language not in languages():
            language = language_of(wanted)
            if language == "en" and not wanted.strip().lower().startswith("en"):
                raise UserError("language.unknown", value=wanted, languages=", ".join(languages()))
        await self.repo.choose(guild_id, user_id, language, self.clock.now())
        self._remember(guild_id, user_id, language)
        log.info("A member chose %s in guild %s", language, guild_id)
        return language

    async def reset(self, guild_id: int, user_id: int) -> bool:
        """Back to Discord's client locale; False when there was no choice."""
        removed = await self.repo.clear(guild_id, user_id)
        mine = self._choices.get(user_id, {})
        mine.pop(guild_id, None)
        if not mine:
            self._choices.pop(user_id, None)
            self._client_locales.pop(user_id, None)
        return removed > 0

    forget = reset  # /privacy forget: the choice is personal data like the rest

    def client_locale(self, user_id: int) -> str | None:
        """The member's Discord locale as their last interaction carried it (before ``apply``)."""
        return self._client_locales.get(user_id) or None

    # -- the one place interactions get their locale -----------------------------------------------

    def apply(self, payload: dict[str, Any]) -> None:
        """Replace the interaction payload's ``locale`` with the member's choice, if they made one."""
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        if not self._choices or "id" not in user:
            return
        guild = payload.get("guild_id")
        chosen = self.chosen(int(guild) if guild else None, int(user["id"]))
        if chosen:
            self._client_locales[int(user["id"])] = str(payload.get("locale") or "")
            payload["locale"] = chosen

    def install(self, client: Client) -> None:
        """Route every incoming interaction through ``apply`` before discord.py reads it."""
        parsers: dict[str, Callable[[Any], None]] = client._connection.parsers
        original = parsers[INTERACTION_CREATE]
        if getattr(original, "member_languages", None) is self:
            return

        def parse_interaction_create(payload: Any) -> None:
            self.apply(payload)
            original(payload)

        parse_interaction_create.member_languages = self  # type: ignore[attr-defined]
        parsers[INTERACTION_CREATE] = parse_interaction_create


async def detect_form_feedback_languages(repo: LanguageRepository, detector: LanguageDetector) -> int:
    """Detect the language of form feedback stored before 0014 (it held the client locale instead)."""
    done, after = 0, 0
    while batch := await repo.form_feedback_without_language(after, BACKFILL_BATCH):
        detected = await asyncio.to_thread(
            lambda rows: [(detector.detect(body), i) for i, body in rows], batch
        )
        await repo.set_feedback_languages([(language, i) for language, i in detected if language])
        done += sum(1 for language, _ in detected if language)
        after = batch[-1][0]
    if done:
        log.info("Detected the language of %d earlier form feedback items", done)
    return done
