"""Reaction events into the tally: the gateway side of ``bot.recommendations.tally``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.data.recommendations import Post
from bot.recommendations.tally import TallyService

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

TAG_REFRESH_SECONDS = 15.0


class TallyCog(commands.Cog):
    """Hands every reaction event on a draft's post to the tally service; refreshes forum tags."""

    def __init__(self, bot: ConsultationBot, tally: TallyService) -> None:
        self.bot = bot
        self.tally = tally

    async def cog_load(self) -> None:
        await self.tally.start()
        self.refresh_tags.start()

    async def cog_unload(self) -> None:
        self.refresh_tags.cancel()
        await self.tally.stop()

    def _record(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return
        if payload.member is not None and payload.member.bot:
            return
        self.tally.record(added, payload.message_id, str(payload.emoji), payload.user_id, payload.guild_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self._record(payload, True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self._record(payload, False)

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if self.tally.is_post(payload.message_id):
            await self.tally.reconcile_post(payload.message_id, {})

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        if self.tally.is_post(payload.message_id):
            await self.tally.clear_emoji(payload.message_id, str(payload.emoji))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.tally.is_post(payload.message_id):
            await self.tally.publisher.mark_deleted(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        post = await self.tally.recommendations.post_by_thread(payload.thread_id)
        if post is not None:
            await self.tally.publisher.mark_deleted(post.message_id)

    @commands.Cog.listener()
    async def on_consultation_post_created(self, post: Post) -> None:
        self.tally.track(post.message_id, post.guild_id)

    @commands.Cog.listener()
    async def on_consultation_post_deleted(self, message_id: int) -> None:
        self.tally.untrack(message_id)

    @commands.Cog.listener()
    async def on_consultation_settings_changed(self, guild_id: int) -> None:
        await self.tally.settings_changed(guild_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.tally.request_catch_up()

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """With several shards, one that re-identifies gets no ``on_ready``: catch up after it too."""
        if self.bot.is_ready() and len(self.bot.shards) > 1:
            self.tally.request_catch_up()

    @tasks.loop(seconds=TAG_REFRESH_SECONDS)
    async def refresh_tags(self) -> None:
        await self.tally.apply_dirty_tags()

    @refresh_tags.before_loop
    async def _before_refresh(self) -> None:
        await self.bot.wait_until_ready()
