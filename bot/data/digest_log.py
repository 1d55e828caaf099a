"""The digest log (``digests``): what was sent, so "since the last digest" and "once a week" hold.

A digest a member received is recorded as sent. A weekly digest is leased first (``bot.data.leases``):
its row is claimed with ``claimed_by``/``lease_until`` before the post and marked sent after it, so a
process killed in between leaves a lease that runs out and another claimer posts the week once. Only
sent rows are the log that periods and "what changed" are computed from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_db, to_db
from bot.data import leases
from bot.data.database import Database


@dataclass(frozen=True, slots=True)
class DigestRecord:
    id: int
    guild_id: int
    kind: str
    period_key: str
    since: datetime | None
    created_at: datetime
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WeeklyTarget:
    guild_id: int
    consultation_title: str
    digest_channel_id: int
    digest_weekday: int
    digest_hour: int
    created_at: datetime


def _record(row: Any) -> DigestRecord:
    return DigestRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        period_key=row["period_key"],
        since=from_db(row["since"]) if row["since"] else None,
        created_at=from_db(row["created_at"]),
        figures=json.loads(row["figures"] or "{}"),
    )


class DigestLog:
    """The ``digests`` table: sent digests, and the leases of weekly ones being posted."""

    db: Database

    async def last_digest(self, guild_id: int) -> DigestRecord | None:
        row = await self.db.fetchone(
            "SELECT * FROM digests WHERE guild_id = ? AND sent_at IS NOT NULL"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (guild_id,),
        )
        return _record(row) if row else None

    async def digests(self, guild_id: int, kind: str | None = None) -> list[DigestRecord]:
        """The sent digests of a guild (of ``kind``), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM digests WHERE guild_id = ? AND (? IS NULL OR kind = ?) AND sent_at IS NOT NULL"
            " ORDER BY created_at, id",
            (guild_id, kind, kind),
        )
        return [_record(row) for row in rows]

    async def is_claimed(
        self, guild_id: int, kind: str, period_key: str, now: datetime | None = None
    ) -> bool:
        """The period was sent or is leased; at ``now``, a lease that ran out does not count."""
        if now is None:
            sql, params = "", ()
        else:
            sql, params = " AND (sent_at IS NOT NULL OR lease_until > ?)", (to_db(now),)
        found = await self.db.fetchval(
            "SELECT 1 FROM digests WHERE guild_id = ? AND kind = ? AND period_key = ?" + sql,
            (guild_id, kind, period_key, *params),
        )
        return found is not None

    async def record(
        self,
        guild_id: int,
        kind: str,
        period_key: str,
        since: datetime | None,
        now: datetime,
        figures: dict[str, Any],
    ) -> bool:
        """Record a digest that was sent; False when this (guild, kind, period) was recorded already."""
        async with self.db.transaction() as tx:
            inserted = await tx.execute_rowcount(
                "INSERT INTO digests (guild_id, kind, period_key, since, created_at, figures, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, kind, period_key) DO NOTHING",
                (
                    guild_id, kind, period_key, to_db(since) if since else None, to_db(now),
                    json.dumps(figures, sort_keys=True), to_db(now),
                ),
            )  # fmt: skip
        return inserted > 0

    async def lease(
        self,
        guild_id: int,
        kind: str,
        period_key: str,
        since: datetime | None,
        now: datetime,
        figures: dict[str, Any],
        claimer: str = leases.CLAIMER,
        lease: timedelta = leases.LEASE,
    ) -> bool:
        """Claim a period to post it: True for one claimer, while the period is unsent and its last
        lease (if any) ran out. One statement: of two racing claimers the second sees the first's row
        (PostgreSQL re-checks the upsert's condition on the row it waited for)."""
        async with self.db.transaction() as tx:
            taken = await tx.execute_rowcount(
                "INSERT INTO digests"
                " (guild_id, kind, period_key, since, created_at, figures, claimed_by, lease_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, kind, period_key) DO UPDATE SET"
                " since = excluded.since, created_at = excluded.created_at, figures = excluded.figures,"
                " claimed_by = excluded.claimed_by, lease_until = excluded.lease_until"
                " WHERE digests.sent_at IS NULL AND " + leases.free("digests"),
                (
                    guild_id, kind, period_key, to_db(since) if since else None, to_db(now),
                    json.dumps(figures, sort_keys=True), claimer, leases.until(now, lease), to_db(now),
                ),
            )  # fmt: skip
        return taken > 0

    async def mark_sent(
        self, guild_id: int, kind: str, period_key: str, now: datetime, claimer: str = leases.CLAIMER
    ) -> bool:
        """The leased period was posted: it is in the log from now on. False if the lease was lost."""
        async with self.db.transaction() as tx:
            marked = await tx.execute_rowcount(
                "UPDATE digests SET sent_at = ?, lease_until = NULL"
                " WHERE guild_id = ? AND kind = ? AND period_key = ? AND claimed_by = ? AND sent_at IS NULL",
                (to_db(now), guild_id, kind, period_key, claimer),
            )
        return marked > 0

    async def release(self, guild_id: int, kind: str, period_key: str, claimer: str = leases.CLAIMER) -> None:
        """Give back an unsent claim (Discord refused the post): the next turn may take it at once."""
        await self.db.execute(
            "DELETE FROM digests WHERE guild_id = ? AND kind = ? AND period_key = ?"
            " AND claimed_by = ? AND sent_at IS NULL",
            (guild_id, kind, period_key, claimer),
        )

    async def weekly_targets(self) -> list[WeeklyTarget]:
        """Guilds with a digest channel: where and when their weekly digest goes."""
        rows = await self.db.fetchall(
            "SELECT guild_id, consultation_title, digest_channel_id, digest_weekday, digest_hour, created_at"
            " FROM guild_settings WHERE digest_channel_id IS NOT NULL ORDER BY guild_id"
        )
        return [
            WeeklyTarget(
                row["guild_id"], row["consultation_title"], row["digest_channel_id"], row["digest_weekday"],
                row["digest_hour"], from_db(row["created_at"]),
            )
            for row in rows
        ]  # fmt: skip

    async def guild_ids(self) -> list[int]:
        rows = await self.db.fetchall("SELECT guild_id FROM guild_settings ORDER BY guild_id")
        return [row[0] for row in rows]
