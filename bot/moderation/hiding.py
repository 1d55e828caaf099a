"""Hide and restore feedback: the item is kept (its author still sees it), the working group no longer."""

from __future__ import annotations

from bot.clock import Clock
from bot.data.feedback import Feedback, FeedbackRepository
from bot.errors import UserError

MAX_REASON = 300


class HidingService:
    def __init__(self, feedback: FeedbackRepository, clock: Clock) -> None:
        self.feedback = feedback
        self.clock = clock

    async def item(self, guild_id: int, feedback_id: int) -> Feedback:
        item = await self.feedback.get(feedback_id)
        if item is None or item.guild_id != guild_id:
            raise UserError("moderation.feedback.unknown", id=feedback_id)
        return item

    async def hide(self, guild_id: int, feedback_id: int, moderator_id: int, reason: str) -> Feedback:
        text = " ".join(reason.split())
        if not text:
            raise UserError("moderation.feedback.reason_needed")
        if len(text) > MAX_REASON:
            raise UserError("moderation.feedback.reason_too_long", limit=MAX_REASON)
        item = await self.item(guild_id, feedback_id)
        if item.hidden:
            raise UserError("moderation.feedback.already_hidden", id=feedback_id)
        if not await self.feedback.hide(feedback_id, moderator_id, text, self.clock.now()):
            raise UserError("moderation.feedback.already_hidden", id=feedback_id)
        return await self.item(guild_id, feedback_id)

    async def restore(self, guild_id: int, feedback_id: int) -> Feedback:
        item = await self.item(guild_id, feedback_id)
        if not item.hidden:
            raise UserError("moderation.feedback.not_hidden", id=feedback_id)
        if not await self.feedback.restore(feedback_id, self.clock.now()):
            raise UserError("moderation.feedback.not_hidden", id=feedback_id)
        return await self.item(guild_id, feedback_id)
