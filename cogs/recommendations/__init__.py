"""Recommendations: publish the drafts, tally reactions per recommendation and scoping area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.recommendations.publisher import Publisher
from cogs.recommendations._commands import ConsultationCog
from cogs.recommendations._tally import TallyCog

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    publisher = Publisher(bot)
    await bot.add_cog(TallyCog(bot, publisher))
    await bot.add_cog(ConsultationCog(bot, publisher))
