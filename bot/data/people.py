"""The display name last seen for each member: what the working group's files print beside an id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.clock import to_db
from bot.data.database import Database


class PeopleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(self, guild_id: int, user_id: int, name: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO member_names (guild_id, user_id, display_name, seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
            " display_name = excluded.display_name, seen_at = excluded.seen_at",
            (guild_id, user_id, name, to_db(now)),
        )

    async def name(self, guild_id: int, user_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT display_name FROM member_names WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def names(self, guild_id: int, user_ids: Iterable[int] | None = None) -> dict[int, str]:
        """The guild's stored names ({} for nobody), all of them or those of ``user_ids``."""
        rows = await self.db.fetchall(
            "SELECT user_id, display_name FROM member_names WHERE guild_id = ?", (guild_id,)
        )
        wanted = None if user_ids is None else set(user_ids)
        return {row[0]: row[1] for row in rows if wanted is None or row[0] in wanted}

    async def forget(self, guild_id: int, user_id: int) -> int:
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM member_names WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
