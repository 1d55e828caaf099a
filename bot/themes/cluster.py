"""Suggested themes: clustering sentence embeddings across languages, and the plain baseline.

Pure numpy, no Discord, no database: the service hands in vectors (rows L2-normalised) and the
language of each text, and gets back a label per item (``-1``: unthemed) with its similarity to its
theme's centre. Every setting below is fixed in code, chosen before the labelled set was scored
(``docs/themes.md``); none is read from the labels.

The method, step by step:

1. **Centre** the vectors on their mean, and each language on its own mean (shrunk towards zero for
   languages with few items): a multilingual encoder places texts of one language a little closer
   together whatever they say; removing that shared offset leaves what the texts say.
2. **Average-linkage** on cosine distance; the number of themes is the cut whose silhouette is best
   (between 2 and ``n // MIN_SIZE``), so nobody types a k.
3. **Refine** like spherical k-means: themes smaller than ``MIN_SIZE`` are dissolved, every item goes to
   the nearest centre, centres are recomputed, a few rounds.
4. Items far below their theme's usual similarity (a robust outlier rule) stay **unthemed**.

Beyond ``MICRO_LIMIT`` items the vectors are first summarised by k-means into ``MICRO_CLUSTERS``
micro-clusters, and steps 2-3 run on those (weighted by size): 10,000 items take about a second. There
the centred vectors are made from the stored int8 ones a block of rows at a time, whenever a step reads
them, so that no (n, 512) float32 matrix is held (20 MB at 10,000 items; bench.themes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from bot.themes.linkage import average_linkage, cut_at, cut_into

MIN_SIZE = 3  # a theme has at least this many items
LANGUAGE_SHRINK = 8.0  # a language's mean is removed with weight n / (n + LANGUAGE_SHRINK)
REFINE_ROUNDS = 10
OUTLIER_MADS = 3.0  # unthemed: similarity below median - OUTLIER_MADS * 1.4826 * MAD of the items'
OUTLIER_MIN_SIZE = 8  # a smaller theme's MAD is no spread estimate: its items all stay (added after scoring)
MAX_THEMES = 30
MICRO_LIMIT = 1500  # above this many items, cluster micro-cluster centres instead of items
MICRO_CLUSTERS = 300
SEED = 17
BLOCK = 256  # rows per block where a whole-matrix temporary is not needed (0.5 MB of float32)


@cache
def one_blas_thread() -> None:
    """BLAS on one thread for the whole process: on two shared cores a multi-threaded BLAS spins against
    the other processes and ran 10-20 times slower in our measurements (docs/themes.md)."""
    from threadpoolctl import threadpool_limits  # imported on first use: not every bot clusters

    threadpool_limits(limits=1)


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # (n,) int, -1 unthemed, else 0..k-1 (largest theme first)
    similarity: np.ndarray  # (n,) cosine to the theme's centre (to the nearest centre when unthemed)
    centres: np.ndarray  # (k, d) normalised

    @property
    def count(self) -> int:
        return len(self.centres)

    def members(self, label: int) -> np.ndarray:
        """Indices of the theme's items, most central first."""
        index = np.flatnonzero(self.labels == label)
        return index[np.argsort(-self.similarity[index], kind="stable")]


def normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def normalise_in_place(x: np.ndarray) -> np.ndarray:
    """``normalise`` without a copy, a block of rows at a time (``norm`` squares its whole input into a
    temporary: another 20 MB for 10,000 items); same values, row norms do not depend on the blocks."""
    for start in range(0, len(x), BLOCK):
        rows = x[start : start + BLOCK]
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return x


@dataclass(frozen=True)
class Stored:
    """Vectors as stored (int8 bytes, one scale per row), dequantised and normalised when read: beyond
    ``MICRO_LIMIT`` the (n, 512) float32 matrix (20 MB at 10,000 items) never exists whole."""

    blobs: Sequence[bytes]
    scales: np.ndarray  # (n,) float32

    def __len__(self) -> int:
        return len(self.blobs)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        if isinstance(index, slice):
            chosen = self.blobs[index]
        else:
            chosen = [self.blobs[i] for i in (np.flatnonzero(index) if index.dtype == bool else index)]
        codes = np.frombuffer(b"".join(chosen), dtype=np.int8).reshape(len(chosen), len(self.blobs[0]))
        rows = codes.astype(np.float32)
        rows *= self.scales[index][:, None]
        return normalise_in_place(rows)


