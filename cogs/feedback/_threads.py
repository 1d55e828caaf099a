"""Replies in a draft's thread are feedback too (source "thread"): captured, edited, deleted.

Needs the privileged message-content intent (``bot.client.intents``), enabled in the developer portal.
Bot and webhook messages, system messages, a forum post's starter message (the bot's draft) and every
channel that is not a tracked draft thread are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.feedback.service import FeedbackService

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

THREAD_MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)


class ThreadRepliesCog(commands.Cog):
    """Turns members' replies in the drafts' threads into feedback, tied to the version current then."""

    def __init__(self, bot: ConsultationBot, service: FeedbackService) -> None:
        self.bot = bot
        self.service = service
        self._warming: asyncio.Task[bool] | None = None

    async def language_ready(self) -> None:
        """Load the language model (about a second, ~70 MB) off the event loop, on the first reply:
        a server whose members never reply in threads never pays for it."""
        if self._warming is None:
            self._warming = asyncio.create_task(asyncio.to_thread(self.service.detector.warm_up))
        await asyncio.shield(self._warming)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if (
            message.guild is None
            or message.author.bot
            or message.webhook_id is not None
            or message.type not in THREAD_MESSAGE_TYPES
            or not isinstance(message.channel, discord.Thread)
            or message.id == message.channel.id  # a forum post's starter message: the bot's draft
        ):
            return
        post = await self.service.tracked_post(message.channel.id)
        if post is None:
            return
        await self.language_ready()
        await self.service.capture_reply(
            post=post,
            message_id=message.id,
            channel_id=message.channel.id,
            author_id=message.author.id,
            text=message.content,
        )

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        if payload.guild_id is None or content is None:
            return
        await self.language_ready()
        await self.service.reply_edited(payload.message_id, content)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self.service.reply_deleted(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            for message_id in payload.message_ids:
                await self.service.reply_deleted(message_id)
