"""What a digest says about each recommendation: its figures, what changed since an earlier digest,
and the sections of digest.md (pure functions of what the builder read)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.data.digest import AreaInfo, DigestRecommendation, DigestRecord, FeedbackFigure, FeedbackItem
from bot.data.reactions import AreaTally, StanceTally
from bot.digest.markdown import AreaFeedback, RecommendationSection

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


def sections_of(
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
