"""Office hours: sessions, sign-ups (seats and waitlist), reminders and the outbox of member notices.

Every rule that must hold under concurrency (a seat or a waitlist place, promotion on cancellation,
claiming a due reminder) is one ``BEGIN IMMEDIATE`` transaction here, so two clicks can never take
the same seat and a reminder can never be claimed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.clock import from_db, to_db
from bot.data.database import Database, Transaction

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


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    """What a click on Sign up did. ``refused`` names why nothing changed (or is None)."""

    status: str | None
    already: bool = False
    position: int | None = None
    refused: str | None = None
    title: str = ""
    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    previous: str | None  # the member's status before, None if not signed up
    promoted_user_id: int | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder claimed for sending: post it to ``attendee_ids`` (confirmed only)."""

    reminder_id: int
    minutes_before: int
    session: Session
    attendee_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    session_id: int
    user_id: int
    kind: str
    reminder_id: int | None
    locale: str | None


def _session(r: aiosqlite.Row) -> Session:
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
    )


def _signup(r: aiosqlite.Row) -> Signup:
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
    )


SUMMARY_SQL = (
    "SELECT o.*,"
    " (SELECT COUNT(*) FROM signups s WHERE s.session_id = o.id AND s.status = 'confirmed') AS n_conf,"
    " (SELECT COUNT(*) FROM signups s WHERE s.session_id = o.id AND s.status = 'waitlisted') AS n_wait"
    " FROM office_hours o"
)


def _summary(r: aiosqlite.Row) -> SessionSummary:
    return SessionSummary(_session(r), r["n_conf"], r["n_wait"])


