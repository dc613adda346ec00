"""Seeded, canonical Leiden community detection (igraph) on an undirected weighted graph.

How a partition is made, and what it means:

* Connected components are the first split. Nodes in components with fewer than ``min_size``
  nodes (isolated nodes, by default) are in no community: membership -1.
* A component of one or two nodes (if not below ``min_size``) is one community as it stands,
  whatever its weight: a connected pair is never split.
* Larger components go through igraph's ``community_leiden``. The CPM objective is additive over
  components, so one call over the subgraph induced by all of them is equivalent and faster.
  Modularity's null model is global to the graph it sees, so it is run per component (biggest
  first): each component is judged against its own expected weight, not the whole graph's.
* A community is never allowed to span two components (split by component if it would).
* Labels are canonical: communities ``0..k-1``, largest first, ties by smallest member node id;
  communities with fewer than ``min_size`` nodes become -1.

Caveat on modularity: judged against its own null model, a component that is a single dense
group scores 0 as one community, so Leiden splits it (on a synthetic world of disjoint farms of
10-50 accounts it cut each into about five pieces). CPM has no such effect; it is the default.

Determinism: igraph draws random numbers through a process-wide generator which by default is
Python's ``random`` module. Each run installs a private ``random.Random(seed)`` for its
duration and then puts the previous one back (see :func:`seeded_igraph_rng`). The global
``random`` state is neither read nor advanced. Runs are serialised by a lock so that two
threads do not swap the generator under each other.
"""

import math
import operator
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import igraph
import numpy as np
import numpy.typing as npt
import polars as pl

from graph.build import (
    EdgeList,
    canonical_labels,
    component_labels,
    graph_from_edges,
    induced_edges,
    prepare_edges,
)

Objective = Literal["CPM", "modularity"]
OBJECTIVES: tuple[Objective, ...] = ("CPM", "modularity")

_RNG_LOCK = threading.RLock()
# Generators installed by `seeded_igraph_rng`, innermost last; the bottom is igraph's default.
_RNG_STACK: list[object] = [random]


@dataclass(frozen=True, eq=False)
class CommunityResult:
    """A canonical partition of nodes ``0..n_nodes-1``.

    ``membership``: int32 community per node, ``0..n_communities-1`` (largest first, ties by
    smallest member id), -1 for nodes in no community.

    ``component``: int32 canonical connected-component label per node (largest first).

    ``quality``: the objective Leiden optimised, on igraph's scale, for the partition it
    returned (before communities smaller than ``min_size`` were dropped), with every node
    outside a community a singleton. It is ``sum(q_i * 2 m_i) / (2 M)`` over the pieces the
    graph was cut into, where ``q_i`` is the quality igraph reports for a piece with total edge
    weight ``m_i`` and ``M`` is the total edge weight of the graph; pieces that skip Leiden
    (pairs, singletons) use the same formula. For CPM that is exactly igraph's CPM quality of
    the partition on the whole graph, ``(sum_c 2 w_c - resolution * n_c**2) / (2 M)``. For
    modularity it is the weight-weighted mean of the per-component modularities (each with its
    own null model). NaN when the graph has no edge weight.

    ``modularity``: classic weighted Newman-Girvan modularity (resolution 1) of the final
    partition on the whole graph, nodes with -1 each their own singleton (igraph's
    ``Graph.modularity``). NaN when the graph has no edge weight.

    ``params``: the settings that produced it (objective, resolution, beta, n_iterations,
    seed, min_size).
    """

    membership: npt.NDArray[np.int32]
    component: npt.NDArray[np.int32]
    n_communities: int
    quality: float
    modularity: float
    params: dict[str, object]

    def __post_init__(self) -> None:
        self.membership.flags.writeable = False
        self.component.flags.writeable = False

    def sizes(self) -> npt.NDArray[np.int64]:
        """Number of nodes in each community, indexed by community label (non-increasing)."""
        return np.bincount(self.membership[self.membership >= 0], minlength=self.n_communities)

    def to_polars(self) -> pl.DataFrame:
        """One row per node in a community: ``node``, ``community``, ``component`` (int32)."""
        nodes = np.flatnonzero(self.membership >= 0)
        return pl.DataFrame(
            {
                "node": nodes.astype(np.int32),
                "community": self.membership[nodes],
                "component": self.component[nodes],
            }
        )


@contextmanager
def seeded_igraph_rng(seed: int) -> Iterator[None]:
    """Make igraph draw from a private ``random.Random(seed)`` inside the block.

    On exit igraph goes back to the generator of the enclosing block, or to its default, the
    ``random`` module (igraph cannot report its current generator, so one installed by other
    code is not restored). Blocks nest, and a lock keeps threads from interleaving them.
    """
    with _RNG_LOCK:
        generator = random.Random(seed)
        _RNG_STACK.append(generator)
        igraph.set_random_number_generator(generator)
        try:
            yield
        finally:
            _RNG_STACK.pop()
            igraph.set_random_number_generator(_RNG_STACK[-1])


