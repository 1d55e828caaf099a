"""Score the suggested themes and the plain baseline on the labelled set (``items.tsv``).

``python -m tests.themes_set.score`` prints the figures quoted in docs/themes.md; the unit test asserts
floors on the same figures. Every setting lives in ``bot.themes.cluster``, fixed before this was run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from bot.themes.cluster import adjusted_rand, baseline, cosine_distance, normalise, suggest
from bot.themes.embedder import UsemEmbedder
from bot.themes.linkage import average_linkage, cut_at

SET = Path(__file__).with_name("items.tsv")


@dataclass(frozen=True)
class Item:
    theme: str
    language: str
    text: str


@dataclass(frozen=True)
class Figures:
    items: int
    themes: int
    languages: int
    found_themes: int
    ari: float
    baseline_ari: float
    baseline_themes: int
    strong_baseline_ari: float  # the baseline with at least 3 clusters (its trivial 2-way cut skipped)
    strong_baseline_themes: int
    oracle_baseline_ari: float  # the baseline at the threshold best for the labels (hindsight, a ceiling)
    cross_language_pairs_together: float
    unthemed: float


def load() -> list[Item]:
    with SET.open(encoding="utf-8", newline="") as handle:
        return [
            Item(row["theme"], row["language"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")
        ]


def cross_language_together(items: list[Item], labels: np.ndarray) -> float:
    """Of the same-theme pairs written in different languages, the share in the same suggested theme."""
    pairs = together = 0
    for i, j in combinations(range(len(items)), 2):
        if items[i].theme == items[j].theme and items[i].language != items[j].language:
            pairs += 1
            together += bool(labels[i] >= 0 and labels[i] == labels[j])
    return together / pairs


def oracle_baseline(vectors: np.ndarray, truth: list[str]) -> float:
    """The baseline's best adjusted Rand index over every threshold: uses the labels, only a ceiling."""
    tree = average_linkage(cosine_distance(normalise(vectors)))
    return max(adjusted_rand(truth, cut_at(tree, threshold)) for threshold in np.arange(0.05, 0.955, 0.01))


def score(vectors: np.ndarray | None = None) -> Figures:
    items = load()
    if vectors is None:
        vectors = UsemEmbedder().encode([item.text for item in items])
    truth = [item.theme for item in items]
    # Languages as the bot knows them: detected from the text, never from the labels' column.
    from bot.feedback.language import LanguageDetector

    detector = LanguageDetector()
    found = suggest(vectors, [detector.detect(item.text) for item in items])
    labels = found.labels
    plain = baseline(vectors)
    strong = baseline(vectors, min_clusters=3)
    return Figures(
        items=len(items),
        themes=len(set(truth)),
        languages=len({item.language for item in items}),
        found_themes=found.count,
        ari=adjusted_rand(truth, [f"t{label}" if label >= 0 else f"u{i}" for i, label in enumerate(labels)]),
        baseline_ari=adjusted_rand(truth, plain),
        baseline_themes=len(set(plain.tolist())),
        strong_baseline_ari=adjusted_rand(truth, strong),
        strong_baseline_themes=len(set(strong.tolist())),
        oracle_baseline_ari=oracle_baseline(vectors, truth),
        cross_language_pairs_together=cross_language_together(items, labels),
        unthemed=float((labels < 0).mean()),
    )


if __name__ == "__main__":
    print(score())
