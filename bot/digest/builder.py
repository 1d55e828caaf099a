"""Build a digest: gather the figures once, then write the five files from them.

The heavy parts are aggregate SQL (``bot.data.digest``); the only per-item work is the period's
feedback listing, streamed a page at a time into feedback.csv while digest.md keeps the latest few
items per scoping area. The heatmap is drawn in a worker thread while the listing streams.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.data.database import Database
from bot.data.digest import (
    AreaInfo,
    DigestRecommendation,
    DigestRecord,
    DigestRepository,
    FeedbackItem,
)
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.csvfile import CsvFile, neutralise
from bot.digest.figures import (
    ALL,
    RecommendationSummary,
    changes_between,
    figures_of,
    last_covering,
    sections_of,
)
from bot.digest.heatmap import HeatmapPainter, HeatmapText
from bot.digest.markdown import MarkdownInput
from bot.digest.people import feedback_row, signup_row
from bot.digest.period import Since
from bot.digest.wikitext import render_both
from bot.errors import UserError
from bot.i18n import t

log = logging.getLogger(__name__)

FILE_NAMES = ("digest.md", "digest.wiki", "tallies.csv", "feedback.csv", "signups.csv", "heatmap.png")
TALLY_HEADER = (
    "recommendation",
    "recommendation_title",
    "scoping_area",
    "scoping_area_name",
    "members",
    "support",
    "oppose",
    "needs_work",
)
FEEDBACK_HEADER = (
    "feedback_id",
    "created_at",
    "recommendation",
    "recommendation_title",
    "version",
    "scoping_area",
    "scoping_area_name",
    "language",
    "source",
    "anonymous",
    "author_id",
    "author_name",
    "answered",
    "responses",
    "body",
)
SIGNUP_HEADER = (
    "session_id",
    "session_title",
    "starts_at",
    "session_status",
    "user_id",
    "user_name",
    "status",
    "question",
    "signed_up_at",
)
MD_ITEMS_PER_AREA = 10  # digest.md shows the latest few per area; feedback.csv holds every item


@dataclass(frozen=True)
class Digest:
    guild_id: int
    title: str
    since: datetime | None
    until: datetime
    recommendation_number: int | None
    previous: DigestRecord | None
    summaries: list[RecommendationSummary]
    figures: dict[str, Any]
    files: dict[str, bytes]
    feedback_in_period: int
    signups: int
    area_tallies: list[AreaTally] = field(repr=False)
    stance_tallies: list[StanceTally] = field(repr=False)
    seconds: dict[str, float] = field(default_factory=dict)


async def prefetched(pages: AsyncIterator[list[FeedbackItem]]) -> AsyncIterator[list[FeedbackItem]]:
    """Ask for the next page before handing out this one, so SQLite reads while Python writes CSV."""
    following = asyncio.ensure_future(anext(pages, None))
    try:
        while (page := await following) is not None:
            following = asyncio.ensure_future(anext(pages, None))
            yield page
    finally:
        if not following.done():
            following.cancel()


def _stamp(moment: datetime | None, locale: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else t("digest.md.beginning", locale)


def period_text(since: datetime | None, until: datetime, locale: object) -> str:
    return t("digest.md.period", locale, since=_stamp(since, locale), until=_stamp(until, locale))


async def feedback_listing(
    pages: AsyncIterator[list[FeedbackItem]],
    recommendations: list[DigestRecommendation],
    areas: list[AreaInfo],
    names: dict[int, str],
) -> tuple[CsvFile, dict[tuple[int, int | None], deque[FeedbackItem]], int]:
    """The period's feedback streamed into feedback.csv; the latest few per (draft, area) kept for
    digest.md; and how many items there were."""
    rec_columns = {rec.id: (rec.number, neutralise(rec.title)) for rec in recommendations}
    area_columns = {area.id: (area.number, neutralise(area.name)) for area in areas}
    area_numbers = {area.id: area.number for area in areas}
    feedback_csv = CsvFile(FEEDBACK_HEADER)
    buckets: dict[tuple[int, int | None], deque[FeedbackItem]] = {}
    in_period = 0
    async for page in prefetched(pages):
        in_period += len(page)
        feedback_csv.write_checked(feedback_row(item, rec_columns, area_columns, names) for item in page)
        for item in page:
            key = (item.recommendation_id, area_numbers.get(item.area_id))
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = deque(maxlen=MD_ITEMS_PER_AREA)
            bucket.append(item)
    return feedback_csv, buckets, in_period


def tallies_file(
    recommendations: list[DigestRecommendation],
    areas: list[AreaInfo],
    area_rows: list[AreaTally],
    stance_by_rec: dict[int, StanceTally],
    locale: object,
) -> CsvFile:
    """tallies.csv: a row per draft and scoping area, then the draft's row over all areas."""
    area_by_number = {area.number: area for area in areas}
    tallies_csv = CsvFile(TALLY_HEADER)
    for rec in recommendations:
        for row in area_rows:
            if row.recommendation_id == rec.id:
                area = area_by_number[row.area_number]
                tallies_csv.write(
                    (rec.number, rec.title, area.number, area.name, row.members, row.support,
                     row.oppose, row.needs_work)
                )  # fmt: skip
        overall = stance_by_rec[rec.id]
        tallies_csv.write(
            (rec.number, rec.title, "all", t("digest.md.all_areas", locale), overall.members,
             overall.support, overall.oppose, overall.needs_work)
        )  # fmt: skip
    return tallies_csv


