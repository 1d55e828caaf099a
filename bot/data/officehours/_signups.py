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
from bot.data.officehours._offers import offered_guilds
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
    guild_id: int | None = None  # the server whose card was clicked


class Booking:
    """Statements on one session's sign-ups inside one open transaction (SQL only, no rules)."""

    def __init__(self, tx: Transaction, session_id: int, stamp: str) -> None:
        self._tx = tx
        self.session_id = session_id
        self._stamp = stamp

    async def state(self) -> BookingState | None:
        state, _ = await self.open(())
        return state

    async def open(self, user_ids: Iterable[int]) -> tuple[BookingState | None, dict[int, Signup]]:
        """The session, its seat counts and the rows these members have in it, whatever their status:
        one statement, so one thread hop, however many members the group holds."""
        ids = list(dict.fromkeys(user_ids))
        head, rest = ids[:IN_CHUNK], ids[IN_CHUNK:]
        mine = f"s.user_id IN ({','.join('?' * len(head))})" if head else "1 = 0"
        rows = await self._tx.fetchall(
            "SELECT o.guild_id AS o_guild_id, o.status AS o_status, o.title AS o_title,"
            " o.starts_at AS o_starts_at, o.capacity AS o_capacity, g.phase AS o_phase,"
            " (SELECT COUNT(*) FROM signups c WHERE c.session_id = o.id AND c.status = 'confirmed')"
            "   AS n_conf,"
            " (SELECT COUNT(*) FROM signups w WHERE w.session_id = o.id AND w.status = 'waitlisted')"
            "   AS n_wait,"
            " s.*"
            " FROM office_hours o LEFT JOIN guild_settings g ON g.guild_id = o.guild_id"
            f" LEFT JOIN signups s ON s.session_id = o.id AND {mine}"
            " WHERE o.id = ?",
            (*head, self.session_id),
        )
        if not rows:
            return None, {}
        first = rows[0]
        state = BookingState(
            session_id=self.session_id,
            guild_id=first["o_guild_id"],
            status=first["o_status"],
            title=first["o_title"],
            starts_at=from_db(first["o_starts_at"]),
            capacity=first["o_capacity"],
            phase=first["o_phase"],
            confirmed=first["n_conf"],
            waitlisted=first["n_wait"],
        )
        found = {r["user_id"]: signup_row(r) for r in rows if r["id"] is not None}
        if rest:
            found.update(await self.signups_of(rest))
        return state, found

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

    async def offered_guilds(self) -> frozenset[int]:
        """The linked servers whose members may sign up for this session now (issue 16)."""
        return await offered_guilds(self._tx, self.session_id)

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
        stamp = self._stamp
        await self._tx.executemany(
            "INSERT INTO signups (session_id, user_id, status, locale, display_name, signed_up_at,"
            " updated_at, guild_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (self.session_id, s.user_id, s.status, s.locale, s.display_name, stamp, stamp, s.guild_id)
                for s in signups
            ],
        )

    async def set_status(self, signup_id: int, status: str) -> None:
        await self._tx.execute(
            "UPDATE signups SET status = ?, updated_at = ? WHERE id = ?", (status, self._stamp, signup_id)
        )

    async def first_waitlisted(self, limit: int = 1) -> list[Signup]:
        """The head of the waitlist, in click order."""
        rows = await self._tx.fetchall(
            "SELECT * FROM signups WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT ?",
            (self.session_id, limit),
        )
        return [signup_row(row) for row in rows]

    async def set_statuses(self, changes: Sequence[tuple[int, str]]) -> None:
        """``(signup id, status)`` pairs, in one statement batch."""
        await self._tx.executemany(
            "UPDATE signups SET status = ?, updated_at = ? WHERE id = ?",
            [(status, self._stamp, signup_id) for signup_id, status in changes],
        )

    async def tell_promoted(self, signups: Sequence[Signup]) -> None:
        """Promotion notices for ``signups`` in the outbox (same transaction as their new seats)."""
        await enqueue(self._tx, self.session_id, list(signups), "promoted", self._stamp)


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
