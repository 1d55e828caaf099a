"""The rows of office hours: sessions, sign-ups and notices, as small frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.clock import from_db

MAX_SESSION_MINUTES = 24 * 60  # longer than any session the service accepts
CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    guild_id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    location_channel_id: int | None
    location_text: str | None
    host_id: int | None
    scheduled_event_id: int | None
    card_channel_id: int | None
    card_message_id: int | None
    thread_id: int | None
    status: str
    created_by: int
    reminder_minutes: tuple[int, ...] | None
    created_at: datetime
    updated_at: datetime
    offered_everywhere: bool = False  # also offered on every active linked server (issue 16)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session: Session
    confirmed: int
    waitlisted: int

    @property
    def seats_left(self) -> int:
        return max(0, self.session.capacity - self.confirmed)


@dataclass(frozen=True, slots=True)
class Signup:
    id: int
    session_id: int
    user_id: int
    status: str
    question: str | None
    dm_reminders: bool
    locale: str | None
    signed_up_at: datetime
    display_name: str | None = None
    guild_id: int | None = None  # the server whose card was clicked; None: the session's own (older rows)

    def from_server(self, home_guild_id: int) -> int:
        """The server this sign-up came from."""
        return self.guild_id if self.guild_id is not None else home_guild_id


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    session_id: int
    user_id: int
    kind: str
    reminder_id: int | None
    locale: str | None
    signup_guild_id: int | None = None  # the server the member signed up on (None: the session's)


@dataclass(frozen=True, slots=True)
class Offer:
    """A home session offered on a linked server: its card, thread and Discord event there."""

    session_id: int
    guild_id: int
    status: str  # pending, active, withdrawn
    card_channel_id: int | None
    card_message_id: int | None
    thread_id: int | None
    scheduled_event_id: int | None
    problem: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"


def session_row(r: aiosqlite.Row) -> Session:
    minutes = r["reminder_minutes"]
    return Session(
        id=r["id"],
        guild_id=r["guild_id"],
        title=r["title"],
        starts_at=from_db(r["starts_at"]),
        duration_minutes=r["duration_minutes"],
        capacity=r["capacity"],
        location_channel_id=r["location_channel_id"],
        location_text=r["location_text"],
        host_id=r["host_id"],
        scheduled_event_id=r["scheduled_event_id"],
        card_channel_id=r["card_channel_id"],
        card_message_id=r["card_message_id"],
        thread_id=r["thread_id"],
        status=r["status"],
        created_by=r["created_by"],
        reminder_minutes=None if minutes is None else tuple(int(m) for m in minutes.split(",") if m),
        created_at=from_db(r["created_at"]),
        updated_at=from_db(r["updated_at"]),
        offered_everywhere=bool(r["offered_everywhere"]),
    )


def signup_row(r: aiosqlite.Row) -> Signup:
    return Signup(
        id=r["id"],
        session_id=r["session_id"],
        user_id=r["user_id"],
        status=r["status"],
        question=r["question"],
        dm_reminders=bool(r["dm_reminders"]),
        locale=r["locale"],
        signed_up_at=from_db(r["signed_up_at"]),
        display_name=r["display_name"],
        guild_id=r["guild_id"],
    )


def offer_row(r: aiosqlite.Row) -> Offer:
    return Offer(
        session_id=r["session_id"],
        guild_id=r["guild_id"],
        status=r["status"],
        card_channel_id=r["card_channel_id"],
        card_message_id=r["card_message_id"],
        thread_id=r["thread_id"],
        scheduled_event_id=r["scheduled_event_id"],
        problem=r["problem"],
    )


SUMMARY_SQL = (
    "SELECT o.*,"
    " (SELECT COUNT(*) FROM signups s WHERE s.session_id = o.id AND s.status = 'confirmed') AS n_conf,"
    " (SELECT COUNT(*) FROM signups s WHERE s.session_id = o.id AND s.status = 'waitlisted') AS n_wait"
    " FROM office_hours o"
)


def summary_row(r: aiosqlite.Row) -> SessionSummary:
    return SessionSummary(session_row(r), r["n_conf"], r["n_wait"])
