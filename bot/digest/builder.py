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
    FeedbackFigure,
    FeedbackItem,
)
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.csvfile import CsvFile, neutralise
from bot.digest.heatmap import HeatmapPainter, HeatmapText
from bot.digest.markdown import AreaFeedback, MarkdownInput, RecommendationSection, render_markdown
from bot.digest.people import feedback_row, signup_row
from bot.digest.period import Since
from bot.errors import UserError
from bot.i18n import t

log = logging.getLogger(__name__)

FILE_NAMES = ("digest.md", "tallies.csv", "feedback.csv", "signups.csv", "heatmap.png")
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
ALL = "all"  # the scope of a digest of every recommendation (else the one recommendation's number)


@dataclass(frozen=True, slots=True)
class Changes:
    """A recommendation's figures against the previous digest's."""

    members: int
    support: int
    oppose: int
    needs_work: int
    feedback: int
    new_version: int | None
    newly_tagged: tuple[int, ...]
    no_longer_tagged: tuple[int, ...]
    since: datetime  # when the digest compared with was made


@dataclass(frozen=True, slots=True)
class RecommendationSummary:
    number: int
    title: str
    version: int
    members: int
    support: int
    oppose: int
    needs_work: int
    feedback: int  # in the period
    unanswered: int  # in the period
    changes: Changes | None  # None: the previous digest did not cover this recommendation


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


def figures_of(
    recommendations: list[DigestRecommendation],
    areas: list[AreaTally],
    stances: list[StanceTally],
    feedback: list[FeedbackFigure],
) -> dict[str, Any]:
    """What the digest log keeps, so the next digest can say what changed."""
    by_id = {rec.id: rec for rec in recommendations}
    result: dict[str, Any] = {}
    for row in stances:
        result[str(row.recommendation_number)] = {
            "version": by_id[row.recommendation_id].version,
            "members": row.members,
            "support": row.support,
            "oppose": row.oppose,
            "needs_work": row.needs_work,
            "feedback": 0,
            "areas": {},
        }
    for row in areas:
        result[str(row.recommendation_number)]["areas"][str(row.area_number)] = row.members
    for figure in feedback:
        rec = by_id.get(figure.recommendation_id)
        if rec is not None and str(rec.number) in result:
            result[str(rec.number)]["feedback"] += figure.total
    return {"recommendations": result}


def changes_between(current: dict[str, Any], earlier: list[DigestRecord]) -> dict[int, Changes]:
    """Each recommendation against the latest earlier digest that covered it (oldest to newest given)."""
    known: dict[str, tuple[dict[str, Any], datetime]] = {}
    for record in earlier:
        for key, figures in record.figures.get("recommendations", {}).items():
            known[key] = (figures, record.created_at)
    result = {}
    for key, now in current["recommendations"].items():
        if key not in known:
            continue
        before, at = known[key]
        tagged_now = {int(a) for a, n in now["areas"].items() if n}
        tagged_before = {int(a) for a, n in before.get("areas", {}).items() if n}
        result[int(key)] = Changes(
            members=now["members"] - before.get("members", 0),
            support=now["support"] - before.get("support", 0),
            oppose=now["oppose"] - before.get("oppose", 0),
            needs_work=now["needs_work"] - before.get("needs_work", 0),
            feedback=now["feedback"] - before.get("feedback", 0),
            new_version=now["version"] if now["version"] != before.get("version", now["version"]) else None,
            newly_tagged=tuple(sorted(tagged_now - tagged_before)),
            no_longer_tagged=tuple(sorted(tagged_before - tagged_now)),
            since=at,
        )
    return result


def last_covering(earlier: list[DigestRecord], recommendation_number: int | None) -> DigestRecord | None:
    """The newest digest of everything, or (for one recommendation) of everything or of that one.

    A digest of R3 alone is not "the last digest" of a full one: starting there would skip what was
    said on the other drafts in between.
    """
    for record in reversed(earlier):
        scope = record.figures.get("scope", ALL)
        if scope == ALL or (recommendation_number is not None and scope == recommendation_number):
            return record
    return None


