"""Following a session's Discord scheduled event: what an edit or a cancellation made on Discord's own
event page means for the session. Free of discord.py: the cog hands in an ``EventSnapshot``.

Everything is decided by comparing the event with the stored session, never by who made the change:
the bot's own PATCHes come back as updates that match what is stored, so they change nothing, and a
repeated update is as harmless as the first.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.data.officehours import OfficeHoursRepository, Session, Signup
from bot.data.officehours_events import OfficeHoursEventsRepository
from bot.officehours.service import MAX_PLACE, MAX_TITLE
from bot.officehours.timeparse import MAX_DURATION, MIN_DURATION

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventSnapshot:
    """What Discord says of an event now (``status``: scheduled, active, completed or cancelled)."""

    event_id: int
    status: str
    starts_at: datetime
    ends_at: datetime | None
    title: str
    channel_id: int | None
    location: str | None


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    """What following an event did to its session (all empty: nothing)."""

    before: Session | None = None
    moved: Session | None = None
    cancelled: Session | None = None
    edited: Session | None = None
    signed: list[Signup] = field(default_factory=list)


class EventFollower:
    """Moves, cancels or re-titles a session after its event changed in Discord."""

    def __init__(
        self, repo: OfficeHoursRepository, events: OfficeHoursEventsRepository, clock: Clock
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        # discord.py runs each listener call as its own task: one at a time, so an edit and a
        # cancellation of the same event cannot both act on the state read before the other.
        self._lock = asyncio.Lock()

    async def follow(self, snapshot: EventSnapshot) -> FollowOutcome:
        async with self._lock:
            session = await self.events.session_for_event(snapshot.event_id)
            if session is None or session.cancelled or session.ends_at <= self.clock.now():
                return FollowOutcome()
            if snapshot.status == "cancelled":
                return await self._cancel(session)
            if snapshot.status != "scheduled":
                return FollowOutcome()  # started or ended: the session keeps its time
            edited = await self._edit_details(session, snapshot)
            current = edited or session
            moved = await self._move(current, snapshot)
            if moved is not None:
                after, signed = moved
                return FollowOutcome(before=current, moved=after, edited=edited, signed=signed)
            if edited is None:
                return FollowOutcome()
            return FollowOutcome(before=session, edited=edited)

    async def follow_deleted(self, event_id: int) -> FollowOutcome:
        async with self._lock:
            session = await self.events.session_for_event(event_id)
            if session is None or session.cancelled or session.ends_at <= self.clock.now():
                return FollowOutcome()
            return await self._cancel(session)

    async def _cancel(self, session: Session) -> FollowOutcome:
        signed = await self.repo.cancel_session(session.id, self.clock.now())
        cancelled = await self.repo.get(session.id)
        if cancelled is None or not cancelled.cancelled:
            return FollowOutcome()
        log.info("Office hours %s cancelled in Discord", session.id)
        return FollowOutcome(before=session, cancelled=cancelled, signed=signed)

    async def _edit_details(self, session: Session, snapshot: EventSnapshot) -> Session | None:
        title = " ".join(snapshot.title.split())[:MAX_TITLE] or session.title
        channel_id, place = session.location_channel_id, session.location_text
        if snapshot.channel_id is not None:
            channel_id, place = snapshot.channel_id, None
        elif snapshot.location:
            channel_id, place = None, " ".join(snapshot.location.split())[:MAX_PLACE] or None
        if (title, channel_id, place) == (session.title, session.location_channel_id, session.location_text):
            return None
        log.info("Office hours %s re-titled or moved elsewhere in Discord", session.id)
        return await self.events.update_details(
            session.id,
            title=title,
            location_channel_id=channel_id,
            location_text=place,
            now=self.clock.now(),
        )

    async def _move(self, session: Session, snapshot: EventSnapshot) -> tuple[Session, list[Signup]] | None:
        duration = session.duration_minutes
        if snapshot.ends_at is not None:
            minutes = round((snapshot.ends_at - snapshot.starts_at).total_seconds() / 60)
            if MIN_DURATION <= minutes <= MAX_DURATION:
                duration = minutes
            else:
                log.warning(
                    "Office hours %s: Discord's event lasts %s minutes; keeping %s",
                    session.id,
                    minutes,
                    duration,
                )
        if snapshot.starts_at == session.starts_at and duration == session.duration_minutes:
            return None
        log.info("Office hours %s moved in Discord to %s", session.id, snapshot.starts_at)
        return await self.repo.move_session(session.id, snapshot.starts_at, duration, self.clock.now())
