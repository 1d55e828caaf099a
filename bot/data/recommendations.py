"""Draft recommendations, their versions and their posts in Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_db, to_db
from bot.data.database import Database


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: int
    guild_id: int
    number: int
    version: int
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class RecommendationVersion:
    version: int
    title: str
    body: str
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Post:
    message_id: int
    guild_id: int
    recommendation_id: int
    channel_id: int
    thread_id: int | None
    kind: str
    status: str
    applied_tags: tuple[int, ...]

    @property
    def message_channel_id(self) -> int:
        """Where the post's message lives: the forum post's own thread, or the text channel."""
        return self.channel_id if self.kind == "text" else (self.thread_id or self.channel_id)


_CURRENT = (
    "SELECT r.id, r.guild_id, r.number, r.current_version AS version, v.title, v.body"
    " FROM recommendations r JOIN recommendation_versions v"
    "   ON v.recommendation_id = r.id AND v.version = r.current_version"
)


def _post(row: aiosqlite.Row) -> Post:
    tags = tuple(int(t) for t in row["applied_tags"].split(",") if t)
    return Post(
        message_id=row["message_id"],
        guild_id=row["guild_id"],
        recommendation_id=row["recommendation_id"],
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        kind=row["kind"],
        status=row["status"],
        applied_tags=tags,
    )


class RecommendationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self, guild_id: int) -> list[Recommendation]:
        rows = await self.db.fetchall(f"{_CURRENT} WHERE r.guild_id = ? ORDER BY r.number", (guild_id,))
        return [Recommendation(**dict(row)) for row in rows]

    async def by_number(self, guild_id: int, number: int) -> Recommendation | None:
        row = await self.db.fetchone(f"{_CURRENT} WHERE r.guild_id = ? AND r.number = ?", (guild_id, number))
        return Recommendation(**dict(row)) if row else None

    async def by_id(self, recommendation_id: int) -> Recommendation | None:
        row = await self.db.fetchone(f"{_CURRENT} WHERE r.id = ?", (recommendation_id,))
        return Recommendation(**dict(row)) if row else None

    async def versions(self, recommendation_id: int) -> list[RecommendationVersion]:
        rows = await self.db.fetchall(
            "SELECT version, title, body, author_id, created_at FROM recommendation_versions"
            " WHERE recommendation_id = ? ORDER BY version",
            (recommendation_id,),
        )
        return [
            RecommendationVersion(
                row["version"],
                row["title"],
                row["body"],
                row["author_id"],
                from_db(row["created_at"]),
            )
            for row in rows
        ]

    async def revise(
        self, recommendation_id: int, title: str, body: str, author_id: int, now: datetime
    ) -> Recommendation:
        """Store a new version (the old ones are kept) and make it current."""
        async with self.db.transaction() as tx:
            version = await tx.fetchval(
                "SELECT current_version + 1 FROM recommendations WHERE id = ?", (recommendation_id,)
            )
            if version is None:
                raise LookupError(f"recommendation {recommendation_id} does not exist")
            await tx.execute(
                "INSERT INTO recommendation_versions"
                " (recommendation_id, version, title, body, author_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (recommendation_id, version, title, body, author_id, to_db(now)),
            )
            await tx.execute(
                "UPDATE recommendations SET current_version = ? WHERE id = ?",
                (version, recommendation_id),
            )
        revised = await self.by_id(recommendation_id)
        assert revised is not None
        return revised

    # -- posts ------------------------------------------------------------------------------

    async def add_post(
        self,
        *,
        guild_id: int,
        recommendation_id: int,
        message_id: int,
        channel_id: int,
        thread_id: int | None,
        kind: str,
        now: datetime,
    ) -> Post:
        await self.db.execute(
            "INSERT INTO posts (message_id, guild_id, recommendation_id, channel_id, thread_id,"
            " kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message_id, guild_id, recommendation_id, channel_id, thread_id, kind, to_db(now)),
        )
        post = await self.post_by_message(message_id)
        assert post is not None
        return post

    async def live_posts(self, guild_id: int | None = None) -> list[Post]:
        """Live posts in draft number order (server by server): their rows are not stored in that order."""
        where, params = ("p.guild_id = ? AND ", (guild_id,)) if guild_id is not None else ("", ())
        rows = await self.db.fetchall(
            "SELECT p.* FROM posts p JOIN recommendations r ON r.id = p.recommendation_id"
            f" WHERE {where}p.status = 'live' ORDER BY p.guild_id, r.number",
            params,
        )
        return [_post(row) for row in rows]

    async def live_post_for(self, recommendation_id: int) -> Post | None:
        row = await self.db.fetchone(
            "SELECT * FROM posts WHERE recommendation_id = ? AND status = 'live'",
            (recommendation_id,),
        )
        return _post(row) if row else None

    async def post_by_message(self, message_id: int) -> Post | None:
        row = await self.db.fetchone("SELECT * FROM posts WHERE message_id = ?", (message_id,))
        return _post(row) if row else None

    async def post_by_thread(self, thread_id: int) -> Post | None:
        row = await self.db.fetchone(
            "SELECT * FROM posts WHERE thread_id = ? AND status = 'live'", (thread_id,)
        )
        return _post(row) if row else None

    async def mark_post_deleted(self, message_id: int, now: datetime) -> bool:
        """The post was deleted in Discord: keep its history, free the draft for re-publishing."""
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE posts SET status = 'deleted', deleted_at = ?"
                " WHERE message_id = ? AND status = 'live'",
                (to_db(now), message_id),
            )
        return changed > 0

    async def set_applied_tags(self, message_id: int, tags: tuple[int, ...]) -> None:
        await self.db.execute(
            "UPDATE posts SET applied_tags = ? WHERE message_id = ?",
            (",".join(map(str, tags)), message_id),
        )
