"""digest.md: what the working group reads, one section per recommendation.

Every sentence comes from the message catalogue (``digest.md.*`` in ``bot/locales/<lang>.json``).
Anonymous items never name their author (the data layer does not even return it); hidden and
withdrawn items never reach this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.data.digest import AreaInfo, FeedbackItem, VersionEntry
from bot.data.reactions import AreaTally
from bot.digest.people import member_text
from bot.i18n import t

if TYPE_CHECKING:
    from bot.digest.figures import Changes, RecommendationSummary

BODY_LIMIT = 600  # characters of an item shown in digest.md; feedback.csv has the full text


@dataclass(frozen=True, slots=True)
class AreaFeedback:
    area_number: int | None  # None: feedback given without a scoping area
    count: int
    latest: list[FeedbackItem]


@dataclass(frozen=True, slots=True)
class RecommendationSection:
    summary: RecommendationSummary
    versions: list[VersionEntry]
    cells: list[AreaTally]
    gaps: list[int]
    answered: int
    unanswered: int
    languages: list[tuple[str, int]]
    feedback: list[AreaFeedback]


@dataclass(frozen=True, slots=True)
class MarkdownInput:
    title: str
    period: str
    generated: str
    previous: datetime | None
    areas: list[AreaInfo]
    sections: list[RecommendationSection]
    summaries: list[RecommendationSummary]
    signups: int
    feedback_in_period: int
    has_history: bool
    names: dict[int, str] = field(default_factory=dict)  # display names last seen, by member id
    servers: dict[int, str] = field(default_factory=dict)  # a feedback item's server, over linked servers


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def one_line(text: str, limit: int = BODY_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _area_name(areas: dict[int, AreaInfo], number: int | None, locale: object) -> str:
    if number is None or number not in areas:
        return t("digest.md.no_area", locale)
    return f"{areas[number].emoji} {areas[number].name}"


def summary_header(locale: object) -> list[str]:
    """The columns of the table of every recommendation (digest.md and digest.wiki)."""
    return [
        t("digest.md.col_recommendation", locale),
        t("digest.md.col_members", locale),
        t("digest.md.col_support", locale),
        t("digest.md.col_oppose", locale),
        t("digest.md.col_needs_work", locale),
        t("digest.md.col_feedback", locale),
        t("digest.md.col_unanswered", locale),
    ]


def summary_rows(data: MarkdownInput, locale: object) -> list[tuple[object, ...]]:
    return [
        (
            f"{t('digest.md.rec_label', locale, number=s.number)} {s.title}",
            s.members, s.support, s.oppose, s.needs_work, s.feedback, s.unanswered,
        )
        for s in data.summaries
    ]  # fmt: skip


def area_header(locale: object) -> list[str]:
    """The columns of a recommendation's scoping-area table (digest.md and digest.wiki)."""
    return [
        t("digest.md.col_area", locale),
        t("digest.md.col_members", locale),
        t("digest.md.col_support", locale),
        t("digest.md.col_oppose", locale),
        t("digest.md.col_needs_work", locale),
    ]


