"""The malformed-input corpus, run through `sybil run` (the CLI entry point, in-process).

Every case ends in one of two ways, never a traceback and never a silent drop:
- a one-line error (exit 1) naming the table, the column and how many rows; or
- a quarantine row (or, for a field the row can do without, a field issue) with a reason,
  and accounting that adds up: rows read = rows loaded + rows quarantined, per table.

Row-level cases share one dirty world (one run); table-level cases each get a small run.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import workdir
from sybil.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIGNUP_HEADER = "account_id,created_at,email,name,phone,country,ip,user_agent,device_id"
CARDS = ("4111111111111111", "5500000000000004", "4012888888881881", "378282246310005")


def run_cli(raw: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`sybil run` on `raw`; returns (exit code, stderr). Asserts there is no traceback."""
    code = main(
        [
            "run",
            "--raw",
            str(raw),
            "--warehouse",
            str(root / "w.duckdb"),
            "--exports",
            str(root / "exports"),
            "--quiet",
            "--memory-limit",
            "1GB",
        ]
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err.strip()


def csv_text(header: str, rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return buf.getvalue()


def good_signups(n: int, prefix: str = "g") -> list[list[object]]:
    """n valid sign-ups on 2026-01-01, nothing shared."""
    return [
        [
            f"{prefix}{i:03d}",
            f"2026-01-01T{i % 24:02d}:00:00Z",
            f"user{i}@example{i}.org",
            f"Person Number{i}",
            "",
            "US",
            f"10.{i // 250}.{i % 250}.1",
            "UA/1.0",
            f"dev{i}",
        ]
        for i in range(n)
    ]


# ---------------------------------------------------------------------------------------------
# Row-level cases: one dirty world.

SIGNUP_CASES: list[list[object]] = [
    ["s_multiline", "2026-01-02T00:00:00Z", "ml@example.com", 'Zoë "Z"\nMüller', "", "DE",
     "1.2.3.4", 'Agent "quoted", with comma', "d_ml"],
    ["s_idn", "2026-01-02T00:00:00Z", "user@müller.de", "Jörg Müller", "", "DE", "", "", ""],
    ["s_emoji", "2026-01-02T00:00:00Z", "😀@emoji.com", "😀 Smiley Face", "", "US", "", "", ""],
    ["s_rtl", "2026-01-02T00:00:00Z", "rtl@example.com", "\u202bمحمد علي\u202c", "", "EG", "",
     "", ""],
    ["s_zw", "2026-01-02T00:00:00Z", "jo\u200bhn\u200d@example.com", "", "", "US", "", "", ""],
    ["s_plain", "2026-01-02T00:00:00Z", "john@example.com", "", "", "US", "", "", ""],
    ["s_v6", "2026-01-02T00:00:00Z", "v6@example.com", "", "", "US", "2001:DB8::1", "", ""],
    ["s_mapped", "2026-01-02T00:00:00Z", "m@example.com", "", "", "US", "::ffff:10.1.2.3", "",
     ""],
    ["s_badip", "2026-01-02T00:00:00Z", "bad@example.com", "", "", "US", "999.1.2.3", "", ""],
    ["s_tz", "2026-01-02T10:00:00+05:30", "tz@example.com", "", "", "IN", "", "", ""],
    ["s_tzname", "2026-01-02 10:00:00 Europe/Berlin", "tzn@example.com", "", "", "DE", "", "",
     ""],
    ["s_date", "2026-01-02", "date@example.com", "", "", "US", "", "", ""],
    ["s_badts", "01/02/2026", "badts@example.com", "", "", "US", "", "", ""],
    ["s_epoch", "1767225600", "epoch@example.com", "", "", "US", "", "", ""],
    ["s_inf", "infinity", "inf@example.com", "", "", "US", "", "", ""],
    ["s_1970", "1970-01-01T00:00:00Z", "old@example.com", "", "", "US", "", "", ""],
    ["s_dup", "2026-01-02T00:00:00Z", "dup1@example.com", "", "", "US", "", "", ""],
    ["s_dup", "2026-01-02T00:00:00Z", "dup2@example.com", "", "", "US", "", "", ""],
    ["", "2026-01-02T00:00:00Z", "nullid@example.com", "", "", "US", "", "", ""],
    ["s_noemail", "2026-01-02T00:00:00Z", "not an address", "", "", "US", "", "", ""],
    ["s_cardphone", "2026-01-02T00:00:00Z", "cp@example.com", "", "4111 1111 1111 1111", "US",
     "", "", ""],
    ["s_cardemail", "2026-01-02T00:00:00Z", "5500000000000004@example.com", "", "", "US", "",
     "", ""],
    ["s_phone", "2026-01-02T00:00:00Z", "ph@example.com", "", "+49 1512 3456789", "DE", "", "",
     ""],
]  # fmt: skip

# Lines a CSV parser cannot split into the header's nine columns, and a line that is not UTF-8.
BAD_SIGNUP_LINES = [
    b"s_wide,2026-01-02T00:00:00Z,w@example.com,,,US,,,,one too many\n",
    b"s_short,2026-01-02T00:00:00Z,short@example.com\n",
    b"s_latin1,2026-01-02T00:00:00Z,l@example.com,Zo\xeb M\xfcller,,DE,,,\n",
]

PAYMENT_HEADER = (
    "payment_id,account_id,created_at,method,card_fingerprint,card_bin,card_country,"
    "billing_name,billing_postal,amount_usd,status"
)
PAYMENT_CASES: list[list[object]] = [
    ["p_neg", "g001", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "-5", "succeeded"],
    ["p_nan", "g001", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "NaN", "failed"],
    ["p_inf", "g001", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "inf", "failed"],
    ["p_text", "g001", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "ten", "failed"],
    ["p_orphan", "ghost", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "1", "succeeded"],
    ["p_before", "g002", "2025-06-01T00:00:00Z", "card", "fpa", "411111", "US", "", "", "1", "succeeded"],
    ["p_dup", "g003", "2026-01-05T00:00:00Z", "card", "fpa", "411111", "US", "", "", "1", "succeeded"],
    ["p_dup", "g003", "2026-01-06T00:00:00Z", "card", "fpa", "411111", "US", "", "", "1", "succeeded"],
    ["p_cardname", "g004", "2026-01-05T00:00:00Z", "card", "fpb", "550000", "US",
     "John 4012-8888-8888-1881", "94107", "9", "succeeded"],
    ["p_pan", "g005", "2026-01-05T00:00:00Z", "card", "378282246310005", "378282", "US", "", "",
     "9", "succeeded"],
]  # fmt: skip

SESSION_HEADER = "account_id,ts,ip,asn,user_agent,device_id,tls_fingerprint"
SESSION_CASES: list[list[object]] = [
    ["g001", "2026-01-03T00:00:00Z", "not-an-ip", "7922", "UA", "dx", "tls1"],
    ["g002", "2026-01-03T00:00:00Z", "10.9.9.9", "AS7922", "UA", "dx", "tls1"],
    ["g003", "2025-12-01T00:00:00Z", "10.9.9.9", "7922", "UA", "dx", "tls1"],
    ["g004", "2026-01-03T00:00:00Z", "::ffff:10.9.9.9", "7922", "UA card 4111111111111111",
     "dx", "tls1"],
    ["g005", "", "10.9.9.9", "7922", "UA", "dx", "tls1"],
]  # fmt: skip

USAGE_HEADER = "account_id,hour,model,requests,input_tokens,output_tokens,prompt_hash"
USAGE_CASES: list[list[object]] = [
    ["g001", "2026-01-03T05:00:00Z", "m", "ten", "10", "10", "ph"],
    ["g002", "2026-01-03T05:00:00Z", "m", "1", "-10", "10", "ph"],
    ["g003", "2025-12-01T05:00:00Z", "m", "1", "10", "10", "ph"],
    ["g004", "2026-01-01T04:00:00Z", "m", "1", "10", "10", "ph"],  # the sign-up hour: valid
]


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    raw = tmp_path_factory.mktemp("dirty")
    signups = csv_text(SIGNUP_HEADER, good_signups(60) + SIGNUP_CASES)
    # A byte order mark and CRLF line ends, as spreadsheet exports write them.
    data = (
        b"\xef\xbb\xbf"
        + signups.replace("\n", "\r\n").encode()
        + b"".join(line.replace(b"\n", b"\r\n") for line in BAD_SIGNUP_LINES)
    )
    (raw / "signups.csv").write_bytes(data)
    good_payments = [
        [f"pg{i}", f"g{i:03d}", "2026-01-05T00:00:00Z", "card", f"fp{i}", "411111", "US", "", "",
         "5", "succeeded"]
        for i in range(20)
    ]  # fmt: skip
    (raw / "payments.csv").write_text(csv_text(PAYMENT_HEADER, good_payments + PAYMENT_CASES))
    good_sessions = [
        [f"g{i:03d}", "2026-01-03T00:00:00Z", f"10.8.0.{i}", "7922", "UA", f"d{i}", "tls"]
        for i in range(20)
    ]
    (raw / "sessions.csv").write_text(csv_text(SESSION_HEADER, good_sessions + SESSION_CASES))
    good_usage = [
        [f"g{i:03d}", "2026-01-03T05:00:00Z", "m", "1", "10", "10", f"t{i}"] for i in range(20)
    ]
    (raw / "api_usage.csv").write_text(csv_text(USAGE_HEADER, good_usage + USAGE_CASES))
    (raw / "allowlist.csv").write_text("account_id\ng001\ng002\ng003\ng001\n\n")
    root = tmp_path_factory.mktemp("dirty_run")
    code = main(
        [
            "run",
            "--raw",
            str(raw),
            "--warehouse",
            str(root / "w.duckdb"),
            "--exports",
            str(root / "exports"),
            "--quiet",
        ]
    )
    return root, code, str(raw)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def reasons_by_id(root: Path, table: str, key: str = "account_id") -> dict[str, str]:
    """The quarantine reason of each row of `table`, by a field of its full (restricted) record."""
    con = duckdb.connect(str(workdir.private_dbs(root / "w.work")["restricted"]), read_only=True)
    try:
        rows = con.execute(
            "select record, reason from main.quarantine where table_name = $t", {"t": table}
        ).fetchall()
    finally:
        con.close()
    out: dict[str, str] = {}
    for record, reason in rows:
        data = json.loads(record)
        if key in data:  # CSV lines that could not be split have no fields
            out[str(data[key])] = reason
    return out


def test_dirty_world_runs(dirty_run):
    _, code, _ = dirty_run
    assert code == 0


def test_accounting_adds_up_for_every_table(dirty_run):
    root, _, _ = dirty_run
    rows = query(
        root / "w.duckdb",
        "select table_name, rows_read, rows_loaded, rows_quarantined, adds_up, "
        "list_sum(map_values(quarantined_by_reason)) from staging.accounting",
    )
    assert len(rows) == 5
    for table, read, loaded, quarantined, adds_up, by_reason in rows:
        assert adds_up, table
        assert read == loaded + quarantined, table
        assert (by_reason or 0) == quarantined, table
    signups = dict((r[0], r[1:4]) for r in rows)["signups"]
    # 60 good rows + 23 cases (two of them one duplicate id) + 3 malformed lines.
    assert signups[0] == 60 + len(SIGNUP_CASES) + len(BAD_SIGNUP_LINES)


def test_signup_rows_quarantined_with_reasons(dirty_run):
    root, _, _ = dirty_run
    reasons = reasons_by_id(root, "signups")
    assert reasons["s_badts"] == "unparseable created_at"
    assert reasons["s_epoch"] == "unparseable created_at"
    assert reasons["s_inf"] == "created_at out of range"
    assert reasons["s_1970"] == "created_at out of range"
    assert reasons["s_dup"] == "duplicate account_id"
    assert reasons["None"] == "null account_id"
    assert reasons["s_noemail"] == "email without a usable address"
    assert reasons["s_cardemail"] == "card number in email (value not stored)"
    malformed = query(
        root / "w.duckdb",
        "select reason, count(*) from staging.quarantine "
        "where table_name = 'signups' and _row is null group by all order by all",
    )
    assert malformed == [
        ("malformed csv: invalid encoding", 1),
        ("malformed csv: missing columns", 1),
        ("malformed csv: too many columns", 1),
    ]


def test_signups_kept_and_normalized(dirty_run):
    root, _, _ = dirty_run
    rows = dict(
        (r[0], r[1:])
        for r in query(
            root / "w.duckdb",
            "select account_id, created_at::varchar, email_domain, ip, email_mailbox "
            "from staging.signups",
        )
    )
    for kept in ("s_multiline", "s_idn", "s_emoji", "s_rtl", "s_cardphone", "s_phone"):
        assert kept in rows, kept
    assert rows["s_idn"][1] == "müller.de"
    assert rows["s_emoji"][1] == "emoji.com"
    assert rows["s_tz"][0] == "2026-01-02 04:30:00"
    assert rows["s_tzname"][0] == "2026-01-02 09:00:00"
    assert rows["s_date"][0] == "2026-01-02 00:00:00"
    assert rows["s_v6"][2] == "2001:0db8:0000:0000:0000:0000:0000:0001"
    assert rows["s_mapped"][2] == "10.1.2.3"
    # Invisible characters do not make a new mailbox.
    assert rows["s_zw"][3] == rows["s_plain"][3]
    # An invalid IP costs the field, not the account.
    assert rows["s_badip"][2] is None
    issues = query(
        root / "w.duckdb",
        "select s.account_id, f.column_name, f.reason from staging.field_issues as f "
        "join staging.signups as s using (_row) where f.table_name = 'signups' order by all",
    )
    assert issues == [
        ("s_badip", "ip", "invalid ip"),
        ("s_cardphone", "phone", "card number in phone (value not stored)"),
    ]
    # Raw values with embedded newlines and quotes arrive intact (in the restricted catalog).
    con = duckdb.connect(str(workdir.private_dbs(root / "w.work")["restricted"]), read_only=True)
    try:
        name = con.sql("select name from main.signups where account_id = 's_multiline'").fetchall()
    finally:
        con.close()
    assert name == [('Zoë "Z"\r\nMüller',)]  # the file's CRLF, inside the quotes, kept


def test_event_rows_quarantined_or_fields_nulled(dirty_run):
    root, _, _ = dirty_run
    payments = reasons_by_id(root, "payments", key="payment_id")
    assert payments == {
        "p_neg": "negative amount_usd",
        "p_nan": "amount_usd is NaN",
        "p_inf": "amount_usd is infinite",
        "p_text": "unparseable amount_usd",
        "p_orphan": "unknown account_id",
        "p_before": "created_at before the account was created",
        "p_dup": "duplicate payment_id",
    }
    sessions = reasons_by_id(root, "sessions")
    assert sessions == {
        "g003": "ts before the account was created",
        "g005": "null ts",
    }
    usage = reasons_by_id(root, "api_usage")
    assert usage == {
        "g001": "unparseable requests",
        "g002": "negative count",
        "g003": "hour before the account was created",
    }
    allowlist = query(
        root / "w.duckdb",
        "select reason, count(*) from staging.quarantine where table_name = 'allowlist' "
        "group by all order by all",
    )
    # In a one-column file an empty line is a row with an empty value.
    assert allowlist == [("duplicate account_id", 1), ("null account_id", 1)]
    issues = query(
        root / "w.duckdb",
        "select table_name, column_name, reason, count(*) from staging.field_issues "
        "where table_name <> 'signups' group by all order by all",
    )
    assert issues == [
        ("payments", "billing_name", "card number in billing_name (value not stored)", 1),
        ("payments", "card_fingerprint", "card number in card_fingerprint (value not stored)", 1),
        ("sessions", "asn", "unparseable asn", 1),
        ("sessions", "ip", "invalid ip", 1),
        ("sessions", "user_agent", "card number in user_agent (value not stored)", 1),
    ]


def test_card_numbers_are_stored_nowhere(dirty_run):
    """Not in the warehouse, not in the work databases (raw, restricted, work), not in exports."""
    root, _, _ = dirty_run
    databases = [root / "w.duckdb", workdir.work_db(root / "w.work")]
    databases += list(workdir.private_dbs(root / "w.work").values())
    for db in databases:
        con = duckdb.connect(str(db), read_only=True)
        try:
            columns = con.sql(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR' and table_catalog = current_database()"
            ).fetchall()
            assert columns, db
            for schema, table, column in columns:
                for card in CARDS:
                    spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
                    dashed = spaced.replace(" ", "-")
                    hits = con.execute(
                        f'select count(*) from "{schema}"."{table}" '
                        f'where contains("{column}", $a) or contains("{column}", $b) '
                        f'or contains("{column}", $c)',
                        {"a": card, "b": spaced, "c": dashed},
                    ).fetchall()[0][0]
                    assert hits == 0, (db.name, schema, table, column, card)
        finally:
            con.close()
    for path in (p for p in (root / "exports").rglob("*") if p.is_file()):
        text = path.read_text()
        assert not any(card in text for card in CARDS)


def test_card_numbers_in_parquet_input_are_stored_nowhere(dirty_run, tmp_path):
    """The same dirty rows as Parquet, which the pipeline reads through views (never copied into
    raw.duckdb): every card number is still found and nulled before any row is written."""
    _, _, csv_raw = dirty_run
    raw = tmp_path / "raw"
    raw.mkdir()
    con = duckdb.connect()
    try:
        for table in ("signups", "payments", "sessions", "api_usage", "allowlist"):
            con.execute(
                "copy (select * from read_csv($src, all_varchar = true, ignore_errors = true)) "
                "to $dst (format parquet)",
                {"src": str(Path(csv_raw) / f"{table}.csv"), "dst": str(raw / f"{table}.parquet")},
            )
    finally:
        con.close()
    root = tmp_path / "run"
    code = main(
        ["run", "--raw", str(raw), "--warehouse", str(root / "w.duckdb"),
         "--exports", str(root / "exports"), "--quiet"]
    )  # fmt: skip
    assert code == 0
    raw_db = workdir.private_dbs(root / "w.work")["raw"]
    views = query(raw_db, "select view_name from duckdb_views() where not internal order by 1")
    assert ("sessions",) in views
    assert ("signups",) in views
    cards = query(
        root / "w.duckdb",
        "select table_name, card_values_removed from staging.accounting "
        "where card_values_removed > 0 order by 1",
    )
    assert {t for t, _ in cards} >= {"payments", "sessions", "signups"}
    for db in [root / "w.duckdb", workdir.work_db(root / "w.work"), raw_db]:
        for schema, table, column in query(
            db,
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database() "
            "and table_name in (select table_name from duckdb_tables())",
        ):
            for card in CARDS:
                hits = query(
                    db,
                    f'select count(*) from "{schema}"."{table}" where contains("{column}", \'{card}\')',
                )
                assert hits == [(0,)], (db.name, schema, table, column, card)


def test_warehouse_holds_no_raw_personal_values(dirty_run):
    root, _, _ = dirty_run
    schemas = {
        s for (s,) in query(root / "w.duckdb", "select distinct schema_name from duckdb_tables()")
    }
    assert not schemas & {"raw", "restricted"}
    emails = query(
        root / "w.duckdb",
        "select count(*) from staging.quarantine where contains(record, '@example')",
    )
    assert emails == [(0,)]


# ---------------------------------------------------------------------------------------------
# Table-level cases: each a clear one-line error, exit 1, the warehouse left as it was.


def write(raw: Path, name: str, data: str | bytes) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        (raw / name).write_bytes(data)
    else:
        (raw / name).write_text(data)


GOOD = csv_text(SIGNUP_HEADER, good_signups(10))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"signups.csv": "account_id,created_at\na1,2026-01-01T00:00:00Z\n"},
            "failed at raw__signups: signups: required column email missing",
            id="missing-required-column",
        ),
        pytest.param(
            {"payments.csv": "payment_id,account_id\n"},
            "failed at raw__signups: signups: required table not found",
            id="missing-required-table",
        ),
        pytest.param(
            {"signups.csv": GOOD, "sessions.csv": ""},
            "failed at raw__sessions: sessions: ",
            id="empty-file",
        ),
        pytest.param(
            {"signups.csv": SIGNUP_HEADER + "\n"},
            "signups: no valid rows (0 read, 0 quarantined)",
            id="header-only-signups",
        ),
        pytest.param(
            {"signups.csv": GOOD + 's9,2026-01-01T00:00:00Z,"x@y.com,,,,,,\ns10,2026\n'},
            "line 12: a quote opened in column email is never closed",
            id="unterminated-quote",
        ),
        pytest.param(
            {"signups.csv": b"account_id,created_at,em\xe4il\na,b,c\n"},
            "the header row is not UTF-8 text",
            id="header-not-utf8",
        ),
        pytest.param(
            {"signups.csv": SIGNUP_HEADER + ",email\n"},
            "signups: column email appears twice",
            id="duplicate-column",
        ),
        pytest.param(
            {"signups.csv": "account_id;created_at;email\na1;2026-01-01;a@b.com\n"},
            "signups: required column account_id, created_at, email missing",
            id="wrong-delimiter",
        ),
        pytest.param(
            {
                "signups.csv": csv_text(
                    SIGNUP_HEADER,
                    [[f"a{i}", "2026-01-01", "", "", "", "", "", "", ""] for i in range(10)],
                )
            },
            "signups: 10 of 10 rows quarantined (more than 50%): email without a usable address 10",
            id="column-of-all-nulls",
        ),
        pytest.param(
            {
                "signups.csv": GOOD,
                "payments.csv": csv_text(
                    PAYMENT_HEADER,
                    [
                        [f"p{i}", f"other{i}", "2026-01-05", "card", "", "", "", "", "", "1", "ok"]
                        for i in range(5)
                    ],
                ),
            },
            "payments: 5 of 5 rows quarantined (more than 50%): unknown account_id 5",
            id="all-orphans",
        ),
    ],
)
def test_table_level_problems_are_one_line_errors(tmp_path, capsys, files, expected):
    raw = tmp_path / "raw"
    for name, data in files.items():
        write(raw, name, data)
    code, err = run_cli(raw, tmp_path, capsys)
    assert code == 1, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("sybil run: failed at "), err
    assert expected in err, err
    assert err.endswith("(the warehouse and exports are unchanged)")
    assert not (tmp_path / "w.duckdb").exists()


