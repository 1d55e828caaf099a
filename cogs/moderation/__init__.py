"""Moderation: /mod commands, phase changes with their effects, the scheduled close, threads kept open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.moderation._commands import ModerationCog
from cogs.moderation._effects import ConsultationEffects
from cogs.moderation._keeper import PhaseKeeper

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    effects = ConsultationEffects(bot)
    await bot.add_cog(PhaseKeeper(bot, effects))
    await bot.add_cog(ModerationCog(bot, effects))
