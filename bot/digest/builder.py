"""Build a digest: gather the figures once, then write the five files from them.

Everything is read through one ``Database.reader()``: a read-only connection of its own, in one
snapshot, so the reaction writer and sign-ups never wait behind a digest. The cross-tab is read from
the counts the reaction writer keeps; the period's feedback listing comes from the database as finished
CSV lines, one text per draft, and digest.md's latest few items per scoping area are ranked there too.
The heatmap is drawn in a worker process while the listing is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.data.database import Database
from bot.data.digest import (
    AreaInfo,
    DigestRecord,
    DigestRepository,
    FeedbackItem,
)
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.csvfile import CsvFile
from bot.digest.figures import (
    ALL,
    RecommendationSummary,
    changes_between,
    figures_of,
    last_covering,
    sections_of,
)
from bot.digest.heatmap import HeatmapPainter, HeatmapText
from bot.digest.listing import feedback_file
from bot.digest.markdown import MarkdownInput
from bot.digest.parts import DigestPart, PartInput
from bot.digest.people import signup_row
from bot.digest.period import Since
from bot.digest.servers import GuildNames, ServerFigures, Servers
from bot.digest.servers_text import paint_servers, servers_output
from bot.digest.tallies import TALLY_HEADER as TALLY_HEADER  # re-exported: tests and tools read it here
from bot.digest.tallies import tallies_file
from bot.digest.wikitext import render_both
from bot.errors import UserError
from bot.i18n import t
from bot.themes.digest_section import ThemesPart

log = logging.getLogger(__name__)

FILE_NAMES = (
    "digest.md",
    "digest.wiki",
    "tallies.csv",
    "feedback.csv",
    "signups.csv",
    "heatmap.png",
    "themes.csv",  # from the themes part
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
# Read-only connections per digest: two threads write the listing's lines at once (on two cores).
LISTING_READERS = 2
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
    servers: list[ServerFigures] = field(default_factory=list)  # a home digest over linked servers


def _stamp(moment: datetime | None, locale: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else t("digest.md.beginning", locale)


def period_text(since: datetime | None, until: datetime, locale: object) -> str:
    return t("digest.md.period", locale, since=_stamp(since, locale), until=_stamp(until, locale))


def latest_by_area(
    items: list[FeedbackItem], areas: list[AreaInfo]
) -> dict[tuple[int, int | None], deque[FeedbackItem]]:
    """digest.md's latest few items per (draft, area number), oldest first; ``items`` oldest first."""
    area_numbers = {area.id: area.number for area in areas}
    buckets: dict[tuple[int, int | None], deque[FeedbackItem]] = {}
    for item in items:
        key = (item.recommendation_id, area_numbers.get(item.area_id))
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = deque(maxlen=MD_ITEMS_PER_AREA)
        bucket.append(item)
    return buckets


