"""The exact tally: reaction events into rows, catch-up after downtime, contradictions, forum tags.

The rules live here; ``cogs/recommendations/_tally.py`` only turns gateway events into calls. Every
reaction is counted once: live events go through the single batched writer; after an IDENTIFY (events
may have been missed) each post is reconciled against Discord's own lists, and events seen while a list
was being read are applied after it, in order; an event that contradicts the stored rows (a remove
before its add) marks its post for a reconcile once late events had time to arrive.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.data.reactions import ReactionChange, ReactionRepository
from bot.data.recommendations import RecommendationRepository
from bot.moderation.privacy import ForgottenRegistry
from bot.recommendations.publisher import MAX_TAGS_PER_POST, Publisher
from bot.recommendations.tracker import ReactionFilter
from bot.recommendations.writer import ReactionWriter

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

# discord.py's ``users(limit=None)`` stops after the count seen when the message was fetched: members who
# reacted since then push earlier ones (higher ids) off the end of the list. Page until Discord has no more.
EVERY_USER = 1 << 62
RECONCILE_DELAY_SECONDS = 2.0  # lets late events of a reordered burst arrive first

CatchUpTotals = tuple[int, int, int]  # added, removed, unchanged


class TallyService:
    """Counts reactions on the drafts' posts exactly: once each, none lost while the bot was away."""

    def __init__(self, bot: ConsultationBot, publisher: Publisher, forgotten: ForgottenRegistry) -> None:
        self.bot = bot
        self.publisher = publisher
        self.forgotten = forgotten
        self.reactions = ReactionRepository(bot.db)
        self.recommendations = RecommendationRepository(bot.db)
        self.filter = ReactionFilter()
        self.writer = ReactionWriter(
            self.reactions, bot.clock, on_flushed=self._posts_changed, on_contradiction=self._contradicted
        )
        self._dirty_posts: set[int] = set()
        self._catch_up_task: asyncio.Task[None] | None = None
        self._catch_up_again = False
        self.last_catch_up: CatchUpTotals | None = None
        self._reconcile_lock = asyncio.Lock()  # one catch-up or reconcile at a time (they watch posts)
        self.suspect_posts: set[int] = set()
        self.reconcile_delay = RECONCILE_DELAY_SECONDS
        self.reconciles_done = 0
        self._reconcile_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.filter.load(self.bot.guild_repository, self.recommendations)
        self.writer.start()

    async def stop(self) -> None:
        """Stop the background work and write every event acknowledged so far."""
        for task in (self._catch_up_task, self._reconcile_task):
            if task is not None:
                task.cancel()
        await self.writer.stop()

    # -- live events ------------------------------------------------------------------------

    def record(self, added: bool, message_id: int, emoji: str, user_id: int, guild_id: int | None) -> None:
        """A reaction added or removed on Discord: buffered when it counts, ignored otherwise."""
        if self.filter.accepts(message_id, emoji) and not self.forgotten.contains(guild_id or 0, user_id):
            self.writer.submit(ReactionChange(added, message_id, emoji, user_id))

    def is_post(self, message_id: int) -> bool:
        return message_id in self.filter.posts

    async def clear_emoji(self, message_id: int, emoji: str) -> None:
        """A moderator cleared one emoji from a post: nobody holds it any more."""
        await self.writer.flush()
        await self.reactions.reconcile(message_id, emoji, set(), self.bot.clock.now())

    def track(self, message_id: int, guild_id: int) -> None:
        self.filter.track(message_id, guild_id)

    def untrack(self, message_id: int) -> None:
        self.filter.forget(message_id)

    async def settings_changed(self, guild_id: int) -> None:
        """The phase or the options changed: the filter learns it before any later event is judged."""
        await self.filter.refresh_guild(guild_id, self.bot.guild_repository)

    async def flush(self) -> None:
        """Write what is buffered now (before a digest, a tally, a phase change or an erasure)."""
        await self.writer.flush()

    async def flush_before_reading(self) -> None:
        """Before the tally is read (a digest, /consultation tally): write the buffer. If the database
        refuses, the reader shows what is on disk and the buffer waits for the writer's next attempt."""
        try:
            await self.writer.flush()
        except Exception:
            log.warning("Could not write the tally's buffer before a read", exc_info=True)

    async def freeze_or_resume(self, guild_id: int) -> None:
        """A phase change: judge later events by the new phase, and write what came before it."""
        await self.settings_changed(guild_id)
        await self.writer.flush()

    # -- catch-up ---------------------------------------------------------------------------

    def request_catch_up(self) -> None:
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

    async def catch_up(self, only: set[int] | None = None) -> CatchUpTotals:
        """Reconcile every tracked post (or the posts in ``only``) against Discord's own reaction lists."""
        for guild in self.bot.guilds:
            await self.filter.refresh_guild(guild.id, self.bot.guild_repository)
        totals = [0, 0, 0]
        for post in await self.recommendations.live_posts():
            if only is not None and post.message_id not in only:
                continue
            if post.guild_id not in self.filter.counting or not self.bot.scope.owns(post.guild_id):
                continue  # closed (tally frozen at closing), still a draft, or another process's shard
            with self.writer.watching(post.message_id) as watch:
                lists = await self._discord_lists(post.guild_id, post.message_channel_id, post.message_id)
                if lists is None:
                    await self.publisher.mark_deleted(post.message_id)
                    continue
                result = await self._reconcile_rows(post.message_id, lists)
                await self.writer.apply_watched(watch)
            self._dirty_posts.add(post.message_id)
            for index, value in enumerate(result):
                totals[index] += value
        added, removed, unchanged = totals
        if only is not None:
            log.info("Reconciled %d post(s): %d added, %d removed", len(only), added, removed)
            return added, removed, unchanged
        self.last_catch_up = (added, removed, unchanged)
        log.info("Reaction catch-up: %d added, %d removed, %d unchanged", added, removed, unchanged)
        return added, removed, unchanged

    async def _discord_lists(
        self, guild_id: int, channel_id: int, message_id: int
    ) -> dict[str, set[int]] | None:
        """Who holds each of the guild's options on a post, as Discord lists them; None when it is gone."""
        try:
            message = await self.bot.get_partial_messageable(channel_id).fetch_message(message_id)
        except discord.NotFound:
            return None
        lists: dict[str, set[int]] = {}
        for reaction in message.reactions:
            emoji = str(reaction.emoji)
            if emoji in self.filter.options.get(guild_id, ()):
                lists[emoji] = {
                    user.id
                    async for user in reaction.users(limit=EVERY_USER)
                    if not user.bot and not self.forgotten.contains(guild_id, user.id)
                }
        return lists

    async def reconcile_post(self, message_id: int, lists: dict[str, set[int]]) -> CatchUpTotals:
        """Make the stored rows of a post equal ``lists`` (nothing newer is known, e.g. a clear-all)."""
        result = await self._reconcile_rows(message_id, lists)
        self._dirty_posts.add(message_id)
        return result

    async def _reconcile_rows(self, message_id: int, lists: dict[str, set[int]]) -> CatchUpTotals:
        guild_id = self.filter.posts.get(message_id)
        await self.writer.flush()
        added = removed = unchanged = 0
        now = self.bot.clock.now()
        for emoji in sorted(self.filter.options.get(guild_id, frozenset()) if guild_id else ()):
            result = await self.reactions.reconcile(message_id, emoji, lists.get(emoji, set()), now)
            added += result.added
            removed += result.removed
            unchanged += result.unchanged
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

    # -- forum tags -------------------------------------------------------------------------

    async def _posts_changed(self, message_ids: set[int]) -> None:
        self._dirty_posts |= message_ids

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
