"""Office hours and their Discord scheduled events: which session an event belongs to, edits made on
Discord's event page (title, place), and the once-only claims of the event's start and completion
(leased before Discord is called, done after: ``bot.data.leases``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import to_db
from bot.data import leases
from bot.data.database import Database
from bot.data.officehours._rows import MAX_SESSION_MINUTES, Session, session_row
from bot.sharding import ALL_SHARDS, ShardScope

ACTIVE = "active"
COMPLETED = "completed"
# A session missed entirely while the bot was down for less than this is still started and completed;
# older ones (e.g. from before this feature) are left alone rather than touched in bulk.
CATCH_UP = timedelta(days=1)


class OfficeHoursEventsRepository:
    """The SQL that links sessions to their Discord events."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def session_for_event(self, event_id: int) -> Session | None:
        row = await self.db.fetchone(
            "SELECT * FROM office_hours WHERE scheduled_event_id = ? ORDER BY id DESC LIMIT 1", (event_id,)
        )
        return session_row(row) if row else None

    async def update_details(
        self,
        session_id: int,
        *,
        title: str,
        location_channel_id: int | None,
        location_text: str | None,
        now: datetime,
    ) -> Session | None:
        """New title and place of a scheduled session (as edited in Discord); None if not scheduled."""
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE office_hours SET title = ?, location_channel_id = ?, location_text = ?,"
                " updated_at = ? WHERE id = ? AND status = 'scheduled'",
                (title, location_channel_id, location_text, to_db(now), session_id),
            )
            if not changed:
                return None
            row = await tx.fetchone("SELECT * FROM office_hours WHERE id = ?", (session_id,))
        return session_row(row) if row else None

    async def due_to_start(self, now: datetime, scope: ShardScope = ALL_SHARDS) -> list[Session]:
        """Scheduled sessions (of guilds of ``scope``) with an event whose start has come and whose
        event was never started."""
        shards, params = scope.where("o.guild_id")
        rows = await self.db.fetchall(
            "SELECT o.* FROM office_hours o WHERE o.status = 'scheduled'"
            " AND o.scheduled_event_id IS NOT NULL AND o.starts_at <= ? AND o.starts_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM officehours_event_phases p"
            "   WHERE p.session_id = o.id AND p.phase = 'active'"
            "   AND (p.done_at IS NOT NULL OR p.lease_until > ?))" + shards + " ORDER BY o.starts_at, o.id",
            (to_db(now), to_db(now - CATCH_UP), to_db(now), *params),
        )
        return [session_row(r) for r in rows]

    async def due_to_complete(self, now: datetime, scope: ShardScope = ALL_SHARDS) -> list[Session]:
        """Sessions (of guilds of ``scope``) whose event the bot started, that have ended and were not
        completed yet."""
        shards, params = scope.where("o.guild_id")
        rows = await self.db.fetchall(
            "SELECT o.* FROM office_hours o"
            " JOIN officehours_event_phases a ON a.session_id = o.id AND a.phase = 'active'"
            " AND a.done_at IS NOT NULL"
            " WHERE o.status = 'scheduled' AND o.starts_at <= ? AND o.starts_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM officehours_event_phases p"
            "   WHERE p.session_id = o.id AND p.phase = 'completed'"
            "   AND (p.done_at IS NOT NULL OR p.lease_until > ?))" + shards + " ORDER BY o.starts_at, o.id",
            (to_db(now), to_db(now - CATCH_UP - timedelta(minutes=MAX_SESSION_MINUTES)), to_db(now), *params),
        )
        return [s for s in (session_row(r) for r in rows) if s.ends_at <= now]

    async def claim_phase(
        self,
        session_id: int,
        phase: str,
        now: datetime,
        claimer: str = leases.CLAIMER,
        lease: timedelta = leases.LEASE,
    ) -> bool:
        """True for one caller per session and phase while the phase is not done and its last lease (if
        any) ran out: leased before Discord is called, ``phase_done`` after."""
        async with self.db.transaction() as tx:
            claimed = await tx.execute_rowcount(
                "INSERT INTO officehours_event_phases"
                " (session_id, phase, claimed_at, claimed_by, lease_until)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, phase) DO UPDATE SET"
                " claimed_at = excluded.claimed_at, claimed_by = excluded.claimed_by,"
                " lease_until = excluded.lease_until"
                " WHERE officehours_event_phases.done_at IS NULL AND "
                + leases.free("officehours_event_phases"),
                (session_id, phase, to_db(now), claimer, leases.until(now, lease), to_db(now)),
            )
        return claimed > 0

    async def phase_done(
        self, session_id: int, phase: str, now: datetime, claimer: str = leases.CLAIMER
    ) -> bool:
        """Discord was told (or needed nothing): the phase is done for good."""
        async with self.db.transaction() as tx:
            done = await tx.execute_rowcount(
                "UPDATE officehours_event_phases SET done_at = ?, lease_until = NULL"
                " WHERE session_id = ? AND phase = ? AND claimed_by = ? AND done_at IS NULL",
                (to_db(now), session_id, phase, claimer),
            )
        return done > 0

    async def phases(self, session_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT phase FROM officehours_event_phases WHERE session_id = ? AND done_at IS NOT NULL"
            " ORDER BY claimed_at, phase",
            (session_id,),
        )
        return [r[0] for r in rows]
