"""The outbox of member notices (DMs): queued inside the transaction that decides them, sent later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.clock import to_db
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
    """Claiming and finishing notices: each is stamped sent before it is delivered (at most once)."""

    db: Database

    async def claim_notice(self, now: datetime, scope: ShardScope = ALL_SHARDS) -> Notice | None:
        """The next notice of a guild of ``scope`` to deliver (promotions first), stamped sent before it
        is delivered."""
        shards, params = scope.where("o.guild_id")
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT n.*, s.locale, s.guild_id AS signup_guild_id FROM officehours_notices n"
                " JOIN office_hours o ON o.id = n.session_id"
                " LEFT JOIN signups s ON s.session_id = n.session_id AND s.user_id = n.user_id"
                " WHERE n.sent_at IS NULL"
                + shards
                + " ORDER BY CASE n.kind WHEN 'promoted' THEN 0 ELSE 1 END, n.id LIMIT 1"
                + tx.skip_locked("n"),  # PostgreSQL: a notice another process is claiming is skipped
                params,
            )
            if row is None:
                return None
            await tx.execute(
                "UPDATE officehours_notices SET sent_at = ? WHERE id = ?", (to_db(now), row["id"])
            )
        return Notice(
            row["id"], row["session_id"], row["user_id"], row["kind"], row["reminder_id"], row["locale"],
            row["signup_guild_id"],
        )  # fmt: skip

    async def finish_notice(self, notice_id: int, outcome: str) -> None:
        await self.db.execute("UPDATE officehours_notices SET outcome = ? WHERE id = ?", (outcome, notice_id))

    async def notices(self, session_id: int) -> list[tuple[int, str, str | None]]:
        """(user id, kind, outcome) of every notice of a session, oldest first (for tests and audits)."""
        rows = await self.db.fetchall(
            "SELECT user_id, kind, outcome FROM officehours_notices WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]
