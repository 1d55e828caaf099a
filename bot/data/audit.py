"""The audit log: who did what, to what, why, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db
from bot.data.database import Database


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    guild_id: int
    actor_id: int | None
    action: str
    target: str | None
    reason: str | None
    created_at: datetime


def _entry(row: aiosqlite.Row) -> AuditEntry:
    return AuditEntry(
        row["id"],
        row["guild_id"],
        row["actor_id"],
        row["action"],
        row["target"],
        row["reason"],
        from_db(row["created_at"]),
    )


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        guild_id: int,
        actor_id: int | None,
        action: str,
        target: str | None,
        reason: str | None,
        now: datetime,
    ) -> AuditEntry:
        entry_id = await self.db.execute(
            "INSERT INTO audit_log (guild_id, actor_id, action, target, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, actor_id, action, target, reason, to_db(now)),
        )
        return AuditEntry(entry_id, guild_id, actor_id, action, target, reason, now)

    async def latest(
        self,
        guild_id: int,
        *,
        limit: int = 20,
        action: str | None = None,
        actor_id: int | None = None,
    ) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE guild_id = :guild"
            " AND (:action IS NULL OR action = :action) AND (:actor IS NULL OR actor_id = :actor)"
            " ORDER BY id DESC LIMIT :limit",
            {"guild": guild_id, "action": action, "actor": actor_id, "limit": limit},
        )
        return [_entry(row) for row in rows]

    async def latest_on_target(
        self, guild_id: int, target: str, actions: tuple[str, ...]
    ) -> AuditEntry | None:
        """The newest entry about ``target`` among ``actions`` (e.g. was this thread last archived?)."""
        marks = ",".join("?" * len(actions))
        rows = await self.db.fetchall(
            f"SELECT * FROM audit_log WHERE guild_id = ? AND target = ? AND action IN ({marks})"
            " ORDER BY id DESC LIMIT 1",
            (guild_id, target, *actions),
        )
        return _entry(rows[0]) if rows else None

    async def count(self, guild_id: int | None = None) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM audit_log WHERE (:guild IS NULL OR guild_id = :guild)",
                {"guild": guild_id},
            )
        )

    async def actions(self, guild_id: int) -> list[str]:
        """The distinct actions recorded in this guild (for filtering the log)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT action FROM audit_log WHERE guild_id = ? ORDER BY action", (guild_id,)
        )
        return [row[0] for row in rows]
