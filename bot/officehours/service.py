"""The rules of office hours, free of discord.py: validation, seats and waitlist, phases, reminders."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.data.guilds import GuildRepository
from bot.data.officehours import (
    CancelOutcome,
    DueReminder,
    OfficeHoursRepository,
    Session,
    SessionSummary,
    Signup,
    SignupOutcome,
)
from bot.errors import UserError
from bot.officehours import ics
from bot.officehours.timeparse import parse_duration, parse_reminders, parse_start

log = logging.getLogger(__name__)

MAX_TITLE = 100  # Discord's limit for a scheduled event's name
MAX_PLACE = 100  # ... and for an external event's location
MAX_CAPACITY = 5000
MAX_QUESTION = 300
DEFAULT_REMINDERS = (1440, 15)


@dataclass(frozen=True, slots=True)
class SessionDraft:
    """What the working group typed in /officehours-manage schedule."""

    title: str
    start: str
    duration_minutes: int
    capacity: int
    location_channel_id: int | None = None
    location_text: str | None = None
    host_id: int | None = None
    reminders: str | None = None


class OfficeHoursService:
    """Sessions, seats and the waitlist; every refusal is a ``UserError`` with a catalogue key."""

    def __init__(self, repo: OfficeHoursRepository, guilds: GuildRepository, clock: Clock) -> None:
        self.repo = repo
        self.guilds = guilds
        self.clock = clock

    # -- the working group ------------------------------------------------------------------

    async def schedule(self, guild_id: int, actor_id: int, draft: SessionDraft) -> Session:
        now = self.clock.now()
        title = " ".join(draft.title.split())
        if not title or len(title) > MAX_TITLE:
            raise UserError("officehours.schedule.bad_title", limit=MAX_TITLE)
        starts_at = parse_start(draft.start, now)
        duration = parse_duration(draft.duration_minutes)
        if not 1 <= draft.capacity <= MAX_CAPACITY:
            raise UserError("officehours.schedule.bad_capacity", limit=MAX_CAPACITY)
        place = " ".join((draft.location_text or "").split()) or None
        if (draft.location_channel_id is None) == (place is None):
            raise UserError("officehours.schedule.where")
        if place is not None and len(place) > MAX_PLACE:
            raise UserError("officehours.schedule.place_too_long", limit=MAX_PLACE)
        settings = await self.guilds.get(guild_id)
        default = settings.reminder_minutes if settings and settings.reminder_minutes else DEFAULT_REMINDERS
        reminders = parse_reminders(draft.reminders, default)
        session = await self.repo.create_session(
            guild_id=guild_id,
            title=title,
            starts_at=starts_at,
            duration_minutes=duration,
            capacity=draft.capacity,
            location_channel_id=draft.location_channel_id,
            location_text=place,
            host_id=draft.host_id,
            created_by=actor_id,
            reminder_minutes=reminders,
            now=now,
        )
        log.info("Office hours %s scheduled in guild %s for %s", session.id, guild_id, starts_at)
        return session

    async def session(self, guild_id: int, session_id: int) -> Session:
        session = await self.repo.get(session_id)
        if session is None or session.guild_id != guild_id:
            raise UserError("officehours.session.not_found", id=session_id)
        return session

    async def cancel_session(self, guild_id: int, session_id: int) -> tuple[Session, list[Signup]]:
        """Cancel; returns the session and everyone who was signed up (to be told)."""
        session = await self.session(guild_id, session_id)
        if session.cancelled:
            raise UserError("officehours.session.already_cancelled", title=session.title)
        if session.ends_at <= self.clock.now():
            raise UserError("officehours.session.over", title=session.title)
        signed = await self.repo.cancel_session(session_id, self.clock.now())
        cancelled = await self.session(guild_id, session_id)
        return cancelled, signed

    async def move_session(
        self, guild_id: int, session_id: int, start: str, duration_minutes: int | None = None
    ) -> tuple[Session, Session, list[Signup]]:
        """Move to a new time: sign-ups kept, reminders re-armed. Returns (before, after, signed up)."""
        now = self.clock.now()
        before = await self.session(guild_id, session_id)
        if before.cancelled:
            raise UserError("officehours.session.already_cancelled", title=before.title)
        starts_at = parse_start(start, now)
        duration = (
            parse_duration(duration_minutes) if duration_minutes is not None else before.duration_minutes
        )
        if starts_at == before.starts_at and duration == before.duration_minutes:
            raise UserError("officehours.move.same_time")
        moved = await self.repo.move_session(session_id, starts_at, duration, now)
        if moved is None:
            raise UserError("officehours.session.already_cancelled", title=before.title)
        after, signed = moved
        return before, after, signed

    async def attendees(self, guild_id: int, session_id: int) -> tuple[SessionSummary, list[Signup]]:
        await self.session(guild_id, session_id)
        summary = await self.repo.summary(session_id)
        assert summary is not None
        return summary, await self.repo.signups(session_id)

    async def upcoming(self, guild_id: int, limit: int = 10) -> list[SessionSummary]:
        return await self.repo.upcoming(guild_id, self.clock.now(), limit)

    # -- members ----------------------------------------------------------------------------

    async def sign_up(
        self,
        guild_id: int,
        session_id: int,
        user_id: int,
        locale: str | None,
        display_name: str | None = None,
    ) -> SignupOutcome:
        """A seat or a waitlist place (``already`` when the member was signed up before)."""
        # The consultation's phase ('closed' refuses) is read inside the same transaction.
        outcome = await self.repo.sign_up(
            session_id, guild_id, user_id, locale, self.clock.now(), display_name
        )
        if outcome.refused is not None:
            raise UserError(f"officehours.signup.refused_{outcome.refused}", id=session_id)
        return outcome

    async def cancel_signup(self, guild_id: int, session_id: int, user_id: int) -> CancelOutcome:
        outcome = await self.repo.cancel_signup(session_id, guild_id, user_id, self.clock.now())
        if outcome.refused is not None:
            raise UserError(f"officehours.cancel_signup.refused_{outcome.refused}", id=session_id)
        if outcome.previous is None:
            raise UserError("officehours.cancel_signup.not_signed_up")
        return outcome

    async def set_question(self, guild_id: int, session_id: int, user_id: int, question: str) -> str | None:
        session = await self.session(guild_id, session_id)
        if session.cancelled or session.starts_at <= self.clock.now():
            raise UserError("officehours.question.closed")
        text = question.strip()[:MAX_QUESTION] or None
        if not await self.repo.set_question(session_id, user_id, text, self.clock.now()):
            raise UserError("officehours.question.not_signed_up")
        return text

    async def toggle_dm_reminders(self, guild_id: int, session_id: int, user_id: int) -> bool:
        """Switch the member's reminder DMs on or off; returns the new setting."""
        await self.session(guild_id, session_id)
        signup = await self.repo.signup(session_id, user_id)
        if signup is None or signup.status == "cancelled":
            raise UserError("officehours.dm.not_signed_up")
        wanted = not signup.dm_reminders
        await self.repo.set_dm_reminders(session_id, user_id, wanted, self.clock.now())
        return wanted

    # -- the scheduler ----------------------------------------------------------------------

    async def claim_due_reminders(self) -> list[DueReminder]:
        return await self.repo.claim_due_reminders(self.clock.now())

    # -- exports ----------------------------------------------------------------------------

    def calendar_file(
        self, session: Session, *, location: str, url: str = "", description: str = ""
    ) -> bytes:
        """One session as an .ics file (a cancelled session is published as a cancellation)."""
        event = ics.vevent(
            uid=f"officehours-{session.id}-{session.guild_id}@consultation-bot",
            stamp=self.clock.now(),
            start=session.starts_at,
            end=session.ends_at,
            summary=session.title,
            description=description,
            location=location,
            url=url,
            cancelled=session.cancelled,
            sequence=max(0, int((session.updated_at - session.created_at).total_seconds())),
        )
        return ics.calendar([event], cancelled=session.cancelled)


def discord_timestamp(moment: datetime, style: str = "F") -> str:
    """``<t:...:F>``: Discord shows it in each member's own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"
