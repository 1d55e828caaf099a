"""/mod: threads (lock, archive, slow mode, pin), hidden feedback, phases, the audit log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import VISIBILITY, Access, require
from bot.audit import record_action
from bot.data.audit import AuditRepository
from bot.data.feedback import FeedbackRepository
from bot.data.recommendations import RecommendationRepository
from bot.errors import UserError
from bot.i18n import t
from bot.moderation import threads
from bot.moderation.hiding import HidingService
from bot.moderation.phases import PhaseService
from bot.moderation.retention import RetentionService
from bot.officehours.timeparse import parse_moment
from bot.recommendations.choices import recommendation_choices
from bot.recommendations.render import shorten
from bot.replies import respond
from cogs.moderation._effects import ConsultationEffects
from cogs.moderation._retention import RetentionCommands

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
THREAD_OPTIONS = {
    "recommendation": "The recommendation whose thread it is",
    "thread": "Or any thread in the consultation channel (default: the thread you are in)",
    "reason": "Why (kept in the audit log)",
}


@app_commands.guild_only()
@app_commands.default_permissions(VISIBILITY[Access.MODERATOR])
class ModerationCog(RetentionCommands, commands.GroupCog, group_name="mod"):
    """Moderators keep the consultation civil and on time; every action goes to the audit log."""

    def __init__(self, bot: ConsultationBot, effects: ConsultationEffects) -> None:
        self.bot = bot
        self.effects = effects
        self.recommendations = RecommendationRepository(bot.db)
        self.hiding = HidingService(FeedbackRepository(bot.db), bot.clock)
        self.phases = PhaseService(bot.guild_repository, bot.clock, bot.services.mirrors.server_name)
        self.audit = AuditRepository(bot.db)
        self.retention = RetentionService(bot.db, bot.guild_repository, bot.clock)
        super().__init__()

    async def record(
        self, interaction: Interaction, action: str, target: str | None, reason: str | None
    ) -> None:
        assert interaction.guild_id is not None
        await record_action(self.bot, interaction.guild_id, interaction.user.id, action, target, reason)

    async def target_thread(
        self,
        interaction: Interaction,
        recommendation: int | None,
        thread: app_commands.AppCommandThread | None,
    ) -> discord.Thread:
        assert interaction.guild_id is not None
        settings = await self.phases.settings(interaction.guild_id)
        here = interaction.channel.id if isinstance(interaction.channel, discord.Thread) else None
        return await self.effects.target_thread(settings, recommendation, thread.id if thread else here)

    # -- threads --------------------------------------------------------------------------------

    async def _thread_action(
        self,
        interaction: Interaction,
        thread: discord.Thread,
        action: str,
        reason: str | None,
        **params: object,
    ) -> None:
        await self.record(interaction, f"thread.{action}", threads.thread_target(thread.id), reason)
        key = {
            "lock": "moderation.thread.locked",
            "unlock": "moderation.thread.unlocked",
            "archive": "moderation.thread.archived",
            "reopen": "moderation.thread.reopened",
        }[action]
        await respond(interaction, t(key, interaction.locale, thread=thread.mention, **params))

    @require(Access.MODERATOR)
    @app_commands.command(name="lock", description="Lock a thread: only moderators can post in it.")
    @app_commands.describe(**THREAD_OPTIONS)
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def lock(
        self,
        interaction: Interaction,
        recommendation: int | None = None,
        thread: app_commands.AppCommandThread | None = None,
        reason: str | None = None,
    ) -> None:
        target = await self.target_thread(interaction, recommendation, thread)
        await threads.set_locked(target, True, reason)
        await self._thread_action(interaction, target, "lock", reason)

    @require(Access.MODERATOR)
    @app_commands.command(name="unlock", description="Unlock a thread: members can post in it again.")
    @app_commands.describe(**THREAD_OPTIONS)
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def unlock(
        self,
        interaction: Interaction,
        recommendation: int | None = None,
        thread: app_commands.AppCommandThread | None = None,
        reason: str | None = None,
    ) -> None:
        target = await self.target_thread(interaction, recommendation, thread)
        await threads.set_locked(target, False, reason)
        await self._thread_action(interaction, target, "unlock", reason)

    @require(Access.MODERATOR)
    @app_commands.command(name="archive", description="Archive a thread; it stays archived until reopened.")
    @app_commands.describe(**THREAD_OPTIONS)
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def archive(
        self,
        interaction: Interaction,
        recommendation: int | None = None,
        thread: app_commands.AppCommandThread | None = None,
        reason: str | None = None,
    ) -> None:
        target = await self.target_thread(interaction, recommendation, thread)
        self.effects.archiving.add(target.id)  # the THREAD_UPDATE may arrive before the audit entry
        try:
            # Answer first: once archived, Discord refuses the answer inside the thread itself.
            await interaction.response.defer(ephemeral=True, thinking=True)
            await threads.set_archived(target, True, reason)
            await self.record(interaction, "thread.archive", threads.thread_target(target.id), reason)
        finally:
            self.effects.archiving.discard(target.id)
        await respond(interaction, t("moderation.thread.archived", interaction.locale, thread=target.mention))

    @require(Access.MODERATOR)
    @app_commands.command(name="reopen", description="Reopen (un-archive) a thread.")
    @app_commands.describe(**THREAD_OPTIONS)
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def reopen(
        self,
        interaction: Interaction,
        recommendation: int | None = None,
        thread: app_commands.AppCommandThread | None = None,
        reason: str | None = None,
    ) -> None:
        target = await self.target_thread(interaction, recommendation, thread)
        await threads.set_archived(target, False, reason)
        await self._thread_action(interaction, target, "reopen", reason)

    @require(Access.MODERATOR)
    @app_commands.command(name="slowmode", description="Set slow mode in a thread (0 turns it off).")
    @app_commands.describe(seconds="Seconds each member waits between messages (0 = off)", **THREAD_OPTIONS)
    @app_commands.autocomplete(recommendation=recommendation_choices)
    async def slowmode(
        self,
        interaction: Interaction,
        seconds: app_commands.Range[int, 0, threads.MAX_SLOWMODE],
        recommendation: int | None = None,
        thread: app_commands.AppCommandThread | None = None,
        reason: str | None = None,
    ) -> None:
        target = await self.target_thread(interaction, recommendation, thread)
        await threads.set_slowmode(target, seconds, reason)
        await self.record(
            interaction,
            "thread.slowmode",
            threads.thread_target(target.id),
            f"{seconds}s {reason or ''}".strip(),
        )
        key = "moderation.thread.slowmode_on" if seconds else "moderation.thread.slowmode_off"
        await respond(interaction, t(key, interaction.locale, thread=target.mention, seconds=seconds))

    @require(Access.MODERATOR)
    @app_commands.command(name="pin", description="Pin (or unpin) a message in a consultation thread.")
    @app_commands.describe(
        message="The message's link (Copy Message Link), or its id when you run this in its channel",
        unpin="Unpin instead of pin",
        reason="Why (kept in the audit log)",
    )
    async def pin(
        self, interaction: Interaction, message: str, unpin: bool = False, reason: str | None = None
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.phases.settings(interaction.guild_id)
        channel_id, message_id = threads.parse_message_reference(message, interaction.channel_id)
        try:
            channel = await self.bot.fetch_channel(channel_id)
        except discord.HTTPException as error:
            raise UserError("moderation.pin.unknown_message") from error
        parent = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        if parent != settings.channel_id or not isinstance(channel, discord.abc.Messageable):
            raise UserError("moderation.pin.outside")
        await threads.set_pinned(channel.get_partial_message(message_id), not unpin, reason)  # type: ignore[union-attr]
        action = "unpin" if unpin else "pin"
        await self.record(interaction, f"message.{action}", f"<#{channel_id}> {message_id}", reason)
        key = "moderation.pin.unpinned" if unpin else "moderation.pin.pinned"
        await respond(interaction, t(key, interaction.locale, channel=channel_id))

    # -- feedback -------------------------------------------------------------------------------

    @require(Access.MODERATOR)
    @app_commands.command(
        name="hide", description="Hide a feedback item from the working group (it is kept)."
    )
    @app_commands.describe(feedback="The feedback item's number (#)", reason="Why (kept in the audit log)")
    async def hide(self, interaction: Interaction, feedback: int, reason: str) -> None:
        assert interaction.guild_id is not None
        item = await self.hiding.hide(interaction.guild_id, feedback, interaction.user.id, reason)
        await self.record(interaction, "feedback.hide", f"feedback #{item.id}", item.hidden_reason)
        await respond(
            interaction,
            t(
                "moderation.feedback.hidden",
                interaction.locale,
                id=item.id,
                number=item.recommendation_number,
            ),
        )

    @require(Access.MODERATOR)
    @app_commands.command(
        name="restore", description="Show a hidden feedback item to the working group again."
    )
    @app_commands.describe(feedback="The feedback item's number (#)", reason="Why (kept in the audit log)")
    async def restore(self, interaction: Interaction, feedback: int, reason: str | None = None) -> None:
        assert interaction.guild_id is not None
        item = await self.hiding.restore(interaction.guild_id, feedback)
        await self.record(interaction, "feedback.restore", f"feedback #{item.id}", reason)
        await respond(
            interaction,
            t(
                "moderation.feedback.restored",
                interaction.locale,
                id=item.id,
                number=item.recommendation_number,
            ),
        )

    # -- phases ---------------------------------------------------------------------------------

    @require(Access.MODERATOR)
    @app_commands.command(name="phase", description="Switch the consultation's phase, or schedule its close.")
    @app_commands.describe(
        state="draft (working group only), open, or closed",
        at="With closed: close automatically at this time, e.g. 2026-12-01 18:00 UTC",
        reason="Why (kept in the audit log)",
    )
    async def phase(
        self,
        interaction: Interaction,
        state: Literal["draft", "open", "closed"],
        at: str | None = None,
        reason: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        locale = interaction.locale
        settings = await self.phases.settings(guild_id)
        if at is not None:
            if state != "closed":
                raise UserError("moderation.phase.at_only_closed")
            when = parse_moment(at)
            scheduled = await self.phases.schedule_close(guild_id, when)
            assert scheduled.closes_at is not None
            stamp = int(scheduled.closes_at.timestamp())
            self.bot.dispatch("consultation_settings_changed", guild_id)
            self.bot.dispatch("consultation_phase_changed", guild_id, scheduled.phase)
            await self.record(interaction, "phase.schedule", scheduled.closes_at.isoformat(), reason)
            await respond(
                interaction,
                t("moderation.phase.scheduled", locale, when=f"<t:{stamp}:F>", relative=f"<t:{stamp}:R>"),
            )
            return
        if state == settings.phase and state != "closed" and settings.closes_at is not None:
            await self.phases.cancel_scheduled_close(guild_id)
            self.bot.dispatch("consultation_settings_changed", guild_id)
            self.bot.dispatch("consultation_phase_changed", guild_id, state)
            await self.record(interaction, "phase.schedule", None, reason or "cancelled")
            await respond(interaction, t("moderation.phase.schedule_cancelled", locale))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        published = bool(await self.recommendations.live_posts(guild_id))
        change = await self.phases.change(guild_id, state, published=published)
        effects = await self.effects.apply_phase(change)
        self.bot.dispatch("consultation_phase_changed", guild_id, state)  # its linked servers follow
        await self.record(interaction, f"phase.{state}", None, reason)
        changed = {
            "draft": "moderation.phase.changed_draft",
            "open": "moderation.phase.changed_open",
            "closed": "moderation.phase.changed_closed",
        }[state]
        lines = [t(changed, locale, locked=effects.locked)]
        if effects.unlocked:
            lines.append(t("moderation.phase.reopened_threads", locale, unlocked=effects.unlocked))
        if effects.posts_failed:
            lines.append(t("moderation.phase.posts_failed", locale, count=effects.posts_failed))
        await respond(interaction, "\n".join(lines))

    # -- the audit log --------------------------------------------------------------------------

    async def action_choices(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.casefold().strip()
        found = [a for a in await self.audit.actions(interaction.guild_id) if needle in a.casefold()]
        return [app_commands.Choice(name=a, value=a) for a in found[:25]]

    @require(Access.MODERATOR)
    @app_commands.command(name="log", description="Show the latest audit log entries.")
    @app_commands.describe(
        action="Only this action", member="Only actions by this member", limit="How many (1-25)"
    )
    @app_commands.autocomplete(action=action_choices)
    async def log_command(
        self,
        interaction: Interaction,
        action: str | None = None,
        member: discord.User | None = None,
        limit: app_commands.Range[int, 1, 25] = 10,
    ) -> None:
        assert interaction.guild_id is not None
        locale = interaction.locale
        entries = await self.audit.latest(
            interaction.guild_id, limit=limit, action=action, actor_id=member.id if member else None
        )
        lines = []
        for entry in entries:
            actor = f"<@{entry.actor_id}>" if entry.actor_id else t("moderation.log.by_bot", locale)
            lines.append(
                t(
                    "moderation.log.line",
                    locale,
                    timestamp=int(entry.created_at.timestamp()),
                    action=entry.action,
                    actor=actor,
                    target=t("moderation.log.target", locale, target=entry.target) if entry.target else "",
                    reason=t("moderation.log.reason", locale, reason=shorten(entry.reason, 200))
                    if entry.reason
                    else "",
                )
            )
        embed = discord.Embed(title=t("moderation.log.title", locale), colour=discord.Colour.dark_grey())
        kept: list[str] = []
        for line in lines:  # whole lines only, within an embed description's 4096 characters
            if sum(len(k) + 1 for k in kept) + len(line) > 4000:
                break
            kept.append(line)
        embed.description = "\n".join(kept) if kept else t("moderation.log.empty", locale)
        filters = [f"`{action}`" for _ in [action] if action] + ([member.mention] if member else [])
        if filters:
            embed.set_footer(text=t("moderation.log.filtered", locale, filters=", ".join(filters)))
        await respond(interaction, embed=embed)

    @require(Access.ADMINISTRATOR)
    @app_commands.command(
        name="logchannel", description="Post every audited action in a channel (empty: stop)."
    )
    @app_commands.describe(channel="The mod-log channel; leave empty to stop posting")
    async def logchannel(self, interaction: Interaction, channel: discord.TextChannel | None = None) -> None:
        assert interaction.guild_id is not None
        if channel is not None and not channel.permissions_for(channel.guild.me).send_messages:
            raise UserError("moderation.logchannel.cannot_send", channel=channel.mention)
        await self.phases.settings(interaction.guild_id)
        await self.bot.guild_repository.update(
            interaction.guild_id, self.bot.clock.now(), modlog_channel_id=channel.id if channel else None
        )
        self.bot.dispatch("consultation_settings_changed", interaction.guild_id)
        await self.record(interaction, "modlog.channel", channel.mention if channel else None, None)
        key = "moderation.logchannel.set" if channel else "moderation.logchannel.cleared"
        await respond(interaction, t(key, interaction.locale, channel=channel.mention if channel else ""))
