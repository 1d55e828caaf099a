"""Moderation: /mod commands, phase changes with their effects, the scheduled close, threads kept open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.moderation.phases import PhaseService
from cogs.moderation._commands import ModerationCog
from cogs.moderation._effects import ConsultationEffects
from cogs.moderation._keeper import PhaseKeeper
from cogs.moderation._linked import PhaseFollower

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    effects = ConsultationEffects(bot)
    await bot.add_cog(PhaseKeeper(bot, effects))
    await bot.add_cog(ModerationCog(bot, effects))
    phases = PhaseService(bot.guild_repository, bot.clock, bot.services.mirrors.server_name)
    await bot.add_cog(PhaseFollower(bot, effects, phases))
