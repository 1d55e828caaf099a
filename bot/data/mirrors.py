"""The SQL of one consultation across servers: a linked server's copy of the home content and drafts,
its phase following the home's, and the tally counted across servers (distinct people per cell).

A copy keeps the home numbers, versions and emoji, so every per-server path (posts, reactions, feedback,
catch-up) works on it unchanged; ``recommendation_mirrors`` ties each copy to its home draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import to_db
from bot.data.database import Database, Transaction
from bot.data.reactions import AreaTally, StanceTally, cross_tab


@dataclass
class CopyResult:
    """What copying the home consultation into a linked server did."""

    copies: dict[int, int] = field(default_factory=dict)  # home draft id -> the server's copy id
    created: int = 0  # copies made now (the others existed: a re-link updates them)
    revised: set[int] = field(default_factory=set)  # copies whose current version changed


@dataclass(frozen=True, slots=True)
class ServerShare:
    """One server's part of the consultation: people who reacted, and people per emoji."""

    guild_id: int
    reactors: int
    by_emoji: dict[str, int]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class MirrorRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- copying ----------------------------------------------------------------------------------

    async def copy_consultation(self, home_guild_id: int, guild_id: int, now: datetime) -> CopyResult:
        """Make ``guild_id``'s consultation a copy of the home's, in one transaction: title, phase and
        scheduled close, scoping areas and stances (same numbers and emoji; the server keeps its own
        forum tags), every draft with all its versions and translations. Idempotent: a copy that exists
        is updated, never duplicated; the server's own drafts that were never posted give way."""
        result = CopyResult()
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            home = await tx.fetchone(
                "SELECT consultation_title, phase, phase_changed_at, closes_at FROM guild_settings"
                " WHERE guild_id = ?",
                (home_guild_id,),
            )
            if home is None:
                raise LookupError(f"home guild {home_guild_id} has no settings")
            await tx.execute(
                "UPDATE guild_settings SET consultation_title = ?, phase = ?, phase_changed_at = ?,"
                " closes_at = ?, updated_at = ? WHERE guild_id = ?",
                (home[0], home[1], home[2], home[3], stamp, guild_id),
            )
            await self._copy_options(tx, home_guild_id, guild_id)
            await self._copy_drafts(tx, home_guild_id, guild_id, result)
        return result

    @staticmethod
    async def _copy_options(tx: Transaction, home_guild_id: int, guild_id: int) -> None:
        areas = await tx.fetchall(
            "SELECT number, name, short_name, emoji FROM scoping_areas WHERE guild_id = ? ORDER BY number",
            (home_guild_id,),
        )
        numbers = [row[0] for row in areas]
        await tx.execute(
            f"DELETE FROM scoping_areas WHERE guild_id = ? AND number NOT IN ({_marks(numbers) or 'NULL'})",
            (guild_id, *numbers),
        )
        # Emoji may move between areas: cleared first so the unique index holds mid-way.
        await tx.execute("UPDATE scoping_areas SET emoji = '~' || id WHERE guild_id = ?", (guild_id,))
        for number, name, short_name, emoji in areas:
            await tx.execute(
                "INSERT INTO scoping_areas (guild_id, number, name, short_name, emoji)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, number) DO UPDATE SET"
                " name = excluded.name, short_name = excluded.short_name, emoji = excluded.emoji",
                (guild_id, number, name, short_name, emoji),
            )
        await tx.execute("DELETE FROM stances WHERE guild_id = ?", (guild_id,))
        await tx.execute(
            "INSERT INTO stances (guild_id, key, label, emoji)"
            " SELECT ?, key, label, emoji FROM stances WHERE guild_id = ?",
            (guild_id, home_guild_id),
        )

    async def _copy_drafts(
        self, tx: Transaction, home_guild_id: int, guild_id: int, result: CopyResult
    ) -> None:
        home_drafts = await tx.fetchall(
            "SELECT id, number, current_version, created_at FROM recommendations WHERE guild_id = ?"
            " ORDER BY number",
            (home_guild_id,),
        )
        mirrored = {
            row[0]: row[1]
            for row in await tx.fetchall(
                "SELECT m.home_recommendation_id, m.recommendation_id FROM recommendation_mirrors m"
                " JOIN recommendations r ON r.id = m.recommendation_id WHERE r.guild_id = ?",
                (guild_id,),
            )
        }
        own = {
            row[0]: (row[1], row[2])
            for row in await tx.fetchall(
                "SELECT number, id, current_version FROM recommendations WHERE guild_id = ?", (guild_id,)
            )
        }
        # The server's own drafts that no home draft takes over and that were never posted give way.
        taken = set(mirrored.values())
        home_numbers = {row[1] for row in home_drafts}
        await tx.executemany(
            "DELETE FROM recommendations WHERE id = ?"
            " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.recommendation_id = recommendations.id)",
            [
                (rec_id,)
                for number, (rec_id, _) in own.items()
                if number not in home_numbers and rec_id not in taken
            ],
        )
        for home_id, number, version, created_at in home_drafts:
            copy_id, created = mirrored.get(home_id), False
            if copy_id is None and number in own and own[number][0] not in taken:
                copy_id = own[number][0]  # a server's unposted draft with the home number becomes the copy
                await tx.execute(
                    "INSERT INTO recommendation_mirrors (recommendation_id, home_recommendation_id)"
                    " VALUES (?, ?)",
                    (copy_id, home_id),
                )
            if copy_id is None:
                copy_id = await tx.execute(
                    "INSERT INTO recommendations (guild_id, number, current_version, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (guild_id, number, version, created_at),
                )
                await tx.execute(
                    "INSERT INTO recommendation_mirrors (recommendation_id, home_recommendation_id)"
                    " VALUES (?, ?)",
                    (copy_id, home_id),
                )
                result.created += 1
                created = True
            if await self._copy_versions(tx, home_id, copy_id) and not created:
                result.revised.add(copy_id)
            result.copies[home_id] = copy_id

    @staticmethod
    async def _copy_versions(tx: Transaction, home_id: int, copy_id: int) -> bool:
        """The copy's versions and translations made equal to the home draft's; whether its current
        version's text changed."""
        before = await tx.fetchone(
            "SELECT v.title, v.body, r.current_version FROM recommendations r"
            " LEFT JOIN recommendation_versions v"
            "   ON v.recommendation_id = r.id AND v.version = r.current_version"
            " WHERE r.id = ?",
            (copy_id,),
        )
        await tx.execute(
            "DELETE FROM recommendation_versions WHERE recommendation_id = ? AND version NOT IN"
            " (SELECT version FROM recommendation_versions WHERE recommendation_id = ?)",
            (copy_id, home_id),
        )
        await tx.execute(
            "INSERT INTO recommendation_versions"
            " (recommendation_id, version, title, body, author_id, created_at)"
            " SELECT ?, version, title, body, author_id, created_at FROM recommendation_versions"
            " WHERE recommendation_id = ?"
            " ON CONFLICT (recommendation_id, version) DO UPDATE SET title = excluded.title,"
            " body = excluded.body, author_id = excluded.author_id, created_at = excluded.created_at",
            (copy_id, home_id),
        )
        await tx.execute(
            "UPDATE recommendations SET current_version ="
            " (SELECT current_version FROM recommendations WHERE id = ?) WHERE id = ?",
            (home_id, copy_id),
        )
        await tx.execute(
            "INSERT INTO recommendation_translations"
            " (recommendation_id, language, version, title, body, translator_id, created_at)"
            " SELECT ?, language, version, title, body, translator_id, created_at"
            " FROM recommendation_translations WHERE recommendation_id = ?"
            " ON CONFLICT (recommendation_id, language, version) DO UPDATE SET title = excluded.title,"
            " body = excluded.body, translator_id = excluded.translator_id, created_at = excluded.created_at",
            (copy_id, home_id),
        )
        after = await tx.fetchone(
            "SELECT v.title, v.body, r.current_version FROM recommendations r"
            " JOIN recommendation_versions v ON v.recommendation_id = r.id AND v.version = r.current_version"
            " WHERE r.id = ?",
            (copy_id,),
        )
        return before is None or after is None or tuple(before) != tuple(after)

    async def copy_draft(self, home_recommendation_id: int, copy_id: int) -> bool:
        """One copy brought up to its home draft (a new version, a translation); whether its current
        version's text changed."""
        async with self.db.transaction() as tx:
            return await self._copy_versions(tx, home_recommendation_id, copy_id)

    async def copies(self, home_recommendation_id: int, guild_ids: Sequence[int]) -> list[tuple[int, int]]:
        """``(guild_id, copy_id)`` of a home draft's copies on ``guild_ids`` (the active linked servers)."""
        if not guild_ids:
            return []
        rows = await self.db.fetchall(
            "SELECT r.guild_id, m.recommendation_id FROM recommendation_mirrors m"
            " JOIN recommendations r ON r.id = m.recommendation_id"
            f" WHERE m.home_recommendation_id = ? AND r.guild_id IN ({_marks(guild_ids)})"
            " ORDER BY r.guild_id",
            (home_recommendation_id, *guild_ids),
        )
        return [(row[0], row[1]) for row in rows]

    async def is_copy(self, recommendation_id: int) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM recommendation_mirrors WHERE recommendation_id = ?",
                (recommendation_id,),
            )
        )

    # -- the phase --------------------------------------------------------------------------------

    async def follow_phase(
        self,
        guild_id: int,
        expected: tuple[str, datetime | None],
        home: tuple[str, datetime | None],
        now: datetime,
    ) -> bool:
        """Give a linked server its ``home``'s (phase, scheduled close), only while its own are still
        ``expected``: two followers racing change it once."""
        async with self.db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE guild_settings SET phase = ?, closes_at = ?,"
                " phase_changed_at = CASE WHEN phase <> ? THEN ? ELSE phase_changed_at END, updated_at = ?"
                # Null-safe equality, portable (times are timestamptz on PostgreSQL: no '' stands in).
                " WHERE guild_id = ? AND phase = ? AND (closes_at = ? OR (closes_at IS NULL AND ? IS NULL))",
                (
                    home[0], to_db(home[1]) if home[1] else None, home[0], to_db(now), to_db(now),
                    guild_id, expected[0], *2 * [to_db(expected[1]) if expected[1] else None],
                ),
            )  # fmt: skip
        return changed == 1

    async def joined(self) -> list[int]:
        """Every server taking part in another server's consultation."""
        rows = await self.db.fetchall("SELECT guild_id FROM linked_servers WHERE status = 'active'")
        return [row[0] for row in rows]

    async def lagging(self) -> list[int]:
        """Active linked servers whose phase or scheduled close differs from their home's."""
        rows = await self.db.fetchall(
            "SELECT l.guild_id FROM linked_servers l"
            " JOIN guild_settings g ON g.guild_id = l.guild_id"
            " JOIN guild_settings h ON h.guild_id = l.home_guild_id"
            " WHERE l.status = 'active'"
            " AND (g.phase <> h.phase OR g.closes_at <> h.closes_at"
            " OR (g.closes_at IS NULL) <> (h.closes_at IS NULL))"
            " ORDER BY l.guild_id"
        )
        return [row[0] for row in rows]

    # -- the tally across servers -----------------------------------------------------------------

    async def _live_posts(
        self, guild_ids: Sequence[int], home_recommendation_id: int | None
    ) -> list[tuple[int, int, int]]:
        """``(guild_id, message_id, home draft id)`` of the live posts on ``guild_ids``."""
        rows = await self.db.fetchall(
            "SELECT p.guild_id, p.message_id, COALESCE(m.home_recommendation_id, p.recommendation_id)"
            " FROM posts p LEFT JOIN recommendation_mirrors m ON m.recommendation_id = p.recommendation_id"
            f" WHERE p.status = 'live' AND p.guild_id IN ({_marks(guild_ids)})"
            " AND (? IS NULL OR COALESCE(m.home_recommendation_id, p.recommendation_id) = ?)"
            " ORDER BY p.guild_id, p.message_id",
            (*guild_ids, home_recommendation_id, home_recommendation_id),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def tallies(
        self, home_guild_id: int, guild_ids: Sequence[int], recommendation_id: int | None = None
    ) -> tuple[list[AreaTally], list[StanceTally]]:
        """The home cross-tab over every server in ``guild_ids`` (the home and its active linked
        servers): each copy's post counts for its home draft, and a member who reacted on several
        servers counts once per cell (their reactions are merged before they are counted)."""
        posts = await self._live_posts(guild_ids, recommendation_id)
        by_draft: dict[int, list[int]] = {}
        for _, message_id, home_id in posts:
            by_draft.setdefault(home_id, []).append(message_id)
        return await cross_tab(self.db, home_guild_id, recommendation_id, by_draft)

    async def shares(
        self, guild_ids: Sequence[int], recommendation_id: int | None = None
    ) -> dict[int, ServerShare]:
        """Each server's own share: people who reacted on its posts (of one home draft, or all), and
        people per emoji; servers with no reaction yet are there with zeros."""
        if not guild_ids:
            return {}
        where = (
            "FROM reactions x JOIN posts p ON p.message_id = x.message_id"
            " LEFT JOIN recommendation_mirrors m ON m.recommendation_id = p.recommendation_id"
            f" WHERE p.status = 'live' AND p.guild_id IN ({_marks(guild_ids)})"
            " AND (? IS NULL OR COALESCE(m.home_recommendation_id, p.recommendation_id) = ?)"
        )
        params = (*guild_ids, recommendation_id, recommendation_id)
        reactors = {
            row[0]: row[1]
            for row in await self.db.fetchall(
                f"SELECT p.guild_id, COUNT(DISTINCT x.user_id) {where} GROUP BY p.guild_id", params
            )
        }
        by_emoji: dict[int, dict[str, int]] = {}
        for guild_id, emoji, count in await self.db.fetchall(
            f"SELECT p.guild_id, x.emoji, COUNT(DISTINCT x.user_id) {where} GROUP BY p.guild_id, x.emoji",
            params,
        ):
            by_emoji.setdefault(guild_id, {})[emoji] = count
        return {
            guild_id: ServerShare(guild_id, reactors.get(guild_id, 0), by_emoji.get(guild_id, {}))
            for guild_id in guild_ids
        }
