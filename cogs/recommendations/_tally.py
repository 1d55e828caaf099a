"""Reaction events into the tally: filter, batched writer, catch-up after downtime, forum tags."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import Post, RecommendationRepository
from bot.moderation.privacy import ForgottenRegistry, forgotten_registry
from bot.recommendations.publisher import MAX_TAGS_PER_POST, Publisher
from bot.recommendations.tracker import ReactionFilter
from bot.recommendations.writer import ReactionWriter

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

TAG_REFRESH_SECONDS = 15.0
# discord.py's ``users(limit=None)`` stops after the count seen when the message was fetched: members who
# reacted since then push earlier ones (higher ids) off the end of the list. Page until Discord has no more.
EVERY_USER = 1 << 62
RECONCILE_DELAY_SECONDS = 2.0  # lets late events of a reordered burst arrive first


class TallyCog(commands.Cog):
    """Counts reactions on the drafts' posts exactly: once each, none lost while the bot was away."""

    def __init__(self, bot: ConsultationBot, publisher: Publisher) -> None:
        self.bot = bot
        self.publisher = publisher
        self.reactions = ReactionRepository(bot.db)
        self.recommendations = RecommendationRepository(bot.db)
        self.filter = ReactionFilter()
        self.writer = ReactionWriter(
            self.reactions, bot.clock, on_flushed=self._posts_changed, on_contradiction=self._contradicted
        )
        self._dirty_posts: set[int] = set()
        self._catch_up_task: asyncio.Task[None] | None = None
        self._catch_up_again = False
        self.last_catch_up: tuple[int, int, int] | None = None
        self._reconcile_lock = asyncio.Lock()  # one catch-up or reconcile at a time (they watch posts)
        self.suspect_posts: set[int] = set()
        self.reconcile_delay = RECONCILE_DELAY_SECONDS
        self.reconciles_done = 0
        self._reconcile_task: asyncio.Task[None] | None = None
        self.forgotten: ForgottenRegistry | None = None  # members who asked to be forgotten

    async def cog_load(self) -> None:
        await self.filter.load(self.bot.guild_repository, self.recommendations)
        self.forgotten = await forgotten_registry(self.bot)
        self.writer.start()
        self.refresh_tags.start()

    async def cog_unload(self) -> None:
        self.refresh_tags.cancel()
        if self._catch_up_task is not None:
            self._catch_up_task.cancel()
        if self._reconcile_task is not None:
            self._reconcile_task.cancel()
        await self.writer.stop()

    # -- live events ------------------------------------------------------------------------

    def _submit(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return
        if payload.member is not None and payload.member.bot:
            return
        emoji = str(payload.emoji)
        if self.filter.accepts(payload.message_id, emoji) and not self._forgotten(
            payload.guild_id, payload.user_id
        ):
            self.writer.submit(ReactionChange(added, payload.message_id, emoji, payload.user_id))

    def _forgotten(self, guild_id: int | None, user_id: int) -> bool:
        return self.forgotten is not None and self.forgotten.contains(guild_id or 0, user_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self._submit(payload, True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self._submit(payload, False)

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if payload.message_id in self.filter.posts:
            await self.reconcile_post(payload.message_id, {})

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        if payload.message_id in self.filter.posts:
            await self.writer.flush()
            await self.reactions.reconcile(
                payload.message_id, str(payload.emoji), set(), self.bot.clock.now()
            )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.message_id in self.filter.posts:
            await self.publisher.mark_deleted(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        post = await self.recommendations.post_by_thread(payload.thread_id)
        if post is not None:
            await self.publisher.mark_deleted(post.message_id)

    @commands.Cog.listener()
    async def on_consultation_post_created(self, post: Post) -> None:
        self.filter.track(post.message_id, post.guild_id)

    @commands.Cog.listener()
    async def on_consultation_post_deleted(self, message_id: int) -> None:
        self.filter.forget(message_id)

    @commands.Cog.listener()
    async def on_consultation_settings_changed(self, guild_id: int) -> None:
        await self.filter.refresh_guild(guild_id, self.bot.guild_repository)

    # -- catch-up ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After IDENTIFY (start-up, or a reconnect that could not RESUME) events may have been missed."""
        if self._catch_up_task is not None and not self._catch_up_task.done():
            self._catch_up_again = True
            return
        self._catch_up_task = asyncio.create_task(self._catch_up_loop(), name="reaction-catch-up")

    async def _catch_up_loop(self) -> None:
        while True:
            self._catch_up_again = False
            try:
                async with self._reconcile_lock:
                    await self.catch_up()
            except Exception:
                log.exception("Reaction catch-up failed; it runs again at the next start or re-identify")
            if not self._catch_up_again:
                return

    async def catch_up(self, only: set[int] | None = None) -> tuple[int, int, int]:
        """Reconcile every tracked post (or the posts in ``only``) against Discord's own reaction lists."""
        for guild in self.bot.guilds:
            await self.filter.refresh_guild(guild.id, self.bot.guild_repository)
        totals = [0, 0, 0]
        for post in await self.recommendations.live_posts():
            if only is not None and post.message_id not in only:
                continue
            if post.guild_id not in self.filter.counting:
                continue  # closed (tally frozen at closing) or still a draft
            self.writer.watch(post.message_id)
            try:
                message = await self.bot.get_partial_messageable(post.message_channel_id).fetch_message(
                    post.message_id
                )
            except discord.NotFound:
                self.writer.unwatch(post.message_id)
                await self.publisher.mark_deleted(post.message_id)
                continue
            except BaseException:
                self.writer.unwatch(post.message_id)
                raise
            lists: dict[str, set[int]] = {}
            for reaction in message.reactions:
                emoji = str(reaction.emoji)
                if emoji in self.filter.options.get(post.guild_id, ()):
                    lists[emoji] = {
                        user.id
                        async for user in reaction.users(limit=EVERY_USER)
                        if not user.bot and not self._forgotten(post.guild_id, user.id)
                    }
            result = await self.reconcile_post(post.message_id, lists)
            for index, value in enumerate(result):
                totals[index] += value
        added, removed, unchanged = totals
        if only is not None:
            log.info("Reconciled %d post(s): %d added, %d removed", len(only), added, removed)
            return added, removed, unchanged
        self.last_catch_up = (added, removed, unchanged)
        log.info("Reaction catch-up: %d added, %d removed, %d unchanged", added, removed, unchanged)
        return added, removed, unchanged

    # -- contradictions -----------------------------------------------------------------------

    async def _contradicted(self, message_ids: set[int]) -> None:
        """Events that contradict the stored rows (a remove arriving before its add): Discord's lists are
        the only truth left, so the posts concerned are reconciled once late events had time to arrive."""
        self.suspect_posts |= message_ids
        if self._reconcile_task is None or self._reconcile_task.done():
            self._reconcile_task = asyncio.create_task(self._reconcile_suspects(), name="reaction-reconcile")

    @property
    def reconcile_pending(self) -> bool:
        return bool(self.suspect_posts) or (
            self._reconcile_task is not None and not self._reconcile_task.done()
        )

    async def wait_until_quiet(self) -> None:
        """Return once no catch-up or reconcile runs and every event acknowledged so far is on disk.

        Flushing can reveal a contradiction, which starts a reconcile: loop until a round starts nothing.
        """
        while True:
            running = [
                task
                for task in (self._catch_up_task, self._reconcile_task)
                if task is not None and not task.done()
            ]
            if running:
                await asyncio.wait(running)
                continue
            await self.writer.flush()
            if not self.reconcile_pending and self.writer.pending == 0:
                return

    async def _reconcile_suspects(self) -> None:
        while self.suspect_posts:
            await asyncio.sleep(self.reconcile_delay)
            batch, self.suspect_posts = self.suspect_posts, set()
            try:
                async with self._reconcile_lock:
                    await self.catch_up(only=batch)
            except Exception:
                log.exception("Reconciling %d post(s) failed; the next catch-up repairs them", len(batch))
            else:
                self.reconciles_done += len(batch)

    async def reconcile_post(self, message_id: int, lists: dict[str, set[int]]) -> tuple[int, int, int]:
        """Make the stored rows of a post equal ``lists``, then re-apply events newer than them."""
        guild_id = self.filter.posts.get(message_id)
        await self.writer.flush()
        added = removed = unchanged = 0
        now = self.bot.clock.now()
        for emoji in sorted(self.filter.options.get(guild_id, frozenset()) if guild_id else ()):
            result = await self.reactions.reconcile(message_id, emoji, lists.get(emoji, set()), now)
            added += result.added
            removed += result.removed
            unchanged += result.unchanged
        # Events newer than the lists: applied here, in order, and taken out of the writer's buffer so it
        # does not apply them a second time (which would look like a contradiction).
        newer = self.writer.take_watched(message_id)
        if newer:
            try:
                await self.reactions.apply(newer, now)
            except BaseException:
                self.writer.requeue(newer)
                raise
        self._dirty_posts.add(message_id)
        return added, removed, unchanged

    # -- forum tags -------------------------------------------------------------------------

    async def _posts_changed(self, message_ids: set[int]) -> None:
        self._dirty_posts |= message_ids

    @tasks.loop(seconds=TAG_REFRESH_SECONDS)
    async def refresh_tags(self) -> None:
        await self.apply_dirty_tags()

    async def apply_dirty_tags(self) -> int:
        """Give each changed forum post the (at most 5) areas its members tagged most: one edit per post."""
        dirty, self._dirty_posts = self._dirty_posts, set()
        edits = 0
        for message_id in dirty:
            post = await self.recommendations.post_by_message(message_id)
            if post is None or post.kind != "forum" or post.status != "live":
                continue
            areas = {a.id: a for a in await self.bot.guild_repository.scoping_areas(post.guild_id)}
            top = await self.reactions.top_areas(message_id, post.guild_id, MAX_TAGS_PER_POST)
            tag_ids = tuple(tag for area in top if (tag := areas[area].forum_tag_id) is not None)
            if tag_ids == post.applied_tags:
                continue
            try:
                await self.publisher.apply_tags(post, tag_ids)
                edits += 1
            except discord.HTTPException as error:
                log.warning("Could not tag post %s: %s", message_id, error)
        return edits

    @refresh_tags.before_loop
    async def _before_refresh(self) -> None:
        await self.bot.wait_until_ready()
