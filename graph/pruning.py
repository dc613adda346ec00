"""Drop members that hang on to their community by a thread.

Leiden (CPM) keeps a node in a community when one faint edge ties it there: an account that
shares a single busy prompt-hour or a /24 with one farm account ends up in the farm's cluster,
and a flagged cluster is banned whole. Members whose summed edge weight *inside* their community
is below ``min_strength`` are taken out (iteratively, since removing one weakens its neighbours),
communities that fall below ``min_size`` dissolve, and labels are made canonical again.
"""

import numpy as np
import numpy.typing as npt

from graph.build import canonical_labels


def member_strength(
    membership: npt.NDArray[np.integer],
    *,
    src: npt.NDArray[np.integer],
    dst: npt.NDArray[np.integer],
    weight: npt.NDArray[np.floating],
) -> npt.NDArray[np.float64]:
    """Each node's summed weight of edges to members of its own community (0 outside any)."""
    n = membership.size
    internal = (membership[src] >= 0) & (membership[src] == membership[dst])
    w = weight[internal].astype(np.float64)
    strength: npt.NDArray[np.float64] = np.bincount(src[internal], weights=w, minlength=n).astype(
        np.float64
    ) + np.bincount(dst[internal], weights=w, minlength=n)
    return strength


def prune_weak_members(
    membership: npt.NDArray[np.integer],
    *,
    src: npt.NDArray[np.integer],
    dst: npt.NDArray[np.integer],
    weight: npt.NDArray[np.floating],
    min_strength: float,
    min_size: int = 2,
    max_rounds: int = 50,
) -> npt.NDArray[np.int32]:
    """Membership with weakly tied members set to -1 and canonical labels (largest first)."""
    if not np.isfinite(min_strength) or min_strength < 0:
        raise ValueError(f"min_strength must be finite and >= 0, not {min_strength}")
    if min_size < 1:
        raise ValueError(f"min_size must be >= 1, not {min_size}")
    if not (src.shape == dst.shape == weight.shape):
        raise ValueError("src, dst and weight must have the same length")
    m = np.asarray(membership, dtype=np.int64).copy()
    for _ in range(max_rounds):
        strength = member_strength(m, src=src, dst=dst, weight=weight)
        inside = m >= 0
        # a community shrunk below min_size cannot hold anybody
        sizes = np.bincount(m[inside], minlength=1)
        drop = inside & ((strength < min_strength) | (sizes[np.maximum(m, 0)] < min_size))
        if not drop.any():
            break
        m[drop] = -1
    out = np.full(m.size, -1, dtype=np.int32)
    kept = np.flatnonzero(m >= 0)
    if kept.size:
        _, dense = np.unique(m[kept], return_inverse=True)
        out[kept] = canonical_labels(dense.astype(np.int64), min_size=min_size)
    return out


def weak_ties(
    leiden: npt.NDArray[np.integer],
    pruned: npt.NDArray[np.integer],
    *,
    src: npt.NDArray[np.integer],
    dst: npt.NDArray[np.integer],
    weight: npt.NDArray[np.floating],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """The nodes taken out of their Leiden community with an edge left to what became of it:
    (node, the community in `pruned` it has most weight to among those its Leiden community
    became, that summed edge weight), by node.

    `pruned` is `leiden` after pruning (`prune_weak_members`) and cutting
    (`graph.splitting.split_at_chance_values`): both only take nodes out and divide
    communities, so what a Leiden community became are the communities of its remaining
    members. A node of a dissolved community has no tie to report, nor one tied only to others
    taken out with it. Such nodes are too weakly tied to be banned with their cluster, and worth a
    reviewer's look (a new farm account seen once on a farm's IP is one of them, and so is a
    stranger who happened to use it).
    """
    before = np.asarray(leiden, dtype=np.int64)
    after = np.asarray(pruned, dtype=np.int64)
    if before.shape != after.shape:
        raise ValueError("leiden and pruned must have the same length")
    if np.any(before[after >= 0] < 0):
        raise ValueError("pruned holds a node that leiden leaves out: not a pruning of it")
    removed = (before >= 0) & (after < 0)
    # Each edge from a removed node to a remaining member of its Leiden community, both ways.
    w = weight.astype(np.float64)
    a = np.concatenate([src, dst]).astype(np.int64)
    b = np.concatenate([dst, src]).astype(np.int64)
    tied = removed[a] & (after[b] >= 0) & (before[b] == before[a])
    node, community, ww = a[tied], after[b[tied]], np.concatenate([w, w])[tied]
    if node.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float64)
    # Summed weight per (node, community); then each node's heaviest (ties: the smaller label).
    order = np.lexsort((community, node))
    node, community, ww = node[order], community[order], ww[order]
    starts = np.flatnonzero(
        np.r_[True, (node[1:] != node[:-1]) | (community[1:] != community[:-1])]
    )
    node, community, total = node[starts], community[starts], np.add.reduceat(ww, starts)
    best = np.lexsort((community, -total, node))
    first = best[np.r_[True, node[best][1:] != node[best][:-1]]]
    return node[first], community[first].astype(np.int32), total[first]
