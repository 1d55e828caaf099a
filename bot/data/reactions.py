"""Reaction rows (one per post, emoji and member) and the tallies computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_db
from bot.data import reaction_pairs
from bot.data.database import Database, Transaction

STANCE_BITS = {"support": 1 << 40, "oppose": 1 << 41, "needs_work": 1 << 42}
AREA_BITS = (1 << 40) - 1  # one bit per scoping area (at most 20)

# One post's members grouped by the set of areas they tagged, with their stances summed. {mask} is a
# SUM(CASE x.emoji WHEN ? THEN bit ...) over the guild's emoji (bound parameters).
CROSS_TAB_SQL = f"""
    SELECT mask & {AREA_BITS}, COUNT(*), SUM((mask >> 40) & 1), SUM((mask >> 41) & 1), SUM((mask >> 42) & 1)
    FROM (SELECT CAST({{mask}} AS BIGINT) AS mask FROM reactions x WHERE x.message_id = ?
          GROUP BY x.user_id) m
    GROUP BY mask & {AREA_BITS}
"""

# The same over several posts of one draft (its copies on linked servers): a member's (emoji) pairs are
# made distinct across the posts first, so a member who reacted on two servers counts once per cell.
CROSS_TAB_MERGED_SQL = f"""
    SELECT mask & {AREA_BITS}, COUNT(*), SUM((mask >> 40) & 1), SUM((mask >> 41) & 1), SUM((mask >> 42) & 1)
    FROM (SELECT CAST({{mask}} AS BIGINT) AS mask
          FROM (SELECT DISTINCT user_id, emoji FROM reactions WHERE message_id IN ({{posts}})) x
          GROUP BY x.user_id) m
    GROUP BY mask & {AREA_BITS}