def _stamp(moment: datetime | None, locale: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else t("digest.md.beginning", locale)


def period_text(since: datetime | None, until: datetime, locale: object) -> str:
    return t("digest.md.period", locale, since=_stamp(since, locale), until=_stamp(until, locale))


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
        area_by_number = {area.number: area for area in areas}
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
            rec_columns = {rec.id: (rec.number, neutralise(rec.title)) for rec in recommendations}
            area_columns = {area.id: (area.number, neutralise(area.name)) for area in areas}
            area_numbers = {area.id: area.number for area in areas}
            feedback_csv = CsvFile(FEEDBACK_HEADER)
            buckets: dict[tuple[int, int | None], deque[FeedbackItem]] = {}
            in_period = 0
            pages = repo.feedback_items(guild_id, [rec.id for rec in recommendations], since)
            async for page in prefetched(pages):
                in_period += len(page)
                feedback_csv.write_checked(
                    feedback_row(item, rec_columns, area_columns, names) for item in page
                )
                for item in page:
                    key = (item.recommendation_id, area_numbers.get(item.area_id))
                    bucket = buckets.get(key)
                    if bucket is None:
                        bucket = buckets[key] = deque(maxlen=MD_ITEMS_PER_AREA)
                    bucket.append(item)
            seconds["feedback"] = time.perf_counter() - started

            tallies_csv = CsvFile(TALLY_HEADER)
            stance_by_rec = {row.recommendation_id: row for row in stance_rows}
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

            signups_csv = CsvFile(SIGNUP_HEADER)
            signups = await repo.signups(guild_id, since)
            signups_csv.write_checked(signup_row(s, names) for s in signups)

            summaries, sections = self._sections(
                recommendations, areas, area_rows, stance_by_rec, feedback_figures, history, buckets, changes
            )
            markdown = render_markdown(
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

    @staticmethod
    def _sections(
        recommendations: list[DigestRecommendation],
        areas: list[AreaInfo],
        area_rows: list[AreaTally],
        stance_by_rec: dict[int, StanceTally],
        feedback: list[FeedbackFigure],
        history: list[Any],
        buckets: dict[tuple[int, int | None], deque[FeedbackItem]],
        changes: dict[int, Changes],
    ) -> tuple[list[RecommendationSummary], list[RecommendationSection]]:
        summaries = []
        sections = []
        for rec in recommendations:
            figures = [f for f in feedback if f.recommendation_id == rec.id]
            per_area: dict[int | None, int] = {}
            languages: dict[str, int] = {}
            answered = unanswered = 0
            for f in figures:
                if not f.in_period:
                    continue
                per_area[f.area_number] = per_area.get(f.area_number, 0) + f.in_period
                languages[f.language or "?"] = languages.get(f.language or "?", 0) + f.in_period
                answered += f.answered_in_period
                unanswered += f.in_period - f.answered_in_period
            overall = stance_by_rec[rec.id]
            cells = [row for row in area_rows if row.recommendation_id == rec.id]
            summary = RecommendationSummary(
                number=rec.number,
                title=rec.title,
                version=rec.version,
                members=overall.members,
                support=overall.support,
                oppose=overall.oppose,
                needs_work=overall.needs_work,
                feedback=answered + unanswered,
                unanswered=unanswered,
                changes=changes.get(rec.number),
            )
            summaries.append(summary)
            order = [a.number for a in areas] + [None]
            sections.append(
                RecommendationSection(
                    summary=summary,
                    versions=[v for v in history if v.recommendation_id == rec.id],
                    cells=cells,
                    gaps=[row.area_number for row in cells if row.members == 0],
                    answered=answered,
                    unanswered=unanswered,
                    languages=sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])),
                    feedback=[
                        AreaFeedback(number, per_area[number], list(buckets.get((rec.id, number), ())))
                        for number in order
                        if per_area.get(number)
                    ],
                )
            )
        return summaries, sections
