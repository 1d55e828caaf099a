"""Names, not numbers: the display name of every member who acts, kept for the working group's files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.people import NameBook

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class PeopleCog(commands.Cog):
    """Learns members' display names from the commands they run (the bot has no member cache).

    Feedback forms and thread replies record the name themselves (``cogs/feedback``); a sign-up keeps the
    name seen at sign-up in its own row. Refused commands and button clicks write nothing here, so a
    sign-up rush costs no extra write.
    """

    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        self.book: NameBook = bot.services.names

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[ConsultationBot], command: object
    ) -> None:
        """After a command that ran (a refused one stores nothing, not even a name)."""
        await self.remember(interaction)

    async def remember(self, interaction: discord.Interaction[ConsultationBot]) -> None:
        member = interaction.user
        if interaction.guild_id is None or not isinstance(member, discord.Member) or member.bot:
            return
        try:
            await self.book.seen(interaction.guild_id, member.id, member.display_name)
        except Exception:  # a name is a nicety: never let it disturb the interaction
            log.exception("Could not store the display name of a member of guild %s", interaction.guild_id)


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(PeopleCog(bot))
