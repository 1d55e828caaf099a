"""Reaction rows (one per post, emoji and member) and the tallies computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_db
from bot.data.database import Database, Transaction


@dataclass(frozen=True, slots=True)
class ReactionChange:
    """One gateway reaction event reduced to what the tally needs."""

    added: bool
    message_id: int
    emoji: str
    user_id: int


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    added: int
    removed: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class AreaTally:
    recommendation_id: int
    recommendation_number: int
    area_number: int
    members: int
    support: int
    oppose: int
    needs_work: int


@dataclass(frozen=True, slots=True)
class StanceTally:
    recommendation_id: int
    recommendation_number: int
    members: int
    support: int
    oppose: int
    needs_work: int


def net_changes(changes: Iterable[ReactionChange]) -> tuple[list[tuple], list[tuple]]:
    """Collapse a batch to its net effect: the last event per (message, emoji, member) wins."""
    last: dict[tuple[int, str, int], bool] = {}
    for change in changes:
        last[(change.message_id, change.emoji, change.user_id)] = change.added
    adds = [key for key, added in last.items() if added]
    removes = [key for key, added in last.items() if not added]
    return adds, removes


class ReactionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, changes: Iterable[ReactionChange], now: datetime) -> int:
        """Write a batch in one transaction; replays and duplicates change nothing."""
        adds, removes = net_changes(changes)
        if not adds and not removes:
            return 0
        async with self.db.transaction() as tx:
            await _write(tx, adds, removes, to_db(now))
        return len(adds) + len(removes)

    async def apply_checked(self, changes: Sequence[ReactionChange], now: datetime) -> set[int]:
        """``apply``, and in the same transaction (read before writing) the posts where a change
        contradicts the stored rows: the first event of a (post, emoji, member) in ``changes`` removes a
        reaction that is not stored, or adds one that is.

        Events delivered out of order (a remove before its add) show up this way; so does a reaction
        that was never counted.
        """
        first: dict[tuple[int, str, int], bool] = {}
        last: dict[tuple[int, str, int], bool] = {}
        for change in changes:
            key = (change.message_id, change.emoji, change.user_id)
            if key not in first:
                first[key] = change.added
            last[key] = change.added
        adds = [key for key, added in last.items() if added]
        removes = [key for key, added in last.items() if not added]
        async with self.db.transaction() as tx:
            # One join against the batch in a temporary table: far cheaper than a lookup per key.
            await tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS reaction_batch"
                " (message_id INTEGER, emoji TEXT, user_id INTEGER, added INTEGER)"
            )
            await tx.execute("DELETE FROM reaction_batch")
            await tx.executemany(
                "INSERT INTO reaction_batch (message_id, emoji, user_id, added) VALUES (?, ?, ?, ?)",
                [(*key, int(added)) for key, added in first.items()],
            )
            rows = await tx.fetchall(
                "SELECT DISTINCT b.message_id FROM reaction_batch b WHERE b.added = EXISTS ("
                " SELECT 1 FROM reactions r WHERE r.message_id = b.message_id AND r.emoji = b.emoji"
                " AND r.user_id = b.user_id)"
            )
            await _write(tx, adds, removes, to_db(now))
        return {row[0] for row in rows}

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Erase every reaction row of one member on this guild's posts (a data-erasure request)."""
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM reactions WHERE user_id = ?"
                " AND message_id IN (SELECT message_id FROM posts WHERE guild_id = ?)",
                (user_id, guild_id),
            )

    async def members(self, message_id: int, emoji: str) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM reactions WHERE message_id = ? AND emoji = ?", (message_id, emoji)
        )
        return {row[0] for row in rows}

    async def reconcile(
        self, message_id: int, emoji: str, members: set[int], now: datetime
    ) -> ReconcileResult:
        """Make the rows for one post and emoji equal Discord's list of who reacted."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT user_id FROM reactions WHERE message_id = ? AND emoji = ?",
                (message_id, emoji),
            )
            stored = {row[0] for row in rows}
            to_add = members - stored
            to_remove = stored - members
            await tx.executemany(
                "INSERT INTO reactions (message_id, emoji, user_id, reacted_at) VALUES (?, ?, ?, ?)",
                [(message_id, emoji, user, to_db(now)) for user in to_add],
            )
            await tx.executemany(
                "DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?",
                [(message_id, emoji, user) for user in to_remove],
            )
        return ReconcileResult(len(to_add), len(to_remove), len(stored & members))

    async def area_tally(self, guild_id: int, recommendation_id: int | None = None) -> list[AreaTally]:
        """Per recommendation and scoping area: who tagged the area, and their stances.

        Every (recommendation, area) pair is returned, zeros included, so gaps are visible.
        """
        rows = await self.db.fetchall(
            """
            WITH live AS (
                SELECT p.message_id, p.recommendation_id FROM posts p
                WHERE p.guild_id = :guild AND p.status = 'live'
            ),
            tagged AS (
                SELECT live.recommendation_id, a.id AS area_id, x.user_id
                FROM reactions x
                JOIN live ON live.message_id = x.message_id
                JOIN scoping_areas a ON a.guild_id = :guild AND a.emoji = x.emoji
            ),
            stance AS (
                SELECT live.recommendation_id, x.user_id,
                       MAX(CASE WHEN s.key = 'support' THEN 1 ELSE 0 END) AS support,
                       MAX(CASE WHEN s.key = 'oppose' THEN 1 ELSE 0 END) AS oppose,
                       MAX(CASE WHEN s.key = 'needs_work' THEN 1 ELSE 0 END) AS needs_work
                FROM reactions x
                JOIN live ON live.message_id = x.message_id
                JOIN stances s ON s.guild_id = :guild AND s.emoji = x.emoji
                GROUP BY live.recommendation_id, x.user_id
            ),
            cells AS (
                SELECT t.recommendation_id, t.area_id, COUNT(*) AS members,
                       COALESCE(SUM(st.support), 0) AS support,
                       COALESCE(SUM(st.oppose), 0) AS oppose,
                       COALESCE(SUM(st.needs_work), 0) AS needs_work
                FROM tagged t
                LEFT JOIN stance st
                  ON st.recommendation_id = t.recommendation_id AND st.user_id = t.user_id
                GROUP BY t.recommendation_id, t.area_id
            )
            SELECT r.id AS recommendation_id, r.number AS recommendation_number,
                   a.number AS area_number,
                   COALESCE(c.members, 0) AS members, COALESCE(c.support, 0) AS support,
                   COALESCE(c.oppose, 0) AS oppose, COALESCE(c.needs_work, 0) AS needs_work
            FROM recommendations r
            JOIN scoping_areas a ON a.guild_id = r.guild_id
            LEFT JOIN cells c ON c.recommendation_id = r.id AND c.area_id = a.id
            WHERE r.guild_id = :guild AND (:rec IS NULL OR r.id = :rec)
            ORDER BY r.number, a.number
            """,
            {"guild": guild_id, "rec": recommendation_id},
        )
        return [AreaTally(**dict(row)) for row in rows]

    async def stance_tally(self, guild_id: int, recommendation_id: int | None = None) -> list[StanceTally]:
        """Per recommendation: members who reacted at all, and the stance counts."""
        rows = await self.db.fetchall(
            """
            WITH live AS (
                SELECT p.message_id, p.recommendation_id FROM posts p
                WHERE p.guild_id = :guild AND p.status = 'live'
            ),
            counted AS (
                SELECT live.recommendation_id,
                       COUNT(DISTINCT x.user_id) AS members,
                       COUNT(CASE WHEN s.key = 'support' THEN 1 END) AS support,
                       COUNT(CASE WHEN s.key = 'oppose' THEN 1 END) AS oppose,
                       COUNT(CASE WHEN s.key = 'needs_work' THEN 1 END) AS needs_work
                FROM reactions x
                JOIN live ON live.message_id = x.message_id
                LEFT JOIN stances s ON s.guild_id = :guild AND s.emoji = x.emoji
                GROUP BY live.recommendation_id
            )
            SELECT r.id AS recommendation_id, r.number AS recommendation_number,
                   COALESCE(c.members, 0) AS members, COALESCE(c.support, 0) AS support,
                   COALESCE(c.oppose, 0) AS oppose, COALESCE(c.needs_work, 0) AS needs_work
            FROM recommendations r
            LEFT JOIN counted c ON c.recommendation_id = r.id
            WHERE r.guild_id = :guild AND (:rec IS NULL OR r.id = :rec)
            ORDER BY r.number
            """,
            {"guild": guild_id, "rec": recommendation_id},
        )
        return [StanceTally(**dict(row)) for row in rows]

    async def top_areas(self, message_id: int, guild_id: int, limit: int = 5) -> list[int]:
        """The ids of the scoping areas most members tagged on a post (ties by area number)."""
        rows = await self.db.fetchall(
            "SELECT a.id FROM reactions x"
            " JOIN scoping_areas a ON a.guild_id = ? AND a.emoji = x.emoji"
            " WHERE x.message_id = ? GROUP BY a.id, a.number"
            " ORDER BY COUNT(*) DESC, a.number LIMIT ?",
            (guild_id, message_id, limit),
        )
        return [row[0] for row in rows]


async def _write(tx: Transaction, adds: list[tuple], removes: list[tuple], stamp: str) -> None:
    await tx.executemany(
        "INSERT INTO reactions (message_id, emoji, user_id, reacted_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (message_id, emoji, user_id) DO NOTHING",
        [(*key, stamp) for key in adds],
    )
    await tx.executemany("DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?", removes)
