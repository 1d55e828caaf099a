"""The outbox of member notices (DMs): queued inside the transaction that decides them, sent later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import to_db
from bot.data import leases
from bot.data.database import Database, Transaction
from bot.data.officehours._rows import Notice, Signup
from bot.sharding import ALL_SHARDS, ShardScope


async def enqueue(
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


class NoticeQueries:
    """Claiming and finishing notices: each is leased (``bot.data.leases``) before it is delivered and
    marked sent, with its outcome, after; a process killed in between leaves a lease that runs out."""

    db: Database

    async def claim_notice(
        self,
        now: datetime,
        scope: ShardScope = ALL_SHARDS,
        claimer: str = leases.CLAIMER,
        lease: timedelta = leases.LEASE,
    ) -> Notice | None:
        """The next unsent, unleased notice of a guild of ``scope`` (promotions first), leased to
        ``claimer``; deliver it, then ``finish_notice``."""
        shards, params = scope.where("o.guild_id")
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT n.*, s.locale, s.guild_id AS signup_guild_id FROM officehours_notices n"
                " JOIN office_hours o ON o.id = n.session_id"
                " LEFT JOIN signups s ON s.session_id = n.session_id AND s.user_id = n.user_id"
                " WHERE n.sent_at IS NULL AND "
                + leases.free("n")
                + shards
                + " ORDER BY CASE n.kind WHEN 'promoted' THEN 0 ELSE 1 END, n.id LIMIT 1"
                + tx.skip_locked("n"),  # PostgreSQL: a notice another process is claiming is skipped
                (to_db(now), *params),
            )
            if row is None:
                return None
            await tx.execute(
                "UPDATE officehours_notices SET claimed_by = ?, lease_until = ? WHERE id = ?",
                (claimer, leases.until(now, lease), row["id"]),
            )
        return Notice(
            row["id"], row["session_id"], row["user_id"], row["kind"], row["reminder_id"], row["locale"],
            row["signup_guild_id"],
        )  # fmt: skip

    async def finish_notice(
        self, notice_id: int, outcome: str, now: datetime, claimer: str = leases.CLAIMER
    ) -> bool:
        """The notice was delivered (or failed for good): sent, with its outcome. False when it was not
        this claimer's any more (its lease ran out and another took it)."""
        async with self.db.transaction() as tx:
            marked = await tx.execute_rowcount(
                "UPDATE officehours_notices SET sent_at = ?, outcome = ?, lease_until = NULL"
                " WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
                (to_db(now), outcome, notice_id, claimer),
            )
        return marked > 0

    async def notices(self, session_id: int) -> list[tuple[int, str, str | None]]:
        """(user id, kind, outcome) of every notice of a session, oldest first (for tests and audits)."""
        rows = await self.db.fetchall(
            "SELECT user_id, kind, outcome FROM officehours_notices WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]
