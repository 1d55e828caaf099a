"""The aggregate SQL behind digests: the reaction cross-tab, feedback figures and listings, the digest log.

The cross-tab has the meaning of ``ReactionRepository.area_tally`` / ``stance_tally`` (tests hold the two
equal) but is computed in one pass over the ``reactions_by_member`` index (migration 0005): each
member's reactions on a live post become one bit mask (one bit per scoping area, three for the
stances), SQLite counts members per (post, mask), and only those few thousand groups are expanded
into cells. Over 1M reactions that is one index scan instead of a join per stance.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from bot.clock import from_db, to_db
from bot.data.database import Database
from bot.data.reactions import CROSS_TAB_SQL, AreaTally, ReactionRepository, StanceTally

STANCE_KEYS = ("support", "oppose", "needs_work")
FEEDBACK_COUNTS_SQL = """
    SELECT f.recommendation_id, f.scoping_area_id, f.language,
           SUM(CASE WHEN f.created_at > :since THEN 1 ELSE 0 END), COUNT(*)
    FROM feedback f
    WHERE f.guild_id = :guild AND f.status = 'active' AND f.hidden = 0
    GROUP BY f.recommendation_id, f.scoping_area_id, f.language
"""
FEEDBACK_ANSWERED_SQL = """
    SELECT f.recommendation_id, f.scoping_area_id, f.language,
           SUM(CASE WHEN f.created_at > :since THEN 1 ELSE 0 END), COUNT(*)
    FROM (SELECT DISTINCT feedback_id FROM feedback_responses) r
    JOIN feedback f ON f.id = r.feedback_id
    WHERE f.guild_id = :guild AND f.status = 'active' AND f.hidden = 0
    GROUP BY f.recommendation_id, f.scoping_area_id, f.language
"""
# A page of the listing: the first page starts after a moment, the next ones after (created_at, id).
FEEDBACK_PAGE_SQL = """
    SELECT f.id, f.recommendation_id, f.version, f.scoping_area_id,
           CASE WHEN f.anonymous = 1 THEN NULL ELSE f.author_id END AS author_id,
           f.anonymous, f.source, f.language, f.body, f.created_at,
           (SELECT COUNT(*) FROM feedback_responses fr WHERE fr.feedback_id = f.id) AS responses
    FROM feedback f
    WHERE f.guild_id = ? AND f.recommendation_id = ? AND {after}
      AND f.status = 'active' AND f.hidden = 0
    ORDER BY f.created_at, f.id
    LIMIT ?
