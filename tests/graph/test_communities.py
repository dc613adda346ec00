"""graph.communities: seeded, canonical Leiden on tiny hand-built graphs and planted partitions."""

import math
import random

import igraph
import networkx as nx
import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from graph import CommunityResult, detect_communities, seeded_igraph_rng
from graph import communities as communities_module

Edges = list[tuple[int, int]]

TWO_TRIANGLES_AND_BRIDGE: Edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]
STAR: Edges = [(0, leaf) for leaf in range(1, 6)]


def detect(n_nodes: int, edges: Edges, **kwargs: object) -> CommunityResult:
    src = np.array([a for a, _ in edges], dtype=np.int64)
    dst = np.array([b for _, b in edges], dtype=np.int64)
    kwargs.setdefault("seed", 0)
    return detect_communities(n_nodes=n_nodes, src=src, dst=dst, **kwargs)  # type: ignore[arg-type]


def clique(nodes: range) -> Edges:
    return [(a, b) for a in nodes for b in nodes if a < b]


def planted_partition(
    seed: int,
) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]:
    """20 groups of 10-50 nodes, each pair inside a group linked with p=0.5, plus 150 random
    noise edges anywhere. Returns n_nodes, src, dst and the true group per node."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(10, 51, size=20)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    src_parts, dst_parts = [], []
    for start, size in zip(starts[:-1], sizes, strict=True):
        a, b = np.triu_indices(int(size), k=1)
        keep = rng.random(a.size) < 0.5
        src_parts.append(start + a[keep])
        dst_parts.append(start + b[keep])
    n_nodes = int(starts[-1])
    noise_src, noise_dst = rng.integers(0, n_nodes, 150), rng.integers(0, n_nodes, 150)
    ok = noise_src != noise_dst
    src = np.concatenate([*src_parts, noise_src[ok]])
    dst = np.concatenate([*dst_parts, noise_dst[ok]])
    truth = np.repeat(np.arange(20), sizes).tolist()
    return n_nodes, src, dst, truth


@pytest.mark.parametrize(("objective", "resolution"), [("CPM", 0.5), ("modularity", 1.0)])
def test_two_triangles_joined_by_a_bridge_are_two_communities(
    objective: str, resolution: float
) -> None:
    result = detect(6, TWO_TRIANGLES_AND_BRIDGE, objective=objective, resolution=resolution)

    assert result.membership.tolist() == [0, 0, 0, 1, 1, 1]
    assert result.n_communities == 2
    assert result.component.tolist() == [0] * 6


def test_low_cpm_resolution_keeps_the_bridged_triangles_together() -> None:
    # Merging gains 2 * bridge weight - resolution * 2 * 3 * 3 > 0 iff resolution < 1/9.
    result = detect(6, TWO_TRIANGLES_AND_BRIDGE, resolution=0.05)

    assert result.membership.tolist() == [0] * 6


def test_star_is_one_community_at_low_resolution() -> None:
    assert detect(6, STAR, resolution=0.05).membership.tolist() == [0] * 6


def test_star_at_high_resolution_leaves_all_but_one_leaf_outside() -> None:
    # At 0.9 the hub gains by pairing with one leaf but loses by taking a second.
    result = detect(6, STAR, resolution=0.9)

    assert result.n_communities == 1
    assert result.sizes().tolist() == [2]
    assert result.membership[0] == 0
    assert (result.membership[1:] == -1).sum() == 4


def test_disconnected_cliques_get_canonical_labels_largest_first() -> None:
    edges = clique(range(3)) + clique(range(10, 15)) + clique(range(20, 23))
    result = detect(23, edges)

    assert result.membership[10:15].tolist() == [0] * 5
    assert result.membership[0:3].tolist() == [1] * 3  # tie with 20..22: smaller id first
    assert result.membership[20:23].tolist() == [2] * 3
    assert result.membership[3:10].tolist() == [-1] * 7  # isolated
    assert result.component[:3].tolist() == [1, 1, 1]
    assert result.component[3:10].tolist() == list(range(3, 10))
    assert result.sizes().tolist() == [5, 3, 3]


def test_isolated_nodes_are_in_no_community() -> None:
    result = detect(8, TWO_TRIANGLES_AND_BRIDGE, resolution=0.5)

    assert result.membership[6:].tolist() == [-1, -1]
    assert result.component[6:].tolist() == [1, 2]
    assert result.to_polars()["node"].to_list() == [0, 1, 2, 3, 4, 5]


def test_a_pair_is_one_community_whatever_its_weight() -> None:
    result = detect_communities(
        n_nodes=3, src=np.array([2]), dst=np.array([0]), weight=np.array([0.001]), seed=0
    )

    assert result.membership.tolist() == [0, -1, 0]


def test_min_size_drops_small_components_and_communities() -> None:
    edges = [(0, 1), *clique(range(2, 6))]

    assert detect(6, edges, min_size=3).membership.tolist() == [-1, -1, 0, 0, 0, 0]
    assert detect(6, edges, min_size=5).membership.tolist() == [-1] * 6
    assert detect(6, edges, min_size=5).n_communities == 0


@pytest.mark.parametrize("objective", ["CPM", "modularity"])
def test_a_community_never_spans_two_components(objective: str) -> None:
    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 300, 250), rng.integers(0, 300, 250)
    ok = src != dst
    result = detect_communities(
        n_nodes=300,
        src=src[ok],
        dst=dst[ok],
        seed=1,
        objective=objective,  # type: ignore[arg-type]
    )

    inside = result.membership >= 0
    pairs = np.unique(np.stack([result.membership[inside], result.component[inside]]), axis=1)
    assert pairs.shape[1] == result.n_communities


def test_a_community_spanning_components_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_block(self: object, g: igraph.Graph, two_m: float) -> tuple[np.ndarray, float]:
        return np.zeros(g.vcount(), dtype=np.int64), 0.0

    monkeypatch.setattr(communities_module._Leiden, "run", one_block)
    result = detect(7, clique(range(3)) + clique(range(3, 7)))

    assert result.membership.tolist() == [1, 1, 1, 0, 0, 0, 0]


def test_same_seed_same_partition_whatever_the_global_random_state() -> None:
    n_nodes, src, dst, _ = planted_partition(seed=1)
    rng = np.random.default_rng(4)
    g_src, g_dst = rng.integers(0, 200, 600), rng.integers(0, 200, 600)
    g_src, g_dst = g_src[g_src != g_dst], g_dst[g_src != g_dst]

    def run(seed: int) -> list[int]:
        result = detect_communities(n_nodes=200, src=g_src, dst=g_dst, seed=seed, resolution=0.1)
        membership: list[int] = result.membership.tolist()
        return membership

    random.seed(1)
    first = run(seed=5)
    random.seed(99)
    _ = [random.random() for _ in range(17)]
    igraph.Graph.Erdos_Renyi(n=50, p=0.2)  # igraph itself drawing from `random`
    assert run(seed=5) == first
    assert len({tuple(run(seed=s)) for s in range(5)}) > 1, "the seed should matter here"
    planted = detect_communities(n_nodes=n_nodes, src=src, dst=dst, seed=3)
    again = detect_communities(n_nodes=n_nodes, src=src, dst=dst, seed=3)
    assert planted.membership.tolist() == again.membership.tolist()
    assert planted.quality == again.quality


def test_global_random_state_is_untouched_and_igraph_rng_restored() -> None:
    random.seed(7)
    expected = random.random()
    random.seed(7)
    detect(6, TWO_TRIANGLES_AND_BRIDGE)
    assert random.random() == expected

    random.seed(11)
    a = igraph.Graph.Erdos_Renyi(n=40, p=0.2).get_edgelist()
    detect(6, TWO_TRIANGLES_AND_BRIDGE)
    random.seed(11)
    assert igraph.Graph.Erdos_Renyi(n=40, p=0.2).get_edgelist() == a


def test_seeded_blocks_nest_and_restore_the_enclosing_generator() -> None:
    def draw() -> list[tuple[int, int]]:
        edgelist: list[tuple[int, int]] = igraph.Graph.Erdos_Renyi(n=30, p=0.2).get_edgelist()
        return edgelist

    with seeded_igraph_rng(1):
        expected = [draw(), draw()]
    with seeded_igraph_rng(1):
        first = draw()
        detect(6, TWO_TRIANGLES_AND_BRIDGE)
        second = draw()

    assert [first, second] == expected


def test_planted_groups_are_recovered_by_cpm() -> None:
    n_nodes, src, dst, truth = planted_partition(seed=0)

    result = detect_communities(n_nodes=n_nodes, src=src, dst=dst, seed=0)

    ari = igraph.compare_communities(truth, result.membership.tolist(), method="adjusted_rand")
    assert ari >= 0.95
    assert result.component.max() == 0  # noise joined the groups into one component


def test_duplicate_edges_are_merged_with_summed_weight() -> None:
    doubled = detect_communities(
        n_nodes=6,
        src=np.array([0, 1, 0, 3, 4, 3, 2, 3]),
        dst=np.array([1, 2, 2, 4, 5, 5, 3, 2]),
        weight=np.array([1.0, 1, 1, 1, 1, 1, 0.25, 0.25]),
        seed=0,
        resolution=0.05,
    )
    merged = detect_communities(
        n_nodes=6,
        src=np.array([0, 1, 0, 3, 4, 3, 2]),
        dst=np.array([1, 2, 2, 4, 5, 5, 3]),
        weight=np.array([1.0, 1, 1, 1, 1, 1, 0.5]),
        seed=0,
        resolution=0.05,
    )

    assert doubled.membership.tolist() == merged.membership.tolist()
    assert doubled.quality == pytest.approx(merged.quality)
    assert doubled.modularity == pytest.approx(merged.modularity)


def cpm_quality(edges: Edges, membership: list[int], resolution: float) -> float:
    labels = [c if c >= 0 else -1 - node for node, c in enumerate(membership)]
    inside = sum(2.0 for a, b in edges if labels[a] == labels[b])
    sizes = np.unique(labels, return_counts=True)[1]
    return (inside - resolution * float(np.sum(sizes**2))) / (2.0 * len(edges))


def test_quality_and_modularity_match_textbook_formulas() -> None:
    edges = [*TWO_TRIANGLES_AND_BRIDGE, (7, 8), *clique(range(9, 13))]
    result = detect(14, edges, resolution=0.5)

    membership = result.membership.tolist()
    assert result.quality == pytest.approx(cpm_quality(edges, membership, 0.5))
    g = nx.Graph(edges)
    g.add_nodes_from(range(14))
    blocks = [{n for n in range(14) if membership[n] == c} for c in range(result.n_communities)]
    blocks += [{n} for n in range(14) if membership[n] < 0]
    assert result.modularity == pytest.approx(nx.community.modularity(g, blocks))


@pytest.mark.parametrize("seed", [1, 2])
def test_modularity_on_weighted_planted_partitions_matches_igraph(seed: int) -> None:
    """The array formula against igraph's Graph.modularity (weighted; with three isolated
    nodes and min_size dropping small communities, so that singletons count too)."""
    n_nodes, src, dst, _ = planted_partition(seed)
    n_nodes += 3
    weight = np.random.default_rng(seed).uniform(0.1, 1.0, src.size)
    result = detect_communities(
        n_nodes=n_nodes, src=src, dst=dst, weight=weight, seed=0, min_size=12
    )
    labels = result.membership.astype(np.int64)
    outside = labels < 0
    assert outside.any()
    labels[outside] = result.n_communities + np.arange(int(outside.sum()))
    pairs = {}
    for a, b, w in zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True):
        key = (min(a, b), max(a, b))
        pairs[key] = pairs.get(key, 0.0) + w  # duplicate pairs sum, as detect_communities does
    g = igraph.Graph(n_nodes, edges=list(pairs))
    g.es["weight"] = list(pairs.values())
    assert result.modularity == pytest.approx(g.modularity(labels.tolist(), weights="weight"))


def test_modularity_objective_quality_is_weight_weighted_mean_of_components() -> None:
    # Component 0: two triangles + bridge (7 edges); component 1: a pair (1 edge).
    result = detect(8, [*TWO_TRIANGLES_AND_BRIDGE, (6, 7)], objective="modularity", resolution=1.0)

    q_triangles = 2 * (6 / 14 - (7 / 14) ** 2)
    assert result.quality == pytest.approx(7 / 8 * q_triangles + 1 / 8 * 0.0)


def test_result_shape_params_and_polars_frame() -> None:
    result = detect(8, TWO_TRIANGLES_AND_BRIDGE, resolution=0.5, seed=42, n_iterations=3)

    assert result.membership.dtype == np.int32
    assert result.component.dtype == np.int32
    assert not result.membership.flags.writeable
    assert result.params == {
        "objective": "CPM",
        "resolution": 0.5,
        "beta": 0.01,
        "n_iterations": 3,
        "seed": 42,
        "min_size": 2,
    }
    frame = result.to_polars()
    assert frame.schema == pl.Schema(
        {"node": pl.Int32, "community": pl.Int32, "component": pl.Int32}
    )
    assert frame.rows() == [(0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 1, 0), (4, 1, 0), (5, 1, 0)]


def test_graph_without_edges() -> None:
    result = detect(3, [])

    assert result.membership.tolist() == [-1, -1, -1]
    assert result.n_communities == 0
    assert math.isnan(result.quality)
    assert math.isnan(result.modularity)
    assert result.to_polars().height == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"resolution": 0.0}, "resolution"),
        ({"resolution": -1.0}, "resolution"),
        ({"resolution": math.nan}, "resolution"),
        ({"beta": 0.0}, "beta"),
        ({"n_iterations": 0}, "n_iterations"),
        ({"min_size": 0}, "min_size"),
        ({"objective": "louvain"}, "objective"),
        ({"weight": np.array([1.0, -1.0])}, "negative"),
        ({"weight": np.array([1.0, np.nan])}, "finite"),
        ({"dst": np.array([1, 9])}, "outside"),
        ({"dst": np.array([1, 1])}, "self loops"),
        ({"dst": np.array([1])}, "differ in shape"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {
        "n_nodes": 3,
        "src": np.array([0, 1]),
        "dst": np.array([1, 2]),
        "seed": 0,
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        detect_communities(**arguments)  # type: ignore[arg-type]


def test_seed_is_required_and_must_be_an_integer() -> None:
    with pytest.raises(TypeError):
        detect_communities(n_nodes=2, src=np.array([0]), dst=np.array([1]))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="seed"):
        detect_communities(n_nodes=2, src=np.array([0]), dst=np.array([1]), seed=1.5)  # type: ignore[arg-type]