class OfficeHoursRepository:
    """The SQL of office hours."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- sessions ---------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        guild_id: int,
        title: str,
        starts_at: datetime,
        duration_minutes: int,
        capacity: int,
        location_channel_id: int | None,
        location_text: str | None,
        host_id: int | None,
        created_by: int,
        reminder_minutes: Sequence[int],
        now: datetime,
    ) -> Session:
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            session_id = await tx.execute(
                "INSERT INTO office_hours (guild_id, title, starts_at, duration_minutes, capacity,"
                " location_channel_id, location_text, host_id, created_by, reminder_minutes,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    title,
                    to_db(starts_at),
                    duration_minutes,
                    capacity,
                    location_channel_id,
                    location_text,
                    host_id,
                    created_by,
                    ",".join(str(m) for m in reminder_minutes),
                    stamp,
                    stamp,
                ),
            )
            await self._arm_reminders(tx, session_id, starts_at, reminder_minutes, now)
            row = await tx.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        assert row is not None
        return _session(row)

    @staticmethod
    async def _arm_reminders(
        tx: Transaction, session_id: int, starts_at: datetime, minutes: Sequence[int], now: datetime
    ) -> None:
        """One unsent reminder row per offset still in the future; unsent rows of an old time go."""
        await tx.execute("DELETE FROM reminders WHERE session_id = ? AND sent_at IS NULL", (session_id,))
        rows = []
        for offset in sorted(set(minutes), reverse=True):
            due = starts_at - timedelta(minutes=offset)
            if due > now:
                rows.append((session_id, offset, to_db(due)))
        await tx.executemany(
            "INSERT INTO reminders (session_id, minutes_before, due_at) VALUES (?, ?, ?)"
            " ON CONFLICT (session_id, minutes_before, due_at) DO NOTHING",
            rows,
        )

    async def attach_discord(
        self,
        session_id: int,
        *,
        scheduled_event_id: int | None = None,
        card_channel_id: int | None = None,
        card_message_id: int | None = None,
        thread_id: int | None = None,
    ) -> None:
        """Remember the Discord objects of a session (only the ones given)."""
        await self.db.execute(
            "UPDATE office_hours SET"
            " scheduled_event_id = COALESCE(?, scheduled_event_id),"
            " card_channel_id = COALESCE(?, card_channel_id),"
            " card_message_id = COALESCE(?, card_message_id),"
            " thread_id = COALESCE(?, thread_id) WHERE id = ?",
            (scheduled_event_id, card_channel_id, card_message_id, thread_id, session_id),
        )

    async def get(self, session_id: int) -> Session | None:
        row = await self.db.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        return _session(row) if row else None

    async def summary(self, session_id: int) -> SessionSummary | None:
        row = await self.db.fetchone(SUMMARY_SQL + " WHERE o.id = ?", (session_id,))
        return _summary(row) if row else None

    async def upcoming(self, guild_id: int, now: datetime, limit: int = 25) -> list[SessionSummary]:
        """Scheduled sessions that have not ended yet, soonest first."""
        # Only sessions that started less than the longest duration ago can still be running.
        rows = await self.db.fetchall(
            SUMMARY_SQL + " WHERE o.guild_id = ? AND o.status = 'scheduled' AND o.starts_at > ?"
            " ORDER BY o.starts_at, o.id LIMIT ?",
            (guild_id, to_db(now - timedelta(minutes=MAX_SESSION_MINUTES)), limit + 50),
        )
        live = [_summary(r) for r in rows]
        return [s for s in live if s.session.ends_at > now][:limit]

    async def started_between(self, since: datetime, until: datetime) -> list[Session]:
        """Scheduled sessions whose start fell in ``(since, until]`` (their cards must show closed)."""
        rows = await self.db.fetchall(
            "SELECT * FROM office_hours WHERE status = 'scheduled' AND starts_at > ? AND starts_at <= ?",
            (to_db(since), to_db(until)),
        )
        return [_session(r) for r in rows]

    async def cancel_session(self, session_id: int, now: datetime) -> list[Signup]:
        """Mark the session cancelled, disarm its reminders; everyone signed up is to be told."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE office_hours SET status = 'cancelled', updated_at = ?"
                " WHERE id = ? AND status = 'scheduled'",
                (stamp, session_id),
            )
            if not changed:
                return []
            await tx.execute("DELETE FROM reminders WHERE session_id = ? AND sent_at IS NULL", (session_id,))
            await tx.execute(
                "DELETE FROM officehours_notices WHERE session_id = ? AND sent_at IS NULL", (session_id,)
            )
            rows = await tx.fetchall(
                "SELECT * FROM signups WHERE session_id = ? AND status != 'cancelled' ORDER BY id",
                (session_id,),
            )
            signed = [_signup(r) for r in rows]
            await self._enqueue(tx, session_id, [s for s in signed if s.dm_reminders], "cancelled", stamp)
        return signed

    async def move_session(
        self, session_id: int, starts_at: datetime, duration_minutes: int, now: datetime
    ) -> tuple[Session, list[Signup]] | None:
        """New time (sign-ups kept), reminders re-armed for it; None if the session is not scheduled."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT * FROM office_hours WHERE id = ? AND status = 'scheduled'", (session_id,)
            )
            if row is None:
                return None
            session = _session(row)
            await tx.execute(
                "UPDATE office_hours SET starts_at = ?, duration_minutes = ?, updated_at = ? WHERE id = ?",
                (to_db(starts_at), duration_minutes, stamp, session_id),
            )
            minutes = session.reminder_minutes or ()
            await self._arm_reminders(tx, session_id, starts_at, minutes, now)
            # DMs still queued for the old time would be stale: drop them.
            await tx.execute(
                "DELETE FROM officehours_notices WHERE session_id = ? AND sent_at IS NULL"
                " AND kind IN ('reminder', 'moved')",
                (session_id,),
            )
            rows = await tx.fetchall(
                "SELECT * FROM signups WHERE session_id = ? AND status != 'cancelled' ORDER BY id",
                (session_id,),
            )
            signed = [_signup(r) for r in rows]
            await self._enqueue(tx, session_id, [s for s in signed if s.dm_reminders], "moved", stamp)
            row = await tx.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        assert row is not None
        return _session(row), signed

    # -- sign-ups ---------------------------------------------------------------------------

    async def sign_up(
        self,
        session_id: int,
        guild_id: int,
        user_id: int,
        locale: str | None,
        now: datetime,
        display_name: str | None = None,
    ) -> SignupOutcome:
        """A seat if one is free, else the end of the waitlist; one transaction, click order kept."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT o.status, o.title, o.starts_at, o.capacity, g.phase,"
                " (SELECT COUNT(*) FROM signups c WHERE c.session_id = o.id AND c.status = 'confirmed')"
                "   AS n_conf,"
                " (SELECT COUNT(*) FROM signups w WHERE w.session_id = o.id AND w.status = 'waitlisted')"
                "   AS n_wait,"
                " s.id AS my_id, s.status AS my_status"
                " FROM office_hours o"
                " LEFT JOIN guild_settings g ON g.guild_id = o.guild_id"
                " LEFT JOIN signups s ON s.session_id = o.id AND s.user_id = ?"
                " WHERE o.id = ? AND o.guild_id = ?",
                (user_id, session_id, guild_id),
            )
            if row is None:
                return SignupOutcome(None, refused="not_found")
            if row["phase"] == "closed":
                return SignupOutcome(None, refused="consultation_closed")
            if row["status"] != "scheduled":
                return SignupOutcome(None, refused="cancelled")
            if from_db(row["starts_at"]) <= now:
                return SignupOutcome(None, refused="started")
            mine = row["my_status"]
            about = {"title": row["title"], "starts_at": from_db(row["starts_at"])}
            if mine in (CONFIRMED, WAITLISTED):
                position = await self._position(tx, session_id, row["my_id"]) if mine == WAITLISTED else None
                return SignupOutcome(mine, already=True, position=position, **about)
            if row["my_id"] is not None:
                # Signing up again after cancelling: a fresh row, so the click order is the new click.
                await tx.execute("DELETE FROM signups WHERE id = ?", (row["my_id"],))
            status = CONFIRMED if row["n_conf"] < row["capacity"] else WAITLISTED
            await tx.execute(
                "INSERT INTO signups (session_id, user_id, status, locale, display_name, signed_up_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, user_id, status, locale, display_name, stamp, stamp),
            )
            # The new row has the highest id of the session, so it is last in the queue.
            position = row["n_wait"] + 1 if status == WAITLISTED else None
        return SignupOutcome(status, position=position, **about)

    @staticmethod
    async def _position(tx: Transaction, session_id: int, signup_id: int) -> int:
        return int(
            await tx.fetchval(
                "SELECT COUNT(*) FROM signups WHERE session_id = ? AND status = 'waitlisted' AND id <= ?",
                (session_id, signup_id),
            )
        )

    async def cancel_signup(
        self, session_id: int, guild_id: int, user_id: int, now: datetime
    ) -> CancelOutcome:
        """Give up a seat or a waitlist place; a freed seat goes to the first on the waitlist."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT o.status AS session_status, o.starts_at, o.capacity, s.id, s.status"
                " FROM office_hours o LEFT JOIN signups s ON s.session_id = o.id AND s.user_id = ?"
                " WHERE o.id = ? AND o.guild_id = ?",
                (user_id, session_id, guild_id),
            )
            if row is None:
                return CancelOutcome(None, refused="not_found")
            if row["session_status"] != "scheduled":
                return CancelOutcome(None, refused="cancelled")
            if row["status"] not in (CONFIRMED, WAITLISTED):
                return CancelOutcome(None)
            if from_db(row["starts_at"]) <= now:
                return CancelOutcome(row["status"], refused="started")
            await tx.execute(
                "UPDATE signups SET status = 'cancelled', updated_at = ? WHERE id = ?", (stamp, row["id"])
            )
            promoted = None
            confirmed = await tx.fetchval(
                "SELECT COUNT(*) FROM signups WHERE session_id = ? AND status = 'confirmed'", (session_id,)
            )
            if confirmed < row["capacity"]:
                first = await tx.fetchone(
                    "SELECT * FROM signups WHERE session_id = ? AND status = 'waitlisted'"
                    " ORDER BY id LIMIT 1",
                    (session_id,),
                )
                if first is not None:
                    await tx.execute(
                        "UPDATE signups SET status = 'confirmed', updated_at = ? WHERE id = ?",
                        (stamp, first["id"]),
                    )
                    promoted = first["user_id"]
                    await self._enqueue(tx, session_id, [_signup(first)], "promoted", stamp)
        return CancelOutcome(row["status"], promoted_user_id=promoted)

    async def signup(self, session_id: int, user_id: int) -> Signup | None:
        row = await self.db.fetchone(
            "SELECT * FROM signups WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        )
        return _signup(row) if row else None

    async def signups(self, session_id: int) -> list[Signup]:
        """Confirmed (in sign-up order), then the waitlist in click order."""
        rows = await self.db.fetchall(
            "SELECT * FROM signups WHERE session_id = ? AND status != 'cancelled'"
            " ORDER BY CASE status WHEN 'confirmed' THEN 0 ELSE 1 END, id",
            (session_id,),
        )
        return [_signup(r) for r in rows]

    async def set_question(self, session_id: int, user_id: int, question: str | None, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE signups SET question = ?, updated_at = ?"
                " WHERE session_id = ? AND user_id = ? AND status != 'cancelled'",
                (question, to_db(now), session_id, user_id),
            )
        return changed > 0

    async def set_dm_reminders(self, session_id: int, user_id: int, wanted: bool, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE signups SET dm_reminders = ?, updated_at = ?"
                " WHERE session_id = ? AND user_id = ? AND status != 'cancelled'",
                (int(wanted), to_db(now), session_id, user_id),
            )
        return changed > 0

    # -- reminders --------------------------------------------------------------------------

    async def claim_due_reminders(self, now: datetime) -> list[DueReminder]:
        """Claim every due reminder: stamped sent in this transaction, before anything is posted.

        Only the nearest due reminder of a session is returned (a bot that was down does not send
        a day-before reminder 10 minutes before); the others, and reminders of sessions already
        started or whose time no longer matches the session's (it moved), are stamped and dropped.
        """
        stamp = to_db(now)
        claimed: list[DueReminder] = []
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT r.id AS reminder_id, r.minutes_before, r.due_at, o.*"
                " FROM reminders r JOIN office_hours o ON o.id = r.session_id"
                " WHERE r.sent_at IS NULL AND r.due_at <= ? ORDER BY r.session_id, r.minutes_before",
                (stamp,),
            )
            seen: set[int] = set()
            for row in rows:
                await tx.execute("UPDATE reminders SET sent_at = ? WHERE id = ?", (stamp, row["reminder_id"]))
                session = _session(row)
                expected = session.starts_at - timedelta(minutes=row["minutes_before"])
                if (
                    session.cancelled
                    or session.starts_at <= now
                    or from_db(row["due_at"]) != expected
                    or session.id in seen
                ):
                    continue
                seen.add(session.id)
                attendees = await tx.fetchall(
                    "SELECT * FROM signups WHERE session_id = ? AND status = 'confirmed' ORDER BY id",
                    (session.id,),
                )
                signed = [_signup(a) for a in attendees]
                await self._enqueue(
                    tx,
                    session.id,
                    [s for s in signed if s.dm_reminders],
                    "reminder",
                    stamp,
                    row["reminder_id"],
                )
                claimed.append(
                    DueReminder(
                        row["reminder_id"], row["minutes_before"], session, tuple(s.user_id for s in signed)
                    )
                )
        return claimed

    async def pending_reminders(self, session_id: int) -> list[tuple[int, datetime]]:
        rows = await self.db.fetchall(
            "SELECT minutes_before, due_at FROM reminders WHERE session_id = ? AND sent_at IS NULL"
            " ORDER BY due_at",
            (session_id,),
        )
        return [(r[0], from_db(r[1])) for r in rows]

    # -- notices (the outbox) ---------------------------------------------------------------

    @staticmethod
    async def _enqueue(
        tx: Transaction,
        session_id: int,
        signups: Sequence[Signup],
        kind: str,
        stamp: str,
        reminder_id: int | None = None,
    ) -> None:
        await tx.executemany(
            "INSERT INTO officehours_notices (session_id, user_id, kind, reminder_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(session_id, s.user_id, kind, reminder_id, stamp) for s in signups],
        )

    async def claim_notice(self, now: datetime) -> Notice | None:
        """The next notice to deliver (promotions first), stamped sent before it is delivered."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT n.*, s.locale FROM officehours_notices n"
                " LEFT JOIN signups s ON s.session_id = n.session_id AND s.user_id = n.user_id"
                " WHERE n.sent_at IS NULL"
                " ORDER BY CASE n.kind WHEN 'promoted' THEN 0 ELSE 1 END, n.id LIMIT 1"
            )
            if row is None:
                return None
            await tx.execute(
                "UPDATE officehours_notices SET sent_at = ? WHERE id = ?", (to_db(now), row["id"])
            )
        return Notice(
            row["id"], row["session_id"], row["user_id"], row["kind"], row["reminder_id"], row["locale"]
        )

    async def finish_notice(self, notice_id: int, outcome: str) -> None:
        await self.db.execute("UPDATE officehours_notices SET outcome = ? WHERE id = ?", (outcome, notice_id))

    async def notices(self, session_id: int) -> list[tuple[int, str, str | None]]:
        """(user id, kind, outcome) of every notice of a session, oldest first (for tests and audits)."""
        rows = await self.db.fetchall(
            "SELECT user_id, kind, outcome FROM officehours_notices WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]
