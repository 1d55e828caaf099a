"""bot/themes/linkage.py gives what scipy.cluster.hierarchy gave: the same tree, the same flat labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from bot.themes.cluster import cosine_distance
from bot.themes.linkage import average_linkage, cut_at, cut_into


def points(n: int, seed: int, duplicates: bool) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, 16)).astype(np.float32)
    if duplicates:  # equal distances: scipy's tie rules decide
        x[: n // 3] = x[0]
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("n", "seed", "duplicates"), [(5, 1, False), (40, 2, False), (40, 3, True), (300, 4, True)]
)
def test_same_tree_and_labels_as_scipy(n: int, seed: int, duplicates: bool) -> None:
    distance = cosine_distance(points(n, seed, duplicates))
    expected = linkage(distance[np.triu_indices(n, 1)], method="average")
    tree = average_linkage(distance.copy())
    assert np.array_equal(tree, expected)
    for k in range(2, min(n - 1, 40)):
        assert np.array_equal(cut_into(tree, k), fcluster(expected, k, criterion="maxclust") - 1), k
    for threshold in np.arange(0.05, 0.955, 0.01):
        assert np.array_equal(
            cut_at(tree, threshold), fcluster(expected, threshold, criterion="distance") - 1
        )


def test_the_bot_clusters_without_importing_scipy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from bot.themes.cluster import suggest\n"
        "x = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)\n"
        "suggest(x, ['en'] * 60)\n"
        "assert not any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules), 'scipy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
