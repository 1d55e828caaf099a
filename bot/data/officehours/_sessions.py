"""Office-hours sessions: the SQL that creates, reads, cancels and moves them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import to_db
from bot.data.database import Database, Transaction
from bot.data.officehours._offers import offer_everywhere
from bot.data.officehours._outbox import enqueue
from bot.data.officehours._rows import (
    MAX_SESSION_MINUTES,
    SUMMARY_SQL,
    Session,
    SessionSummary,
    Signup,
    session_row,
    signup_row,
    summary_row,
)
from bot.sharding import ALL_SHARDS, ShardScope


class SessionQueries:
    """Sessions: create, read, cancel and move (reminders re-armed in the same transaction)."""

    db: Database

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
        everywhere: bool = False,
    ) -> Session:
        """``everywhere``: offered on every server actively linked to ``guild_id`` (pending offers, in
        the same transaction), and on those linking later."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            session_id = await tx.execute(
                "INSERT INTO office_hours (guild_id, title, starts_at, duration_minutes, capacity,"
                " location_channel_id, location_text, host_id, created_by, reminder_minutes,"
                " created_at, updated_at, offered_everywhere) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    int(everywhere),
                ),
            )
            await self._arm_reminders(tx, session_id, starts_at, reminder_minutes, now)
            if everywhere:
                await offer_everywhere(tx, session_id, guild_id, stamp)
            row = await tx.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        assert row is not None
        return session_row(row)

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
        return session_row(row) if row else None

    async def summary(self, session_id: int) -> SessionSummary | None:
        row = await self.db.fetchone(SUMMARY_SQL + " WHERE o.id = ?", (session_id,))
        return summary_row(row) if row else None

    async def upcoming(self, guild_id: int, now: datetime, limit: int = 25) -> list[SessionSummary]:
        """Scheduled sessions that have not ended yet, soonest first."""
        # Only sessions that started less than the longest duration ago can still be running.
        rows = await self.db.fetchall(
            SUMMARY_SQL + " WHERE o.guild_id = ? AND o.status = 'scheduled' AND o.starts_at > ?"
            " ORDER BY o.starts_at, o.id LIMIT ?",
            (guild_id, to_db(now - timedelta(minutes=MAX_SESSION_MINUTES)), limit + 50),
        )
        live = [summary_row(r) for r in rows]
        return [s for s in live if s.session.ends_at > now][:limit]

    async def started_between(
        self, since: datetime, until: datetime, scope: ShardScope = ALL_SHARDS
    ) -> list[Session]:
        """Scheduled sessions of guilds of ``scope`` whose start fell in ``(since, until]`` (their cards
        must show closed)."""
        shards, params = scope.where("guild_id")
        rows = await self.db.fetchall(
            "SELECT * FROM office_hours WHERE status = 'scheduled' AND starts_at > ? AND starts_at <= ?"
            + shards,
            (to_db(since), to_db(until), *params),
        )
        return [session_row(r) for r in rows]

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
            signed = [signup_row(r) for r in rows]
            await enqueue(tx, session_id, [s for s in signed if s.dm_reminders], "cancelled", stamp)
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
            session = session_row(row)
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
            signed = [signup_row(r) for r in rows]
            await enqueue(tx, session_id, [s for s in signed if s.dm_reminders], "moved", stamp)
            row = await tx.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        assert row is not None
        return session_row(row), signed
