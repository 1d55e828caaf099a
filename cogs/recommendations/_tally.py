"""Reaction events into the tally: the gateway side of ``bot.recommendations.tally``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands, tasks

from bot.data.recommendations import Post
from bot.recommendations.tally import TallyService

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

TAG_REFRESH_SECONDS = 15.0
REACTION_EVENTS = {"MESSAGE_REACTION_ADD": True, "MESSAGE_REACTION_REMOVE": False}


class TallyCog(commands.Cog):
    """Hands every reaction event on a draft's post to the tally service; refreshes forum tags."""

    def __init__(self, bot: ConsultationBot, tally: TallyService) -> None:
        self.bot = bot
        self.tally = tally
        self._parsers: dict[str, Callable[[Any], None]] = {}  # discord.py's own, while ours are installed

    async def cog_load(self) -> None:
        await self.tally.start()
        self._install()
        self.refresh_tags.start()

    async def cog_unload(self) -> None:
        self.refresh_tags.cancel()
        self._uninstall()
        await self.tally.stop()

    def _install(self) -> None:
        """Reaction adds and removes reach the tally straight from the gateway's parser.

        discord.py would build an event, a ``Member`` and a task per reaction (profiled: its parse cost
        the gateway path more than the whole durable write, and a flood's pending tasks were the peak of
        the memory benchmark); the tally needs four fields of the payload. Events on other messages,
        and every event when some other listener wants it, still go through discord.py's parser.
        """
        parsers: dict[str, Callable[[Any], None]] = self.bot._connection.parsers
        for event, added in REACTION_EVENTS.items():
            original = self._parsers.setdefault(event, parsers[event])
            parsers[event] = self._parser(original, added, "on_raw_" + event[8:].lower())

    def _uninstall(self) -> None:
        parsers: dict[str, Callable[[Any], None]] = self.bot._connection.parsers
        for event, original in self._parsers.items():
            parsers[event] = original
        self._parsers.clear()

    def _parser(self, original: Callable[[Any], None], added: bool, listener: str) -> Callable[[Any], None]:
        def parse(data: dict[str, Any]) -> None:
            try:
                if self.take_reaction(data, added) and not self.bot.extra_events.get(listener):
                    return
            except Exception:  # never break the gateway's reading: discord.py's own parse takes it
                log.exception("A reaction event could not be read; handed to discord.py")
            original(data)

        return parse

    def take_reaction(self, data: dict[str, Any], added: bool) -> bool:
        """A ``MESSAGE_REACTION_ADD``/``REMOVE`` payload into the tally; False when not on a draft's post."""
        message_id = int(data["message_id"])
        if not self.tally.is_post(message_id):
            return False
        user_id = int(data["user_id"])
        if self.bot.user is not None and user_id == self.bot.user.id:
            return True
        if ((data.get("member") or {}).get("user") or {}).get("bot"):
            return True
        emoji = data["emoji"]
        if emoji.get("id") is None:  # a Unicode emoji is its name, as str(PartialEmoji) says
            text = emoji.get("name") or ""
        else:
            text = str(discord.PartialEmoji.from_dict(emoji))
        guild = data.get("guild_id")
        self.tally.record(added, message_id, text, user_id, int(guild) if guild else None)
        return True

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
