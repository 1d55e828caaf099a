"""Average-linkage clustering and its flat cuts, in numpy: what ``scipy.cluster.hierarchy`` did for us.

Importing scipy's hierarchy module (even its compiled core alone) brings ~30 MB of scipy into the bot
for good, a tenth of the memory target; the themes cluster at most ``cluster.MICRO_LIMIT`` points, where
a nearest-neighbour chain in numpy takes milliseconds. The algorithm, the tie rules and the numbering
of the flat clusters are scipy's (``_hierarchy.nn_chain``, ``cluster_monocrit``), so the dendrogram and
the labels are the ones scipy gives (tests/unit/test_themes_linkage.py compares them).
"""

from __future__ import annotations

import numpy as np


def average_linkage(distance: np.ndarray) -> np.ndarray:
    """The (n - 1, 4) linkage matrix of ``distance`` (square, symmetric, float64; used up: it is the
    working matrix), as scipy's ``linkage(condensed, method="average")``: rows (a, b, height, size),
    sorted by height."""
    n = len(distance)
    d = distance
    np.fill_diagonal(d, np.inf)
    size = np.ones(n, dtype=np.float64)
    merges = np.empty((n - 1, 4))
    chain: list[int] = []
    for k in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(size)[0]))
        while True:
            x = chain[-1]
            y = int(np.argmin(d[x]))
            # The previous element of the chain wins ties (scipy's rule: no cycles).
            if len(chain) > 1 and not d[x, y] < d[x, chain[-2]]:
                y = chain[-2]
            if len(chain) > 1 and y == chain[-2]:
                break
            chain.append(y)
        del chain[-2:]
        x, y = min(x, y), max(x, y)
        height, nx, ny = d[x, y], size[x], size[y]
        merges[k] = (x, y, height, nx + ny)
        # y stands for the merged cluster from now on, x is gone (Lance-Williams, as scipy computes it).
        alive = size > 0
        alive[[x, y]] = False
        d[y, alive] = d[alive, y] = (nx * d[x, alive] + ny * d[y, alive]) / (nx + ny)
        d[x, :] = d[:, x] = np.inf
        size[x], size[y] = 0, nx + ny
    merges = merges[np.argsort(merges[:, 2], kind="mergesort")]
    return _relabel(merges, n)


def _relabel(merges: np.ndarray, n: int) -> np.ndarray:
    """Point indices to cluster ids: the cluster made by row i is n + i (scipy's ``label``)."""
    parent = np.arange(2 * n - 1)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i, (a, b, _, _) in enumerate(merges):
        ra, rb = root(int(a)), root(int(b))
        merges[i, 0], merges[i, 1] = min(ra, rb), max(ra, rb)
        parent[ra] = parent[rb] = n + i
    return merges


def _highest(merges: np.ndarray) -> np.ndarray:
    """Per merge, the highest merge within its cluster (its own height unless heights are inverted)."""
    n = len(merges) + 1
    highest = np.empty(n - 1)
    for i, (a, b, height, _) in enumerate(merges):
        highest[i] = max([height, *(highest[int(c) - n] for c in (a, b) if c >= n)])
    return highest


def _flat(merges: np.ndarray, highest: np.ndarray, threshold: float) -> np.ndarray:
    """Labels 0..k-1: the clusters whose highest merge is at most ``threshold``, numbered in scipy's
    order (depth first from the root; of a node's two children, merged ones before single points)."""
    n = len(merges) + 1
    labels = np.empty(n, dtype=int)
    count = 0
    stack = [2 * n - 2]
    while stack:
        node = stack.pop()
        if node < n:
            labels[node] = count
        elif highest[node - n] <= threshold:
            labels[_leaves(merges, node)] = count
        else:
            children = merges[node - n, :2].astype(int).tolist()
            stack += reversed([c for c in children if c >= n] + [c for c in children if c < n])
            continue
        count += 1
    return labels


def _leaves(merges: np.ndarray, node: int) -> list[int]:
    n = len(merges) + 1
    out, stack = [], [node]
    while stack:
        node = stack.pop()
        if node < n:
            out.append(node)
        else:
            stack += merges[node - n, :2].astype(int).tolist()
    return out


def cut_at(merges: np.ndarray, threshold: float) -> np.ndarray:
    """Flat clusters whose members all merge at most ``threshold`` apart (scipy's ``fcluster`` with
    ``criterion="distance"``, minus one)."""
    return _flat(merges, _highest(merges), threshold)


def cut_into(merges: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` flat clusters (2 <= k < n - 1): the lowest cut that gives no more (scipy's
    ``criterion="maxclust"``; ties at the cut give fewer)."""
    highest = _highest(merges)
    return _flat(merges, highest, float(np.sort(highest)[len(merges) - k]))