class DigestBuilder:
    """Builds digests of one database; no Discord objects, so the CLI and the bench use it too."""

    def __init__(self, db: Database, painter: HeatmapPainter | None = None) -> None:
        self.repository = DigestRepository(db)
        self.painter = painter or HeatmapPainter(use_process=False)

    async def resolve_since(
        self, guild_id: int, since: Since, recommendation_number: int | None = None
    ) -> tuple[datetime | None, DigestRecord | None, list[DigestRecord]]:
        """The period's start, the digest it continues from, and every earlier digest (oldest first).

        "The last digest" is the last one covering what is asked: all recommendations, or the one.
        """
        earlier = await self.repository.digests(guild_id)
        previous = last_covering(earlier, recommendation_number)
        if since.last:
            return (previous.created_at if previous else None), previous, earlier
        return since.moment, previous, earlier

    async def build(
        self,
        guild_id: int,
        *,
        since: datetime | None,
        now: datetime,
        previous: DigestRecord | None = None,
        earlier: list[DigestRecord] | None = None,
        recommendation_number: int | None = None,
        locale: object = None,
    ) -> Digest:
        """``previous``: the digest this one continues from; ``earlier``: all before it (what changed)."""
        started = time.perf_counter()
        seconds: dict[str, float] = {}
        repo = self.repository
        title = await repo.title(guild_id)
        if title is None:
            raise UserError("errors.not_set_up")
        recommendations = await repo.recommendations(guild_id)
        selected_id = None
        if recommendation_number is not None:
            recommendations = [r for r in recommendations if r.number == recommendation_number]
            if not recommendations:
                raise UserError("digest.unknown_recommendation", number=recommendation_number)
            selected_id = recommendations[0].id
        areas = await repo.areas(guild_id)
        history = await repo.version_history(guild_id)
        names = await repo.member_names(guild_id)
        # In a worker process the picture draws while the cross-tab and the listing are read; in a thread
        # it would hold the GIL against the database thread, so it waits until the listing is done.
        # The grid is the cross-tab's members column, counted cheaply first so the picture starts early.
        period = period_text(since, now, locale)
        members = await repo.area_members(guild_id, selected_id)
        grid = [[members.get((rec.id, area.number), 0) for area in areas] for rec in recommendations]
        picture = self.painter.paint(
            grid,
            [t("digest.md.rec_label", locale, number=rec.number) for rec in recommendations],
            [rec.title for rec in recommendations],
            [f"{area.number}. {area.short_name}" for area in areas],
            HeatmapText(
                title=title,
                subtitle=period,
                x_label=t("digest.heatmap.x_label", locale),
                y_label=t("digest.heatmap.y_label", locale),
                colorbar=t("digest.heatmap.colorbar", locale),
                legend_title=t("digest.heatmap.legend_title", locale),
            ),
        )
        heatmap = asyncio.ensure_future(picture) if self.painter.use_process else None
        try:
            area_rows, stance_rows = await repo.tallies(guild_id, selected_id)
            seconds["tallies"] = time.perf_counter() - started
            selected = {rec.id for rec in recommendations}
            feedback_figures = [
                f for f in await repo.feedback_figures(guild_id, since) if f.recommendation_id in selected
            ]
            figures = figures_of(recommendations, area_rows, stance_rows, feedback_figures)
            figures["scope"] = ALL if recommendation_number is None else recommendation_number
            compared = earlier if earlier is not None else ([previous] if previous else [])
            changes = changes_between(figures, compared)
            seconds["figures"] = time.perf_counter() - started
            pages = repo.feedback_items(guild_id, [rec.id for rec in recommendations], since)
            feedback_csv, buckets, in_period = await feedback_listing(pages, recommendations, areas, names)
            seconds["feedback"] = time.perf_counter() - started

            stance_by_rec = {row.recommendation_id: row for row in stance_rows}
            tallies_csv = tallies_file(recommendations, areas, area_rows, stance_by_rec, locale)

            signups_csv = CsvFile(SIGNUP_HEADER)
            signups = await repo.signups(guild_id, since)
            signups_csv.write_checked(signup_row(s, names) for s in signups)

            summaries, sections = sections_of(
                recommendations, areas, area_rows, stance_by_rec, feedback_figures, history, buckets, changes
            )
            markdown, wiki = render_both(  # digest.md and digest.wiki: the same content, two formats
                MarkdownInput(
                    title=title,
                    period=period,
                    generated=_stamp(now, locale),
                    previous=previous.created_at if previous else None,
                    has_history=bool(compared),
                    areas=areas,
                    sections=sections,
                    summaries=summaries,
                    signups=len(signups),
                    feedback_in_period=in_period,
                    names=names,
                ),
                locale,
            )
            png = await (heatmap if heatmap is not None else picture)
        finally:
            if heatmap is not None and not heatmap.done():
                heatmap.cancel()
            elif heatmap is None:
                picture.close()  # never awaited when building failed earlier
        seconds["total"] = time.perf_counter() - started
        files = {
            "digest.md": markdown.encode("utf-8"),
            "digest.wiki": wiki.encode("utf-8"),
            "tallies.csv": tallies_csv.getvalue(),
            "feedback.csv": feedback_csv.getvalue(),
            "signups.csv": signups_csv.getvalue(),
            "heatmap.png": png,
        }
        log.info("Digest for guild %s built in %.3f s", guild_id, seconds["total"])
        return Digest(
            guild_id=guild_id,
            title=title,
            since=since,
            until=now,
            recommendation_number=recommendation_number,
            previous=previous,
            summaries=summaries,
            figures=figures,
            files=files,
            feedback_in_period=in_period,
            signups=len(signups),
            area_tallies=area_rows,
            stance_tallies=stance_rows,
            seconds=seconds,
        )