def _int_param(name: str, value: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None


def _positive_float(name: str, value: float) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return number


@dataclass(frozen=True)
class _Leiden:
    objective: Objective
    resolution: float
    beta: float
    n_iterations: int

    def run(self, g: igraph.Graph, two_m: float) -> tuple[npt.NDArray[np.int64], float]:
        """Membership of ``g`` (total weight ``two_m / 2``) and its unnormalised quality:
        igraph's reported quality times ``two_m``."""
        clustering = g.community_leiden(
            objective_function=self.objective,
            weights="weight",
            resolution=self.resolution,
            beta=self.beta,
            initial_membership=None,
            n_iterations=self.n_iterations,
        )
        membership = np.asarray(clustering.membership, dtype=np.int64)
        if two_m > 0:
            return membership, float(clustering.quality) * two_m
        # igraph divides by 2m = 0 (-inf for CPM, NaN for modularity); keep the numerator.
        if self.objective == "CPM":
            return membership, -self.resolution * float(np.square(np.bincount(membership)).sum())
        return membership, 0.0


def _leiden_cpm(
    edges: EdgeList,
    mask: npt.NDArray[np.bool_],
    raw: npt.NDArray[np.int64],
    leiden: _Leiden,
) -> float:
    """One CPM call over the subgraph ``mask`` induces; writes labels into ``raw``.

    Only that subgraph is ever built: building the whole graph to take its induced subgraph
    cost 9 s at 1M accounts (8.4M edges), this 5 s, and at 10M two graphs were alive at once."""
    nodes = np.flatnonzero(mask)
    if nodes.size == 0:
        return 0.0
    sub = induced_edges(edges, mask)
    membership, quality = leiden.run(graph_from_edges(sub), 2.0 * float(sub.weight.sum()))
    raw[nodes] = membership
    return quality


def _leiden_modularity(
    edges: EdgeList,
    component: npt.NDArray[np.int32],
    comp_sizes: npt.NDArray[np.int64],
    smallest: int,
    raw: npt.NDArray[np.int64],
    leiden: _Leiden,
) -> float:
    """One modularity call per component of at least ``smallest`` nodes, biggest first."""
    n_big = int(np.count_nonzero(comp_sizes >= smallest))  # labels are sorted by size
    if n_big == 0:
        return 0.0
    n_comp = comp_sizes.size
    node_order = np.argsort(component, kind="stable")
    node_start = np.concatenate(([0], np.cumsum(comp_sizes)))
    local = np.empty(edges.n_nodes, dtype=np.int64)
    local[node_order] = np.arange(edges.n_nodes) - node_start[component[node_order]]
    edge_comp = component[edges.src]
    edge_order = np.argsort(edge_comp, kind="stable")
    edge_start = np.concatenate(([0], np.cumsum(np.bincount(edge_comp, minlength=n_comp))))
    quality = 0.0
    offset = 0
    for k in range(n_big):
        nodes = node_order[node_start[k] : node_start[k + 1]]
        idx = edge_order[edge_start[k] : edge_start[k + 1]]
        part = EdgeList(
            n_nodes=int(nodes.size),
            src=local[edges.src[idx]],
            dst=local[edges.dst[idx]],
            weight=edges.weight[idx],
        )
        membership, q = leiden.run(graph_from_edges(part), 2.0 * float(part.weight.sum()))
        raw[nodes] = offset + membership
        offset += int(nodes.size)
        quality += q
    return quality


def _outside_leiden_quality(
    *,
    objective: Objective,
    resolution: float,
    edges: EdgeList,
    component: npt.NDArray[np.int32],
    comp_sizes: npt.NDArray[np.int64],
    direct: npt.NDArray[np.bool_],
    singleton: npt.NDArray[np.bool_],
) -> float:
    """Unnormalised quality of the direct communities (whole small components, by component
    flag ``direct``) and of the singleton nodes (node flag ``singleton``)."""
    comp_weight = np.bincount(component[edges.src], weights=edges.weight, minlength=comp_sizes.size)
    w = comp_weight[direct]
    if objective == "CPM":
        sizes = comp_sizes[direct].astype(np.float64)
        return float(np.sum(2.0 * w - resolution * sizes**2)) - resolution * int(singleton.sum())
    # Per-component modularity numerator: sum_c 2 w_c - resolution * K_c**2 / (2 m_k).
    # A whole component has K_c = 2 m_k, so its term is 2 w (1 - resolution).
    whole = float(np.sum(2.0 * w * (1.0 - resolution)))
    strength = np.bincount(edges.src, weights=edges.weight, minlength=edges.n_nodes)
    strength += np.bincount(edges.dst, weights=edges.weight, minlength=edges.n_nodes)
    two_m = 2.0 * comp_weight[component[singleton]]
    k = strength[singleton]
    safe = np.where(two_m > 0, two_m, 1.0)
    return whole - resolution * float(np.sum(np.where(two_m > 0, k**2 / safe, 0.0)))


def _modularity(edges: EdgeList, membership: npt.NDArray[np.int32], n_communities: int) -> float:
    """Newman-Girvan modularity (resolution 1) with nodes of community -1 each a singleton:
    ``sum_c w_c / m - (K_c / 2m)**2``, ``w_c`` the weight inside ``c`` and ``K_c`` its
    strength. On the arrays, not igraph's ``Graph.modularity``: that one wants a Python list of
    every node's label, gigabytes at 10M accounts. Edges are unique pairs without loops."""
    m = float(edges.weight.sum())
    label = membership.astype(np.int64)
    outside = label < 0
    label[outside] = n_communities + np.arange(int(outside.sum()))
    a, b = label[edges.src], label[edges.dst]
    inside = float(edges.weight[a == b].sum())
    strength = np.bincount(a, weights=edges.weight, minlength=label.size)
    strength += np.bincount(b, weights=edges.weight, minlength=label.size)
    return inside / m - float(np.square(strength / (2.0 * m)).sum())


def detect_communities(
    *,
    n_nodes: int,
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    weight: npt.ArrayLike | None = None,
    seed: int,
    objective: Objective = "CPM",
    resolution: float = 0.05,
    n_iterations: int = -1,
    beta: float = 0.01,
    min_size: int = 2,
) -> CommunityResult:
    """Partition nodes ``0..n_nodes-1`` into communities with seeded Leiden.

    ``src``/``dst``/``weight`` are validated and merged as in :func:`graph.build.build_graph`
    (duplicate pairs sum their weights). ``objective`` is ``"CPM"`` (resolution is a density
    threshold in edge-weight units: a community's internal weight must beat ``resolution``
    per node pair) or ``"modularity"`` (resolution 1 is classic modularity). ``n_iterations``
    is the number of Leiden iterations, negative to iterate until the partition is stable.
    ``beta`` is Leiden's refinement randomness. Nodes in components smaller than ``min_size``
    and communities smaller than ``min_size`` get -1. The same inputs and ``seed`` always give
    the same result. See the module docstring for the procedure and :class:`CommunityResult`
    for the outputs.
    """
    seed = _int_param("seed", seed)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    resolution = _positive_float("resolution", resolution)
    beta = _positive_float("beta", beta)
    n_iterations = _int_param("n_iterations", n_iterations)
    if n_iterations == 0:
        raise ValueError("n_iterations must be positive, or negative to run until stable; got 0")
    min_size = _int_param("min_size", min_size)
    if min_size < 1:
        raise ValueError(f"min_size must be >= 1, got {min_size}")
    edges = prepare_edges(n_nodes=n_nodes, src=src, dst=dst, weight=weight)
    n = edges.n_nodes

    component = component_labels(edges)
    comp_sizes = np.bincount(component, minlength=1 if n else 0).astype(np.int64)
    node_comp_size = comp_sizes[component]
    smallest_leiden = max(3, min_size)

    # raw community ids: -1 none, 0..n-1 Leiden, n for whole small components (split below).
    raw = np.full(n, -1, dtype=np.int64)
    direct_nodes = (node_comp_size >= min_size) & (node_comp_size <= 2)
    raw[direct_nodes] = n
    leiden = _Leiden(objective, resolution, beta, n_iterations)
    with seeded_igraph_rng(seed):
        if objective == "CPM":
            quality = _leiden_cpm(edges, node_comp_size >= smallest_leiden, raw, leiden)
        else:
            quality = _leiden_modularity(edges, component, comp_sizes, smallest_leiden, raw, leiden)
    quality += _outside_leiden_quality(
        objective=objective,
        resolution=resolution,
        edges=edges,
        component=component,
        comp_sizes=comp_sizes,
        direct=(comp_sizes >= min_size) & (comp_sizes <= 2),
        singleton=raw < 0,
    )
    total_weight = float(edges.weight.sum())
    quality = quality / (2.0 * total_weight) if total_weight > 0 else math.nan

    # Split any community that spans components, then canonical labels with min_size.
    membership = np.full(n, -1, dtype=np.int32)
    nodes_in = np.flatnonzero(raw >= 0)
    n_communities = 0
    if nodes_in.size:
        key = raw[nodes_in] * max(comp_sizes.size, 1) + component[nodes_in]
        dense = np.unique(key, return_inverse=True)[1].astype(np.int64)
        labels = canonical_labels(dense, min_size=min_size)
        membership[nodes_in] = labels
        n_communities = int(labels.max()) + 1 if labels.size else 0

    modularity = _modularity(edges, membership, n_communities) if total_weight > 0 else math.nan

    return CommunityResult(
        membership=membership,
        component=component,
        n_communities=n_communities,
        quality=quality,
        modularity=modularity,
        params={
            "objective": objective,
            "resolution": resolution,
            "beta": beta,
            "n_iterations": n_iterations,
            "seed": seed,
            "min_size": min_size,
        },
    )
