"""Pruning weakly tied members out of communities."""

import numpy as np
import pytest

from graph.pruning import member_strength, prune_weak_members


def arrays(edges: list[tuple[int, int, float]]):
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    weight = np.array([e[2] for e in edges], dtype=np.float64)
    return src, dst, weight


# A strong triangle 0-1-2 with node 3 hanging on by one faint edge, and a strong pair 4-5.
EDGES = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.9), (2, 3, 0.1), (4, 5, 0.8)]


def test_member_strength_counts_only_edges_inside_the_community():
    src, dst, weight = arrays(EDGES)
    membership = np.array([0, 0, 0, 0, 1, 2])
    strength = member_strength(membership, src=src, dst=dst, weight=weight)
    assert strength.tolist() == pytest.approx([1.8, 1.8, 1.9, 0.1, 0.0, 0.0])


def test_faint_member_is_dropped_and_labels_stay_canonical():
    src, dst, weight = arrays(EDGES)
    membership = np.array([1, 1, 1, 1, 0, 0])
    pruned = prune_weak_members(membership, src=src, dst=dst, weight=weight, min_strength=0.3)
    assert pruned.tolist() == [0, 0, 0, -1, 1, 1]


def test_pruning_cascades_and_dissolves_small_communities():
    """Removing one member weakens the next: a chain of faint links unravels entirely."""
    src, dst, weight = arrays([(0, 1, 0.2), (1, 2, 0.2), (2, 3, 0.2)])
    pruned = prune_weak_members(
        np.zeros(4, dtype=np.int64), src=src, dst=dst, weight=weight, min_strength=0.3
    )
    assert pruned.tolist() == [-1, -1, -1, -1]


def test_zero_threshold_changes_nothing_but_labels():
    src, dst, weight = arrays(EDGES)
    membership = np.array([1, 1, 1, 1, 0, 0])
    pruned = prune_weak_members(membership, src=src, dst=dst, weight=weight, min_strength=0.0)
    assert pruned.tolist() == [0, 0, 0, 0, 1, 1]


def test_invalid_threshold():
    src, dst, weight = arrays(EDGES)
    with pytest.raises(ValueError, match="min_strength"):
        prune_weak_members(np.zeros(6), src=src, dst=dst, weight=weight, min_strength=-1)
