"""The rules of office hours, free of discord.py: validation, seats and waitlist, phases, reminders.

The repository only runs SQL; every decision (a seat or the waitlist, a refusal, who is promoted,
which reminder is sent) is made here and executed inside one of its transactions.

Sign-up and cancel clicks on one session are served with group commit (``bot.batching``): clicks
that arrive while a transaction is being written wait in the session's queue, and the next
transaction decides (``bot.officehours.seats``) and writes all of them, in click order, each
answered from the result once it is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.batching import GroupCommit
from bot.clock import Clock
from bot.data import leases
from bot.data.guilds import GuildRepository
from bot.data.links import LinkRepository
from bot.data.officehours import (
    OfficeHoursRepository,
    PendingReminder,
    Session,
    SessionSummary,
    Signup,
)
from bot.errors import UserError
from bot.officehours import ics, seats
from bot.officehours.outcomes import (
    CANCEL_REFUSED,
    SIGNUP_REFUSED,
    CancelOutcome,
    DueReminder,
    SignupOutcome,
)
from bot.officehours.seats import Click
from bot.officehours.timeparse import parse_duration, parse_reminders, parse_start
from bot.sharding import ALL_SHARDS, ShardScope

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
    everywhere: bool | None = None  # offered on every linked server; None: yes when there are any


def reminder_still_right(pending: PendingReminder, now: datetime) -> bool:
    """A due reminder is sent only for a session still ahead, at the time it was armed for."""
    session = pending.session
    expected = session.starts_at - timedelta(minutes=pending.minutes_before)
    return not session.cancelled and session.starts_at > now and pending.due_at == expected


class OfficeHoursService:
    """Sessions, seats and the waitlist; every refusal is a ``UserError`` with a catalogue key."""

    def __init__(
        self,
        repo: OfficeHoursRepository,
        guilds: GuildRepository,
        clock: Clock,
        links: LinkRepository | None = None,
        claimer: str = leases.CLAIMER,
    ) -> None:
        self.repo = repo
        self.guilds = guilds
        self.clock = clock
        self.links = links or LinkRepository(repo.db)
        self.claimer = claimer  # who holds this process's reminder leases (``bot.data.leases``)
        # Per session: clicks waiting for the next transaction of their kind.
        self.signups: GroupCommit[int, Click, SignupOutcome] = GroupCommit(
            self._book, name="officehours-signups"
        )
        self.cancels: GroupCommit[int, Click, CancelOutcome] = GroupCommit(
            self._release, name="officehours-cancels"
        )

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
        everywhere = draft.everywhere
        if everywhere is None:
            everywhere = bool(await self.links.links(guild_id))
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
            everywhere=everywhere,
        )
        log.info("Office hours %s scheduled in guild %s for %s", session.id, guild_id, starts_at)
        return session

    async def session(self, guild_id: int, session_id: int) -> Session:
        session = await self.repo.get(session_id)
        if session is None or session.guild_id != guild_id:
            raise UserError("officehours.session.not_found", id=session_id)
        return session

    async def visible_session(self, guild_id: int, session_id: int) -> Session:
        """A session as a member of ``guild_id`` sees it: its own server's, or one offered there by the
        home server (a withdrawn offer's card still answers its holders)."""
        session = await self.repo.get(session_id)
        if session is not None and session.guild_id != guild_id:
            offer = await self.repo.offer(session_id, guild_id)
            if offer is None or offer.status == "pending":
                session = None
        if session is None:
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

    async def upcoming(
        self, guild_id: int, limit: int = 10, *, offered: bool = False
    ) -> list[SessionSummary]:
        """The server's upcoming sessions; ``offered``: with those its home offers there, soonest first."""
        now = self.clock.now()
        own = await self.repo.upcoming(guild_id, now, limit)
        if not offered:
            return own
        both = own + await self.repo.offered_upcoming(guild_id, now, limit)
        return sorted(both, key=lambda s: (s.session.starts_at, s.session.id))[:limit]

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
        outcome = await self.signups.submit(session_id, Click(guild_id, user_id, locale, display_name))
        if outcome.refused is not None:
            raise UserError(SIGNUP_REFUSED[outcome.refused], id=session_id)
        return outcome

    async def _book(self, session_id: int, clicks: list[Click]) -> list[SignupOutcome]:
        """One group of sign-up clicks, decided and written in one transaction."""
        now = self.clock.now()
        async with self.repo.booking(session_id, now) as booking:
            return await seats.book(booking, clicks, now)

    async def release(self, guild_id: int, session_id: int, user_id: int) -> CancelOutcome:
        """Give up a seat or a waitlist place; a freed seat goes to the first on the waitlist."""
        return await self.cancels.submit(session_id, Click(guild_id, user_id))

    async def _release(self, session_id: int, clicks: list[Click]) -> list[CancelOutcome]:
        now = self.clock.now()
        async with self.repo.booking(session_id, now) as booking:
            return await seats.release(booking, clicks, now)

    async def cancel_signup(self, guild_id: int, session_id: int, user_id: int) -> CancelOutcome:
        outcome = await self.release(guild_id, session_id, user_id)
        if outcome.refused is not None:
            raise UserError(CANCEL_REFUSED[outcome.refused], id=session_id)
        if outcome.previous is None:
            raise UserError("officehours.cancel_signup.not_signed_up")
        return outcome

    async def set_question(self, guild_id: int, session_id: int, user_id: int, question: str) -> str | None:
        session = await self.visible_session(guild_id, session_id)
        if session.cancelled or session.starts_at <= self.clock.now():
            raise UserError("officehours.question.closed")
        text = question.strip()[:MAX_QUESTION] or None
        if not await self.repo.set_question(session_id, user_id, text, self.clock.now()):
            raise UserError("officehours.question.not_signed_up")
        return text

    async def toggle_dm_reminders(self, guild_id: int, session_id: int, user_id: int) -> bool:
        """Switch the member's reminder DMs on or off; returns the new setting."""
        await self.visible_session(guild_id, session_id)
        signup = await self.repo.signup(session_id, user_id)
        if signup is None or signup.status == "cancelled":
            raise UserError("officehours.dm.not_signed_up")
        wanted = not signup.dm_reminders
        await self.repo.set_dm_reminders(session_id, user_id, wanted, self.clock.now())
        return wanted

    # -- the scheduler ----------------------------------------------------------------------

    async def claim_due_reminders(self, scope: ShardScope = ALL_SHARDS) -> list[DueReminder]:
        """Claim every due reminder of the guilds of ``scope``, in one transaction, before anything
        is posted: each returned reminder is leased to this claimer; post it, then ``finish_reminder``.

        Only the nearest due reminder of a session is returned (a bot that was down does not send
        a day-before reminder 10 minutes before); the others, and reminders of sessions already
        started or whose time no longer matches the session's (it moved), are stamped and dropped.
        A process killed before ``finish_reminder`` leaves a lease that runs out: the reminder is
        due again (``bot.data.leases``).
        """
        now = self.clock.now()
        claimed: list[DueReminder] = []
        dropped: list[int] = []
        seen: set[int] = set()
        async with self.repo.reminder_claim(now, self.claimer) as claim:
            pending = await claim.due(scope)  # by session, nearest first
            for due in pending:
                session = due.session
                if not reminder_still_right(due, now) or session.id in seen:
                    dropped.append(due.reminder_id)
                    continue
                seen.add(session.id)
                attendees = await claim.confirmed(session.id)  # from every server (DMs: finish_reminder)
                home = session.guild_id
                own = tuple(s.user_id for s in attendees if s.from_server(home) == home)
                claimed.append(DueReminder(due.reminder_id, due.minutes_before, session, own))
            await claim.stamp_sent(dropped)
            await claim.lease([d.reminder_id for d in claimed])
        return claimed

    async def claim_due_offer_reminders(self, scope: ShardScope = ALL_SHARDS) -> list[DueReminder]:
        """The same for the linked servers of ``scope`` a session is offered on (issue 16): each server's
        reminder is claimed once, for that server's own attendees, by the process owning the server;
        only the nearest due one per session and server. The DMs are queued by the home's
        ``finish_reminder``."""
        now = self.clock.now()
        claimed: list[DueReminder] = []
        seen: set[tuple[int, int]] = set()
        async with self.repo.reminder_claim(now) as claim:
            for due in await claim.due_offers(scope):  # by session and server, nearest first
                assert due.guild_id is not None
                if not await claim.claim_for_server(due.reminder_id, due.guild_id):
                    continue  # another process's claim
                key = (due.session.id, due.guild_id)
                if not reminder_still_right(due, now) or key in seen:
                    continue
                seen.add(key)
                attendees = await claim.confirmed_from(due.session.id, due.guild_id)
                claimed.append(
                    DueReminder(
                        due.reminder_id,
                        due.minutes_before,
                        due.session,
                        tuple(s.user_id for s in attendees),
                        guild_id=due.guild_id,
                    )
                )
        return claimed

    async def finish_reminder(self, due: DueReminder) -> bool:
        """The reminder was posted in the thread: mark it sent and queue the DMs of attendees who asked
        for them. False when it was not ours any more (the lease ran out and another claimer took it)."""
        dms = await self.repo.finish_reminder(due.reminder_id, due.session.id, self.clock.now(), self.claimer)
        return dms is not None

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
