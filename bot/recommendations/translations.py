"""Drafts in several languages: the working group's translations of a draft, versioned with it.

A translation belongs to one version of the draft. The newest translation in a language is the one
members read with "Read in my language" under the post (an ephemeral answer); while the draft has a newer
version than the translation, it is shown marked outdated until the working group translates the new one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import discord
from babel import Locale, UnknownLocaleError

from bot.clock import Clock
from bot.content import MAX_BODY, MAX_TITLE
from bot.data.languages import LanguageRepository, Translation
from bot.data.recommendations import Recommendation, RecommendationRepository
from bot.errors import UserError
from bot.i18n import ALIASES, is_rtl, language_of, languages, t
from bot.languages import display_name
from bot.replies import AnsweringButton

log = logging.getLogger(__name__)

READ_TEMPLATE = r"recommendations:read:(?P<id>[0-9]+)"
EMBED_DESCRIPTION_LIMIT = 4096


def language_code(text: str) -> str:
    """A language a translation is in, as the catalogue spells codes: ``"pt-BR"`` -> ``"pt-br"``,
    ``"zh-TW"`` -> ``"zh-hant"``, ``"es-ES"`` -> ``"es"`` (a region is kept only where the catalogue
    keeps one); ``UserError`` for what is not a language."""
    code = text.strip().lower().replace("_", "-")
    code = ALIASES.get(code, code)
    if code not in languages() and code not in ALIASES.values():
        code = code.split("-")[0]
    try:
        Locale.parse(code.replace("-", "_").replace("hans", "Hans").replace("hant", "Hant"))
    except (UnknownLocaleError, ValueError):
        raise UserError("translate.unknown_language", value=text) from None
    return code


def best_match(locale: object, available: set[str]) -> str | None:
    """Which of the ``available`` translations a member reads: their language, its alias, its base."""
    code = str(getattr(locale, "value", locale) or "").strip().lower().replace("_", "-")
    chosen = language_of(locale)
    base = code.split("-")[0]
    for candidate in (code, ALIASES.get(code), chosen, base, ALIASES.get(base)):
        if candidate and candidate in available:
            return candidate
    return None


@dataclass(frozen=True)
class Reading:
    recommendation: Recommendation
    translation: Translation | None
    available: list[str]

    @property
    def outdated(self) -> bool:
        return self.translation is not None and self.translation.version < self.recommendation.version


class TranslationService:
    def __init__(
        self, recommendations: RecommendationRepository, repo: LanguageRepository, clock: Clock
    ) -> None:
        self.recommendations = recommendations
        self.repo = repo
        self.clock = clock

    async def draft(self, guild_id: int, number: int) -> Recommendation:
        recommendation = await self.recommendations.by_number(guild_id, number)
        if recommendation is None:
            raise UserError("recommendations.unknown", number=number)
        return recommendation

    async def latest(self, recommendation_id: int, language: str) -> Translation | None:
        return (await self.repo.latest_translations(recommendation_id)).get(language)

    async def translate(
        self, guild_id: int, number: int, language: str, title: str, body: str, translator_id: int
    ) -> Translation:
        """Store the translation of the draft's current version."""
        recommendation = await self.draft(guild_id, number)
        title, body = title.strip(), body.strip()
        if not title:
            raise UserError("edit.empty_title")
        if len(title) > MAX_TITLE or len(body) > MAX_BODY:
            raise UserError("edit.too_long", title_limit=MAX_TITLE, text_limit=MAX_BODY)
        translation = Translation(
            recommendation.id, language, recommendation.version, title, body, translator_id, self.clock.now()
        )
        await self.repo.add_translation(translation)
        log.info("Translation of R%s v%s into %s saved", number, recommendation.version, language)
        return translation

    async def read(self, recommendation_id: int, locale: object) -> Reading:
        recommendation = await self.recommendations.by_id(recommendation_id)
        if recommendation is None:
            raise UserError("translate.gone")
        latest = await self.repo.latest_translations(recommendation_id)
        match = best_match(locale, set(latest))
        return Reading(recommendation, latest.get(match) if match else None, sorted(latest))


async def in_server_language(
    repo: LanguageRepository, recommendation: Recommendation, locale: object
) -> Recommendation:
    """The draft as a server reads it: its translation into the server's language when there is one of
    the current version, else as written (a linked server's copy is posted this way)."""
    current = {
        language: translation
        for language, translation in (await repo.latest_translations(recommendation.id)).items()
        if translation.version == recommendation.version
    }
    match = best_match(locale, set(current)) if locale else None
    if match is None:
        return recommendation
    return replace(recommendation, title=current[match].title, body=current[match].body)


def reading_embed(reading: Reading, locale: object) -> discord.Embed:
    """The translation as an embed in the member's language (isolated when it reads right to left)."""
    translation = reading.translation
    assert translation is not None
    body = translation.body or t("recommendations.no_text_yet", locale)
    if len(body) > EMBED_DESCRIPTION_LIMIT:
        body = body[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
    title = f"R{reading.recommendation.number}. {translation.title}"
    if is_rtl(translation.language):
        title, body = f"\u200f{title}", f"\u200f{body}"  # Discord lays out an embed by its first letter
    embed = discord.Embed(title=title[:256], description=body, colour=discord.Colour.blurple())
    if reading.outdated:
        outdated = t(
            "translate.outdated", locale, version=translation.version, current=reading.recommendation.version
        )
        embed.add_field(name="⚠️", value=outdated, inline=False)
    name = display_name(translation.language)
    embed.set_footer(text=t("translate.footer", locale, language=name, version=translation.version))
    return embed


class ReadButton(AnsweringButton, template=READ_TEMPLATE):
    """ "Read in my language" under a post: the translation in the member's language, only to them."""

    def __init__(self, recommendation_id: int, locale: object = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t("translate.read_button", locale),
                emoji="🌐",
                style=discord.ButtonStyle.secondary,
                custom_id=self.custom_id_for(recommendation_id),
            )
        )
        self.recommendation_id = recommendation_id

    @staticmethod
    def custom_id_for(recommendation_id: int) -> str:
        return f"recommendations:read:{recommendation_id}"

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ReadButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        locale = interaction.locale
        reading = await interaction.client.services.translations.read(self.recommendation_id, locale)
        number = reading.recommendation.number
        if reading.translation is not None:
            await interaction.response.send_message(embed=reading_embed(reading, locale), ephemeral=True)
        elif reading.available:
            names = ", ".join(display_name(code) for code in reading.available)
            await interaction.response.send_message(
                t("translate.none", locale, number=number, languages=names), ephemeral=True
            )
        else:
            await interaction.response.send_message(
                t("translate.none_at_all", locale, number=number), ephemeral=True
            )
