"""Per-account behaviour: the per-source stats tables and their join onto the sign-ups.

The session stats count distinct IPs, prefixes and devices over a grouping-sets aggregate rather
than with count(distinct) (it spills at 10M accounts); these tiny fixtures pin the counts that
rewrite must keep: repeats counted once, nulls not at all, one column's null not hiding another's
value.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.sql import create_table
from tests.conftest import fixture_table

SIGNUPS = [
    # account_idx, account_id, created_at, email_domain_class, country
    (0, "a0", "2026-01-01 00:00:00", "free", "DE"),
    (1, "a1", "2026-01-01 00:00:00", "free", "FR"),
    (2, "a2", "2026-01-01 00:00:00", "organisation", "US"),  # no activity at all
    (3, "a3", "2026-01-01 00:00:00", "free", "US"),  # API use without a model or template
]
SESSIONS = [
    # account_idx, ts, ip, ip_prefix, asn, device_id
    (0, "2026-01-02 10:00:00", "10.0.0.1", "10.0.0.0/24", 1, "d1"),
    (0, "2026-01-02 11:00:00", "10.0.0.1", "10.0.0.0/24", 1, "d1"),  # a repeat
    (0, "2026-01-03 12:00:00", "10.0.0.2", "10.0.0.0/24", 2, None),  # same prefix, no device
    (0, "2026-01-04 13:00:00", None, None, None, "d2"),  # a device without an IP
    (1, "2026-01-05 09:00:00", "192.0.2.7", "192.0.2.0/24", 3, "d9"),
]
ASN_CLASSES = [(1, "datacenter"), (2, "residential"), (3, "mobile")]
PAYMENTS = [
    # account_idx, card_fingerprint, status, amount_usd
    (0, "c1", "succeeded", 10.005),
    (0, "c1", "failed", 99.0),
    (0, "c2", "refunded", 5.0),
    (0, None, "succeeded", 2.0),
]
API_USAGE = [
    # account_idx, hour, model, prompt_hash, requests, input_tokens, output_tokens
    (1, "2026-01-05 09:00:00", "m1", "p1", 3, 30, 60),
    (1, "2026-01-05 09:00:00", "m2", "p2", 5, 50, 100),  # same hour, another model and template
    (1, "2026-01-06 10:00:00", "m1", "p1", 4, 40, 80),
    (3, "2026-01-07 08:00:00", None, None, 2, 20, 40),
]


@pytest.fixture
def features(con: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    for table, columns, rows in (
        (
            "staging.signups",
            "account_idx integer, account_id varchar, created_at timestamp, "
            "email_domain_class varchar, country varchar",
            SIGNUPS,
        ),
        (
            "staging.sessions",
            "account_idx integer, ts timestamp, ip varchar, ip_prefix varchar, asn integer, "
            "device_id varchar",
            SESSIONS,
        ),
        ("ref.asn_classes", "asn integer, class varchar", ASN_CLASSES),
        (
            "staging.payments",
            "account_idx integer, card_fingerprint varchar, status varchar, amount_usd double",
            PAYMENTS,
        ),
        (
            "staging.api_usage",
            "account_idx integer, hour timestamp, model varchar, prompt_hash varchar, "
            "requests bigint, input_tokens bigint, output_tokens bigint",
            API_USAGE,
        ),
    ):
        fixture_table(con, table, columns, rows)
    con.execute("create schema features")
    for name in ("account_session_stats", "account_payment_stats", "account_api_stats"):
        create_table(con, f"features.{name}", f"features/{name}")
    create_table(con, "features.account_features", "features/account_features")
    rel = con.sql("select * from features.account_features order by account_idx")
    return {row[0]: dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()}


def test_distinct_session_values_count_repeats_once_and_nulls_never(features):
    a = features[0]
    assert a["n_sessions"] == 4
    assert a["n_session_ips"] == 2  # 10.0.0.1 twice, 10.0.0.2, and a session without an IP
    assert a["n_session_prefixes"] == 1
    assert a["n_session_devices"] == 2  # d1 twice, d2 (on the session without an IP), one null
    assert a["datacenter_share"] == pytest.approx(0.5)
    assert a["residential_share"] == pytest.approx(0.25)
    assert (features[1]["n_session_ips"], features[1]["mobile_share"]) == (1, 1.0)


def test_payments_by_outcome(features):
    a = features[0]
    assert (a["n_payments"], a["n_cards"], a["n_failed"], a["n_disputed"]) == (4, 2, 1, 1)
    assert a["paid_usd"] == pytest.approx(12.01)


def test_api_use_per_hour_template_and_model(features):
    b = features[1]
    assert (b["requests"], b["input_tokens"], b["output_tokens"]) == (12, 120, 240)
    assert (b["active_hours"], b["hours_of_day"]) == (2, 2)
    assert (b["n_templates"], b["n_models"]) == (2, 2)
    assert b["main_model"] == "m1"  # 7 requests against 5
    assert b["quiet_hours"] is None  # fewer than 6 hours of the day: a long gap is chance


def test_every_signup_has_a_row_and_no_activity_means_zeros(features):
    assert sorted(features) == [0, 1, 2, 3]
    c = features[2]
    assert (c["n_sessions"], c["n_payments"], c["requests"], c["n_templates"]) == (0, 0, 0, 0)
    assert c["main_model"] is None


def test_api_use_without_models_or_templates_counts_none_of_them(features):
    d = features[3]
    assert (d["requests"], d["active_hours"]) == (2, 1)
    assert (d["n_templates"], d["n_models"], d["main_model"]) == (0, 0, None)
