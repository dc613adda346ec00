"""Pruning weakly tied members out of communities."""

import numpy as np
import pytest

from graph.pruning import member_strength, prune_weak_members, weak_ties


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


def test_weak_ties_report_pruned_members_of_surviving_communities():
    """Node 3 hangs on to the triangle by 0.1 and is pruned: it is reported with the triangle's
    new label and its 0.1; the pair 6-7 dissolves (too weak) and reports nobody; node 8 was in
    no community at all."""
    src, dst, weight = arrays([*EDGES, (6, 7, 0.1), (3, 8, 0.9)])
    leiden = np.array([1, 1, 1, 1, 0, 0, 2, 2, -1])
    pruned = prune_weak_members(leiden, src=src, dst=dst, weight=weight, min_strength=0.3)
    assert pruned.tolist() == [0, 0, 0, -1, 1, 1, -1, -1, -1]
    nodes, community, strength = weak_ties(leiden, pruned, src=src, dst=dst, weight=weight)
    assert nodes.tolist() == [3]
    assert community.tolist() == [0]
    assert strength.tolist() == pytest.approx([0.1])


def test_weak_ties_sum_every_edge_to_the_community_not_to_other_pruned_nodes():
    """3 and 4 are both pruned from the square 0-1-2 (+ 3, 4): each reports its own edges to
    the kept members only, not the edge between them."""
    src, dst, weight = arrays(
        [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.9), (0, 3, 0.1), (1, 3, 0.1), (3, 4, 0.5), (2, 4, 0.2)]
    )
    leiden = np.zeros(5, dtype=np.int64)
    pruned = prune_weak_members(leiden, src=src, dst=dst, weight=weight, min_strength=0.8)
    assert pruned.tolist() == [0, 0, 0, -1, -1]
    nodes, community, strength = weak_ties(leiden, pruned, src=src, dst=dst, weight=weight)
    assert nodes.tolist() == [3, 4]
    assert community.tolist() == [0, 0]
    assert strength.tolist() == pytest.approx([0.2, 0.2])


def test_weak_ties_leave_out_nodes_tied_only_to_other_pruned_nodes():
    """The chain 3-4 hangs off the triangle: 4 is pruned (0.2), which leaves 3 with 0.2 and
    prunes it too. 3 is reported with its edge to 2; 4, whose only edge is to 3, is not."""
    src, dst, weight = arrays([(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.9), (2, 3, 0.2), (3, 4, 0.2)])
    leiden = np.zeros(5, dtype=np.int64)
    pruned = prune_weak_members(leiden, src=src, dst=dst, weight=weight, min_strength=0.3)
    assert pruned.tolist() == [0, 0, 0, -1, -1]
    nodes, community, strength = weak_ties(leiden, pruned, src=src, dst=dst, weight=weight)
    assert (nodes.tolist(), community.tolist()) == ([3], [0])
    assert strength.tolist() == pytest.approx([0.2])


def test_weak_ties_of_a_cut_community_go_to_the_part_they_weigh_most_on():
    """Leiden community 0 was cut into parts 0 (nodes 0-2) and 1 (nodes 3-5), and node 6 left
    it: it has 0.3 to part 0 and 0.2 + 0.2 to part 1."""
    src, dst, weight = arrays(
        [(0, 1, 0.9), (1, 2, 0.9), (3, 4, 0.9), (4, 5, 0.9), (2, 6, 0.3), (3, 6, 0.2), (4, 6, 0.2)]
    )
    leiden = np.zeros(7, dtype=np.int64)
    after = np.array([0, 0, 0, 1, 1, 1, -1])
    nodes, community, strength = weak_ties(leiden, after, src=src, dst=dst, weight=weight)
    assert (nodes.tolist(), community.tolist()) == ([6], [1])
    assert strength.tolist() == pytest.approx([0.4])


def test_weak_ties_refuse_a_membership_that_is_not_a_pruning():
    src, dst, weight = arrays(EDGES)
    with pytest.raises(ValueError, match="not a pruning"):
        weak_ties(
            np.array([-1, 0, 0, 0, 1, 1]),
            np.array([0, 0, 0, 0, 1, 1]),
            src=src,
            dst=dst,
            weight=weight,
        )
