"""Edge building in SQL: hub values add no cliques, weights and evidence are right."""

from __future__ import annotations

import itertools
import math

import duckdb
import pytest

from pipelines.ingest.reader import load_reference
from pipelines.sql import create_table


def build_edges(
    con: duckdb.DuckDBPyConnection,
    keys: list[tuple[int, str, str]],
    *,
    max_chords: int = 4,
    min_weight: float = 0.0,
    exclude_families: tuple[str, ...] = (),
    ids: dict[int, str] | None = None,
) -> list[tuple]:
    load_reference(con, "key_kinds")
    con.execute("create schema if not exists features")
    con.execute(
        "create or replace table features.account_keys "
        "(account_idx integer, kind varchar, key varchar)"
    )
    con.executemany("insert into features.account_keys values (?, ?, ?)", keys)
    # Rings are ordered by a hash of the account id: staging.signups maps ids to account_idx.
    con.execute("create schema if not exists staging")
    con.execute("create or replace table staging.signups (account_idx integer, account_id varchar)")
    idx = sorted({k[0] for k in keys})
    con.executemany(
        "insert into staging.signups values (?, ?)",
        [(i, (ids or {}).get(i, f"acc-{i:06d}")) for i in idx],
    )
    create_table(con, "features.key_stats", "features/key_stats")
    create_table(
        con,
        "edges.similarity_edges",
        "edges/similarity_edges",
        {
            "max_chords": max_chords,
            "min_weight": min_weight,
            "exclude_families": list(exclude_families),
        },
    )
    # The kinds and families behind each edge's kind_mask, decoded as the published edges do.
    return con.sql(
        "select src, dst, weight, n_shared, "
        "(select list(kind order by kind) from ref.key_kinds as k "
        " where e.kind_mask & (1 << k.kind_no) <> 0) as kinds, "
        "(select list(distinct family order by family) from ref.key_kinds as k "
        " where e.kind_mask & (1 << k.kind_no) <> 0) as families "
        "from edges.similarity_edges as e order by src, dst"
    ).fetchall()


def kind_counts(con: duckdb.DuckDBPyConnection, src: int, dst: int) -> dict[str, int]:
    """The pair's values shared per kind, read from its packed words as the publish does."""
    rows = con.sql(
        "select k.kind, edge_kind_count(e.kind_counts_0, e.kind_counts_1, e.kind_counts_2, "
        "e.kind_counts_3, k.kind_no) from edges.similarity_edges as e cross join ref.key_kinds "
        "as k where e.src = $s and e.dst = $d",
        params={"s": src, "d": dst},
    ).fetchall()
    return {kind: n for kind, n in rows if n}


def test_values_shared_are_counted_per_kind(con):
    # 0 and 1 share two IPs, a device and a card; 1 and 2 a prompt template (kind_no 8, the
    # first kind of the second word) and a user agent (kind_no 13).
    keys = [
        *[(a, "ip", ip) for a in (0, 1) for ip in ("1.2.3.4", "5.6.7.8")],
        *[(a, "device", "d1") for a in (0, 1)],
        *[(a, "card", "c1") for a in (0, 1)],
        *[(a, "prompt", "t1") for a in (1, 2)],
        *[(a, "user_agent", "ua") for a in (1, 2)],
    ]
    build_edges(con, keys)
    assert kind_counts(con, 0, 1) == {"card": 1, "device": 1, "ip": 2}
    assert kind_counts(con, 1, 2) == {"prompt": 1, "user_agent": 1}
    n_shared = con.sql("select src, dst, n_shared from edges.similarity_edges order by all")
    assert n_shared.fetchall() == [(0, 1, 4), (1, 2, 2)]


def test_a_kind_count_past_16_bits_is_capped_not_carried_into_the_next_kind(con):
    build_edges(con, [(a, "email", "e1") for a in (0, 1)])
    # 70,000 prompt_hour values (kind_no 9) shared, beside one prompt (kind_no 8).
    con.execute(
        "insert into features.account_keys select a, 'prompt_hour', 'h' || i "
        "from range(2) as t(a), range(70000) as r(i) "
        "union all select a, 'prompt', 't1' from range(2) as t(a)"
    )
    create_table(con, "features.key_stats", "features/key_stats")
    params = {"max_chords": 4, "min_weight": 0.0, "exclude_families": []}
    create_table(con, "edges.similarity_edges", "edges/similarity_edges", params)
    assert kind_counts(con, 0, 1) == {"email": 1, "prompt": 1, "prompt_hour": 65535}
    n_shared = con.sql("select n_shared from edges.similarity_edges").fetchall()
    assert n_shared == [(70002,)]


def test_small_group_is_a_clique_with_evidence(con):
    keys = [(i, "card", "fp1") for i in range(4)] + [(0, "phone", "123"), (1, "phone", "123")]
    edges = build_edges(con, keys)
    assert [(s, d) for s, d, *_ in edges] == list(itertools.combinations(range(4), 2))
    by_pair = {(s, d): (w, n, kinds, fams) for s, d, w, n, kinds, fams in edges}
    weight, n_shared, kinds, families = by_pair[(0, 1)]
    assert n_shared == 2
    assert kinds == ["card", "phone"]
    assert families == ["identity", "payment"]
    # noisy-OR of the two values: card shared by 4, phone by 2 (strength 0.90 at n=2)
    card = 0.95 / (1 + math.log(4 - 1))
    assert weight == pytest.approx(1 - (1 - card) * (1 - 0.90), abs=1e-3)
    assert by_pair[(2, 3)][1] == 1


