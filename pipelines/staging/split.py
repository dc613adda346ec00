"""Split a checked table into clean rows and quarantined rows, and count both.

For input table `t`, `sql/staging/<t>_checked.sql` gives every raw row with `_reason` (null when
valid) and optionally `_issues` (the fields that were nulled and why). It reads the temporary
table `raw_rows` (sign-ups, allowlist: the raw rows read once, card numbers nulled, see
`pipelines.ingest.reader.card_checked_select`) or, for the event tables, the view `typed_rows`
(the store's typed days, see `pipelines.staging.days`). From it:
- `staging.<t>`: the valid rows, personal columns left out (and, for the event tables,
  `account_id`: they carry `account_idx`);
- `staging.<t>_rejects`: the rest, plus the CSV lines the parser could not read, each with its
  reason and the raw record as JSON, personal values redacted;
- `staging.<t>_field_issues`: one row per nulled field of a valid row (column and reason);
- `restricted.<t>` and `restricted.<t>_rejects`: the personal values and full records, in the
  private `restricted` database of the work folder, never in the warehouse readers open.

An event table's rows are checked twice rather than copied: once to keep aside the few rows that
need a look, once to write the valid ones (a join on the accounts costs a second at 13M rows;
writing a temporary copy of them cost eight).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.ingest.contract import INPUT_TABLES, PERSONAL_COLUMNS, ROW_COLUMNS
from pipelines.ingest.reader import card_checked_select, record_card_values
from pipelines.sql import create_table, quote_ident, read_sql, row_count
from pipelines.staging.days import (
    EVENT_TABLES,
    build_value_tables,
    drop_typed_rows,
    drop_value_tables,
    typed_rows,
)

# Columns of the checked output that hold personal values: restricted.<t> only.
RESTRICTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "signups": ("email_raw", "email_normalized", "name", "phone_raw", "phone_digits"),
    "payments": ("billing_name",),
}
REDACTED = "[restricted]"


@dataclass(frozen=True)
class StageCounts:
    raw: int
    malformed: int
    clean: int
    rejected: int
    reasons: dict[str, int]
    field_issues: dict[str, int]

    @property
    def read(self) -> int:
        return self.raw + self.malformed

    @property
    def reconciles(self) -> bool:
        return self.read == self.clean + self.rejected


def stage_table(con: duckdb.DuckDBPyConnection, table: str) -> StageCounts:
    """Build the staging, rejects, field-issue and restricted tables of one input table."""
    if table not in INPUT_TABLES:
        raise ValueError(f"not an input table: {table!r}")
    con.execute("create schema if not exists staging")
    if table in EVENT_TABLES:
        # Every row typed: the stored days plus the undated rows (see pipelines.staging.days).
        source = "typed_rows"
        typed_rows(con, table)
    else:
        # The raw rows, read once (a Parquet input is a view over the file), card numbers
        # nulled: every statement below reads this temporary copy, never the input again.
        source = "raw_rows"
        carded, card_params = card_checked_select(con, table)
        con.execute(f"create or replace temp table raw_rows as {carded}", card_params)
        raw_columns = {str(r[0]) for r in con.sql("describe raw_rows").fetchall()}
        build_value_tables(con, raw_columns, "temp.raw_rows")
    record_card_values(con, table, source)
    checked = read_sql(f"staging/{table}_checked")
    # Tables without field problems of their own get an empty `_issues` as they are written
    # (adding the column afterwards rewrote 16M rows at 1M accounts).
    checked_columns = [str(r[0]) for r in con.sql(f"describe {checked}").fetchall()]
    issues = (
        ""
        if "_issues" in checked_columns
        else ", []::struct(column_name varchar, reason varchar)[] as _issues"
    )
    checked = f"select *{issues} from ({checked})"
    if table in EVENT_TABLES:
        # Tens of millions of rows, nearly all valid, and a cheap check (a join on the accounts):
        # only the rows that need a look (a reason, a field issue, a card number) are kept aside,
        # and the valid rows are written once, straight into staging.<t>, by checking again.
        con.execute(
            f"create or replace temp table _checked as select * from ({checked}) "
            "where _reason is not null or len(_issues) > 0 "
            f"or _row in (select _row from {source} where _card_columns is not null)"
        )
        valid = (
            f"select * from ({checked}) anti join "
            "(select _row from _checked where _reason is not null) using (_row) "
            "where _reason is null"
        )
    else:
        con.execute(f"create or replace temp table _checked as {checked}")
        valid = "select * from _checked where _reason is null"
    _apply_card_findings(con, table, source)
    if table in EVENT_TABLES:
        # The raw records of the rejected rows, for the quarantine (card numbers nulled).
        carded, card_params = card_checked_select(
            con, table, "_row in (select _row from _checked where _reason is not null)"
        )
        con.execute(f"create or replace temp table raw_rows as {carded}", card_params)

    restricted = RESTRICTED_COLUMNS.get(table, ())
    # An event row keeps account_idx and not account_id, which is in staging.signups: writing
    # the text again for each of 13M sessions cost 2 s of 13 at 1M accounts.
    dropped = ["account_id"] if table in EVENT_TABLES else []
    hidden = ", ".join(["_reason", "_issues", *restricted, *dropped])
    # signups get the dense int32 id every later stage uses (igraph wants 0..n-1).
    dense = (
        "(row_number() over (order by account_id) - 1)::integer as account_idx, "
        if table == "signups"
        else ""
    )
    # Event rows are stored by account: every later step reads them per account. At 1M accounts
    # the sessions so sorted were written in 9.6 s instead of 12.6 (an account's rows repeat its
    # values, which compress), grouped by account 2.4x faster, and a few accounts' rows were read
    # from their row groups alone (what a report or a one-cluster query asks).
    order = "account_idx, _row" if table in EVENT_TABLES else "_row"
    con.execute(
        f"create or replace table staging.{table} as "
        f"select {dense}* exclude ({hidden}) from ({valid}) order by {order}"
    )
    if restricted:
        con.execute(
            f"create or replace table restricted.{table} as "
            f"select _row, account_id, {', '.join(restricted)} from ({valid}) order by _row"
        )
    con.execute(
        f"create or replace table staging.{table}_field_issues as "
        "select $t as table_name, _row, issue.column_name, issue.reason "
        "from (select _row, unnest(_issues) as issue from _checked where _reason is null) "
        "order by _row, issue.column_name",
        {"t": table},
    )
    _build_rejects(con, table)
    con.execute("drop table _checked")
    if table == "signups":
        create_table(con, "staging.account_lookup", "staging/account_lookup")
    raw_rows = row_count(con, f"temp.{source}")
    con.execute("drop table raw_rows")
    drop_typed_rows(con)
    drop_value_tables(con)
    reasons = dict(
        con.sql(
            f"select reason, count(*) from staging.{table}_rejects group by reason order by reason"
        ).fetchall()
    )
    issues = dict(
        con.sql(
            f"select reason, count(*) from staging.{table}_field_issues "
            "group by reason order by reason"
        ).fetchall()
    )
    return StageCounts(
        raw=raw_rows,
        malformed=row_count(con, f"raw.{table}_malformed"),
        clean=row_count(con, f"staging.{table}"),
        rejected=row_count(con, f"staging.{table}_rejects"),
        reasons={str(k): int(v) for k, v in reasons.items()},
        field_issues={str(k): int(v) for k, v in issues.items()},
    )


def _apply_card_findings(con: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Card numbers found on the way in (the values are already gone): one in a column the row
    cannot do without quarantines the row; one anywhere else is a field issue of the row.
    `source` holds the rows' `_row` and `_card_columns`."""
    rows = con.sql(f"select count(*) from {source} where _card_columns is not null").fetchall()
    if not rows[0][0]:
        return
    row_columns = sorted(ROW_COLUMNS[table])
    con.execute(
        "update _checked set _reason = 'card number in ' "
        "|| array_to_string(list_sort(list_intersect(r._card_columns, $cols)), ', ') "
        "|| ' (value not stored)' "
        f"from {source} as r "
        "where r._row = _checked._row and r._card_columns is not null "
        "and len(list_intersect(r._card_columns, $cols)) > 0",
        {"cols": row_columns},
    )
    con.execute(
        "update _checked set _issues = list_concat(_checked._issues, list_transform("
        "list_sort(list_filter(r._card_columns, lambda c: not list_contains($cols, c))), "
        "lambda c: {'column_name': c, 'reason': 'card number in ' || c || ' (value not stored)'}"
        ")) "
        f"from {source} as r "
        "where r._row = _checked._row and r._card_columns is not null",
        {"cols": row_columns},
    )