"""
FIRST_PAGE = "f.created_at > ?"
NEXT_PAGE = "(f.created_at, f.id) > (?, ?)"
PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class DigestRecommendation:
    id: int
    number: int
    version: int
    title: str


@dataclass(frozen=True, slots=True)
class VersionEntry:
    recommendation_id: int
    version: int
    title: str
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AreaInfo:
    id: int
    number: int
    name: str
    short_name: str
    emoji: str


@dataclass(frozen=True, slots=True)
class FeedbackFigure:
    """Active, visible feedback on one recommendation with one scoping area (or none) and language."""

    recommendation_id: int
    area_number: int | None
    language: str | None
    in_period: int
    total: int
    answered_in_period: int
    answered: int


class FeedbackItem(NamedTuple):
    """One feedback item of a listing (a named tuple: a period can hold 100k of them)."""

    id: int
    recommendation_id: int
    version: int
    area_id: int | None
    author_id: int | None  # None when the item is anonymous: the author never leaves the database
    anonymous: int
    source: str
    language: str | None
    body: str
    created_at: str
    responses: int


@dataclass(frozen=True, slots=True)
class SignupRow:
    session_id: int
    session_title: str
    starts_at: str
    session_status: str
    user_id: int
    status: str
    question: str | None
    signed_up_at: str
    display_name: str | None = None  # the name seen at sign-up


@dataclass(frozen=True, slots=True)
class DigestRecord:
    id: int
    guild_id: int
    kind: str
    period_key: str
    since: datetime | None
    created_at: datetime
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WeeklyTarget:
    guild_id: int
    consultation_title: str
    digest_channel_id: int
    digest_weekday: int
    digest_hour: int
    created_at: datetime


def _record(row: Any) -> DigestRecord:
    return DigestRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        period_key=row["period_key"],
        since=from_db(row["since"]) if row["since"] else None,
        created_at=from_db(row["created_at"]),
        figures=json.loads(row["figures"] or "{}"),
    )


class DigestRepository:
    """Read-only aggregates for a digest, plus the ``digests`` log that makes "since the last" work."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- content ----------------------------------------------------------------------------

    async def title(self, guild_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT consultation_title FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )

    async def recommendations(self, guild_id: int) -> list[DigestRecommendation]:
        rows = await self.db.fetchall(
            "SELECT r.id, r.number, r.current_version AS version, v.title FROM recommendations r"
            " JOIN recommendation_versions v ON v.recommendation_id = r.id AND v.version = r.current_version"
            " WHERE r.guild_id = ? ORDER BY r.number",
            (guild_id,),
        )
        return [DigestRecommendation(**dict(row)) for row in rows]

    async def version_history(self, guild_id: int) -> list[VersionEntry]:
        rows = await self.db.fetchall(
            "SELECT v.recommendation_id, v.version, v.title, v.author_id, v.created_at"
            " FROM recommendation_versions v JOIN recommendations r ON r.id = v.recommendation_id"
            " WHERE r.guild_id = ? ORDER BY r.number, v.version",
            (guild_id,),
        )
        return [
            VersionEntry(
                row["recommendation_id"], row["version"], row["title"], row["author_id"],
                from_db(row["created_at"]),
            )
            for row in rows
        ]  # fmt: skip

    async def areas(self, guild_id: int) -> list[AreaInfo]:
        rows = await self.db.fetchall(
            "SELECT id, number, name, short_name, emoji FROM scoping_areas"
            " WHERE guild_id = ? ORDER BY number",
            (guild_id,),
        )
        return [AreaInfo(**dict(row)) for row in rows]

    # -- the reaction cross-tab -------------------------------------------------------------

    async def tallies(
        self, guild_id: int, recommendation_id: int | None = None
    ) -> tuple[list[AreaTally], list[StanceTally]]:
        """Per recommendation x area and per recommendation: the tally's own cross-tab."""
        return await ReactionRepository(self.db).tallies(guild_id, recommendation_id)

    async def area_members(
        self, guild_id: int, recommendation_id: int | None = None
    ) -> dict[tuple[int, int], int]:
        """Members who tagged each area on each recommendation's live post: {(rec id, area number): n}.

        The ``members`` column of the cross-tab alone, counted from primary-key ranges (one row per
        member and emoji), so the heatmap can start before the full cross-tab is ready.
        """
        rows = await self.db.fetchall(
            "SELECT p.recommendation_id, a.number, COUNT(*) FROM posts p"
            " JOIN scoping_areas a ON a.guild_id = p.guild_id"
            " JOIN reactions x ON x.message_id = p.message_id AND x.emoji = a.emoji"
            " WHERE p.guild_id = ? AND p.status = 'live' AND (? IS NULL OR p.recommendation_id = ?)"
            " GROUP BY p.recommendation_id, a.number",
            (guild_id, recommendation_id, recommendation_id),
        )
        return {(row[0], row[1]): row[2] for row in rows}

    # -- feedback ---------------------------------------------------------------------------

    async def feedback_figures(self, guild_id: int, since: datetime | None) -> list[FeedbackFigure]:
        """Active, visible feedback counted per recommendation, area and language, and how much is answered.

        Two index-only aggregates (``feedback_digest_figures``, migration 0005): the counts, then the
        answered items reached from ``feedback_responses``, so no per-item lookup is needed for the rest.
        """
        params = {"guild": guild_id, "since": to_db(since) if since else ""}
        counted = await self.db.fetchall(FEEDBACK_COUNTS_SQL, params)
        answered = await self.db.fetchall(FEEDBACK_ANSWERED_SQL, params)
        numbers = {area.id: area.number for area in await self.areas(guild_id)}
        done = {(row[0], row[1], row[2]): (row[3], row[4]) for row in answered}
        return [
            FeedbackFigure(
                row[0],
                numbers.get(row[1]),
                row[2],
                row[3],
                row[4],
                *done.get((row[0], row[1], row[2]), (0, 0)),
            )
            for row in counted
        ]

    async def feedback_items(
        self,
        guild_id: int,
        recommendation_ids: list[int],
        since: datetime | None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[list[FeedbackItem]]:
        """Active, visible feedback of the period, a page at a time, per recommendation, oldest first.

        Keyset paging on (created_at, id) follows the ``feedback_by_recommendation`` index, so memory
        stays at one page whatever the period holds.
        """
        for rec_id in recommendation_ids:
            after = (to_db(since) if since else "", 0)
            first = True
            while True:
                rows = await self.db.fetchall(
                    FEEDBACK_PAGE_SQL.format(after=FIRST_PAGE if first else NEXT_PAGE),
                    (guild_id, rec_id, after[0], page_size)
                    if first
                    else (guild_id, rec_id, *after, page_size),
                )
                if not rows:
                    break
                yield [FeedbackItem._make(row) for row in rows]
                if len(rows) < page_size:
                    break
                after = (rows[-1]["created_at"], rows[-1]["id"])
                first = False

    async def query_plans(self, guild_id: int) -> dict[str, str]:
        """SQLite's plan for each heavy statement (the benchmark prints them; tests hold them to indexes)."""
        areas = await self.areas(guild_id)
        mask = (
            "SUM(CASE x.emoji "
            + " ".join(f"WHEN ? THEN {1 << i}" for i in range(len(areas)))
            + " ELSE 0 END)"
        )
        statements: dict[str, tuple[str, Any]] = {
            "cross_tab": (CROSS_TAB_SQL.format(mask=mask), (*(a.emoji for a in areas), 0)),
            "feedback_counts": (FEEDBACK_COUNTS_SQL, {"guild": guild_id, "since": ""}),
            "feedback_answered": (FEEDBACK_ANSWERED_SQL, {"guild": guild_id, "since": ""}),
            "feedback_first_page": (FEEDBACK_PAGE_SQL.format(after=FIRST_PAGE), (guild_id, 0, "", 1)),
            "feedback_next_page": (FEEDBACK_PAGE_SQL.format(after=NEXT_PAGE), (guild_id, 0, "", 0, 1)),
        }
        plans = {}
        for name, (sql, params) in statements.items():
            rows = await self.db.fetchall(self.db.explain(sql), params)
            plans[name] = "; ".join(row["detail"] for row in rows)
        return plans

    # -- office hours -----------------------------------------------------------------------

    async def signups(self, guild_id: int, since: datetime | None) -> list[SignupRow]:
        """Sign-ups for the sessions starting in the period or later."""
        rows = await self.db.fetchall(
            "SELECT o.id AS session_id, o.title AS session_title, o.starts_at, o.status AS session_status,"
            " s.user_id, s.status, s.question, s.signed_up_at, s.display_name"
            " FROM signups s JOIN office_hours o ON o.id = s.session_id"
            " WHERE o.guild_id = ? AND (? IS NULL OR o.starts_at >= ?)"
            " ORDER BY o.starts_at, o.id, s.signed_up_at, s.id",
            (guild_id, *(2 * [to_db(since) if since else None])),
        )
        return [SignupRow(**dict(row)) for row in rows]

    async def member_names(self, guild_id: int) -> dict[int, str]:
        """The display name last seen of each member (``member_names``, migration 0011)."""
        rows = await self.db.fetchall(
            "SELECT user_id, display_name FROM member_names WHERE guild_id = ?", (guild_id,)
        )
        return {row[0]: row[1] for row in rows}

    # -- the digest log ---------------------------------------------------------------------

    async def last_digest(self, guild_id: int) -> DigestRecord | None:
        row = await self.db.fetchone(
            "SELECT * FROM digests WHERE guild_id = ? ORDER BY created_at DESC, id DESC LIMIT 1", (guild_id,)
        )
        return _record(row) if row else None

    async def digests(self, guild_id: int, kind: str | None = None) -> list[DigestRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM digests WHERE guild_id = ? AND (? IS NULL OR kind = ?) ORDER BY created_at, id",
            (guild_id, kind, kind),
        )
        return [_record(row) for row in rows]

    async def is_claimed(self, guild_id: int, kind: str, period_key: str) -> bool:
        found = await self.db.fetchval(
            "SELECT 1 FROM digests WHERE guild_id = ? AND kind = ? AND period_key = ?",
            (guild_id, kind, period_key),
        )
        return found is not None

    async def claim(
        self,
        guild_id: int,
        kind: str,
        period_key: str,
        since: datetime | None,
        now: datetime,
        figures: dict[str, Any],
    ) -> bool:
        """Record a digest; False when this (guild, kind, period) was recorded already."""
        async with self.db.transaction() as tx:
            inserted = await tx.execute_rowcount(
                "INSERT INTO digests (guild_id, kind, period_key, since, created_at, figures)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, kind, period_key) DO NOTHING",
                (
                    guild_id, kind, period_key, to_db(since) if since else None, to_db(now),
                    json.dumps(figures, sort_keys=True),
                ),
            )  # fmt: skip
        return inserted > 0

    async def release(self, guild_id: int, kind: str, period_key: str) -> None:
        await self.db.execute(
            "DELETE FROM digests WHERE guild_id = ? AND kind = ? AND period_key = ?",
            (guild_id, kind, period_key),
        )

    async def weekly_targets(self) -> list[WeeklyTarget]:
        """Guilds with a digest channel: where and when their weekly digest goes."""
        rows = await self.db.fetchall(
            "SELECT guild_id, consultation_title, digest_channel_id, digest_weekday, digest_hour, created_at"
            " FROM guild_settings WHERE digest_channel_id IS NOT NULL ORDER BY guild_id"
        )
        return [
            WeeklyTarget(
                row["guild_id"], row["consultation_title"], row["digest_channel_id"], row["digest_weekday"],
                row["digest_hour"], from_db(row["created_at"]),
            )
            for row in rows
        ]  # fmt: skip

    async def guild_ids(self) -> list[int]:
        rows = await self.db.fetchall("SELECT guild_id FROM guild_settings ORDER BY guild_id")
        return [row[0] for row in rows]