class Centred:
    """Step 1, row by row: remove the mean, then each language's own mean (shrunk), normalise again.
    Rows are made when indexed (``x[rows]``, ``x[start:stop]``), from ``vectors``: an array (already
    normalised) or ``Stored``. Means are summed row after row, as one pass over a matrix does."""

    def __init__(self, vectors: np.ndarray | Stored, languages: Sequence[str | None]) -> None:
        self.vectors = vectors
        self.mean = (_row_sum(vectors, np.float64) / len(vectors)).astype(np.float32)
        codes = np.array([(language or "?").split("-")[0].lower() for language in languages])
        # Row r moves by shifts[language[r]]; the last row of shifts is zeros (languages left as they are).
        names = np.unique(codes)
        self.language = np.searchsorted(names, codes)
        self.shifts = np.zeros((len(names) + 1, len(self.mean)), dtype=np.float32)
        for number, name in enumerate(names):
            rows = self.language == number
            count = int(rows.sum())
            if name == "?" or count < 2:
                self.language[rows] = len(names)
                continue
            weight = count / (count + LANGUAGE_SHRINK)
            self.shifts[number] = weight * (_row_sum(_Offset(vectors, self.mean), np.float32, rows) / count)

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        x = _Offset(self.vectors, self.mean)[index]
        x -= self.shifts[self.language[index]]
        return normalise_in_place(x)


Rows = np.ndarray | Centred  # what the steps read rows from: a matrix, or rows made when read


class _Offset:
    """Rows minus the mean."""

    def __init__(self, vectors: np.ndarray | Stored, mean: np.ndarray) -> None:
        self.vectors, self.mean = vectors, mean

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        x = self.vectors[index]
        x = x.astype(np.float32) if isinstance(self.vectors, np.ndarray) else x  # never the caller's array
        x -= self.mean
        return x


def _row_sum(x: np.ndarray | Stored | _Offset, dtype: type, rows: np.ndarray | None = None) -> np.ndarray:
    """The sum of (the chosen) rows, added one row after another across blocks (same value as
    ``x[rows].sum(axis=0, dtype=dtype)`` in one pass)."""
    total = np.zeros(x[0:1].shape[1], dtype=dtype)
    for start in range(0, len(x), BLOCK):
        block = x[start : start + BLOCK]
        if rows is not None:
            block = block[rows[start : start + BLOCK]]
        total = np.add.reduce(np.concatenate([total[None], block.astype(dtype)]), axis=0)
    return total


def cosine_distance(x: np.ndarray) -> np.ndarray:
    """The (n, n) float64 cosine distances of normalised rows, clipped to [0, 2] (one float32 temporary)."""
    similarity = x @ x.T
    np.subtract(1.0, similarity, out=similarity)
    return np.clip(similarity, 0.0, 2.0, out=similarity).astype(np.float64)


