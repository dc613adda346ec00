"""Cluster identity across runs (`sql/history/cluster_ids.sql`) on tiny hand-made memberships:
persist, grow, split, merge, brand-new, disappear, ties, ids never reused."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.history.previous import HISTORY_COLUMNS
from pipelines.sql import create_table

DAY1 = datetime(2026, 10, 1)
DAY2 = datetime(2026, 10, 2)


def match(
    con: duckdb.DuckDBPyConnection,
    current: list[list[str]],
    baseline: dict[str, list[str]],
    *,
    gone_accounts: tuple[str, ...] = (),
    earlier_ids: tuple[str, ...] = (),
) -> dict[str, tuple]:
    """Run the matching: `current` lists this run's clusters (community = position), `baseline`
    the previous run's by id; accounts of `gone_accounts` are absent from this run's input.
    Returns cluster_id -> (members or None when gone, event, related, size, previous_size,
    added, removed)."""
    accounts = sorted({a for c in current for a in c} | {a for c in baseline.values() for a in c})
    present = [a for a in accounts if a not in gone_accounts]
    idx = {a: i for i, a in enumerate(present)}
    for schema in ("staging", "communities", "history"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(
        "create or replace table staging.signups as "
        "select unnest($ids) as account_id, generate_subscripts($ids, 1) - 1 as account_idx",
        {"ids": present},
    )
    con.execute(
        "create or replace table communities.account_communities "
        "(account_idx integer, community integer, component integer)"
    )
    for community, members in enumerate(current):
        con.executemany(
            "insert into communities.account_communities values (?, ?, 0)",
            [(idx[a], community) for a in members],
        )
    con.execute(
        "create or replace table history.baseline_members "
        "(cluster_id varchar, account_id varchar, member_since timestamp, as_of timestamp)"
    )
    for cluster_id, members in baseline.items():
        con.executemany(
            "insert into history.baseline_members values (?, ?, ?, ?)",
            [(cluster_id, a, DAY1, DAY1) for a in members],
        )
    columns = ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS)
    con.execute(f"create or replace table history.previous_history ({columns})")
    for cluster_id, members in baseline.items():
        con.execute(
            "insert into history.previous_history (cluster_id, as_of, event, size) "
            "values (?, ?, 'new', ?)",
            [cluster_id, DAY1, len(members)],
        )
    for cluster_id in earlier_ids:
        con.execute(
            "insert into history.previous_history (cluster_id, as_of, event, size) "
            "values (?, ?, 'dissolved', 0)",
            [cluster_id, datetime(2026, 9, 1)],
        )
    con.execute(
        "create or replace table history.as_of as "
        "select $as_of::timestamp as as_of, $base::timestamp as baseline_as_of",
        {"as_of": DAY2, "base": DAY1 if baseline else None},
    )
    create_table(con, "history.cluster_ids", "history/cluster_ids")
    rows = con.sql(
        "select cluster_id, community, event, related_cluster_id, size, previous_size, "
        "members_added, members_removed, first_seen from history.cluster_ids"
    ).fetchall()
    out = {}
    for cluster_id, community, *rest, first_seen in rows:
        members = None if community is None else frozenset(current[community])
        out[cluster_id] = (members, *rest)
        assert first_seen == (DAY2 if rest[0] in ("new", "split_from") else DAY1)
    assert len(out) == len(rows), "a cluster_id named two clusters"
    return out


def fresh_id(con: duckdb.DuckDBPyConnection, members: list[str], k: int = 0) -> str:
    """The membership-derived id: md5 of the member with the smallest hash (then `#k`)."""
    seed = anchor(con, members) if k == 0 else f"{anchor(con, members)}#{k}"
    return "C" + con.sql("select md5($s)", params={"s": seed}).fetchall()[0][0][:12]


def accounts(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(n)]


def test_first_run_gives_membership_ids(con):
    a, b = accounts("a", 3), accounts("b", 2)
    out = match(con, [a, b], {})
    assert out == {
        fresh_id(con, a): (frozenset(a), "new", None, 3, None, 3, 0),
        fresh_id(con, b): (frozenset(b), "new", None, 2, None, 2, 0),
    }


def test_unchanged_cluster_keeps_its_id(con):
    a = accounts("a", 5)
    out = match(con, [a], {"Cfarm": a})
    assert out == {"Cfarm": (frozenset(a), "persisted", None, 5, 5, 0, 0)}


def test_grown_cluster_keeps_its_id_and_counts_new_members(con):
    old, new = accounts("a", 5), accounts("n", 20)
    out = match(con, [old + new], {"Cfarm": old})
    # 20 newcomers outnumber the 5 old members: still the same farm (all its members stayed).
    assert out == {"Cfarm": (frozenset(old + new), "grown", None, 25, 5, 20, 0)}


def test_shrunk_cluster_keeps_its_id_even_when_members_left_the_input(con):
    a = accounts("a", 10)
    out = match(con, [a[:4]], {"Cfarm": a}, gone_accounts=tuple(a[4:]))
    assert out == {"Cfarm": (frozenset(a[:4]), "shrunk", None, 4, 10, 0, 6)}


def test_split_biggest_part_keeps_the_id(con):
    a = accounts("a", 10)
    out = match(con, [a[:6], a[6:]], {"Cfarm": a})
    small = fresh_id(con, a[6:])
    assert out == {
        "Cfarm": (frozenset(a[:6]), "shrunk", None, 6, 10, 0, 4),
        small: (frozenset(a[6:]), "split_from", "Cfarm", 4, None, 4, 0),
    }


def test_split_in_three_the_largest_part_keeps_the_id(con):
    a = accounts("a", 10)
    out = match(con, [a[:4], a[4:7], a[7:]], {"Cfarm": a})
    assert out["Cfarm"][:3] == (frozenset(a[:4]), "shrunk", None)
    assert sorted(v[1:3] for k, v in out.items() if k != "Cfarm") == [
        ("split_from", "Cfarm"),
        ("split_from", "Cfarm"),
    ]


def test_merge_keeps_the_largest_contributor_and_records_the_other(con):
    x, y = accounts("x", 6), accounts("y", 3)
    out = match(con, [x + y], {"Cx": x, "Cy": y})
    assert out == {
        "Cx": (frozenset(x + y), "merged", "Cy", 9, 6, 3, 0),
        "Cy": (None, "merged_into", "Cx", 0, 3, 0, 3),
    }


def test_brand_new_cluster_beside_a_persisting_one(con):
    a, b = accounts("a", 4), accounts("b", 3)
    out = match(con, [a, b], {"Ca": a})
    assert out["Ca"] == (frozenset(a), "persisted", None, 4, 4, 0, 0)
    assert out[fresh_id(con, b)] == (frozenset(b), "new", None, 3, None, 3, 0)


def test_disappeared_cluster_is_recorded_as_dissolved(con):
    a, b = accounts("a", 4), accounts("b", 3)
    out = match(con, [a], {"Ca": a, "Cb": b})
    assert out["Cb"] == (None, "dissolved", None, 0, 3, 0, 3)


def test_small_overlap_is_not_the_same_cluster(con):
    """Two accounts of which one was replaced: one shared member is not more than half of
    either side, so the pair is a new cluster and the old one dissolved."""
    out = match(con, [["a", "c"]], {"Cpair": ["a", "b"]})
    assert out == {
        fresh_id(con, ["a", "c"]): (frozenset({"a", "c"}), "new", None, 2, None, 2, 0),
        "Cpair": (None, "dissolved", None, 0, 2, 0, 2),
    }


def test_even_split_is_decided_by_the_members_not_the_numbering(con):
    """An exact tie (two halves of equal size) goes to the half with the smaller anchor, however
    the communities are numbered."""
    a = accounts("a", 8)
    halves = [a[:4], a[4:]]
    first = match(con, halves, {"Cfarm": a})
    second = match(con, halves[::-1], {"Cfarm": a})
    assert first == second
    by_anchor = {anchor(con, h): frozenset(h) for h in halves}
    assert first["Cfarm"][:2] == (by_anchor[min(by_anchor)], "shrunk")


def anchor(con: duckdb.DuckDBPyConnection, members: list[str]) -> str:
    return con.sql(
        "select arg_min(a, hash(a)) from unnest($m) as t (a)", params={"m": members}
    ).fetchall()[0][0]


def test_a_new_cluster_takes_the_best_of_two_old_ones(con):
    """One new cluster overlapping two old ones equally: the smaller union (the smaller old
    cluster) wins, and the bigger old one is merged into it only if most of it came along."""
    x, y = accounts("x", 4), accounts("y", 8)
    out = match(con, [x + y[:4]], {"Cx": x, "Cy": y})
    assert out["Cx"][1] == "grown"
    assert out["Cy"] == (None, "dissolved", None, 0, 8, 0, 8)


@pytest.mark.parametrize("taken_by", ["baseline", "history"])
def test_fresh_id_never_reuses_an_id_from_the_history(con, taken_by):
    """The minor part of a split holds the member whose hash named the old cluster: its own
    membership id would be the old one; it gets the next candidate instead. The same for an id
    of a cluster that dissolved runs ago."""
    big, small = accounts("b", 6), ["s0", "s1"]
    old_name = fresh_id(con, small)
    if taken_by == "baseline":
        out = match(con, [big, small], {old_name: big + small})
        assert out[old_name][:2] == (frozenset(big), "shrunk")
    else:
        out = match(con, [big, small], {}, earlier_ids=(old_name,))
        assert old_name not in out
    assert out[fresh_id(con, small, 1)][0] == frozenset(small)
