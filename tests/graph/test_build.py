"""graph.build: validation, duplicate merging, canonical connected components."""

from collections import defaultdict

import igraph
import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import build_graph, connected_components, merge_links, prepare_edges
from graph.build import graph_from_edges, induced_edges


def edge_weights(g: igraph.Graph) -> dict[tuple[int, int], float]:
    return dict(zip(g.get_edgelist(), g.es["weight"], strict=True))


def test_build_graph_is_undirected_with_weight_attribute() -> None:
    g = build_graph(
        n_nodes=4, src=np.array([0, 2]), dst=np.array([1, 1]), weight=np.array([0.5, 2.0])
    )

    assert g.vcount() == 4
    assert not g.is_directed()
    assert edge_weights(g) == {(0, 1): 0.5, (1, 2): 2.0}


def test_without_weights_every_edge_weighs_one() -> None:
    g = build_graph(n_nodes=3, src=np.array([0, 1]), dst=np.array([1, 2]))

    assert g.es["weight"] == [1.0, 1.0]


def test_duplicate_pairs_in_either_direction_merge_summing_weights() -> None:
    g = build_graph(
        n_nodes=4,
        src=np.array([0, 1, 2, 0]),
        dst=np.array([1, 0, 3, 1]),
        weight=np.array([1.0, 2.0, 4.0, 0.5]),
    )

    assert edge_weights(g) == {(0, 1): 3.5, (2, 3): 4.0}


def test_duplicates_without_weights_count_multiplicity() -> None:
    g = build_graph(n_nodes=3, src=np.array([2, 1, 1]), dst=np.array([1, 2, 0]))

    assert edge_weights(g) == {(0, 1): 1.0, (1, 2): 2.0}


def test_isolated_nodes_and_empty_graphs_are_kept() -> None:
    assert build_graph(n_nodes=5, src=np.array([0]), dst=np.array([1])).vcount() == 5
    empty = build_graph(n_nodes=0, src=np.array([], dtype=np.int64), dst=np.array([]))
    assert (empty.vcount(), empty.ecount()) == (0, 0)


@pytest.mark.parametrize(
    ("src", "dst", "weight", "match"),
    [
        ([0, 1], [1], None, "differ in shape"),
        ([0, 1], [1, 2], [1.0], "2 edges"),
        ([0, -1], [1, 2], None, "outside"),
        ([0, 1], [1, 3], None, "outside"),
        ([0, 1], [1, 1], None, "self loops"),
        ([0, 1], [1, 2], [1.0, -0.5], "negative"),
        ([0, 1], [1, 2], [1.0, np.nan], "finite"),
        ([0, 1], [1, 2], [np.inf, 1.0], "finite"),
    ],
)
def test_invalid_edges_raise_value_error(
    src: list[int], dst: list[int], weight: list[float] | None, match: str
) -> None:
    w = None if weight is None else np.array(weight)
    with pytest.raises(ValueError, match=match):
        build_graph(n_nodes=3, src=np.array(src), dst=np.array(dst), weight=w)


def test_non_integer_ids_raise_type_error() -> None:
    with pytest.raises(TypeError, match="integer"):
        build_graph(n_nodes=3, src=np.array([0.0, 1.0]), dst=np.array([1, 2]))


@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(0, 4).map(float)).filter(
            lambda e: e[0] != e[1]
        ),
        max_size=30,
    )
)
def test_prepare_edges_matches_a_dict_of_pairs(rows: list[tuple[int, int, float]]) -> None:
    expected: dict[tuple[int, int], float] = defaultdict(float)
    for a, b, w in rows:
        expected[(min(a, b), max(a, b))] += w

    edges = prepare_edges(
        n_nodes=8,
        src=np.array([r[0] for r in rows], dtype=np.int64),
        dst=np.array([r[1] for r in rows], dtype=np.int64),
        weight=np.array([r[2] for r in rows], dtype=np.float64),
    )

    got = dict(
        zip(zip(edges.src.tolist(), edges.dst.tolist(), strict=True), edges.weight, strict=True)
    )
    assert got == dict(expected)
    assert list(got) == sorted(got)


def test_components_are_canonical_largest_first_then_smallest_member() -> None:
    # {0,1} pair, {2} isolated, {3,4,5} path, {6,7} pair, {8} isolated
    labels = connected_components(n_nodes=9, src=np.array([0, 3, 4, 7]), dst=np.array([1, 4, 5, 6]))

    assert labels.dtype == np.int32
    assert labels.tolist() == [1, 1, 3, 0, 0, 0, 2, 2, 4]


