"""The audit log: who did what, to what, why, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
        return [
            AuditEntry(
                row["id"],
                row["guild_id"],
                row["actor_id"],
                row["action"],
                row["target"],
                row["reason"],
                from_db(row["created_at"]),
            )
            for row in rows
        ]
