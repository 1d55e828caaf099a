"""One consultation across servers (issue 16): the home server's phase governs its linked servers."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.data.guilds import GuildSettings
from bot.moderation.phases import PhaseChange, PhaseService
from cogs.moderation._effects import ConsultationEffects

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class PhaseFollower(commands.Cog):
    """Makes every linked server of this process's shards follow its home's phase at once; the keeper
    catches up the ones a propagation missed."""

    def __init__(self, bot: ConsultationBot, effects: ConsultationEffects, phases: PhaseService) -> None:
        self.bot = bot
        self.effects = effects
        self.phases = phases

    @commands.Cog.listener()
    async def on_consultation_phase_changed(self, guild_id: int, phase: str) -> None:
        """The home's phase or scheduled close changed: its linked servers follow."""
        for linked in await self.phases.linked(guild_id):
            if not self.bot.scope.owns(linked):
                continue  # its own process's keeper follows within a minute
            try:
                await self.effects.follow_home(self.phases, linked)
            except Exception:
                log.exception(
                    "Linked server %s could not follow the phase of %s (%s)", linked, guild_id, phase
                )

    @commands.Cog.listener()
    async def on_consultation_phase_followed(self, guild_id: int, before: GuildSettings) -> None:
        """A server that just linked took its home's phase with the copied consultation: the effects."""
        after = await self.bot.guild_repository.get(guild_id)
        if after is None or after.phase == before.phase:
            return
        await self.effects.followed(PhaseChange(replace(after, phase=before.phase), after))
