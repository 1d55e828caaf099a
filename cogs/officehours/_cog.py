"""/officehours (members) and /officehours-manage (working group): sessions, sign-ups, waitlist, reminders."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.access import VISIBILITY, Access, require
from bot.audit import record_action
from bot.errors import UserError
from bot.i18n import t
from bot.officehours import OfficeHoursService, SessionDraft
from bot.officehours.export import attendees_csv
from bot.officehours.publisher import SessionPublisher
from bot.officehours.render import when
from bot.officehours.timeparse import MAX_DURATION, MIN_DURATION
from bot.replies import respond
from cogs.officehours._buttons import DYNAMIC_ITEMS, FORMS, click_routes
from cogs.officehours._events import ScheduledEventSync
from cogs.officehours._render import attendees_text, list_text, name_of, server_of
from cogs.officehours._servers import LinkedServers

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
MAX_LISTED = 10  # one .ics file each; Discord allows 10 files per message


class OfficeHoursCog(commands.Cog):
    """Office hours with the working group: seats, a waitlist in click order, reminders.

    Two top-level commands, because Discord's visibility default covers a whole one: ``/officehours``
    for every member and ``/officehours-manage`` for the working group.
    """

    members = app_commands.Group(
        name="officehours",
        description="Office hours with the working group: seats, a waitlist in click order, reminders.",
        guild_only=True,
    )
    manage = app_commands.Group(
        name="officehours-manage",
        description="Working group: schedule, move and cancel office hours; see who signed up.",
        guild_only=True,
        default_permissions=VISIBILITY[Access.WORKING_GROUP],
    )

    def __init__(
        self, bot: ConsultationBot, service: OfficeHoursService, publisher: SessionPublisher
    ) -> None:
        self.bot = bot
        self.service = service
        self.repo = service.repo
        self.publisher = publisher
        self.cards = publisher.cards
        self.notifier = publisher.notifier
        self.event_sync = ScheduledEventSync(bot, self.repo, self.publisher)
        self.linked = LinkedServers(bot, service, publisher)
        self.click_routes = click_routes(bot.services)  # Sign up and Cancel, read from the gateway payload
        self._last_tick: datetime | None = None
        # One run at a time in this process: a call made while the loop runs waits for its posts (on
        # PostgreSQL the loop's claimed rows are skipped by a second claimer, not waited for).
        self._one_run = asyncio.Lock()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        for template, handler in self.click_routes.items():
            self.bot.clicks.route(template, handler)
        self.bot.forms.add(*FORMS)
        self.publisher.start()
        self.event_sync.start()
        self.linked.start()
        self.reminder_loop.start()

    async def cog_unload(self) -> None:
        self.reminder_loop.cancel()
        self.linked.stop()
        self.event_sync.stop()
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        for template in self.click_routes:
            self.bot.clicks.unroute(template)
        self.bot.forms.remove(*FORMS)
        await self.publisher.stop()

    @commands.Cog.listener()
    async def on_officehours_seats_freed(self, session_ids: list[int], promoted: int) -> None:
        """Another capability freed seats (a member's data erased): cards and promotion notices follow."""
        self.publisher.seats_changed(session_ids, notices=promoted > 0)

    # -- autocomplete -----------------------------------------------------------------------

    async def session_choices(self, interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        needle = current.casefold().strip()
        choices = []
        for summary in await self.service.upcoming(interaction.guild_id, 25):
            session = summary.session
            label = f"#{session.id} {session.title} ({session.starts_at:%Y-%m-%d %H:%M} UTC)"[:100]
            if not needle or needle in label.casefold():
                choices.append(app_commands.Choice(name=label, value=session.id))
        return choices

    # -- the working group ------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @manage.command(name="schedule", description="Schedule office hours: a Discord event and a sign-up card.")
    @app_commands.describe(
        title="What the session is about",
        start="Date and time with a time zone (2026-12-01 18:00 Europe/Madrid) or a Unix timestamp",
        duration="Length in minutes",
        capacity="Number of seats; later sign-ups join the waitlist",
        channel="The voice or stage channel where it happens",
        place="Or an external place: a link or an address",
        host="Who hosts it",
        reminders="How long before the start to remind attendees, like 24h, 15m (or none)",
        everywhere="Also offer it on every linked server (yes by default when there are any)",
    )
    async def schedule(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, 100],
        start: str,
        duration: app_commands.Range[int, MIN_DURATION, MAX_DURATION],
        capacity: app_commands.Range[int, 1, 5000],
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        place: app_commands.Range[str, 1, 100] | None = None,
        host: discord.Member | None = None,
        reminders: str | None = None,
        everywhere: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        card_channel = interaction.channel
        if not isinstance(card_channel, discord.TextChannel):
            raise UserError("officehours.schedule.not_text_channel")
        draft = SessionDraft(
            title=title,
            start=start,
            duration_minutes=duration,
            capacity=capacity,
            location_channel_id=channel.id if channel else None,
            location_text=place,
            host_id=host.id if host else None,
            reminders=reminders,
            everywhere=everywhere,
        )
        session = await self.service.schedule(interaction.guild.id, interaction.user.id, draft)
        await interaction.response.defer(ephemeral=True, thinking=True)
        event_error = await self.publisher.create_event(interaction.guild, session, channel)
        try:
            message = await self.publisher.post_card(card_channel, session)
        except discord.HTTPException:
            # No card, no sign-ups: withdraw the session (and its event) rather than leave it half made.
            await self.repo.cancel_session(session.id, self.bot.clock.now())
            await self.publisher.delete_event(await self.service.session(interaction.guild.id, session.id))
            raise
        session = await self.service.session(interaction.guild.id, session.id)
        params = {
            "title": session.title,
            "when": when(session),
            "seats": session.capacity,
            "card": message.jump_url,
        }
        if event_error is None:
            text = t("officehours.schedule.done", interaction.locale, **params)
        else:
            text = t("officehours.schedule.done_no_event", interaction.locale, reason=event_error, **params)
        offered = await self.repo.offers(session.id, statuses=("pending", "active"))
        if offered:
            # Posted here for this process's linked servers; the others' processes post theirs.
            await self.publisher.offers.post_pending()
            text += " " + t("officehours.schedule.offered", interaction.locale, count=len(offered))
        await respond(interaction, text)
        await record_action(
            self.bot,
            interaction.guild.id,
            interaction.user.id,
            "officehours.schedule",
            t("officehours.audit.schedule", id=session.id, title=session.title, when=when(session)),
        )

    @require(Access.WORKING_GROUP)
    @manage.command(name="cancel", description="Cancel office hours and tell everyone signed up.")
    @app_commands.describe(session="The session to cancel", reason="Why (shown in the audit log)")
    @app_commands.autocomplete(session=session_choices)
    async def cancel(self, interaction: Interaction, session: int, reason: str | None = None) -> None:
        assert interaction.guild_id is not None
        cancelled, signed = await self.service.cancel_session(interaction.guild_id, session)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await respond(
            interaction,
            t("officehours.cancel.done", interaction.locale, title=cancelled.title, count=len(signed)),
        )
        await self.publisher.cancel_event(cancelled)
        await self.publisher.tell_cancelled(cancelled, signed, interaction.user.id, reason)

    @require(Access.WORKING_GROUP)
    @manage.command(name="move", description="Move office hours to a new time; sign-ups are kept.")
    @app_commands.describe(
        session="The session to move",
        start="New date and time with a time zone, or a Unix timestamp",
        duration="New length in minutes (unchanged if left out)",
    )
    @app_commands.autocomplete(session=session_choices)
    async def move(
        self,
        interaction: Interaction,
        session: int,
        start: str,
        duration: app_commands.Range[int, MIN_DURATION, MAX_DURATION] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        before, after, signed = await self.service.move_session(
            interaction.guild_id, session, start, duration
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await respond(
            interaction,
            t(
                "officehours.move.done",
                interaction.locale,
                title=after.title,
                when=when(after),
                count=len(signed),
            ),
        )
        event = await self.publisher.scheduled_event(after)
        if event is not None:
            try:
                await event.edit(start_time=after.starts_at, end_time=after.ends_at)
            except discord.HTTPException as error:
                log.warning("Could not move the event of office hours %s: %s", after.id, error)
        await self.publisher.tell_moved(before, after, signed, interaction.user.id, None)

    @require(Access.WORKING_GROUP)
    @manage.command(name="attendees", description="Who has a seat, the waitlist and their questions (CSV).")
    @app_commands.describe(session="The session")
    @app_commands.autocomplete(session=session_choices)
    async def attendees(self, interaction: Interaction, session: int) -> None:
        assert interaction.guild_id is not None
        summary, signups = await self.service.attendees(interaction.guild_id, session)
        data = attendees_csv(signups, name_of(interaction.guild), server_of(self.bot, interaction.guild_id))
        await respond(
            interaction,
            attendees_text(summary, signups, interaction.locale),
            file=discord.File(io.BytesIO(data), filename=f"officehours-{session}-attendees.csv"),
        )

    # -- anyone -----------------------------------------------------------------------------

    @require(Access.MEMBER)
    @members.command(name="list", description="Upcoming office hours with seats left, and calendar files.")
    async def list_sessions(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        summaries = await self.service.upcoming(interaction.guild_id, 25, offered=True)
        if not summaries:
            await respond(interaction, t("officehours.list.empty", interaction.locale))
            return
        shown = summaries[:MAX_LISTED]
        files = [
            discord.File(
                io.BytesIO(self.publisher.calendar(s.session, interaction.locale)),
                filename=f"officehours-{s.session.id}.ics",
            )
            for s in shown
        ]
        await respond(interaction, list_text(shown, interaction.locale, len(summaries)), files=files)

    # -- the scheduler ----------------------------------------------------------------------

    @tasks.loop(seconds=30)
    async def reminder_loop(self) -> None:
        try:
            await self.run_due_reminders()
        except Exception:
            log.exception("Office-hours reminders failed; trying again on the next round")

    @reminder_loop.before_loop
    async def _before_reminders(self) -> None:
        try:
            await self.bot.wait_until_ready()
        except RuntimeError:  # loaded without logging in (the command-tree test): nothing to remind
            self.reminder_loop.cancel()

    async def run_due_reminders(self) -> int:
        async with self._one_run:
            return await self._run_due_reminders()

    async def _run_due_reminders(self) -> int:
        """Post every due reminder once (claimed in the database first) and close started cards.

        Crash safety: a reminder is leased when it is claimed and marked sent (its DMs queued) after
        the post; a process killed in between leaves a lease that runs out, and the reminder is posted
        by whoever runs its shard then (``bot.data.leases``). The same holds for each DM in the outbox.
        """
        now = self.bot.clock.now()
        since = self._last_tick or now - timedelta(days=1)
        if self._last_tick is None:
            # Dirty flags live in memory: after a restart, bring every live card up to date once.
            for guild in self.bot.guilds:
                for summary in await self.service.upcoming(guild.id, 25, offered=True):
                    self.cards.mark(summary.session.id)
            await self.event_sync.reconcile()  # changes made in Discord while the bot was away
        self._last_tick = now
        await self.event_sync.run_due_transitions()
        for session in await self.repo.started_between(since, now, self.bot.scope):
            self.cards.mark(session.id)  # sign-ups closed: the card says so and its buttons go grey
        posted = 0
        for due in await self.service.claim_due_reminders(self.bot.scope):
            if due.attendee_ids:
                await self.publisher.announce(
                    due.session, "officehours.notice.reminder_thread", list(due.attendee_ids)
                )
                posted += 1
            if not await self.service.finish_reminder(due):
                log.warning("Reminder %s: its lease ran out while it was posted", due.reminder_id)
        posted += await self.linked.run_round()
        self.notifier.wake()
        return posted
