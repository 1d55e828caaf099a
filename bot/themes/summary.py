"""A theme as the working group and the digest see it: size, languages, areas, stances, quotes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.data.themes import Addressed, ThemeItem
from bot.themes import cluster
from bot.themes.embedder import DIMENSIONS

QUOTES = 3


@dataclass
class ThemeSummary:
    """One theme (accepted, or suggested: ``name`` None) as the working group and the digest see it."""

    theme_id: int | None
    name: str | None
    size: int
    languages: Counter[str] = field(default_factory=Counter)
    areas: Counter[str] = field(default_factory=Counter)
    stances: Counter[str] = field(default_factory=Counter)
    quotes: list[ThemeItem] = field(default_factory=list)
    pending: int = 0  # items suggested for it, not yet confirmed
    new: int = 0  # items written since the digest's period started
    answered: int = 0
    addressed: list[Addressed] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return self.size - self.answered


def stored_of(items: Sequence[ThemeItem]) -> cluster.Stored:
    """The items' stored vectors, read (dequantised) by the clustering a block of rows at a time."""
    return cluster.Stored([i.vector for i in items], np.array([i.scale for i in items], dtype=np.float32))


def vectors_of(items: Sequence[ThemeItem]) -> np.ndarray:
    """(n, 512) float32, rows normalised."""
    if not items:
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return stored_of(items)[:]


def summarise(
    theme_id: int | None,
    name: str | None,
    items: Sequence[ThemeItem],
    stances: dict[int, dict[str, int]],
    since: datetime | None = None,
) -> ThemeSummary:
    """Size, languages, areas, the authors' stances and the most central items as quotes."""
    summary = ThemeSummary(theme_id, name, len(items))
    if not items:
        return summary
    x = vectors_of(items)
    centre = cluster.normalise(x.sum(axis=0, keepdims=True))[0]
    order = np.argsort(-(x @ centre), kind="stable")
    summary.quotes = [items[i] for i in order[:QUOTES]]
    for item in items:
        summary.languages[item.language or "?"] += 1
        if item.area_name:
            summary.areas[f"{item.area_number}. {item.area_name}"] += 1
        summary.stances.update(stances.get(item.feedback_id, {}))
        summary.pending += item.item_status == "suggested"
        summary.new += since is None or item.created_at >= since
        summary.answered += item.answered
    return summary
