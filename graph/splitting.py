"""Cut communities where part of them hangs on one value of a kind strangers share by chance.

Pruning (`graph.pruning`) weighs each member's edges, but edges aggregate values: a household
whose three members share a card, a device and their home IP, and whose home IP one farm account
also used, is tied to the farm by three edges that are one coincidence. Summed, they weigh more
than a member needs, and Leiden's CPM lets a small group join a big one on little. In the graph
of a community's members and the values they share, that IP is a cut vertex: without it the
household is on its own. So each community is cut at every such value of a *chance* kind (an
exact IP, a /24, a BIN with a postcode, a template; not a mailbox, phone, device or card), and
each part becomes a community of its own, to be scored on its own evidence; a part of one account
leaves it (a weak tie of the part it hung on, see `graph.pruning.weak_ties`). An IP and its /24
are one value here (sql/communities/member_values.sql): as two, neither would be a cut vertex.
"""

import igraph
import numpy as np
import numpy.typing as npt

from graph.build import canonical_labels, merge_links


def split_at_chance_values(
    membership: npt.NDArray[np.integer],
    *,
    account: npt.NDArray[np.integer],
    value: npt.NDArray[np.integer],
    chance: npt.NDArray[np.bool_],
    min_size: int = 2,
) -> npt.NDArray[np.int32]:
    """Membership with every community cut at its chance values that are cut vertices of its
    member-value graph; canonical labels (largest first), parts below ``min_size`` set to -1.

    ``account``/``value`` are the incidence rows: member ``account`` holds shared value
    ``value`` (dense ids ``0..len(chance)-1``; a value belongs to one community, the one whose
    members share it). ``chance[v]`` says value ``v`` is of a chance kind.
    """
    m = np.asarray(membership, dtype=np.int64)
    acc = np.asarray(account, dtype=np.int64)
    val = np.asarray(value, dtype=np.int64)
    is_chance = np.asarray(chance, dtype=bool)
    if acc.shape != val.shape:
        raise ValueError("account and value must have the same length")
    if min_size < 1:
        raise ValueError(f"min_size must be >= 1, not {min_size}")
    n, n_values = m.size, is_chance.size
    if acc.size and (acc.min() < 0 or acc.max() >= n or val.min() < 0 or val.max() >= n_values):
        raise ValueError("account or value out of range")
    if np.any(m[acc] < 0):
        raise ValueError("an incidence row names an account outside every community")
    if acc.size and np.any(m[acc] != _value_community(m[acc], val, n_values)[val]):
        raise ValueError("a value is shared across communities: values belong to one")
    # Accounts joined by identifying values (never cut) are contracted into one node first,
    # through those values: no chance value is contracted, so whether it is a cut vertex and
    # what its removal separates stay the same, and the graph igraph builds is a quarter of the
    # rows at 1M accounts (building it took most of the time).
    held_by_chance = is_chance[val]
    root = merge_links(
        np.arange(n + n_values, dtype=np.int64),
        acc[~held_by_chance],
        n + val[~held_by_chance],
    )
    pairs = np.sort(root[acc[held_by_chance]] * n_values + val[held_by_chance])
    pairs = pairs[np.flatnonzero(np.diff(pairs, prepend=-1))]  # np.unique hashes: 3x slower
    node, chance_value = np.divmod(pairs, n_values)
    bipartite = igraph.Graph(n + n_values)
    bipartite.add_edges(np.column_stack([node, n + chance_value]))
    cut = np.asarray(bipartite.articulation_points(), dtype=np.int64)
    cut = cut[cut >= n] - n
    kept = ~np.isin(chance_value, cut)
    # The parts on the arrays: building a second igraph graph cost 5x as much at 1M accounts.
    part = merge_links(root, node[kept], n + chance_value[kept])[:n]
    # Members without shared values (none once pruned) make one part per community.
    inside = np.flatnonzero(m >= 0)
    out = np.full(n, -1, dtype=np.int32)
    if inside.size:
        key = np.where(np.isin(inside, acc), part[inside], -1 - m[inside])
        _, dense = np.unique(key, return_inverse=True)
        out[inside] = canonical_labels(dense.astype(np.int64), min_size=min_size)
    return out


def _value_community(
    communities: npt.NDArray[np.int64], value: npt.NDArray[np.int64], n_values: int
) -> npt.NDArray[np.int64]:
    """The community of each value (that of its smallest-labelled holder)."""
    first = np.full(n_values, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, value, communities)
    return first
