"""Sign-ups: the SQL of one session's seats and waitlist, as a unit of work the service drives.

``async with repo.booking(session_id, now) as booking:`` is one ``BEGIN IMMEDIATE`` transaction; the
service reads the state, decides (seat or waitlist, refusals, promotion) and writes through it, so two
clicks can never take the same seat. The waitlist order is the order of ``signups.id``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database, Transaction
from bot.data.officehours._outbox import enqueue
from bot.data.officehours._rows import Signup, signup_row

IN_CHUNK = 500  # well under SQLite's limit on bound parameters


@dataclass(frozen=True, slots=True)
class BookingState:
    """A session and its seat counts, read inside the booking's transaction."""

    session_id: int
    guild_id: int
    status: str
    title: str
    starts_at: datetime
    capacity: int
    phase: str | None
    confirmed: int
    waitlisted: int


@dataclass(frozen=True, slots=True)
class NewSignup:
    user_id: int
    status: str
    locale: str | None
    display_name: str | None


class Booking:
    """Statements on one session's sign-ups inside one open transaction (SQL only, no rules)."""

    def __init__(self, tx: Transaction, session_id: int, stamp: str) -> None:
        self._tx = tx
        self.session_id = session_id
        self._stamp = stamp

    async def state(self) -> BookingState | None:
        row = await self._tx.fetchone(
            "SELECT o.guild_id, o.status, o.title, o.starts_at, o.capacity, g.phase,"
            " (SELECT COUNT(*) FROM signups c WHERE c.session_id = o.id AND c.status = 'confirmed')"
            "   AS n_conf,"
            " (SELECT COUNT(*) FROM signups w WHERE w.session_id = o.id AND w.status = 'waitlisted')"
            "   AS n_wait"
            " FROM office_hours o LEFT JOIN guild_settings g ON g.guild_id = o.guild_id WHERE o.id = ?",
            (self.session_id,),
        )
        if row is None:
            return None
        return BookingState(
            session_id=self.session_id,
            guild_id=row["guild_id"],
            status=row["status"],
            title=row["title"],
            starts_at=from_db(row["starts_at"]),
            capacity=row["capacity"],
            phase=row["phase"],
            confirmed=row["n_conf"],
            waitlisted=row["n_wait"],
        )

    async def signups_of(self, user_ids: Iterable[int]) -> dict[int, Signup]:
        """The rows these members have in the session, whatever their status."""
        ids = list(dict.fromkeys(user_ids))
        found: dict[int, Signup] = {}
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            rows = await self._tx.fetchall(
                f"SELECT * FROM signups WHERE session_id = ? AND user_id IN ({','.join('?' * len(chunk))})",
                (self.session_id, *chunk),
            )
            found.update((r["user_id"], signup_row(r)) for r in rows)
        return found

    async def waitlist_position(self, signup_id: int) -> int:
        return int(
            await self._tx.fetchval(
                "SELECT COUNT(*) FROM signups WHERE session_id = ? AND status = 'waitlisted' AND id <= ?",
                (self.session_id, signup_id),
            )
        )

    async def delete_signups(self, signup_ids: Sequence[int]) -> None:
        await self._tx.executemany("DELETE FROM signups WHERE id = ?", [(i,) for i in signup_ids])

    async def insert_signups(self, signups: Sequence[NewSignup]) -> None:
        """New rows in the given order: their ids, hence the waitlist, follow it."""
        await self._tx.executemany(
            "INSERT INTO signups (session_id, user_id, status, locale, display_name, signed_up_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (self.session_id, s.user_id, s.status, s.locale, s.display_name, self._stamp, self._stamp)
                for s in signups
            ],
        )

    async def set_status(self, signup_id: int, status: str) -> None:
        await self._tx.execute(
            "UPDATE signups SET status = ?, updated_at = ? WHERE id = ?", (status, self._stamp, signup_id)
        )

    async def first_waitlisted(self) -> Signup | None:
        row = await self._tx.fetchone(
            "SELECT * FROM signups WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1",
            (self.session_id,),
        )
        return signup_row(row) if row else None

    async def promote(self, signup: Signup) -> None:
        """A seat for ``signup``, and a promotion notice in the outbox (same transaction)."""
        await self.set_status(signup.id, "confirmed")
        await enqueue(self._tx, self.session_id, [signup], "promoted", self._stamp)


class SignupQueries:
    db: Database

    @asynccontextmanager
    async def booking(self, session_id: int, now: datetime) -> AsyncIterator[Booking]:
        async with self.db.transaction() as tx:
            await tx.lock_row("office_hours", "id", session_id)  # PostgreSQL: clicks queue on the session
            yield Booking(tx, session_id, to_db(now))

    async def signup(self, session_id: int, user_id: int) -> Signup | None:
        row = await self.db.fetchone(
            "SELECT * FROM signups WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        )
        return signup_row(row) if row else None

    async def signups(self, session_id: int) -> list[Signup]:
        """Confirmed (in sign-up order), then the waitlist in click order."""
        rows = await self.db.fetchall(
            "SELECT * FROM signups WHERE session_id = ? AND status != 'cancelled'"
            " ORDER BY CASE status WHEN 'confirmed' THEN 0 ELSE 1 END, id",
            (session_id,),
        )
        return [signup_row(r) for r in rows]

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
