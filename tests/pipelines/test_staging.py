"""Ingest and staging on hand-built input: every raw row is staged or quarantined with a reason."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.contract import INPUT_TABLES
from pipelines.ingest.reader import InputError, load_raw, load_reference
from pipelines.sql import attach_private, load_macros, set_hmac_key
from pipelines.staging.days import FIRST_DAY, last_day, load_days
from pipelines.staging.split import StageCounts, stage_table
from tests.conftest import TEST_SECRET


def kh(value: str) -> str:
    """The keyed hash the pipeline stores for a normalized identifier."""
    return hmac.new(TEST_SECRET.encode(), value.encode(), hashlib.sha256).hexdigest()


def plain() -> duckdb.DuckDBPyConnection:
    """An in-memory work database with the private catalogs, macros and HMAC key."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    attach_private(con)
    load_macros(con)
    set_hmac_key(con, TEST_SECRET.encode())
    return con


def stage_events(con: duckdb.DuckDBPyConnection, table: str) -> StageCounts:
    """Stage an event table as a run does: its days typed into the store first."""
    load_days(con, table, FIRST_DAY, last_day())
    return stage_table(con, table)


SIGNUPS = """account_id,created_at,email,name,phone,country,ip,user_agent,device_id,extra
a1,2026-01-01T10:00:00Z,  John.Doe+x@Gmail.com ,John Doe,+1 415 555 0134,us,1.2.3.4,UA,D1,k
a2,2026-01-01 11:00:00+02:00,johndoe@googlemail.com,"Doe, John",(415) 555-0134,US,::ffff:1.2.3.9,UA,d1,k
a3,2026-01-02T00:00:00Z,x@mailinator.com,,,DE,2001:db8::1,UA,,k
a4,not a time,y@example.org,,,US,1.2.3.4,UA,,k
a5,2026-01-02T00:00:00Z,no-at-sign,,,US,1.2.3.4,UA,,k
a6,2026-01-02T00:00:00Z,z@example.org,,,US,999.1.2.3,UA,,k
a7,2026-01-02T00:00:00Z,dup@example.org,,,US,,UA,,k
a7,2026-01-02T00:00:00Z,dup@example.org,,,US,,UA,,k
,2026-01-02T00:00:00Z,null@example.org,,,US,,UA,,k
a8,2026-01-03T00:00:00Z,s@stateu.edu,,,US,,UA,,k
"""