def _build_rejects(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """`staging.<t>_rejects` (personal values redacted) and `restricted.<t>_rejects` (whole)."""
    personal = PERSONAL_COLUMNS[table]
    raw_columns = {str(r[0]) for r in con.sql("describe raw_rows").fetchall()}
    redactions = [
        f"case when {quote_ident(c)} is null then null else $redacted end as {quote_ident(c)}"
        for c in personal
        if c in raw_columns
    ]
    redacted = (
        f"select * replace ({', '.join(redactions)}) from raw_rows"
        if redactions
        else "select * from raw_rows"
    )
    # A CSV line that could not be split into columns: its text can hold anything, so for tables
    # with personal columns only its number and the parser's complaint leave the work database.
    line_text = "null" if personal else "m.csv_line"
    for schema, source, text in (
        ("staging", redacted, line_text),
        ("restricted", "select * from raw_rows", "m.csv_line"),
    ):
        con.execute(
            f"create or replace table {schema}.{table}_rejects as "
            "select $t as table_name, c._row, c._reason as reason, to_json(r) as record "
            f"from _checked as c inner join ({source}) as r on r._row = c._row "
            "where c._reason is not null "
            "union all "
            "select $t, null, 'malformed csv: ' || m.error_type, "
            f"to_json({{'line': m.line, 'column': m.column_name, 'csv_line': {text}}}) "
            f"from raw.{table}_malformed as m "
            "order by _row nulls last, record",
            {"t": table, "redacted": REDACTED}
            if schema == "staging" and redactions
            else {"t": table},
        )
