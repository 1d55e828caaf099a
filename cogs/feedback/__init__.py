"""Feedback: the form (button and /feedback give), thread replies, a member's own items, answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.feedback._cog import FeedbackCog
from cogs.feedback._threads import ThreadRepliesCog

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    service = bot.services.feedback
    await bot.add_cog(FeedbackCog(bot, service))
    await bot.add_cog(ThreadRepliesCog(bot, service))
