"""The member-value rows communities are cut on (sql/communities/member_values.sql)."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from graph.splitting import split_at_chance_values
from pipelines.ingest.reader import load_reference
from pipelines.sql import create_table, read_sql

# Community 0: accounts 0-2; community 1: accounts 3-4; account 5 in none.
MEMBERS = {0: 0, 1: 0, 2: 0, 3: 1, 4: 1}
KEYS = [
    # shared inside community 0: a card (identifying) and an IP (chance)
    (0, "card", "c1"), (1, "card", "c1"),
    (1, "ip", "ip1"), (2, "ip", "ip1"),
    # held by one member only inside its community (3 is in community 1): no row
    (0, "phone", "p1"), (3, "phone", "p1"),
    # held by account 5, outside every community, and one member: no row
    (2, "device", "d1"), (5, "device", "d1"),
    # shared in community 1, of the behaviour family
    (3, "prompt", "t1"), (4, "prompt", "t1"),
]  # fmt: skip


def member_values(
    keys: list[tuple[int, str, str]],
    *,
    exclude_families: tuple[str, ...] = (),
    unlink: tuple[str, str] | None = None,
) -> list[tuple[int, int, bool]]:
    """(account_idx, value_id, chance) rows; value ids follow (community, kind, key)."""
    con = duckdb.connect()
    load_reference(con, "key_kinds")
    con.execute("create schema features")
    con.execute(
        "create table features.account_keys (account_idx integer, kind varchar, key varchar)"
    )
    con.executemany("insert into features.account_keys values (?, ?, ?)", keys)
    con.execute("create schema staging")
    con.execute(
        "create table staging.signups as select range::integer as account_idx from range(6)"
    )
    create_table(con, "features.key_stats", "features/key_stats")
    if unlink:
        con.execute(
            "update features.key_stats set linked = false where kind = ? and key = ?", unlink
        )
    members = pl.DataFrame(
        {"account_idx": list(MEMBERS), "community": list(MEMBERS.values())},
        schema={"account_idx": pl.Int32, "community": pl.Int32},
    )
    con.register("community_members", members.to_arrow())
    return con.sql(
        read_sql("communities/member_values"),
        params={"min_strength": 0.55, "exclude_families": list(exclude_families)},
    ).fetchall()


def test_rows_are_values_two_members_of_one_community_share():
    # values: 0 = community 0's card, 1 = its IP, 2 = community 1's template
    assert member_values(KEYS) == [
        (0, 0, False),
        (1, 0, False),
        (1, 1, True),
        (2, 1, True),
        (3, 2, True),
        (4, 2, True),
    ]


def test_excluded_families_and_unlinked_values_give_no_rows():
    got = member_values(KEYS, exclude_families=("behaviour",), unlink=("ip", "ip1"))
    assert got == [(0, 0, False), (1, 0, False)]


def test_an_ip_whose_holders_all_share_a_network_is_left_to_the_network():
    """Accounts 1 and 2 share an IP and its /24: one coincidence, one vertex (the /24), so that
    the /24 can be a cut vertex (as two, neither would be)."""
    keys = [*KEYS, (1, "prefix", "net1"), (2, "prefix", "net1")]
    # values: 0 = card, 1 = the /24 (the IP left out), 2 = the template
    assert member_values(keys) == [
        (0, 0, False),
        (1, 0, False),
        (1, 1, True),
        (2, 1, True),
        (3, 2, True),
        (4, 2, True),
    ]


def test_an_ip_stays_where_its_holders_share_no_network_value():
    # Accounts 0 and 1 share a /24 that 2, the IP's other holder, does not hold (its IP is not
    # in it): two values, the IP and the /24. values: 0 = card, 1 = IP, 2 = /24, 3 = template
    keys = [*KEYS, (0, "prefix", "net1"), (1, "prefix", "net1")]
    assert member_values(keys) == [
        (0, 0, False),
        (1, 0, False),
        (1, 1, True),
        (2, 1, True),
        (0, 2, True),
        (1, 2, True),
        (3, 3, True),
        (4, 3, True),
    ]
    # Both hold the IP's /24 but it is unlinked (held by too many): the IP stays, alone.
    keys = [*KEYS, (1, "prefix", "net1"), (2, "prefix", "net1")]
    assert member_values(keys, unlink=("prefix", "net1")) == member_values(KEYS)


def test_an_account_tied_by_an_ip_and_its_network_alone_is_cut_off():
    """The rows as the communities step splits on them: account 2 shares only an IP and its /24
    with account 1 (0 and 1 share a card), one coincidence, so it leaves community 0; as two
    values (the IP kept beside its /24) neither was a cut vertex and it stayed."""
    keys = [
        (0, "card", "c1"), (1, "card", "c1"),
        (1, "ip", "ip1"), (2, "ip", "ip1"),
        (1, "prefix", "net1"), (2, "prefix", "net1"),
    ]  # fmt: skip
    rows = np.array(member_values(keys), dtype=np.int64).reshape(-1, 3)
    chance = np.zeros(int(rows[:, 1].max()) + 1, dtype=bool)
    chance[rows[:, 1]] = rows[:, 2].astype(bool)
    membership = np.array([MEMBERS.get(a, -1) for a in range(6)])
    parts = split_at_chance_values(membership, account=rows[:, 0], value=rows[:, 1], chance=chance)
    assert parts[0] == parts[1] >= 0
    assert parts[2] == -1
