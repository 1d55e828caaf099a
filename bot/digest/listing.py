"""feedback.csv and digest.md's latest items, read in parallel over the digest's reader connections.

SQLite writes each draft's lines as one text (``bot.data.digest_listing``) and releases the GIL while
it does: with two read-only connections, two threads write two halves of the listing at once. The
recommendations are shared out by how many items each has in the period (known from the figures), the
heaviest first to the least loaded reader; the first reader also ranks digest.md's latest items. The
file is then put together in recommendation order, so the split never shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from bot.data.digest import DigestRecommendation, DigestRepository, FeedbackItem
from bot.data.digest_listing import LINE_END
from bot.digest.csvfile import FORMULA_STARTS, CsvFile, cells_text

LATEST_SHARE = 0.2  # the latest-items query costs about a fifth of the listing it ranks


def share_out(counts: dict[int, int], readers: int) -> list[list[int]]:
    """Recommendation ids per reader: heaviest first to the least loaded (the first has the ranking)."""
    loads = [LATEST_SHARE * sum(counts.values())] + [0.0] * (readers - 1)
    groups: list[list[int]] = [[] for _ in range(readers)]
    for rec_id in sorted(counts, key=lambda rec_id: -counts[rec_id]):
        least = loads.index(min(loads))
        groups[least].append(rec_id)
        loads[least] += counts[rec_id]
    return groups


Lines = dict[int, tuple[bytes, int]]  # per recommendation: its lines, how many items


async def _lines(
    repo: DigestRepository, guild_id: int, cells: dict[int, str], since: datetime | None
) -> Lines:
    return {
        rec_id: await repo.feedback_text([(guild_id, rec_id, LINE_END)], rec_cells, since, FORMULA_STARTS)
        for rec_id, rec_cells in cells.items()
    }


async def _lines_and_latest(
    repo: DigestRepository, guild_id: int, cells: dict[int, str], since: datetime | None,
    recommendation_ids: list[int], keep: int,
) -> tuple[Lines, list[FeedbackItem]]:  # fmt: skip
    latest = await repo.latest_feedback(guild_id, recommendation_ids, since, keep)
    return await _lines(repo, guild_id, cells, since), latest


async def feedback_file(
    repos: Sequence[DigestRepository],
    guild_id: int,
    recommendations: list[DigestRecommendation],
    counts: dict[int, int],
    since: datetime | None,
    header: Sequence[str],
    keep: int,
) -> tuple[CsvFile, int, list[FeedbackItem]]:
    """feedback.csv, how many items it lists, and the ``keep`` latest items per (draft, area)."""
    cells = {rec.id: cells_text((rec.number, rec.title)) for rec in recommendations}
    groups = share_out({rec.id: counts.get(rec.id, 0) for rec in recommendations}, len(repos))
    first, *others = zip(repos, groups, strict=True)
    (lines, latest), *more = await asyncio.gather(
        _lines_and_latest(first[0], guild_id, {r: cells[r] for r in first[1]}, since, list(cells), keep),
        *(_lines(repo, guild_id, {r: cells[r] for r in group}, since) for repo, group in others),
    )
    for part in more:
        lines.update(part)
    feedback_csv = CsvFile(header)
    in_period = 0
    for rec in recommendations:
        text, items = lines[rec.id]
        feedback_csv.write_encoded(text)
        in_period += items
    return feedback_csv, in_period, latest
