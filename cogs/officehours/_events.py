"""A session's Discord scheduled event, both ways.

* Discord -> session: an edit or a cancellation made on Discord's own event page moves or cancels
  the session with the same notices as ``/officehours move`` and ``cancel`` (card, thread, DMs,
  reminders, audit log naming Discord as the source). The bot's own changes echo back as updates
  that match the stored session, so they do nothing.
* session -> Discord: at the start time the bot starts the event (ACTIVE), at the end it completes
  it (COMPLETED); each leased in the database first and done after, so it happens once across
  restarts (a process killed in between: the lease runs out and the phase is tried again, reading
  Discord's state first).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.audit import record_action
from bot.data.officehours import OfficeHoursRepository, Session
from bot.data.officehours_events import ACTIVE, COMPLETED, OfficeHoursEventsRepository
from bot.i18n import t
from bot.officehours.events import EventFollower, EventSnapshot, FollowOutcome
from bot.officehours.publisher import SessionPublisher

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

STATUS = {1: "scheduled", 2: "active", 3: "completed", 4: "cancelled"}


def snapshot(event: discord.ScheduledEvent) -> EventSnapshot:
    return EventSnapshot(
        event_id=event.id,
        status=STATUS.get(event.status.value, "scheduled"),
        starts_at=event.start_time,
        ends_at=event.end_time,
        title=event.name,
        channel_id=event.channel_id,
        location=event.location,
    )


class ScheduledEventSync:
    """Listens to Discord's event updates and drives the event's status from the scheduler."""

    def __init__(
        self,
        bot: ConsultationBot,
        repo: OfficeHoursRepository,
        publisher: SessionPublisher,
    ) -> None:
        self.bot = bot
        self.events = OfficeHoursEventsRepository(bot.db)
        self.follower = EventFollower(repo, self.events, bot.clock)
        self.publisher = publisher
        self.transitions = 0
        self.handled = 0  # gateway updates and deletions followed so far (tests wait on it)

    def start(self) -> None:
        self.bot.add_listener(self.on_scheduled_event_update, "on_scheduled_event_update")
        self.bot.add_listener(self.on_scheduled_event_delete, "on_scheduled_event_delete")

    def stop(self) -> None:
        self.bot.remove_listener(self.on_scheduled_event_update, "on_scheduled_event_update")
        self.bot.remove_listener(self.on_scheduled_event_delete, "on_scheduled_event_delete")

    # -- Discord -> session -----------------------------------------------------------------

    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        try:
            await self.tell(await self.follower.follow(snapshot(after)))
        except Exception:
            log.exception("Could not follow the change of scheduled event %s", after.id)
        finally:
            self.handled += 1

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        try:
            await self.tell(await self.follower.follow_deleted(event.id), deleted=True)
        except Exception:
            log.exception("Could not follow the deletion of scheduled event %s", event.id)
        finally:
            self.handled += 1

    async def tell(self, outcome: FollowOutcome, *, deleted: bool = False) -> None:
        """The notices ``/officehours move`` and ``cancel`` give, for a change made in Discord."""
        reason = t("officehours.audit.from_discord")
        if outcome.edited is not None:
            session = outcome.edited
            self.publisher.cards.mark(session.id)
            await self.publisher.offers.move_events(session)  # renamed: the linked servers' events too
            await record_action(
                self.bot,
                session.guild_id,
                None,
                "officehours.edit",
                t("officehours.audit.edit", id=session.id, title=session.title),
                reason,
            )
        if outcome.moved is not None and outcome.before is not None:
            await self.publisher.tell_moved(outcome.before, outcome.moved, outcome.signed, None, reason)
        if outcome.cancelled is not None:
            why = t("officehours.audit.deleted_in_discord") if deleted else reason
            await self.publisher.tell_cancelled(outcome.cancelled, outcome.signed, None, why)

    async def reconcile(self) -> int:
        """After a start: follow what changed in Discord while the bot was away (its events were
        missed). Returns the number of sessions that changed."""
        changed = 0
        for guild in self.bot.guilds:
            for summary in await self.publisher.service.upcoming(guild.id, 25):
                session = summary.session
                if session.scheduled_event_id is None:
                    continue
                event = await self._fetch(session)
                if event is False:
                    outcome = await self.follower.follow_deleted(session.scheduled_event_id)
                    await self.tell(outcome, deleted=True)
                elif event is not None:
                    outcome = await self.follower.follow(snapshot(event))
                    await self.tell(outcome)
                else:
                    continue
                changed += any((outcome.moved, outcome.cancelled, outcome.edited))
        return changed

    # -- session -> Discord -----------------------------------------------------------------

    async def run_due_transitions(self) -> int:
        """Start the events of sessions that began, complete those of sessions that ended."""
        now = self.bot.clock.now()
        done = 0
        for session in await self.events.due_to_start(now, self.bot.scope):
            if await self.events.claim_phase(session.id, ACTIVE, now):
                done += await self._set_status(session, discord.EventStatus.active)
                await self.publisher.offers.set_event_status(session, discord.EventStatus.active)
                await self.events.phase_done(session.id, ACTIVE, self.bot.clock.now())
        for session in await self.events.due_to_complete(now, self.bot.scope):
            if await self.events.claim_phase(session.id, COMPLETED, now):
                done += await self._set_status(session, discord.EventStatus.completed)
                await self.publisher.offers.set_event_status(session, discord.EventStatus.completed)
                await self.events.phase_done(session.id, COMPLETED, self.bot.clock.now())
        self.transitions += done
        return done

    async def _fetch(self, session: Session) -> discord.ScheduledEvent | bool | None:
        """The event as Discord has it now; False when it is gone, None when Discord did not say."""
        guild = self.bot.get_guild(session.guild_id)
        if guild is None or session.scheduled_event_id is None:
            return None
        try:
            return await guild.fetch_scheduled_event(session.scheduled_event_id)
        except discord.NotFound:
            return False
        except discord.HTTPException as error:
            log.warning("Could not read the event of office hours %s: %s", session.id, error)
            return None

    async def _set_status(self, session: Session, status: discord.EventStatus) -> int:
        event = await self._fetch(session)
        if not isinstance(event, discord.ScheduledEvent):
            return 0
        try:
            if status is discord.EventStatus.active and event.status is discord.EventStatus.scheduled:
                await event.start()
            elif status is discord.EventStatus.completed and event.status is discord.EventStatus.active:
                await event.end()
            else:
                # Someone started or ended it by hand in Discord already: nothing to do.
                log.info("Event of office hours %s is %s; not set to %s", session.id, event.status, status)
                return 0
        except (discord.HTTPException, discord.ClientException) as error:
            log.warning("Could not set the event of office hours %s to %s: %s", session.id, status, error)
            return 0
        return 1