def area_rows(
    section: RecommendationSection, areas: dict[int, AreaInfo], locale: object
) -> list[tuple[str, int, int, int, int]]:
    """The areas members tagged on one recommendation, most tagged first, with their stances."""
    tagged = sorted((c for c in section.cells if c.members), key=lambda c: (-c.members, c.area_number))
    return [
        (_area_name(areas, c.area_number, locale), c.members, c.support, c.oppose, c.needs_work)
        for c in tagged
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _changes(changes: Changes | None, areas: dict[int, AreaInfo], has_history: bool, locale: object) -> str:
    if not has_history:
        return t("digest.md.changes_first", locale)
    if changes is None:
        return t("digest.md.changes_not_covered", locale)
    parts = [
        t(
            "digest.md.changes_figures",
            locale,
            at=changes.since.strftime("%Y-%m-%d %H:%M UTC"),
            **changes.signed(),
        )
    ]
    if changes.new_version is not None:
        parts.append(t("digest.md.changes_version", locale, version=changes.new_version))
    if changes.newly_tagged:
        names = ", ".join(_area_name(areas, n, locale) for n in changes.newly_tagged)
        parts.append(t("digest.md.changes_newly_tagged", locale, areas=names))
    if changes.no_longer_tagged:
        names = ", ".join(_area_name(areas, n, locale) for n in changes.no_longer_tagged)
        parts.append(t("digest.md.changes_untagged", locale, areas=names))
    return " ".join(parts)


def render_markdown(data: MarkdownInput, locale: object) -> str:
    areas = {area.number: area for area in data.areas}
    lines = [
        f"# {t('digest.md.heading', locale, title=data.title)}",
        "",
        f"*{data.period}* · {t('digest.md.generated', locale, at=data.generated)}",
        "",
        t(
            "digest.md.overview",
            locale,
            feedback=data.feedback_in_period,
            signups=data.signups,
            previous=data.previous.strftime("%Y-%m-%d %H:%M UTC")
            if data.previous
            else t("digest.md.none", locale),
        ),
        "",
        f"## {t('digest.md.summary_heading', locale)}",
        "",
    ]
    lines += _table(summary_header(locale), summary_rows(data, locale))
    for section in data.sections:
        s = section.summary
        lines += [
            "",
            f"## {t('digest.md.rec_label', locale, number=s.number)}. {one_line(s.title, 300)}",
            "",
            f"### {t('digest.md.versions_heading', locale)}",
            "",
        ]
        for v in section.versions:
            author = (
                t("digest.md.by", locale, author=member_text(v.author_id, data.names, locale))
                if v.author_id
                else ""
            )
            version = t("digest.md.version", locale, version=v.version)
            lines.append(
                f"- {version} · {v.created_at:%Y-%m-%d %H:%M} UTC · {one_line(v.title, 300)}{author}"
            )
        lines += [
            "",
            f"### {t('digest.md.stances_heading', locale)}",
            "",
            t(
                "digest.md.stances",
                locale,
                members=s.members,
                support=s.support,
                oppose=s.oppose,
                needs_work=s.needs_work,
            ),
            "",
            f"### {t('digest.md.areas_heading', locale)}",
            "",
        ]
        if tagged := area_rows(section, areas, locale):
            lines += _table(area_header(locale), tagged)
        else:
            lines.append(t("digest.md.no_areas_tagged", locale))
        lines.append("")
        if section.gaps:
            names = ", ".join(_area_name(areas, n, locale) for n in section.gaps)
            lines.append(t("digest.md.gaps", locale, areas=names))
        else:
            lines.append(t("digest.md.no_gaps", locale))
        lines += [
            "",
            f"### {t('digest.md.feedback_heading', locale)}",
            "",
            t(
                "digest.md.feedback_counts",
                locale,
                total=section.answered + section.unanswered,
                answered=section.answered,
                unanswered=section.unanswered,
            ),
        ]
        if section.languages:
            spoken = ", ".join(f"{language} ({count})" for language, count in section.languages)
            lines.append(t("digest.md.languages", locale, languages=spoken))
        for group in section.feedback:
            lines += ["", f"#### {_area_name(areas, group.area_number, locale)} ({group.count})", ""]
            for item in group.latest:
                author = (
                    t("digest.md.anonymous", locale)
                    if item.anonymous or item.author_id is None
                    else member_text(item.author_id, data.names, locale)
                )
                state = (
                    t("digest.md.answered", locale) if item.responses else t("digest.md.unanswered", locale)
                )
                where = f"{data.servers[item.id]} · " if item.id in data.servers else ""
                lines.append(
                    f"- {item.created_at[:16].replace('T', ' ')} · {item.language or '?'} · {state} · "
                    f"{where}{author}: {one_line(item.body)}"
                )
            if group.count > len(group.latest):
                lines.append(t("digest.md.more_in_csv", locale, shown=len(group.latest), count=group.count))
        lines += [
            "",
            f"### {t('digest.md.changes_heading', locale)}",
            "",
            _changes(s.changes, areas, data.has_history, locale),
        ]
    lines.append("")
    return "\n".join(lines)