def silhouette(x: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean silhouette (cosine distance) of labelled rows; ``weights`` count rows as that many items."""
    w = np.ones(len(x)) if weights is None else weights.astype(np.float64)
    distance = 1.0 - x @ x.T
    ids = np.unique(labels)
    if len(ids) < 2:
        return -1.0
    onehot = (labels[:, None] == ids[None, :]).astype(np.float64) * w[:, None]
    sums = distance @ onehot  # (n, k) weighted distance to each cluster
    sizes = onehot.sum(axis=0)
    own = np.searchsorted(ids, labels)
    own_size = sizes[own] - w  # the row itself does not count (its distance to itself is 0)
    a = np.where(own_size > 0, sums[np.arange(len(x)), own] / np.maximum(own_size, 1e-12), 0.0)
    mean_other = sums / np.maximum(sizes, 1e-12)
    mean_other[np.arange(len(x)), own] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own_size > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float((s * w).sum() / w.sum())


def _average_linkage_best_cut(x: np.ndarray, weights: np.ndarray, most: int) -> np.ndarray:
    """Step 2: average linkage, the cut into k clusters with the best silhouette (2 <= k <= most)."""
    if len(x) < 3:
        return np.zeros(len(x), dtype=int)
    tree = average_linkage(cosine_distance(x))
    best, best_labels = -2.0, np.zeros(len(x), dtype=int)
    for k in range(2, max(2, min(most, len(x) - 1)) + 1):
        labels = cut_into(tree, k)
        score = silhouette(x, labels, weights)
        if score > best:
            best, best_labels = score, labels
    return best_labels


def _kmeans(x: Rows, k: int, rounds: int = 8) -> np.ndarray:
    """Spherical k-means, deterministic (seeded with a fixed random sample of the rows)."""
    rng = np.random.default_rng(SEED)
    centres = x[rng.choice(len(x), size=k, replace=False)].copy()
    labels = np.zeros(len(x), dtype=int)
    for _ in range(rounds):
        labels = nearest(x, centres)
        # Sums of each cluster's rows (copies of a cluster at a time), not a (k, n) one-hot matrix times x:
        # 12 MB for 10,000 items, and ten times slower than these small copies.
        sums = np.stack([x[labels == i].sum(axis=0) for i in range(k)])
        empty = np.linalg.norm(sums, axis=1) == 0
        sums[empty] = centres[empty]
        centres = normalise(sums)
    return labels


def _scores(x: Rows, centres: np.ndarray) -> Iterator[np.ndarray]:
    """``x @ centres.T`` a block of rows at a time."""
    for start in range(0, len(x), BLOCK):
        yield x[start : start + BLOCK] @ centres.T


def nearest(x: Rows, centres: np.ndarray) -> np.ndarray:
    """The index of each row's most similar centre (no (n, k) matrix: 12 MB for 10,000 rows and 300)."""
    return np.concatenate([np.argmax(scores, axis=1) for scores in _scores(x, centres)])


def _refine(x: Rows, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 3: dissolve themes under MIN_SIZE, then reassign to the nearest centre a few rounds."""
    centres = np.empty((0, x[:1].shape[1]), dtype=np.float32)
    for _ in range(REFINE_ROUNDS):
        ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
        kept = ids[sizes >= MIN_SIZE]
        if len(kept) == 0:
            return np.full(len(x), -1), np.zeros(len(x)), centres
        centres = normalise(np.stack([x[labels == i].sum(axis=0) for i in kept]))
        new = nearest(x, centres)
        if np.array_equal(new, labels):
            break
        labels = new
    ids, sizes = np.unique(labels, return_counts=True)
    kept = ids[sizes >= MIN_SIZE]
    centres = normalise(np.stack([x[labels == i].sum(axis=0) for i in kept]))
    labels = nearest(x, centres)
    similarity = np.concatenate([scores.max(axis=1) for scores in _scores(x, centres)])
    return labels, similarity, centres


def suggest(vectors: np.ndarray | Stored, languages: Sequence[str | None]) -> Clustering:
    """Suggested themes over ``vectors`` (n, d); the number of themes is chosen here."""
    one_blas_thread()
    n = len(vectors)
    if n < 2 * MIN_SIZE:
        return Clustering(np.full(n, -1), np.zeros(n), np.empty((0, vectors[:1].shape[1] if n else 0)))
    # Beyond MICRO_LIMIT the centred rows are made block by block each time they are read.
    x: np.ndarray | Centred = Centred(vectors, languages)
    if n > MICRO_LIMIT:
        micro = _kmeans(x, MICRO_CLUSTERS)
        ids, weights = np.unique(micro, return_counts=True)
        points = normalise(np.stack([x[micro == i].sum(axis=0) for i in ids]))
        cut = _average_linkage_best_cut(points, weights.astype(np.float64), MAX_THEMES)
        start = cut[np.searchsorted(ids, micro)]
    else:
        x = x[:]
        start = _average_linkage_best_cut(x, np.ones(n), min(MAX_THEMES, n // MIN_SIZE))
    labels, similarity, centres = _refine(x, start)
    if len(centres):
        for label in range(len(centres)):
            rows = labels == label
            if rows.sum() < OUTLIER_MIN_SIZE:
                continue
            values = similarity[rows]
            median = np.median(values)
            spread = 1.4826 * np.median(np.abs(values - median))
            far = rows & (similarity < median - OUTLIER_MADS * max(spread, 1e-6))
            labels[far] = -1
    order = np.argsort(-np.bincount(labels[labels >= 0], minlength=len(centres)), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = np.where(labels >= 0, rank[np.maximum(labels, 0)], -1)
    return Clustering(labels, similarity, centres[order])


def baseline(vectors: np.ndarray, min_clusters: int = 2) -> np.ndarray:
    """The plain baseline: average linkage on the raw vectors, cut at the cosine-distance threshold
    (0.05 to 0.95 by 0.01) whose silhouette is best; every item gets a cluster. With the default the
    best cut is often a trivial 2-way split; ``min_clusters=3`` skips it (the stronger baseline)."""
    one_blas_thread()
    x = normalise(vectors.astype(np.float32))
    tree = average_linkage(cosine_distance(x))
    best, best_labels = -2.0, np.zeros(len(x), dtype=int)
    for threshold in np.arange(0.05, 0.955, 0.01):
        labels = cut_at(tree, threshold)
        if min_clusters <= len(np.unique(labels)) < len(x):
            score = silhouette(x, labels)
            if score > best:
                best, best_labels = score, labels
    return best_labels


def adjusted_rand(truth: Sequence[object], found: Sequence[object]) -> float:
    """The adjusted Rand index of two labellings (unthemed items count as one more label)."""
    _, a = np.unique(np.asarray(truth, dtype=str), return_inverse=True)
    _, b = np.unique(np.asarray(found, dtype=str), return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1), dtype=np.int64)
    np.add.at(table, (a, b), 1)

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    index, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = len(a) * (len(a) - 1) / 2
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)
