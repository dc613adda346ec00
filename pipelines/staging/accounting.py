"""The accounting checks: every row read is loaded or quarantined, and not too many quarantined."""

from __future__ import annotations

import duckdb


def accounting_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One sentence per input table whose rows do not add up (should be none)."""
    rows = con.sql(
        """
        select
            a.table_name, a.rows_read, a.rows_loaded, a.rows_quarantined,
            coalesce(list_sum(map_values(a.quarantined_by_reason)), 0) as by_reason
        from staging.accounting as a
        where not a.adds_up
            or coalesce(list_sum(map_values(a.quarantined_by_reason)), 0) <> a.rows_quarantined
        order by a.table_name
        """
    ).fetchall()
    return [
        f"{table}: {read:,} rows read but {loaded:,} loaded + {quarantined:,} quarantined "
        f"(reasons sum to {by_reason:,})"
        for table, read, loaded, quarantined, by_reason in rows
    ]


def quarantine_problems(con: duckdb.DuckDBPyConnection, max_share: float) -> list[str]:
    """One sentence per input table that lost more than `max_share` of its rows to quarantine,
    naming the main reasons (which name the column)."""
    rows = con.execute(
        """
        select
            table_name, rows_read, rows_quarantined,
            (select string_agg(format('{} {:,}', r.key, r.value), ', ' order by r.value desc, r.key)
             from (select unnest(map_entries(quarantined_by_reason), recursive := true)) as r)
        from staging.accounting
        where rows_read > 0 and rows_quarantined > $share * rows_read
        order by table_name
        """,
        {"share": max_share},
    ).fetchall()
    return [
        f"{table}: {quarantined:,} of {read:,} rows quarantined "
        f"(more than {max_share:.0%}): {reasons}; see staging.quarantine"
        for table, read, quarantined, reasons in rows
    ]


def empty_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A sentence when no sign-up survived: publishing would replace the previous result with an
    empty one (an empty ban list), which is never what a broken input deserves."""
    rows = con.sql(
        "select rows_read, rows_quarantined from staging.accounting "
        "where table_name = 'signups' and rows_loaded = 0"
    ).fetchall()
    return [
        f"signups: no valid rows ({read:,} read, {quarantined:,} quarantined); "
        "refusing to publish an empty result"
        for read, quarantined in rows
    ]
