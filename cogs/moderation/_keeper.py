"""Background work of moderation: the scheduled close and recommendation threads kept un-archived."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.audit import announce, record_action
from bot.i18n import t
from bot.moderation.phases import PhaseService
from bot.moderation.retention import RetentionRun, RetentionService
from cogs.moderation._effects import ConsultationEffects

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class PhaseKeeper(commands.Cog):
    """Closes consultations at their scheduled time and keeps their threads from auto-archiving."""

    def __init__(self, bot: ConsultationBot, effects: ConsultationEffects) -> None:
        self.bot = bot
        self.effects = effects
        self.phases = PhaseService(bot.guild_repository, bot.clock, bot.services.mirrors.server_name)
        self.retention = RetentionService(bot.db, bot.guild_repository, bot.clock)

    async def cog_load(self) -> None:
        self.phase_loop.start()
        self.keep_alive_loop.start()

    async def cog_unload(self) -> None:
        self.phase_loop.cancel()
        self.keep_alive_loop.cancel()

    @tasks.loop(minutes=1)
    async def phase_loop(self) -> None:
        try:
            await self.run_due_phase_changes()
        except Exception:
            log.exception("Scheduled phase changes failed; trying again in a minute")
        try:
            await self.run_due_retention()
        except Exception:
            log.exception("Retention failed; trying again in a minute")

    @tasks.loop(hours=24)
    async def keep_alive_loop(self) -> None:
        try:
            await self.effects.keep_threads_open()
        except Exception:
            log.exception("Keeping recommendation threads open failed; trying again tomorrow")

    @phase_loop.before_loop
    @keep_alive_loop.before_loop
    async def _before(self) -> None:
        try:
            await self.bot.wait_until_ready()
        except RuntimeError:  # loaded without logging in (the command-tree test): nothing to watch
            self.phase_loop.cancel()
            self.keep_alive_loop.cancel()

    async def run_due_phase_changes(self) -> list[int]:
        """Close every consultation whose scheduled close has come; the guild ids closed."""
        closed = []
        for guild_id in await self.phases.due_closes(self.bot.scope):
            change = await self.phases.change(guild_id, "closed")
            effects = await self.effects.apply_phase(change)
            await record_action(
                self.bot, guild_id, None, "phase.closed", None, t("moderation.phase.scheduled_reason")
            )
            log.info(
                "Closed the consultation of guild %s as scheduled (%d threads locked)",
                guild_id,
                effects.locked,
            )
            closed.append(guild_id)
            self.bot.dispatch("consultation_phase_changed", guild_id, "closed")  # its linked servers follow
        for guild_id in await self.phases.due_follows(self.bot.scope):
            if await self.effects.follow_home(self.phases, guild_id) is not None:
                closed.append(guild_id)
        return closed

    async def run_due_retention(self) -> list[RetentionRun]:
        """Pseudonymise every closed consultation whose retention period has passed (once per closing)."""
        runs = []
        for due in await self.retention.due(self.bot.scope):
            run = await self.retention.run(due, self.bot.services.forgotten)
            self.bot.services.names.forget_guild(due.guild_id)
            await announce(self.bot, run.entry)
            runs.append(run)
        return runs

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """Discord archives idle threads (after a week at most): reopen recommendation threads while open."""
        if not payload.data.get("thread_metadata", {}).get("archived"):
            return
        post = await self.effects.recommendations.post_by_thread(payload.thread_id)
        if post is None or post.status != "live":
            return
        settings = await self.bot.guild_repository.get(post.guild_id)
        if settings is None or not settings.is_open:
            return
        thread = payload.thread or await self.effects.fetch_thread(payload.thread_id)
        if thread is not None and thread.archived:
            await self.effects.keep_open(post.guild_id, thread)
