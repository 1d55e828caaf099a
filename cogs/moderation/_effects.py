"""What a phase change does in Discord, and the threads kept from auto-archiving while open.

Shared by the /mod commands and the background keeper (scheduled close, daily un-archive).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.audit import record_action
from bot.data.audit import AuditRepository
from bot.data.guilds import GuildSettings
from bot.data.links import LinkRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.i18n import t
from bot.moderation.phases import PhaseChange, PhaseService
from bot.moderation.threads import ARCHIVE_ACTIONS, thread_target

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

LOCKED_AT_CLOSE = "moderation.locked_at_close.{guild_id}"


@dataclass
class PhaseEffects:
    locked: int = 0
    unlocked: int = 0
    posts_failed: int = 0


async def phases_home(bot: ConsultationBot, guild_id: int) -> int | None:
    return await LinkRepository(bot.db).home_of(guild_id)


class ConsultationEffects:
    def __init__(self, bot: ConsultationBot) -> None:
        self.bot = bot
        self.recommendations = RecommendationRepository(bot.db)
        self.audit = AuditRepository(bot.db)
        self.publisher = bot.services.publisher
        self.archiving: set[int] = set()  # threads a moderator is archiving right now

    async def fetch_thread(self, thread_id: int) -> discord.Thread | None:
        try:
            channel = await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            return None
        return channel if isinstance(channel, discord.Thread) else None

    async def target_thread(
        self, settings: GuildSettings, recommendation: int | None, thread_id: int | None
    ) -> discord.Thread:
        """The recommendation's thread, or the thread given; it must belong to the consultation."""
        if recommendation is not None:
            rec = await self.recommendations.by_number(settings.guild_id, recommendation)
            if rec is None:
                raise UserError("moderation.thread.unknown_recommendation", number=recommendation)
            post = await self.recommendations.live_post_for(rec.id)
            if post is None or post.thread_id is None:
                raise UserError("moderation.thread.no_post", number=recommendation)
            thread_id = post.thread_id
        if thread_id is None:
            raise UserError("moderation.thread.which")
        try:
            channel = await self.bot.fetch_channel(thread_id)
        except discord.NotFound as error:
            raise UserError("moderation.thread.gone") from error
        if not isinstance(channel, discord.Thread):
            raise UserError("moderation.thread.not_a_thread")
        if (
            channel.parent_id != settings.channel_id
            and await self.recommendations.post_by_thread(channel.id) is None
        ):
            raise UserError("moderation.thread.outside")
        return channel

    async def apply_phase(self, change: PhaseChange) -> PhaseEffects:
        """Stop or resume counting at once, re-render the posts, lock or unlock the threads."""
        guild_id = change.after.guild_id
        # Deterministic freeze: the reaction filter learns the phase before we return.
        await self.bot.services.tally.freeze_or_resume(guild_id)
        self.bot.dispatch("consultation_settings_changed", guild_id)
        effects = PhaseEffects()
        posts = await self.recommendations.live_posts(guild_id)
        for post in posts:
            recommendation = await self.recommendations.by_id(post.recommendation_id)
            if recommendation is None:
                continue
            try:
                await self.publisher.refresh_post(post, recommendation, announce=False)
            except discord.HTTPException as error:
                effects.posts_failed += 1
                log.warning("Could not re-render post %s after a phase change: %s", post.message_id, error)
        key = LOCKED_AT_CLOSE.format(guild_id=guild_id)
        if change.closed_now:
            locked = []
            for post in posts:
                thread = await self.fetch_thread(post.thread_id) if post.thread_id else None
                if thread is None or thread.locked:
                    continue
                try:
                    await thread.edit(locked=True, archived=thread.archived, reason="consultation closed")
                    locked.append(thread.id)
                except discord.HTTPException as error:
                    log.warning("Could not lock thread %s at closing: %s", thread.id, error)
            await self.bot.guild_repository.set_state(key, json.dumps(locked))
            effects.locked = len(locked)
        elif change.reopened:
            for thread_id in json.loads(await self.bot.guild_repository.get_state(key) or "[]"):
                thread = await self.fetch_thread(thread_id)
                if thread is None or not thread.locked:
                    continue
                try:
                    await thread.edit(locked=False, archived=False, reason="consultation reopened")
                    effects.unlocked += 1
                except discord.HTTPException as error:
                    log.warning("Could not unlock thread %s at reopening: %s", thread_id, error)
            await self.bot.guild_repository.set_state(key, "[]")
        if change.after.is_open:  # threads that went idle meanwhile are reopened now, not tomorrow
            for post in posts:
                thread = await self.fetch_thread(post.thread_id) if post.thread_id else None
                if thread is not None:
                    await self.keep_open(guild_id, thread)
        return effects

    async def follow_home(self, phases: PhaseService, guild_id: int) -> PhaseEffects | None:
        """A joined server takes its home's phase (and scheduled close); when its phase moved, the
        effects here are those of a phase change on that server (posts re-rendered, threads locked),
        recorded in its audit log."""
        change = await phases.follow(guild_id)
        if change is None:
            self.bot.dispatch("consultation_settings_changed", guild_id)  # a scheduled close, maybe
            return None
        return await self.followed(change)

    async def followed(self, change: PhaseChange) -> PhaseEffects:
        """What a phase that followed the home's does here, recorded in this server's audit log."""
        guild_id, phase = change.after.guild_id, change.after.phase
        effects = await self.apply_phase(change)
        home = await phases_home(self.bot, guild_id)
        reason = t("mirrors.phase_reason", home=self.bot.services.mirrors.server_name(home or 0))
        await record_action(self.bot, guild_id, None, f"phase.{phase}", None, reason)
        log.info(
            "Guild %s follows its home %s: %s (%d threads locked)", guild_id, home, phase, effects.locked
        )
        self.bot.dispatch("consultation_phase_follow_done", guild_id, phase)
        return effects

    # -- keeping threads from auto-archiving ----------------------------------------------------

    async def archived_by_moderator(self, guild_id: int, thread_id: int) -> bool:
        if thread_id in self.archiving:
            return True
        last = await self.audit.latest_on_target(guild_id, thread_target(thread_id), ARCHIVE_ACTIONS)
        return last is not None and last.action == "thread.archive"

    async def keep_open(self, guild_id: int, thread: discord.Thread) -> bool:
        """Un-archive a recommendation thread that Discord (or a member) archived while open."""
        if not thread.archived or await self.archived_by_moderator(guild_id, thread.id):
            return False
        try:
            await thread.edit(archived=False, reason="kept open while the consultation is open")
        except discord.HTTPException as error:
            log.warning("Could not un-archive thread %s: %s", thread.id, error)
            return False
        log.info("Un-archived recommendation thread %s in guild %s", thread.id, guild_id)
        return True

    async def keep_threads_open(self) -> int:
        """Every open guild's archived recommendation threads, un-archived (the daily pass)."""
        count = 0
        for guild_id in filter(self.bot.scope.owns, await self.bot.guild_repository.guild_ids()):
            settings = await self.bot.guild_repository.get(guild_id)
            if settings is None or not settings.is_open:
                continue
            for post in await self.recommendations.live_posts(guild_id):
                thread = await self.fetch_thread(post.thread_id) if post.thread_id else None
                if thread is not None and await self.keep_open(guild_id, thread):
                    count += 1
        return count