PAYMENTS = """payment_id,account_id,created_at,method,card_fingerprint,card_bin,card_country,billing_name,billing_postal,amount_usd,status
p1,a1,2026-01-05T00:00:00Z,card,FP1,411111,US,John Doe,94107,20.0,succeeded
p2,a2,2026-01-05T00:00:00Z,card,fp1,411111,US,John Doe,94 107,-5,succeeded
p3,a2,2026-01-05T00:00:00Z,card,fp1,411111,US,John Doe,94107,NaN,failed
p4,ghost,2026-01-05T00:00:00Z,card,fp2,411111,US,,,1,succeeded
p1,a1,2026-01-06T00:00:00Z,card,FP1,411111,US,John Doe,94107,20.0,succeeded
p5,a7,2026-01-06T00:00:00Z,card,fp3,411111,US,,,3.0,succeeded
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "signups.csv").write_text(SIGNUPS)
    (raw / "payments.csv").write_text(PAYMENTS)
    con = plain()
    for name in ("email_domains", "asn_classes", "key_kinds"):
        load_reference(con, name)
    for table in INPUT_TABLES.values():
        load_raw(con, raw, table)
    return con


def test_signups_are_staged_or_quarantined_with_reasons(warehouse):
    counts = stage_table(warehouse, "signups")
    assert counts.raw == 10
    assert counts.reconciles
    assert counts.reasons == {
        "duplicate account_id": 2,
        "email without a usable address": 1,
        "null account_id": 1,
        "unparseable created_at": 1,
    }
    # An invalid IP costs the field, not the account (a farm must not hide behind garbage IPs).
    assert counts.field_issues == {"invalid ip": 1}
    assert warehouse.sql(
        "select s.account_id, s.ip, f.column_name from staging.signups_field_issues as f "
        "join staging.signups as s using (_row)"
    ).fetchall() == [("a6", None, "ip")]
    rows = warehouse.sql(
        "select account_id, account_idx, email_mailbox, email_domain_class, phone_key, "
        "name_key, ip, ip_prefix, device_id, created_at::varchar "
        "from staging.signups order by account_id"
    ).fetchall()
    john = (kh("johndoe@gmail.com"), "free", kh("4155550134"), kh("doe john"))
    assert rows == [
        ("a1", 0, *john, "1.2.3.4", "1.2.3.0/24", "d1", "2026-01-01 10:00:00"),
        ("a2", 1, *john, "1.2.3.9", "1.2.3.0/24", "d1", "2026-01-01 09:00:00"),
        (
            "a3",
            2,
            kh("x@mailinator.com"),
            "disposable",
            None,
            None,
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "2001:0db8:0000:0000::/64",
            None,
            "2026-01-02 00:00:00",
        ),
        ("a6", 3, kh("z@example.org"), "organisation", None, None, None, None, None,
         "2026-01-02 00:00:00"),
        ("a8", 4, kh("s@stateu.edu"), "education", None, None, None, None, None,
         "2026-01-03 00:00:00"),
    ]  # fmt: skip


def test_personal_values_stay_in_the_restricted_catalog(warehouse):
    stage_table(warehouse, "signups")
    columns = {r[0] for r in warehouse.sql("describe staging.signups").fetchall()}
    assert not columns & {"email_raw", "email_normalized", "name", "phone_raw", "phone_digits"}
    assert warehouse.sql(
        "select account_id, email_raw, email_normalized, name, phone_raw "
        "from restricted.signups where account_id = 'a1'"
    ).fetchall() == [
        ("a1", "  John.Doe+x@Gmail.com ", "johndoe@gmail.com", "John Doe", "+1 415 555 0134")
    ]


def test_quarantined_rows_keep_the_raw_record(warehouse):
    stage_table(warehouse, "signups")
    record = warehouse.sql(
        "select record from staging.signups_rejects where reason = 'unparseable created_at'"
    ).fetchall()[0][0]
    assert '"created_at":"not a time"' in record
    assert '"extra":"k"' in record
    # Personal values are redacted where readers look; the full record is restricted.
    assert '"email":"[restricted]"' in record
    full = warehouse.sql(
        "select record from restricted.signups_rejects where reason = 'unparseable created_at'"
    ).fetchall()[0][0]
    assert '"email":"y@example.org"' in full


def test_payments_reject_orphans_negative_nan_and_duplicates(warehouse):
    stage_table(warehouse, "signups")
    counts = stage_events(warehouse, "payments")
    assert counts.reconciles
    assert counts.reasons == {
        "account quarantined in signups": 1,
        "amount_usd is NaN": 1,
        "duplicate payment_id": 1,
        "negative amount_usd": 1,
        "unknown account_id": 1,
    }
    assert warehouse.sql(
        "select payment_id, card_fingerprint, billing_postal from staging.payments"
    ).fetchall() == [("p1", "fp1", "94107")]


def test_repeated_payment_ids_keep_their_first_row_whatever_the_day(warehouse, tmp_path):
    """A payment id seen before is a duplicate on any later row, on its day or another; the
    first row by input order stays, even when it is dated after its repeats."""
    (tmp_path / "raw" / "payments.csv").write_text(
        PAYMENTS.splitlines()[0]
        + "\n"
        + "\n".join(
            f"{pid},a1,2026-01-0{day}T00:00:00Z,card,fp1,411111,US,John Doe,94107,1.0,succeeded"
            for pid, day in [("q1", 7), ("q1", 5), ("q2", 5), ("q1", 7), ("q2", 6), ("q3", 6)]
        )
        + "\n"
    )
    load_raw(warehouse, tmp_path / "raw", INPUT_TABLES["payments"])
    stage_table(warehouse, "signups")
    counts = stage_events(warehouse, "payments")
    assert counts.reasons == {"duplicate payment_id": 3}
    assert warehouse.sql(
        "select _row, payment_id from staging.payments order by _row"
    ).fetchall() == [(1, "q1"), (3, "q2"), (6, "q3")]


def test_billing_names_are_keyed_once_per_distinct_text(warehouse, tmp_path):
    """Each payment carries the keyed hash of its folded billing name, looked up from the names
    keyed once per distinct text; a one-word, blank or card-number name gets no key."""
    names = ["John Doe", "  doe, JOHN ", "John Doe", "Cher", " ", "4111 1111 1111 1111", ""]
    (tmp_path / "raw" / "payments.csv").write_text(
        PAYMENTS.splitlines()[0]
        + "\n"
        + "\n".join(
            f'x{i},a1,2026-01-05T00:00:00Z,card,fp1,411111,US,"{name}",94107,1.0,succeeded'
            for i, name in enumerate(names)
        )
        + "\n"
    )
    load_raw(warehouse, tmp_path / "raw", INPUT_TABLES["payments"])
    stage_table(warehouse, "signups")
    counts = stage_events(warehouse, "payments")
    assert counts.field_issues == {"card number in billing_name (value not stored)": 1}
    keys = warehouse.sql(
        "select payment_id, billing_name_key from staging.payments order by payment_id"
    ).fetchall()
    john = kh("doe john")
    assert keys == [
        ("x0", john),
        ("x1", john),
        ("x2", john),
        ("x3", None),
        ("x4", None),
        ("x5", None),
        ("x6", None),
    ]
    assert warehouse.sql("select count(*) from store.payments").fetchall() == [(7,)]


def test_absent_optional_table_is_empty_and_reconciles(warehouse):
    stage_table(warehouse, "signups")
    counts = stage_events(warehouse, "sessions")
    assert (counts.raw, counts.clean, counts.rejected) == (0, 0, 0)


def test_missing_required_column_names_table_and_column(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "signups.csv").write_text("account_id,created_at\na1,2026-01-01T00:00:00Z\n")
    con = plain()
    with pytest.raises(InputError, match=r"signups: required column email missing"):
        load_raw(con, raw, INPUT_TABLES["signups"])


def test_missing_required_table_is_a_clear_error(tmp_path):
    con = plain()
    with pytest.raises(InputError, match=r"signups: required table not found"):
        load_raw(con, tmp_path, INPUT_TABLES["signups"])


def test_two_inputs_for_one_table_is_ambiguous(tmp_path):
    (tmp_path / "signups.csv").write_text("account_id,created_at,email\n")
    (tmp_path / "signups").mkdir()
    (tmp_path / "signups" / "part-0.parquet").write_bytes(b"")
    con = plain()
    with pytest.raises(InputError, match="more than one input"):
        load_raw(con, tmp_path, INPUT_TABLES["signups"])


def test_empty_csv_is_a_clear_error(tmp_path):
    (tmp_path / "sessions.csv").write_text("")
    con = plain()
    with pytest.raises(InputError, match=r"sessions: .*sessions.csv is empty"):
        load_raw(con, tmp_path, INPUT_TABLES["sessions"])


def test_header_only_csv_is_an_empty_table(tmp_path):
    (tmp_path / "payments.csv").write_text("payment_id,account_id,created_at\n")
    con = plain()
    assert load_raw(con, tmp_path, INPUT_TABLES["payments"]).rows == 0
