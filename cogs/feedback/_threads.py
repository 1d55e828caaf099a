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
        self._catch_up: asyncio.Task[None] | None = None
        self.last_catch_up: tuple[int, int, int] | None = None

    async def cog_unload(self) -> None:
        if self._catch_up is not None:
            self._catch_up.cancel()

    async def language_ready(self) -> None:
        """Load the language model (about a second, ~70 MB) off the event loop, on the first reply:
        a server whose members never reply in threads never pays for it."""
        if self._warming is None:
            self._warming = asyncio.create_task(asyncio.to_thread(self.service.detector.warm_up))
        await asyncio.shield(self._warming)

    @staticmethod
    def is_reply(message: discord.Message) -> bool:
        """A member's own words: not a bot, a webhook, a system message or the draft's starter message."""
        return not (
            message.author.bot
            or message.webhook_id is not None
            or message.type not in THREAD_MESSAGE_TYPES
            or message.id == message.channel.id  # a forum post's starter message: the bot's draft
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if (
            message.guild is None
            or not isinstance(message.channel, discord.Thread)
            or not self.is_reply(message)
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
        # A guild message carries the author as a member (nickname included): the name beside the id.
        await self.bot.services.names.seen(message.guild.id, message.author.id, message.author.display_name)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After IDENTIFY (start-up, or a reconnect that could not RESUME) replies may have been missed."""
        if self._catch_up is None or self._catch_up.done():
            self._catch_up = asyncio.create_task(self._catch_up_safely(), name="thread-reply-catch-up")

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """With several shards, one that re-identifies gets no ``on_ready``: read back after it too."""
        if self.bot.is_ready() and len(self.bot.shards) > 1:
            await self.on_ready()

    async def _catch_up_safely(self) -> None:
        try:
            await self.catch_up()
        except Exception:
            log.exception("Thread-reply catch-up failed; it runs again at the next start or re-identify")

    async def catch_up(self) -> tuple[int, int, int]:
        """Read each draft's thread back: replies written, edited or deleted while the bot was away."""
        added = edited = deleted = 0
        for post in await self.service.live_posts():
            if post.thread_id is None or not self.bot.scope.owns(post.guild_id):
                continue  # no thread, or a guild of another process's shards
            stored = await self.service.thread_replies(post.thread_id)
            seen: set[int] = set()
            try:
                history = self.bot.get_partial_messageable(post.thread_id).history(
                    limit=None, oldest_first=True
                )
                async for message in history:
                    if not self.is_reply(message):
                        continue
                    seen.add(message.id)
                    if message.id not in stored:
                        await self.language_ready()
                        captured = await self.service.capture_reply(
                            post=post,
                            message_id=message.id,
                            channel_id=post.thread_id,
                            author_id=message.author.id,
                            text=message.content,
                            written_at=message.created_at,
                        )
                        added += captured is not None
                    elif stored[message.id] != message.content:
                        await self.language_ready()
                        edited += await self.service.reply_edited(message.id, message.content)
            except discord.HTTPException as error:
                log.warning("Could not read thread %s back: %s", post.thread_id, error)
                continue
            for message_id in stored.keys() - seen:
                deleted += await self.service.reply_deleted(message_id)
        self.last_catch_up = (added, edited, deleted)
        log.info("Thread-reply catch-up: %d added, %d edited, %d deleted", added, edited, deleted)
        return added, edited, deleted

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        author = payload.data.get("author") or {}
        if payload.guild_id is None or content is None or author.get("bot") or payload.data.get("webhook_id"):
            # Never a member's reply (``is_reply``): the bot's own card edits during a sign-up rush must
            # not load the language model (seconds of CPU holding the GIL) nor cost a database read.
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