def test_an_excluded_family_links_nobody(con):
    keys = [(i, "card", "fp1") for i in range(3)] + [(0, "phone", "123"), (3, "phone", "123")]
    edges = build_edges(con, keys, exclude_families=("payment",))
    assert [(s, d, kinds) for s, d, _, _, kinds, _ in edges] == [(0, 3, ["phone"])]


def test_value_shared_by_5000_accounts_adds_no_clique(con):
    """A card held by 5,000 accounts is linked as a ring with chords, not 12.5M pairs."""
    n = 5000
    edges = build_edges(con, [(i, "card", "shared") for i in range(n)], max_chords=4)
    assert len(edges) <= 4 * n
    assert len(edges) >= 3 * n
    degree = [0] * n
    for s, d, *_ in edges:
        degree[s] += 1
        degree[d] += 1
    assert max(degree) <= 8
    assert min(degree) >= 1  # everyone still linked to the group


def test_hub_over_the_kinds_cap_links_nobody(con):
    """An IP shared by more accounts than ip's max_accounts (a NAT, a VPN exit) makes no edge."""
    keys = [(i, "ip", "10.0.0.1") for i in range(300)] + [
        (0, "ip", "1.1.1.1"),
        (1, "ip", "1.1.1.1"),
    ]
    edges = build_edges(con, keys)
    assert [(s, d) for s, d, *_ in edges] == [(0, 1)]
    stats = con.sql(
        "select key, n_accounts, linked from features.key_stats order by key"
    ).fetchall()
    assert stats == [("1.1.1.1", 2, True), ("10.0.0.1", 300, False)]


def test_strength_falls_with_the_number_of_holders(con):
    keys = [(i, "device", "small") for i in range(2)] + [
        (i, "device", "big") for i in range(10, 60)
    ]
    build_edges(con, keys)
    small, big = con.sql("select strength from features.key_stats order by n_accounts").fetchall()
    assert small[0] > big[0] > 0


def test_min_weight_drops_faint_pairs(con):
    keys = [(0, "user_agent", "ua"), (1, "user_agent", "ua"), (2, "card", "c"), (3, "card", "c")]
    edges = build_edges(con, keys, min_weight=0.1)
    assert [(s, d) for s, d, *_ in edges] == [(2, 3)]


def test_edges_are_deterministic(con):
    keys = [(i, "prompt_hour", f"t{i % 7}") for i in range(400)]
    first = build_edges(con, keys)
    second = build_edges(con, keys)
    assert first == second
    assert all(s < d for s, d, *_ in first)


def test_rings_stay_put_when_an_account_is_added(con):
    """Ring order follows the account id, not the dense account_idx: one new account (whose id
    sorts in the middle, so every later account_idx moves) changes only the chords next to it."""
    n = 1000
    before_ids = {i: f"acc-{2 * i:06d}" for i in range(n)}
    before = build_edges(con, [(i, "card", "c") for i in range(n)], ids=before_ids)
    # Re-index: the new account acc-000999 takes idx 500; everyone after moves up by one.
    after_ids = {i: f"acc-{2 * i:06d}" for i in range(500)}
    after_ids[500] = "acc-000999"
    after_ids.update({i + 1: f"acc-{2 * i:06d}" for i in range(500, n)})
    after = build_edges(con, [(i, "card", "c") for i in range(n + 1)], ids=after_ids)

    def pairs(edges: list[tuple], ids: dict[int, str]) -> set[tuple[str, str]]:
        return {tuple(sorted((ids[s], ids[d]))) for s, d, *_ in edges}

    old, new = pairs(before, before_ids), pairs(after, after_ids)
    changed = len(old ^ new)
    assert changed > 0
    # Each chord length 2^j is cut at the insertion point (one old pair out, up to two new in),
    # plus the new account's own chords: a few dozen pairs out of ~4,000, not a re-dealt ring.
    assert changed <= 6 * 4 * 2, changed


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 8, 9, 10, 12, 16, 17, 24, 40])
def test_each_ring_pair_comes_once(con, n):
    """Small rings reach some pairs from both ends (chords d and n - d); each pair must still
    count its shared value once, and every ring pair must be there."""
    edges = build_edges(con, [(i, "card", "c") for i in range(n)])
    assert all(n_shared == 1 for _, _, _, n_shared, _, _ in edges)
    pos = {
        row[0]: row[1]
        for row in con.sql(
            "select account_idx, row_number() over (order by hash(account_id), account_id) - 1 "
            "from staging.signups"
        ).fetchall()
    }
    at = {p: i for i, p in pos.items()}
    expected = {
        tuple(sorted((at[p], at[(p + 2**j) % n]))) for p in range(n) for j in range(4) if 2**j < n
    }
    assert {(s, d) for s, d, *_ in edges} == expected
