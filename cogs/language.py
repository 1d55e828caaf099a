"""/language: a member chooses the bot's language for themselves (any catalogue language)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, require
from bot.data.languages import LanguageRepository
from bot.i18n import language_of, languages, t
from bot.languages import MemberLanguages, detect_form_feedback_languages, display_name
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
FOLLOW_DISCORD = "discord"


def language_list() -> str:
    return ", ".join(f"{display_name(code)} (`{code}`)" for code in languages())


class LanguageCog(commands.Cog):
    """Each member's own language for the bot's answers, DMs and reminders, over Discord's locale."""

    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        self.languages: MemberLanguages = bot.services.languages
        self._backfill: asyncio.Task[int] | None = None

    async def cog_load(self) -> None:
        # Form feedback stored before migration 0014 gets the detected language of its text, once.
        repo = LanguageRepository(self.bot.db)
        self._backfill = asyncio.create_task(
            detect_form_feedback_languages(repo, self.bot.services.feedback.detector)
        )

    async def cog_unload(self) -> None:
        if self._backfill is not None:
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._backfill

    @require(Access.MEMBER)
    @app_commands.command(
        name="language", description="Choose the language the bot uses with you, here and in your DMs."
    )
    @app_commands.describe(language="A language of the bot, or “discord” to follow your Discord language")
    @app_commands.guild_only()
    async def language(self, interaction: Interaction, language: str | None = None) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        if language is None:
            chosen = self.languages.chosen(guild_id, user_id)
            key = "language.current_chosen" if chosen else "language.current_discord"
            current = chosen or language_of(interaction.locale)
            await respond(
                interaction, t(key, current, language=display_name(current), languages=language_list())
            )
            return
        if language.strip().lower() == FOLLOW_DISCORD:
            # The interaction arrived with the choice applied: answer in the locale Discord had sent.
            own = language_of(self.languages.client_locale(user_id) or interaction.locale)
            await self.languages.reset(guild_id, user_id)
            await respond(interaction, t("language.reset", own, language=display_name(own)))
            return
        chosen = await self.languages.choose(guild_id, user_id, language)
        await respond(interaction, t("language.saved", chosen, language=display_name(chosen)))

    @language.autocomplete("language")
    async def language_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        options = [(f"{display_name(code)} ({code})", code) for code in languages()]
        options.append((t("language.follow_discord", interaction.locale), FOLLOW_DISCORD))
        return [
            app_commands.Choice(name=name[:100], value=value)
            for name, value in options
            if not typed or typed in name.lower() or typed in value
        ][:25]


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(LanguageCog(bot))