class DigestBuilder:
    """Builds digests of one database; no Discord objects, so the CLI and the bench use it too."""

    def __init__(
        self,
        db: Database,
        painter: HeatmapPainter | None = None,
        parts: list[DigestPart] | None = None,
        guild_names: GuildNames | None = None,
    ) -> None:
        self.db = db
        self.guild_names = guild_names  # servers' names (the bot's cache) in a digest over linked servers
        # More sections (``bot.digest.parts``): the themes capability's unless told otherwise.
        self.parts: list[DigestPart] = list(parts) if parts is not None else [ThemesPart()]
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
        async with AsyncExitStack() as stack:
            # Opened together, so their snapshots are a moment apart at most; the listing uses them all.
            readers = [await stack.enter_async_context(self.db.reader()) for _ in range(LISTING_READERS)]
            return await self._build(
                [self.repository.reading(reader) for reader in readers], guild_id, started, since=since,
                now=now, previous=previous, earlier=earlier, recommendation_number=recommendation_number,
                locale=locale,
            )  # fmt: skip

    async def _build(
        self,
        repos: list[DigestRepository],
        guild_id: int,
        started: float,
        *,
        since: datetime | None,
        now: datetime,
        previous: DigestRecord | None,
        earlier: list[DigestRecord] | None,
        recommendation_number: int | None,
        locale: object,
    ) -> Digest:
        seconds: dict[str, float] = {}
        repo = repos[0]
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
        # A home with linked servers: every read below goes over all of them (``bot.digest.servers``).
        linked = await Servers.read(repos, guild_id, recommendations, areas, self.guild_names, locale)
        area_rows, stance_rows = await (linked.tallies() if linked else repo.tallies(guild_id, selected_id))
        seconds["tallies"] = time.perf_counter() - started
        # The picture starts first: in a worker process it draws while the figures and the listing are
        # read (in a thread it would hold the GIL against the reader, so it waits until they are done).
        period = period_text(since, now, locale)
        members = {(row.recommendation_id, row.area_number): row.members for row in area_rows}
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
        # heatmap_servers.png needs the people's counts only: queued behind the first picture, drawn now.
        servers_png = (
            asyncio.ensure_future(paint_servers(linked, self.painter, title, period, locale))
            if linked is not None and self.painter.use_process
            else None
        )
        try:
            history = await repo.version_history(guild_id)
            names = await (linked.member_names() if linked else repo.member_names(guild_id))
            selected = {rec.id for rec in recommendations}
            reading = (
                linked.feedback_figures(since)
                if linked
                else repo.feedback_figures(guild_id, since, beside=repos[-1])
            )
            feedback_figures = [f for f in await reading if f.recommendation_id in selected]
            figures = figures_of(recommendations, area_rows, stance_rows, feedback_figures)
            figures["scope"] = ALL if recommendation_number is None else recommendation_number
            compared = earlier if earlier is not None else ([previous] if previous else [])
            changes = changes_between(figures, compared)
            seconds["figures"] = time.perf_counter() - started
            counts: dict[int, int] = {}
            for f in feedback_figures:
                counts[f.recommendation_id] = counts.get(f.recommendation_id, 0) + f.in_period
            if linked is None:
                feedback_csv, in_period, latest = await feedback_file(
                    repos, guild_id, recommendations, counts, since, FEEDBACK_HEADER, MD_ITEMS_PER_AREA
                )
            else:
                feedback_csv, in_period, latest = await linked.feedback_file(
                    since, FEEDBACK_HEADER, MD_ITEMS_PER_AREA
                )
            buckets = latest_by_area(latest, areas)
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
                    servers=linked.item_servers if linked else {},
                ),
                locale,
            )
            shared = (
                await servers_output(linked, self.painter, title, period, locale, servers_png)
                if linked
                else None
            )
            if shared is not None:
                markdown = markdown.rstrip("\n") + "\n\n" + shared.markdown
                wiki = wiki.rstrip("\n") + "\n\n" + shared.wikitext
            part_input = PartInput(guild_id, since, now, recommendations, locale)
            extra = [await part.build(repo.reads, part_input) for part in self.parts]
            if added := [p.markdown for p in extra if p.markdown]:
                markdown = "\n\n".join([markdown.rstrip("\n"), *added]) + "\n"
            if added := [p.wikitext for p in extra if p.wikitext]:
                wiki = "\n\n".join([wiki.rstrip("\n"), *added]) + "\n"
            png = await (heatmap if heatmap is not None else picture)
        finally:
            if servers_png is not None and not servers_png.done():
                servers_png.cancel()
            if heatmap is not None and not heatmap.done():
                heatmap.cancel()
            elif heatmap is None:
                picture.close()  # never awaited when building failed earlier
        seconds["total"] = time.perf_counter() - started
        files = {
            "digest.md": markdown.encode("utf-8"),
            "digest.wiki": wiki.encode("utf-8"),
            "tallies.csv": tallies_csv.getvalue(),
            **({"tallies_by_server.csv": shared.tallies_csv} if shared else {}),
            "feedback.csv": feedback_csv.getvalue(),
            "signups.csv": signups_csv.getvalue(),
            "heatmap.png": png,
            **({"heatmap_servers.png": shared.heatmap} if shared else {}),
        }
        for part in extra:
            files.update(part.files)
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
            servers=shared.participation.servers if shared else [],
        )