"""


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
        last: dict[tuple[int, str, int], bool] = {}
        for change in changes:
            last[(change.message_id, change.emoji, change.user_id)] = change.added
        if not last:
            return 0
        async with self.db.transaction() as tx:
            await _write_batch(tx, last, last, to_db(now))
        return len(last)

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
        if not last:
            return set()
        async with self.db.transaction() as tx:
            return await _write_batch(tx, first, last, to_db(now))

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Erase every reaction row of one member on this guild's posts (a data-erasure request)."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT message_id, emoji, user_id FROM reactions WHERE user_id = ?"
                " AND message_id IN (SELECT message_id FROM posts WHERE guild_id = ?)",
                (user_id, guild_id),
            )
            await reaction_pairs.forget(tx, [tuple(row) for row in rows])
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
            await reaction_pairs.track(
                tx, [(message_id, emoji, u) for u in to_add], [(message_id, emoji, u) for u in to_remove]
            )
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
        return (await self.tallies(guild_id, recommendation_id))[0]

    async def stance_tally(self, guild_id: int, recommendation_id: int | None = None) -> list[StanceTally]:
        """Per recommendation: members who reacted at all, and the stance counts."""
        return (await self.tallies(guild_id, recommendation_id))[1]

    async def tallies(
        self, guild_id: int, recommendation_id: int | None = None
    ) -> tuple[list[AreaTally], list[StanceTally]]:
        """The cross-tab the working group reads: per recommendation x area, and per recommendation
        (``cross_tab`` over each draft's live post, as a home tally is over its servers' posts)."""
        live = await self.db.fetchall(
            "SELECT recommendation_id, message_id FROM posts WHERE guild_id = ? AND status = 'live'"
            " AND (? IS NULL OR recommendation_id = ?)",
            (guild_id, recommendation_id, recommendation_id),
        )
        posts: dict[int, list[int]] = {}
        for rec_id, message_id in live:
            posts.setdefault(rec_id, []).append(message_id)
        return await cross_tab(self.db, guild_id, recommendation_id, posts)

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


K = tuple[int, str, int]  # (message id, emoji, member)


async def _write_batch(tx: Transaction, first: dict[K, bool], last: dict[K, bool], stamp: str) -> set[int]:
    """A batch's net effect (``last``) in set-based statements; returns the posts where the first event of
    a key (``first``) contradicts the stored rows.

    The batch goes into a temporary table once (COPY on PostgreSQL) with, filled in by one statement,
    whether each key is stored; the check, the digest's pair counts and the writes are then statements
    against it: far cheaper than a statement per key or a pass in Python.
    """
    # BIGINT: snowflakes are 64-bit on PostgreSQL (the temp table is per connection there too).
    await tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS reaction_batch (message_id BIGINT, emoji TEXT, user_id BIGINT,"
        " added INTEGER, last_added INTEGER, stored INTEGER)"
    )
    await tx.execute("DELETE FROM reaction_batch")
    await tx.load_rows(
        "reaction_batch",
        ("message_id", "emoji", "user_id", "added", "last_added", "stored"),
        [(*key, int(added), int(last[key]), 0) for key, added in first.items()],
    )
    await tx.execute(
        "UPDATE reaction_batch SET stored = 1 WHERE EXISTS (SELECT 1 FROM reactions r"
        " WHERE r.message_id = reaction_batch.message_id AND r.emoji = reaction_batch.emoji"
        " AND r.user_id = reaction_batch.user_id)"
    )
    rows = await tx.fetchall("SELECT DISTINCT message_id FROM reaction_batch WHERE added = stored")
    # The digest's counts: the rows this batch adds (1) and deletes (-1), read before the writes.
    await reaction_pairs.before_batch(
        tx,
        "SELECT message_id, user_id, emoji, CASE WHEN last_added = 1 THEN 1 ELSE -1 END AS sign"
        " FROM reaction_batch WHERE last_added <> stored",
    )
    # In key order: the table's and its indexes' pages are then touched in runs, not at random (profiled
    # on SQLite, 100k new rows: the insert took 0.3 s instead of 0.6 s, the sort included).
    await tx.execute(
        "INSERT INTO reactions (message_id, emoji, user_id, reacted_at)"
        " SELECT message_id, emoji, user_id, ? FROM reaction_batch WHERE last_added = 1 AND stored = 0"
        " ORDER BY message_id, emoji, user_id ON CONFLICT (message_id, emoji, user_id) DO NOTHING",
        (stamp,),
    )
    await tx.execute(
        "DELETE FROM reactions WHERE (message_id, emoji, user_id) IN"
        " (SELECT message_id, emoji, user_id FROM reaction_batch WHERE last_added = 0 AND stored = 1)"
    )
    await reaction_pairs.after_batch(tx)
    return {row[0] for row in rows}


async def cross_tab(
    db: Database, guild_id: int, recommendation_id: int | None, posts: dict[int, list[int]]
) -> tuple[list[AreaTally], list[StanceTally]]:
    """The cross-tab of ``guild_id``'s drafts (one, or all) from the reactions on ``posts`` (draft id ->
    its posts' message ids: one post, or on linked servers a copy's post each), with that guild's
    areas and stances.

    Each draft's members are grouped by the set of areas they tagged (a bit mask, at most 2^areas
    groups) with their stances summed, one statement per draft; the few hundred groups are then expanded
    into cells in Python. A draft with several posts merges each member's reactions first (DISTINCT), so
    a member who reacted on two servers counts once per cell.
    """
    areas = await db.fetchall(
        "SELECT number, emoji FROM scoping_areas WHERE guild_id = ? ORDER BY number", (guild_id,)
    )
    stances = await db.fetchall("SELECT key, emoji FROM stances WHERE guild_id = ?", (guild_id,))
    recommendations = await db.fetchall(
        "SELECT id, number FROM recommendations WHERE guild_id = ? AND (? IS NULL OR id = ?) ORDER BY number",
        (guild_id, recommendation_id, recommendation_id),
    )
    # One CASE arm per emoji the tally knows; the emoji are bound parameters, the bits constants.
    arms = [f"WHEN ? THEN {1 << index}" for index in range(len(areas))]
    arms += [f"WHEN ? THEN {STANCE_BITS[row['key']]}" for row in stances]
    params = [row["emoji"] for row in areas] + [row["emoji"] for row in stances]
    mask = f"SUM(CASE x.emoji {' '.join(arms)} ELSE 0 END)" if arms else "0"
    cells: dict[tuple[int, int], list[int]] = {}
    overall: dict[int, list[int]] = {}
    numbers_of: dict[int, list[int]] = {}
    # One statement per draft: other queries of the bot get the connection between two drafts.
    for rec in recommendations:
        message_ids = posts.get(rec["id"], [])
        if not message_ids:
            continue
        if len(message_ids) == 1:
            sql = CROSS_TAB_SQL.format(mask=mask)
        else:
            sql = CROSS_TAB_MERGED_SQL.format(mask=mask, posts=",".join("?" * len(message_ids)))
        groups = await db.fetchall(sql, (*params, *message_ids))
        total = overall.setdefault(rec["id"], [0, 0, 0, 0])
        for area_mask, *figures in groups:
            numbers = numbers_of.get(area_mask)
            if numbers is None:
                numbers = numbers_of[area_mask] = [
                    row["number"] for i, row in enumerate(areas) if area_mask >> i & 1
                ]
            for cell in [total] + [cells.setdefault((rec["id"], n), [0, 0, 0, 0]) for n in numbers]:
                for index, value in enumerate(figures):
                    cell[index] += value
    area_rows = [
        AreaTally(rec["id"], rec["number"], area["number"], *cells.get((rec["id"], area["number"]), (0,) * 4))
        for rec in recommendations
        for area in areas
    ]
    stance_rows = [
        StanceTally(rec["id"], rec["number"], *overall.get(rec["id"], (0,) * 4)) for rec in recommendations
    ]
    return area_rows, stance_rows