def nx_canonical_components(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> list[int]:
    g = nx.Graph()
    g.add_nodes_from(range(n_nodes))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    comps = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    labels = [0] * n_nodes
    for label, comp in enumerate(comps):
        for node in comp:
            labels[node] = label
    return labels


def random_pairs(
    rng: np.random.Generator, min_nodes: int, max_nodes: int, pairs_per_node: int
) -> tuple[int, np.ndarray, np.ndarray]:
    """A random node count and node pairs on them, self loops left out."""
    n_nodes = int(rng.integers(min_nodes, max_nodes))
    m = int(rng.integers(0, pairs_per_node * n_nodes))
    src, dst = rng.integers(0, n_nodes, m), rng.integers(0, n_nodes, m)
    return n_nodes, src[src != dst], dst[src != dst]


@pytest.mark.parametrize("seed", range(25))
def test_connected_components_match_networkx(seed: int) -> None:
    n_nodes, src, dst = random_pairs(np.random.default_rng(seed), 1, 80, 2)

    got = connected_components(n_nodes=n_nodes, src=src, dst=dst).tolist()

    assert got == nx_canonical_components(n_nodes, src, dst), f"seed={seed}"


@pytest.mark.parametrize("seed", range(15))
def test_links_merged_part_by_part_give_the_components_of_all_at_once(seed: int) -> None:
    """`merge_links` over the links cut into parts (as `sybil evaluate` merges one kind of key
    at a time): every node ends pointing at its component's smallest node, and the roots it was
    given are not changed in place."""
    rng = np.random.default_rng(seed)
    n_nodes, src, dst = random_pairs(rng, 1, 80, 2)
    cuts = np.sort(rng.integers(0, src.size + 1, 3))
    root = np.arange(n_nodes, dtype=np.int64)
    for part in np.split(np.arange(src.size), cuts):
        before = root.copy()
        merged = merge_links(root, src[part], dst[part])
        assert np.array_equal(root, before)
        root = merged

    want = nx_canonical_components(n_nodes, src, dst)
    smallest = {label: min(i for i, x in enumerate(want) if x == label) for label in set(want)}
    assert root.tolist() == [smallest[label] for label in want], f"seed={seed}"


@pytest.mark.parametrize(
    "shape",
    ["path_descending", "path_shuffled", "star_on_last", "two_long_paths", "ladder"],
)
def test_components_of_long_and_skewed_graphs_match_networkx(shape: str) -> None:
    """Pointer jumping must carry the smallest label the whole length of long paths, whatever
    the numbering: these shapes are where label propagation is slowest to settle."""
    rng = np.random.default_rng(3)
    n = 2_000
    order = np.arange(n)
    if shape == "path_descending":
        order = order[::-1]
    elif shape == "path_shuffled":
        order = rng.permutation(n)
    if shape == "star_on_last":
        src, dst = np.full(n - 1, n - 1), np.arange(n - 1)
    elif shape == "two_long_paths":
        src = np.concatenate((order[0 : n // 2 - 1], order[n // 2 : n - 1]))
        dst = np.concatenate((order[1 : n // 2], order[n // 2 + 1 : n]))
    elif shape == "ladder":
        half = rng.permutation(n).reshape(2, -1)
        src = np.concatenate((half[0][:-1], half[1][:-1], half[0]))
        dst = np.concatenate((half[0][1:], half[1][1:], half[1]))
    else:
        src, dst = order[:-1], order[1:]

    got = connected_components(n_nodes=n, src=src, dst=dst).tolist()

    assert got == nx_canonical_components(n, src, dst)


@pytest.mark.parametrize("seed", range(10))
def test_induced_edges_are_igraphs_induced_subgraph(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_nodes, src, dst = random_pairs(rng, 2, 60, 3)
    edges = prepare_edges(n_nodes=n_nodes, src=src, dst=dst, weight=rng.random(src.size))
    keep = rng.random(n_nodes) < 0.6

    got = induced_edges(edges, keep)
    expected = graph_from_edges(edges).induced_subgraph(np.flatnonzero(keep))

    assert got.n_nodes == expected.vcount() == int(keep.sum())
    pairs = list(zip(got.src.tolist(), got.dst.tolist(), strict=True))
    assert dict(zip(pairs, got.weight.tolist(), strict=True)) == {
        tuple(sorted(e.tuple)): e["weight"] for e in expected.es
    }
    assert (got.src < got.dst).all()
    assert pairs == sorted(pairs)
