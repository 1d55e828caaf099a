"""The aggregate SQL behind digests: the reaction cross-tab, feedback figures and listings, the digest log.

The content is read through a ``Reads`` (``Database.reader()``: a read-only connection of its own in
one snapshot), so a digest never holds the connection the reaction writer and sign-ups use. The
cross-tab is read from the counts the reaction writer keeps (``bot.data.reaction_pairs``, migration
0015); tests hold it equal to ``ReactionRepository.area_tally`` / ``stance_tally``, which count from the
rows. The listing comes back as finished CSV lines (``bot.data.digest_listing``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from bot.clock import from_db, to_db
from bot.data import reaction_pairs
from bot.data.database import Database
from bot.data.digest_listing import (
    FEEDBACK_ANSWERED_SQL,
    FEEDBACK_COUNTS_SQL,
    LATEST_SQL,
    LINE_END,
    formula_params,
    listing_sql,
)
from bot.data.digest_log import DigestLog, DigestRecord, WeeklyTarget
from bot.data.reactions import AreaTally, StanceTally

__all__ = ["DigestLog", "DigestRecord", "DigestRepository", "WeeklyTarget"]

STANCE_KEYS = ("support", "oppose", "needs_work")


class Reads(Protocol):
    """Read statements: a ``Database`` or one of its ``reader()``s."""

    async def fetchall(self, sql: str, params: Any = ()) -> Sequence[Any]: ...

    async def fetchone(self, sql: str, params: Any = ()) -> Any: ...

    async def fetchval(self, sql: str, params: Any = ()) -> Any: ...

    def time_text(self, expr: str) -> str: ...


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


class DigestRepository(DigestLog):
    """Read-only aggregates for a digest, plus the ``digests`` log that makes "since the last" work."""

    def __init__(self, db: Database, reads: Reads | None = None) -> None:
        self.db = db
        self.reads: Reads = reads if reads is not None else db

    @property
    def _dialect(self) -> tuple[str, str]:
        """The listing's two dialect pieces: its lines joined in order as bytes, a time as its stored text."""
        joined = self.db.joined_text("listed.line", "listed.created_at, listed.id")
        return self.db.as_bytes(joined), self.db.time_text("{}")

    def reading(self, reads: Reads) -> DigestRepository:
        """The same repository reading its content through ``reads`` (a ``Database.reader()``)."""
        return DigestRepository(self.db, reads)

    # -- content ----------------------------------------------------------------------------

    async def title(self, guild_id: int) -> str | None:
        return await self.reads.fetchval(
            "SELECT consultation_title FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )

    async def recommendations(self, guild_id: int) -> list[DigestRecommendation]:
        rows = await self.reads.fetchall(
            "SELECT r.id, r.number, r.current_version AS version, v.title FROM recommendations r"
            " JOIN recommendation_versions v ON v.recommendation_id = r.id AND v.version = r.current_version"
            " WHERE r.guild_id = ? ORDER BY r.number",
            (guild_id,),
        )
        return [DigestRecommendation(**dict(row)) for row in rows]

    async def version_history(self, guild_id: int) -> list[VersionEntry]:
        rows = await self.reads.fetchall(
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
        rows = await self.reads.fetchall(
            "SELECT id, number, name, short_name, emoji FROM scoping_areas"
            " WHERE guild_id = ? ORDER BY number",
            (guild_id,),
        )
        return [AreaInfo(**dict(row)) for row in rows]

    # -- the reaction cross-tab -------------------------------------------------------------

    async def tallies(
        self, guild_id: int, recommendation_id: int | None = None
    ) -> tuple[list[AreaTally], list[StanceTally]]:
        """Per recommendation x area and per recommendation: the tally's cross-tab, from kept counts."""
        areas = await self.reads.fetchall(
            "SELECT number, emoji FROM scoping_areas WHERE guild_id = ? ORDER BY number", (guild_id,)
        )
        stances = await self.reads.fetchall("SELECT key, emoji FROM stances WHERE guild_id = ?", (guild_id,))
        recommendations = await self.reads.fetchall(
            "SELECT id, number FROM recommendations WHERE guild_id = ? AND (? IS NULL OR id = ?)"
            " ORDER BY number",
            (guild_id, recommendation_id, recommendation_id),
        )
        areas, stances = [(row[0], row[1]) for row in areas], {row[0]: row[1] for row in stances}
        cells, overall = await reaction_pairs.cross_tab(
            self.reads, guild_id, recommendation_id, areas, stances, [row[0] for row in recommendations]
        )
        area_rows = [
            AreaTally(rec_id, number, area, *cells[rec_id, area])
            for rec_id, number in recommendations
            for area, _ in areas
        ]
        stance_rows = [StanceTally(rec_id, number, *overall[rec_id]) for rec_id, number in recommendations]
        return area_rows, stance_rows

    async def area_members(
        self, guild_id: int, recommendation_id: int | None = None
    ) -> dict[tuple[int, int], int]:
        """Members who tagged each area on each recommendation's live post: {(rec id, area number): n}."""
        areas, _ = await self.tallies(guild_id, recommendation_id)
        return {(row.recommendation_id, row.area_number): row.members for row in areas if row.members}

    # -- feedback ---------------------------------------------------------------------------

    async def feedback_figures(
        self, guild_id: int, since: datetime | None, beside: DigestRepository | None = None
    ) -> list[FeedbackFigure]:
        """Active, visible feedback counted per recommendation, area and language, and how much is answered
        (two aggregates, ``bot.data.digest_listing``). With ``beside`` (a repository on another reader)
        the two run at once, one on each connection (bench.digest: 150 and 300 ms one after the other)."""
        params = {"guild": guild_id, "since": to_db(since) if since else ""}
        other = beside.reads if beside is not None else self.reads
        counted, answered = await asyncio.gather(
            self.reads.fetchall(FEEDBACK_COUNTS_SQL, params), other.fetchall(FEEDBACK_ANSWERED_SQL, params)
        )
        numbers = {area.id: area.number for area in await self.areas(guild_id)}
        done = {tuple(row[:3]): (row[3], row[4]) for row in answered}
        return [
            FeedbackFigure(row[0], numbers.get(row[1]), *row[2:5], *done.get(tuple(row[:3]), (0, 0)))
            for row in counted
        ]

    async def feedback_text(
        self,
        sources: Sequence[tuple[int, int, str]],
        rec_cells: str,
        since: datetime | None,
        formula_starts: Sequence[str],
    ) -> tuple[bytes, int]:
        """feedback.csv's lines (UTF-8) of one draft's active, visible feedback in the period, oldest
        first, as one text, and how many items they are (``bot.data.digest_listing``).

        ``sources``: (guild id, recommendation id, what follows the last cell) per server's copy, e.g.
        ``(guild, rec, LINE_END)``; ``rec_cells``: the draft's two cells, number and title, as the csv
        module writes them.
        """
        params: dict[str, Any] = {
            **formula_params(formula_starts), "rec_cells": rec_cells, "since": to_db(since) if since else "",
        }  # fmt: skip
        for k, (guild_id, rec_id, end) in enumerate(sources):
            params.update({f"guild{k}": guild_id, f"rec{k}": rec_id, f"end{k}": end})
        sql = listing_sql(len(formula_starts), len(sources), *self._dialect)
        row = await self.reads.fetchone(sql, params)
        return (bytes(row[0]) if row[0] is not None else b""), row[1]

    async def latest_feedback(
        self, guild_id: int, recommendation_ids: list[int], since: datetime | None, keep: int
    ) -> list[FeedbackItem]:
        """The ``keep`` latest items of the period per recommendation and scoping area, oldest first."""
        items = []
        for rec_id in recommendation_ids:
            rows = await self.reads.fetchall(
                LATEST_SQL,
                {"guild": guild_id, "rec": rec_id, "since": to_db(since) if since else "", "keep": keep},
            )
            items.extend(FeedbackItem._make(row) for row in rows)
        return items

    async def query_plans(self, guild_id: int) -> dict[str, str]:
        """SQLite's plan for each heavy statement (the benchmark prints them; tests hold them to indexes)."""
        starts = ("=",)
        listing = {**formula_params(starts), "guild0": guild_id, "rec0": 0, "end0": LINE_END, "rec_cells": ""}
        statements: dict[str, tuple[str, Any]] = {
            "cross_tab": (reaction_pairs.CROSS_TAB_SQL, (guild_id, None, None)),
            "feedback_counts": (FEEDBACK_COUNTS_SQL, {"guild": guild_id, "since": ""}),
            "feedback_answered": (FEEDBACK_ANSWERED_SQL, {"guild": guild_id, "since": ""}),
            "feedback_listing": (listing_sql(1, 1, *self._dialect), {**listing, "since": ""}),
            "feedback_latest": (LATEST_SQL, {"guild": guild_id, "rec": 0, "since": "", "keep": 1}),
        }
        plans = {}
        for name, (sql, params) in statements.items():
            rows = await self.reads.fetchall(self.db.explain(sql), params)
            plans[name] = "; ".join(row["detail"] for row in rows)
        return plans

    # -- office hours -----------------------------------------------------------------------

    async def signups(self, guild_id: int, since: datetime | None) -> list[SignupRow]:
        """Sign-ups for the sessions starting in the period or later."""
        rows = await self.reads.fetchall(
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
        rows = await self.reads.fetchall(
            "SELECT user_id, display_name FROM member_names WHERE guild_id = ?", (guild_id,)
        )
        return {row[0]: row[1] for row in rows}
