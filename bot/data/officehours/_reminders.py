"""Reminders: the SQL of claiming due reminders, as a unit of work the service drives.

A due reminder is leased (``bot.data.leases``) in the claim transaction and marked sent, with its DMs
queued, by ``finish_reminder`` after the thread post: a process killed in between leaves a lease that runs
out, and the reminder is due again for whoever runs its guild's shard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import from_db, to_db
from bot.data import leases
from bot.data.database import Database, Transaction
from bot.data.officehours._outbox import enqueue
from bot.data.officehours._rows import Session, Signup, session_row, signup_row
from bot.sharding import ALL_SHARDS, ShardScope


@dataclass(frozen=True, slots=True)
class PendingReminder:
    """An unsent reminder whose time has come, with its session as it is now."""

    reminder_id: int
    minutes_before: int
    due_at: datetime
    session: Session
    guild_id: int | None = None  # a linked server's offer this reminder is for; None: the session's own


class ReminderClaim:
    """Statements of one claim transaction: read what is due, lease it (or drop it), read attendees."""

    def __init__(self, tx: Transaction, stamp: str, claimer: str, lease_until: str) -> None:
        self._tx = tx
        self._stamp = stamp
        self._claimer = claimer
        self._lease_until = lease_until

    async def due(self, scope: ShardScope = ALL_SHARDS) -> list[PendingReminder]:
        """Unsent, unleased reminders due by now in guilds of ``scope``, by session then nearest first."""
        shards, params = scope.where("o.guild_id")
        rows = await self._tx.fetchall(
            "SELECT r.id AS reminder_id, r.minutes_before, r.due_at, o.*"
            " FROM reminders r JOIN office_hours o ON o.id = r.session_id"
            " WHERE r.sent_at IS NULL AND r.due_at <= ? AND "
            + leases.free("r")
            + shards
            + " ORDER BY r.session_id, r.minutes_before"
            + self._tx.skip_locked("r"),  # PostgreSQL: another process's claim is not ours
            (self._stamp, self._stamp, *params),
        )
        return [
            PendingReminder(r["reminder_id"], r["minutes_before"], from_db(r["due_at"]), session_row(r))
            for r in rows
        ]

    async def due_offers(self, scope: ShardScope = ALL_SHARDS) -> list[PendingReminder]:
        """Reminders due by now that a linked server of ``scope`` with an active offer has not
        claimed yet (whether or not the home's was sent), by session and server, nearest first."""
        shards, params = scope.where("f.guild_id")
        rows = await self._tx.fetchall(
            "SELECT r.id AS reminder_id, r.minutes_before, r.due_at, f.guild_id AS offer_guild_id, o.*"
            " FROM reminders r JOIN office_hours o ON o.id = r.session_id"
            " JOIN officehours_offers f ON f.session_id = o.id AND f.status = 'active'"
            " WHERE r.due_at <= ? AND NOT EXISTS (SELECT 1 FROM officehours_offer_reminders p"
            "   WHERE p.reminder_id = r.id AND p.guild_id = f.guild_id)"
            + shards
            + " ORDER BY r.session_id, f.guild_id, r.minutes_before",
            (self._stamp, *params),
        )
        return [
            PendingReminder(
                r["reminder_id"],
                r["minutes_before"],
                from_db(r["due_at"]),
                session_row(r),
                r["offer_guild_id"],
            )
            for r in rows
        ]

    async def claim_for_server(self, reminder_id: int, guild_id: int) -> bool:
        """True for exactly one claimer of a reminder on one linked server (inserted before posting)."""
        claimed = await self._tx.execute_rowcount(
            "INSERT INTO officehours_offer_reminders (reminder_id, guild_id, claimed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (reminder_id, guild_id) DO NOTHING",
            (reminder_id, guild_id, self._stamp),
        )
        return claimed > 0

    async def confirmed_from(self, session_id: int, guild_id: int) -> list[Signup]:
        """Confirmed sign-ups made on the linked server ``guild_id``."""
        rows = await self._tx.fetchall(
            "SELECT * FROM signups WHERE session_id = ? AND status = 'confirmed' AND guild_id = ?"
            " ORDER BY id",
            (session_id, guild_id),
        )
        return [signup_row(r) for r in rows]

    async def stamp_sent(self, reminder_ids: Sequence[int]) -> None:
        """Dropped reminders (stale, or not the nearest of their session): done without a post."""
        await self._tx.executemany(
            "UPDATE reminders SET sent_at = ? WHERE id = ?", [(self._stamp, i) for i in reminder_ids]
        )

    async def lease(self, reminder_ids: Sequence[int]) -> None:
        """Reminders this claimer posts now; ``finish_reminder`` marks each sent after its post."""
        await self._tx.executemany(
            "UPDATE reminders SET claimed_by = ?, lease_until = ? WHERE id = ?",
            [(self._claimer, self._lease_until, i) for i in reminder_ids],
        )

    async def confirmed(self, session_id: int) -> list[Signup]:
        rows = await self._tx.fetchall(
            "SELECT * FROM signups WHERE session_id = ? AND status = 'confirmed' ORDER BY id", (session_id,)
        )
        return [signup_row(r) for r in rows]


class ReminderQueries:
    db: Database

    @asynccontextmanager
    async def reminder_claim(
        self, now: datetime, claimer: str = leases.CLAIMER, lease: timedelta = leases.LEASE
    ) -> AsyncIterator[ReminderClaim]:
        """One ``BEGIN IMMEDIATE`` transaction: what is leased or stamped in it is claimed once."""
        async with self.db.transaction() as tx:
            yield ReminderClaim(tx, to_db(now), claimer, leases.until(now, lease))

    async def finish_reminder(
        self, reminder_id: int, session_id: int, now: datetime, claimer: str = leases.CLAIMER
    ) -> list[Signup] | None:
        """After the thread post: the reminder is sent, and the DMs of its confirmed attendees who asked
        for them are queued, in one transaction. Returns the DM'd attendees; None when the reminder is
        not this claimer's to finish (its lease was taken over, or it was sent already)."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            marked = await tx.execute_rowcount(
                "UPDATE reminders SET sent_at = ?, lease_until = NULL"
                " WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
                (stamp, reminder_id, claimer),
            )
            if not marked:
                return None
            rows = await tx.fetchall(
                "SELECT * FROM signups WHERE session_id = ? AND status = 'confirmed' AND dm_reminders = 1"
                " ORDER BY id",
                (session_id,),
            )
            wanted = [signup_row(r) for r in rows]
            await enqueue(tx, session_id, wanted, "reminder", stamp, reminder_id)
        return wanted

    async def pending_reminders(self, session_id: int) -> list[tuple[int, datetime]]:
        rows = await self.db.fetchall(
            "SELECT minutes_before, due_at FROM reminders WHERE session_id = ? AND sent_at IS NULL"
            " ORDER BY due_at",
            (session_id,),
        )
        return [(r[0], from_db(r[1])) for r in rows]
