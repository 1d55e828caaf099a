"""The SQL of themes: feedback embeddings, themes, their items, what versions addressed, notices.

Working-group rows (``ThemeItem``) never carry an author id: the authors of themed items are read only
by ``authors_of`` (for the notices, which respect anonymity themselves).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.clock import from_db, to_db
from bot.data.database import Database
from bot.data.digest import Reads
from bot.data.themes._rows import (
    Addressed,
    AuthorItem,
    EmbeddingWork,
    Notice,
    StoredVector,
    Theme,
    ThemeItem,
    _notice,
    _theme,
)
from bot.sharding import ALL_SHARDS, ShardScope

VISIBLE = "f.status = 'active' AND f.hidden = 0"


class ThemesRepository:
    def __init__(self, db: Database | Reads) -> None:
        # The digest hands a reader (its snapshot, off the write connection): only reads are used then.
        self.db = db

    # -- embeddings -------------------------------------------------------------------------

    async def embedding_work(
        self, model: str, limit: int, scope: ShardScope = ALL_SHARDS
    ) -> list[EmbeddingWork]:
        """Visible items (of guilds of ``scope``) never embedded, embedded by another model, or changed
        since last checked."""
        shards, params = scope.where("f.guild_id")
        rows = await self.db.fetchall(
            "SELECT f.id, f.guild_id, f.recommendation_id, f.body, f.updated_at, e.text_hash, e.model"
            " FROM feedback f"
            " LEFT JOIN feedback_embeddings e ON e.feedback_id = f.id"
            f" WHERE {VISIBLE} AND (e.feedback_id IS NULL OR e.model <> ? OR e.seen_updated <> f.updated_at)"
            + shards
            + " ORDER BY f.id LIMIT ?",
            (model, *params, limit),
        )
        return [
            EmbeddingWork(
                r["id"],
                r["guild_id"],
                r["recommendation_id"],
                r["body"],
                r["updated_at"],
                r["text_hash"] if r["model"] == model else None,
            )
            for r in rows
        ]

    async def save_embeddings(self, model: str, rows: Sequence[StoredVector], now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO feedback_embeddings (feedback_id, guild_id, model, text_hash, seen_updated,"
                " language, scale, vector, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (feedback_id) DO UPDATE SET model = excluded.model,"
                " text_hash = excluded.text_hash, seen_updated = excluded.seen_updated,"
                " language = excluded.language, scale = excluded.scale, vector = excluded.vector,"
                " computed_at = excluded.computed_at",
                [
                    (r.feedback_id, r.guild_id, model, r.text_hash, r.seen_updated, r.language, r.scale,
                     r.vector, to_db(now))
                    for r in rows
                ],
            )  # fmt: skip

    async def mark_seen(self, seen: Iterable[tuple[int, str]]) -> None:
        """The text did not change (only the status or a timestamp did): no new vector."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE feedback_embeddings SET seen_updated = ? WHERE feedback_id = ?",
                [(updated, feedback_id) for feedback_id, updated in seen],
            )

    async def drop_invisible(self) -> int:
        """Vectors of deleted, withdrawn or hidden items go (forgotten ones went with their rows)."""
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM feedback_embeddings WHERE feedback_id IN"
                " (SELECT id FROM feedback f WHERE NOT (" + VISIBLE + "))"
            )

    async def embedding_count(self, guild_id: int) -> int:
        return int(
            await self.db.fetchval("SELECT COUNT(*) FROM feedback_embeddings WHERE guild_id = ?", (guild_id,))
        )

    async def has_embedding(self, feedback_id: int) -> bool:
        found = await self.db.fetchval(
            "SELECT 1 FROM feedback_embeddings WHERE feedback_id = ?", (feedback_id,)
        )
        return found is not None

    # -- themed items -----------------------------------------------------------------------

    async def items(self, guild_id: int, recommendation_id: int | None = None) -> list[ThemeItem]:
        """Every visible embedded item (of one draft, or all), with its theme if it has one."""
        where, params = "f.guild_id = ? AND " + VISIBLE, [guild_id]
        if recommendation_id is not None:
            where += " AND f.recommendation_id = ?"
            params.append(recommendation_id)
        rows = await self.db.fetchall(
            "SELECT f.id, f.recommendation_id, r.number, a.number AS area_number, a.short_name AS area_name,"
            " e.language, f.anonymous, f.body, f.created_at, e.scale, e.vector, i.theme_id,"
            " i.status AS item_status, i.similarity,"
            " EXISTS (SELECT 1 FROM feedback_responses p WHERE p.feedback_id = f.id) AS answered"
            " FROM feedback f JOIN feedback_embeddings e ON e.feedback_id = f.id"
            " JOIN recommendations r ON r.id = f.recommendation_id"
            " LEFT JOIN scoping_areas a ON a.id = f.scoping_area_id"
            " LEFT JOIN theme_items i ON i.feedback_id = f.id"
            f" WHERE {where} ORDER BY f.id",
            params,
        )
        return [
            ThemeItem(
                r["id"], r["recommendation_id"], r["number"], r["area_number"], r["area_name"], r["language"],
                bool(r["anonymous"]), r["body"], from_db(r["created_at"]), bool(r["answered"]), r["scale"],
                r["vector"], r["theme_id"], r["item_status"], r["similarity"],
            )
            for r in rows
        ]  # fmt: skip

    async def item_guild(self, feedback_id: int) -> tuple[int, int] | None:
        """(guild, draft) of a visible item."""
        row = await self.db.fetchone(
            f"SELECT f.guild_id, f.recommendation_id FROM feedback f WHERE f.id = ? AND {VISIBLE}",
            (feedback_id,),
        )
        return (row["guild_id"], row["recommendation_id"]) if row else None

    async def place(
        self, guild_id: int, rows: Iterable[tuple[int, int | None, str, float | None]], now: datetime
    ) -> None:
        """(feedback id, theme id, status, similarity) for each item: its new place."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO theme_items (feedback_id, guild_id, theme_id, status, similarity, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (feedback_id) DO UPDATE SET"
                " theme_id = excluded.theme_id, status = excluded.status,"
                " similarity = excluded.similarity, updated_at = excluded.updated_at",
                [(fid, guild_id, tid, status, sim, to_db(now)) for fid, tid, status, sim in rows],
            )

    async def place_if_open(
        self, guild_id: int, feedback_id: int, theme_id: int, similarity: float, now: datetime
    ) -> bool:
        """A nearest-theme suggestion for an item that has no place yet (never overrides a choice)."""
        async with self.db.transaction() as tx:
            return bool(
                await tx.execute_rowcount(
                    "INSERT INTO theme_items (feedback_id, guild_id, theme_id, status, similarity,"
                    " updated_at) VALUES (?, ?, ?, 'suggested', ?, ?) ON CONFLICT (feedback_id) DO NOTHING",
                    (feedback_id, guild_id, theme_id, similarity, to_db(now)),
                )
            )

    async def confirm(self, theme_id: int, now: datetime) -> int:
        async with self.db.transaction() as tx:
            return await tx.execute_rowcount(
                "UPDATE theme_items SET status = 'accepted', updated_at = ?"
                " WHERE theme_id = ? AND status = 'suggested'",
                (to_db(now), theme_id),
            )

    # -- themes -----------------------------------------------------------------------------

    async def replace_suggestions(
        self,
        guild_id: int,
        recommendation_id: int | None,
        groups: Sequence[Sequence[tuple[int, float]]],
        now: datetime,
    ) -> list[int]:
        """Drop the previous suggestions and store these (each a list of (feedback id, similarity))."""
        ids = []
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM themes WHERE guild_id = ? AND status = 'suggested'", (guild_id,))
            for group in groups:
                theme_id = await tx.execute(
                    "INSERT INTO themes (guild_id, recommendation_id, name, status, created_at, updated_at)"
                    " VALUES (?, ?, NULL, 'suggested', ?, ?)",
                    (guild_id, recommendation_id, to_db(now), to_db(now)),
                )
                ids.append(theme_id)
                await tx.executemany(
                    "INSERT INTO theme_items (feedback_id, guild_id, theme_id, status, similarity,"
                    " updated_at) VALUES (?, ?, ?, 'suggested', ?, ?)",
                    [(fid, guild_id, theme_id, sim, to_db(now)) for fid, sim in group],
                )
        return ids

    async def create(
        self, guild_id: int, recommendation_id: int | None, name: str, actor_id: int, now: datetime
    ) -> int:
        return await self.db.execute(
            "INSERT INTO themes (guild_id, recommendation_id, name, status, created_by, created_at,"
            " updated_at) VALUES (?, ?, ?, 'accepted', ?, ?, ?)",
            (guild_id, recommendation_id, name, actor_id, to_db(now), to_db(now)),
        )

    async def get(self, guild_id: int, theme_id: int) -> Theme | None:
        row = await self.db.fetchone(
            "SELECT * FROM themes WHERE id = ? AND guild_id = ?", (theme_id, guild_id)
        )
        return _theme(row) if row else None

    async def themes(self, guild_id: int, status: str) -> list[Theme]:
        rows = await self.db.fetchall(
            "SELECT * FROM themes WHERE guild_id = ? AND status = ? ORDER BY id", (guild_id, status)
        )
        return [_theme(r) for r in rows]

    async def accept(self, theme_id: int, name: str, actor_id: int, now: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE themes SET status = 'accepted', name = ?, created_by = ?, updated_at = ?"
                " WHERE id = ?",
                (name, actor_id, to_db(now), theme_id),
            )
            await tx.execute(
                "UPDATE theme_items SET status = 'accepted', updated_at = ? WHERE theme_id = ?",
                (to_db(now), theme_id),
            )

    async def rename(self, theme_id: int, name: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE themes SET name = ?, updated_at = ? WHERE id = ?", (name, to_db(now), theme_id)
        )

    async def merge(self, source_id: int, target_id: int, now: datetime) -> int:
        async with self.db.transaction() as tx:
            moved = await tx.execute_rowcount(
                "UPDATE theme_items SET theme_id = ?, updated_at = ? WHERE theme_id = ?",
                (target_id, to_db(now), source_id),
            )
            await tx.execute(
                "UPDATE themes SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?",
                (target_id, to_db(now), source_id),
            )
            return moved

    # -- you said, we changed ---------------------------------------------------------------

    async def addressed(self, guild_id: int) -> list[Addressed]:
        rows = await self.db.fetchall(
            "SELECT d.theme_id, r.number, d.version, d.note FROM theme_addressed d"
            " JOIN recommendations r ON r.id = d.recommendation_id WHERE d.guild_id = ? ORDER BY d.id",
            (guild_id,),
        )
        return [Addressed(r["theme_id"], r["number"], r["version"], r["note"]) for r in rows]

    async def authors_of(self, theme_ids: Sequence[int]) -> list[AuthorItem]:
        """For the notices only: who wrote each visible item confirmed or suggested in these themes."""
        marks = ", ".join("?" for _ in theme_ids)
        rows = await self.db.fetchall(
            "SELECT f.author_id, f.anonymous, f.language, i.theme_id FROM theme_items i"
            " JOIN feedback f ON f.id = i.feedback_id"
            f" WHERE i.theme_id IN ({marks}) AND i.status IN ('accepted', 'suggested') AND {VISIBLE}"
            " AND f.author_id > 0 ORDER BY f.id",
            list(theme_ids),
        )
        return [AuthorItem(r["author_id"], bool(r["anonymous"]), r["language"], r["theme_id"]) for r in rows]

    async def record_addressed(
        self,
        guild_id: int,
        recommendation_id: int,
        version: int,
        theme_ids: Sequence[int],
        note: str,
        actor_id: int,
        notices: Sequence[tuple[int, bool, str | None, str]],
        now: datetime,
    ) -> list[int]:
        """The themes a version addresses and one notice per author (author, private, locale, theme ids);
        returns the new notices' ids (none twice for an author and a version)."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO theme_addressed (guild_id, theme_id, recommendation_id, version, note, actor_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (theme_id, recommendation_id, version)"
                " DO UPDATE SET note = excluded.note",
                [
                    (guild_id, tid, recommendation_id, version, note, actor_id, to_db(now))
                    for tid in theme_ids
                ],
            )
            ids = []
            for author_id, private, locale, themes in notices:
                row = await tx.fetchone(
                    "INSERT INTO theme_notices (guild_id, recommendation_id, version, author_id, private,"
                    " locale, theme_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (guild_id, recommendation_id, version, author_id) DO NOTHING RETURNING id",
                    (
                        guild_id,
                        recommendation_id,
                        version,
                        author_id,
                        int(private),
                        locale,
                        themes,
                        to_db(now),
                    ),
                )
                if row is not None:
                    ids.append(row["id"])
            return ids

    async def notices(self, ids: Sequence[int]) -> list[Notice]:
        marks = ", ".join("?" for _ in ids)
        rows = await self.db.fetchall(
            "SELECT n.*, r.number FROM theme_notices n JOIN recommendations r ON r.id = n.recommendation_id"
            f" WHERE n.id IN ({marks}) AND n.delivered_at IS NULL ORDER BY n.id",
            list(ids),
        )
        return [_notice(r) for r in rows]

    async def pending_for(self, guild_id: int, author_id: int) -> list[Notice]:
        rows = await self.db.fetchall(
            "SELECT n.*, r.number FROM theme_notices n JOIN recommendations r ON r.id = n.recommendation_id"
            " WHERE n.guild_id = ? AND n.author_id = ? AND n.delivered_at IS NULL ORDER BY n.id",
            (guild_id, author_id),
        )
        return [_notice(r) for r in rows]

    async def delivered(self, notice_ids: Sequence[int], via: str, now: datetime) -> int:
        """Claim the notices as delivered; only those not delivered yet count (once each)."""
        async with self.db.transaction() as tx:
            count = 0
            for notice_id in notice_ids:
                count += await tx.execute_rowcount(
                    "UPDATE theme_notices SET delivered_at = ?, delivered_via = ?"
                    " WHERE id = ? AND delivered_at IS NULL",
                    (to_db(now), via, notice_id),
                )
            return count

    async def drop_notices(self, notice_ids: Sequence[int]) -> None:
        async with self.db.transaction() as tx:
            await tx.executemany("DELETE FROM theme_notices WHERE id = ?", [(i,) for i in notice_ids])

    # -- digest -----------------------------------------------------------------------------

    async def stances_of_authors(self, guild_id: int) -> dict[int, dict[str, int]]:
        """Per feedback item of a named author: the stances that author reacted with on the item's draft."""
        rows = await self.db.fetchall(
            "SELECT f.id, s.key, COUNT(*) AS n FROM feedback f"
            # Only items that can be in a theme (embedded): a digest over 100k items without vectors
            # spent 6 s here joining every author's reactions.
            " JOIN feedback_embeddings e ON e.feedback_id = f.id"
            " JOIN posts p ON p.recommendation_id = f.recommendation_id"
            " JOIN reactions x ON x.message_id = p.message_id AND x.user_id = f.author_id"
            " JOIN stances s ON s.guild_id = f.guild_id AND s.emoji = x.emoji"
            f" WHERE f.guild_id = ? AND f.anonymous = 0 AND {VISIBLE} GROUP BY f.id, s.key",
            (guild_id,),
        )
        found: dict[int, dict[str, int]] = {}
        for r in rows:
            found.setdefault(r["id"], {})[r["key"]] = r["n"]
        return found
