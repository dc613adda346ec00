"""What a community's members share: the scoring tables built before cluster_features joins them.

Shared keys, coverage and internal edges are tables of their own (run together in one statement
they did not fit in memory at 10M accounts); these tiny fixtures pin what each must count: only
values and edges inside one community, every holder once, IPs and prefixes as one family. Then
cluster_features over them: distinct counts (over hashes) that never count a null, and the
scoring tables joined in.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.sql import create_table
from tests.conftest import fixture_table

COMMUNITIES = [
    # account_idx, community, component; account 5 is in no community
    (0, 0, 0),
    (1, 0, 0),
    (2, 0, 0),
    (3, 1, 0),
    (4, 1, 0),
]
KEYS = [
    # account_idx, kind, key
    (0, "email", 100),
    (1, "email", 100),  # one mailbox, two members of community 0
    (2, "email", 101),  # held alone
    (0, "ip", 200),
    (1, "ip", 200),
    (0, "prefix", 300),
    (1, "prefix", 300),
    (2, "prefix", 300),  # 0 and 1 hold a shared IP and prefix: network holders count them once
    (3, "device", 500),
    (4, "device", 500),
    (2, "phone", 600),
    (3, "phone", 600),  # shared across communities, not inside one
    (4, "card", 700),
    (5, "card", 700),  # shared with an account in no community
]
KEY_KINDS = [
    # kind, kind_no, family
    ("card", 1, "payment"),
    ("device", 2, "network"),
    ("email", 3, "identity"),
    ("ip", 4, "network"),
    ("phone", 6, "identity"),
    ("prefix", 7, "network"),
]
BIT = {kind: 1 << no for kind, no, _ in KEY_KINDS}
EDGES = [
    # src, dst, weight, kind_mask
    (0, 1, 0.9, BIT["email"] | BIT["ip"] | BIT["prefix"]),
    (1, 2, 0.2, BIT["prefix"]),
    (3, 4, 0.9, BIT["device"]),
    (2, 3, 0.5, BIT["phone"]),  # between communities
    (4, 5, 0.95, BIT["card"]),  # to an account in no community
]


@pytest.fixture
def scoring(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    for table, columns, rows in (
        (
            "communities.account_communities",
            "account_idx integer, community integer, component integer",
            COMMUNITIES,
        ),
        ("features.account_keys", "account_idx integer, kind varchar, key ubigint", KEYS),
        ("ref.key_kinds", "kind varchar, kind_no integer, family varchar", KEY_KINDS),
        (
            "edges.similarity_edges",
            "src integer, dst integer, weight double, kind_mask integer",
            EDGES,
        ),
    ):
        fixture_table(con, table, columns, rows)
    con.execute("create schema scoring")
    for name in ("cluster_shared_keys", "cluster_coverage", "cluster_edge_stats"):
        create_table(con, f"scoring.{name}", f"scoring/{name}")
    return con


def rows_by_community(con: duckdb.DuckDBPyConnection, table: str) -> dict[int, dict]:
    rel = con.sql(f"select * from scoring.{table} order by community")
    return {row[0]: dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()}


def test_shared_keys_are_values_two_members_of_one_community_hold(scoring):
    rows = scoring.sql("select * from scoring.cluster_shared_keys order by all").fetchall()
    assert rows == [
        (0, "email", 100, 2),
        (0, "ip", 200, 2),
        (0, "prefix", 300, 3),
        (1, "device", 500, 2),
    ]


def test_coverage_counts_each_holder_once_and_ips_with_prefixes(scoring):
    coverage = rows_by_community(scoring, "cluster_coverage")
    assert sorted(coverage) == [0, 1]
    c0, c1 = coverage[0], coverage[1]
    assert (c0["mailbox_holders"], c0["network_holders"], c0["device_holders"]) == (2, 3, 0)
    # The phone and the card are shared only across communities: nobody holds them inside one.
    assert (c1["device_holders"], c1["phone_holders"], c1["card_holders"]) == (2, 0, 0)
    assert c1["network_holders"] == 0  # a device is its own coverage, not the network's


def test_edge_stats_count_only_edges_inside_a_community_by_family(scoring):
    edges = rows_by_community(scoring, "cluster_edge_stats")
    assert sorted(edges) == [0, 1]
    c0, c1 = edges[0], edges[1]
    assert (c0["n_edges"], c0["identity_edges"], c0["network_edges"]) == (2, 1, 2)
    assert (c0["device_edges"], c0["payment_edges"], c0["behaviour_edges"]) == (0, 0, 0)
    assert c0["edge_weight"] == pytest.approx(1.1, abs=1e-12)
    # A device edge is a network edge too (devices belong to the network family).
    assert (c1["n_edges"], c1["device_edges"], c1["network_edges"]) == (1, 1, 1)
    assert (c1["payment_edges"], c1["edge_weight"]) == (0, pytest.approx(0.9))


# Inputs of cluster_features itself, beside the scoring tables above; nulls where a distinct
# count must not count them (the counts go over hashes, and hash(null) is not null in DuckDB).
SIGNUPS = [
    # account_idx, created_at, email_shape, email_domain_class, mailbox, domain, phone, device
    (0, "2026-01-01 00:00:00", "a.a9", "free", "m1", "x.com", "p1", "d1"),
    (1, "2026-01-01 00:10:00", "a.a9", "free", "m1", "x.com", None, "d1"),
    (2, "2026-01-01 00:30:00", "a9", "disposable", "m2", "y.com", "p2", None),
    (3, "2026-01-02 00:00:00", None, "organisation", None, None, None, None),
    (4, "2026-01-02 05:00:00", "a", "organisation", "m4", "z.org", "p4", "d4"),
    (5, "2026-01-03 00:00:00", "a", "free", "m5", "x.com", "p5", "d5"),  # in no community
]
PAYMENTS = [
    # account_idx, status, card_fingerprint, card_bin, billing_postal
    (0, "succeeded", "c1", "411111", "10115"),
    (1, "failed", "c1", "411111", None),
    (2, "succeeded", None, None, None),
]
API_USAGE = [(0, "2026-01-03 10:00:00"), (1, "2026-01-03 10:00:00"), (1, "2026-01-04 11:00:00")]
FEATURES = [
    # account_idx, datacenter, vpn, mobile, residential, session ips, sessions, requests,
    # input tokens, output tokens, hours of day, quiet hours, main model
    (idx, 0.0, 0.0, 0.0, 1.0, 1, 2, 3, 10, 20, 1, None, "m")
    for idx in range(6)
]


@pytest.fixture
def cluster_features(scoring: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    for table, columns, rows in (
        (
            "staging.signups",
            "account_idx integer, created_at timestamp, email_shape varchar, "
            "email_domain_class varchar, email_mailbox varchar, email_domain varchar, "
            "phone_key varchar, device_id varchar",
            SIGNUPS,
        ),
        (
            "staging.payments",
            "account_idx integer, status varchar, card_fingerprint varchar, card_bin varchar, "
            "billing_postal varchar",
            PAYMENTS,
        ),
        ("staging.api_usage", "account_idx integer, hour timestamp", API_USAGE),
        (
            "features.account_features",
            "account_idx integer, datacenter_share double, vpn_share double, "
            "mobile_share double, residential_share double, n_session_ips bigint, "
            "n_sessions bigint, requests bigint, input_tokens bigint, output_tokens bigint, "
            "hours_of_day bigint, quiet_hours bigint, main_model varchar",
            FEATURES,
        ),
    ):
        fixture_table(scoring, table, columns, rows)
    for table in ("cluster_activity", "cluster_signups", "cluster_behaviour", "cluster_features"):
        create_table(scoring, f"scoring.{table}", f"scoring/{table}")
    return rows_by_community(scoring, "cluster_features")


def test_cluster_features_count_distinct_values_without_nulls(cluster_features):
    c0, c1 = cluster_features[0], cluster_features[1]
    assert (c0["size"], c1["size"]) == (3, 2)
    assert (c0["n_mailboxes"], c0["n_email_domains"]) == (2, 2)
    assert (c0["n_phones"], c0["n_with_phone"], c0["n_signup_devices"]) == (2, 2, 1)
    assert (c1["n_mailboxes"], c1["n_phones"], c1["n_signup_devices"]) == (1, 1, 1)
    assert (c0["n_paying"], c0["n_payments"], c0["n_cards"]) == (3, 3, 1)
    assert (c0["n_bins"], c0["n_postals"]) == (1, 1)
    assert c0["failed_rate"] == pytest.approx(1 / 3)
    assert (c1["n_payments"], c1["n_cards"], c1["cluster_hours_of_day"]) == (0, 0, 0)
    assert c0["cluster_hours_of_day"] == 2


def test_cluster_features_join_the_scoring_tables(cluster_features):
    c0, c1 = cluster_features[0], cluster_features[1]
    assert (c0["shared_mailboxes"], c0["shared_ips"], c0["shared_prefixes"]) == (1, 1, 1)
    assert c0["mailbox_coverage"] == pytest.approx(2 / 3)
    assert c0["network_coverage"] == pytest.approx(1.0)
    assert (c0["n_edges"], c0["network_edges"]) == (2, 2)
    assert (c1["shared_devices"], c1["device_coverage"], c1["device_edges"]) == (1, 1.0, 1)
    assert (c1["shared_phones"], c1["phone_coverage"], c1["identity_edges"]) == (0, 0.0, 0)


def test_cluster_activity_has_every_community_with_what_it_pays_and_calls(con):
    """Payments and API hours are grouped apart and joined to every community: one with payments
    and no API use, one with API use and no payments, and one with neither each keep what they
    have, and zeros for the rest."""
    fixture_table(
        con,
        "communities.account_communities",
        "account_idx integer, community integer, component integer",
        [(0, 0, 0), (1, 0, 0), (2, 1, 1), (3, 1, 1), (4, 2, 2), (5, 2, 2)],
    )
    fixture_table(
        con,
        "staging.payments",
        "account_idx integer, status varchar, card_fingerprint varchar, card_bin varchar, "
        "billing_postal varchar",
        [
            (0, "disputed", "c1", "4111", "A"),
            (1, "succeeded", "c1", "4111", "B"),
            (9, "x", "c", "b", "p"),
        ],
    )
    fixture_table(
        con,
        "staging.api_usage",
        "account_idx integer, hour timestamp",
        [(2, "2026-01-03 10:00:00"), (3, "2026-01-04 11:00:00"), (3, "2026-01-05 11:00:00")],
    )
    con.execute("create schema scoring")
    create_table(con, "scoring.cluster_activity", "scoring/cluster_activity")
    rows = con.sql(
        "select community, n_paying, n_payments, n_cards, n_postals, dispute_rate, "
        "cluster_hours_of_day from scoring.cluster_activity order by community"
    ).fetchall()
    # Community 2 neither pays nor calls: zeros; account 9, in no community, counts nowhere.
    assert rows == [(0, 2, 2, 1, 2, 0.5, 0), (1, 0, 0, 0, 0, 0, 2), (2, 0, 0, 0, 0, 0, 0)]
