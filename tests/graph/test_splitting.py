"""Cutting communities at the chance values part of them hangs on."""

import networkx as nx
import numpy as np
import pytest

from graph.splitting import split_at_chance_values

# Farm 0, 1, 2: a card (value 0) and a template (value 1, chance). Household 3, 4, 5: a card
# (value 2) and their home IP (value 3, chance), which farm account 2 also used.
FARM_AND_HOUSEHOLD = [
    (0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1),
    (3, 2), (4, 2), (5, 2), (3, 3), (4, 3), (5, 3), (2, 3),
]  # fmt: skip
CHANCE = [False, True, False, True]


def split(rows, chance, membership, min_size=2):
    account = np.array([a for a, _ in rows], dtype=np.int64)
    value = np.array([v for _, v in rows], dtype=np.int64)
    return split_at_chance_values(
        np.asarray(membership),
        account=account,
        value=value,
        chance=np.array(chance, dtype=bool),
        min_size=min_size,
    ).tolist()


def test_a_group_hanging_on_one_chance_value_becomes_its_own_community():
    assert split(FARM_AND_HOUSEHOLD, CHANCE, [0] * 6) == [0, 0, 0, 1, 1, 1]


def test_an_identifying_value_holds_the_group():
    """The same household, tied to the farm by a card farm account 2 also used."""
    assert split(FARM_AND_HOUSEHOLD, [False, True, False, False], [0] * 6) == [0] * 6


def test_two_chance_values_hold_the_group():
    """The household's BIN and postcode (value 4, chance) is farm account 1's too: two
    coincidences, no single value to cut at."""
    rows = [*FARM_AND_HOUSEHOLD, (3, 4), (1, 4)]
    assert split(rows, [*CHANCE, True], [0] * 6) == [0] * 6


def test_a_single_account_cut_off_leaves_every_community():
    """Account 6 shares one IP (value 4) with farm account 0; 7 and 8 share a device in another
    community, 9 is in none."""
    rows = [*FARM_AND_HOUSEHOLD, (6, 4), (0, 4), (7, 5), (8, 5)]
    membership = [3, 3, 3, 3, 3, 3, 3, 1, 1, -1]
    got = split(rows, [*CHANCE, True, False], membership)
    assert got == [0, 0, 0, 1, 1, 1, -1, 2, 2, -1]


def test_a_pair_tied_by_one_chance_value_dissolves():
    assert split([(0, 0), (1, 0)], [True], [0, 0]) == [-1, -1]


def test_min_size_keeps_parts_of_that_size_only():
    assert split(FARM_AND_HOUSEHOLD, CHANCE, [0] * 6, min_size=4) == [-1] * 6


def test_a_value_shared_across_communities_is_refused():
    with pytest.raises(ValueError, match="across communities"):
        split([(0, 0), (1, 0)], [True], [0, 1])


def test_an_account_outside_every_community_is_refused():
    with pytest.raises(ValueError, match="outside every community"):
        split([(0, 0), (1, 0)], [True], [0, -1])


def _networkx_parts(rows, chance, membership):
    """The definition with networkx: drop every chance value that is a cut vertex of the
    member-value graph, and the parts are its connected components (members only)."""
    g = nx.Graph()
    g.add_nodes_from(("a", i) for i, c in enumerate(membership) if c >= 0)
    g.add_edges_from((("a", a), ("v", v)) for a, v in rows)
    cut = {n for n in nx.articulation_points(g) if n[0] == "v" and chance[n[1]]}
    g.remove_nodes_from(cut)
    return {
        frozenset(n[1] for n in part if n[0] == "a")
        for part in nx.connected_components(g)
        if sum(n[0] == "a" for n in part) >= 2
    }


@pytest.mark.parametrize("seed", range(20))
def test_parts_match_the_definition_computed_with_networkx(seed):
    rng = np.random.default_rng(seed)
    n, n_communities = 40, 4
    membership = rng.integers(-1, n_communities, size=n)
    rows, chance = [], []
    for c in range(n_communities):
        members = np.flatnonzero(membership == c)
        if members.size < 2:
            continue
        for _ in range(rng.integers(1, 2 * members.size)):
            holders = rng.choice(members, size=min(members.size, rng.integers(2, 4)), replace=False)
            rows += [(int(a), len(chance)) for a in holders]
            chance.append(bool(rng.random() < 0.6))
    got = np.array(split(rows, chance, membership))
    parts = {frozenset(np.flatnonzero(got == label).tolist()) for label in set(got) - {-1}}
    held = {a for a, _ in rows}
    # Members holding no shared value are one part per community in the function; the
    # definition leaves them alone: compare the members that hold one.
    parts = {frozenset(p & held) for p in parts if len(p & held) >= 2}
    assert parts == _networkx_parts(rows, chance, membership)
