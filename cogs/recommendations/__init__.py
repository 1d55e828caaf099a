"""Recommendations: publish the drafts, tally reactions per recommendation and scoping area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.recommendations._commands import ConsultationCog
from cogs.recommendations._linked import LinkedDraftsCog
from cogs.recommendations._tally import TallyCog

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(TallyCog(bot, bot.services.tally))
    await bot.add_cog(ConsultationCog(bot, bot.services.consultation))
    await bot.add_cog(LinkedDraftsCog(bot, bot.services.mirrors))