def test_wrong_types_in_parquet_are_quarantined_not_crashed(tmp_path, capsys):
    """created_at as booleans, amounts as structs: staging cannot parse them, so it says so."""
    raw = tmp_path / "raw"
    raw.mkdir()
    n = 20
    pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "created_at": [i % 5 != 0 for i in range(n)],  # booleans, not timestamps
            "email": [f"u{i}@example.org" for i in range(n)],
            "phone": [None] * n,  # a column of all nulls (type null)
        }
    ).write_parquet(raw / "signups.parquet")
    code, err = run_cli(raw, tmp_path, capsys)
    assert code == 1
    assert "signups: 20 of 20 rows quarantined (more than 50%): unparseable created_at 20" in err


def test_mixed_types_parquet_loads(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    pl.DataFrame(
        {
            "account_id": [1, 2, 3],  # numbers where text is expected: fine, cast to text
            "created_at": ["2026-01-01T00:00:00Z", "2026-01-02 00:00:00+02", "nope"],
            "email": ["a@x.org", "b@y.org", "c@z.org"],
        }
    ).write_parquet(raw / "signups.parquet")
    pl.DataFrame(
        {"account_id": ["1", "2"], "ts": [1, 2], "asn": [{"a": 1}, {"a": 2}]}
    ).write_parquet(raw / "sessions.parquet")
    code, err = run_cli(raw, tmp_path, capsys)
    assert code == 1  # sessions: every ts unparseable
    assert "sessions: 2 of 2 rows quarantined (more than 50%): unparseable ts 2" in err
