"""Split a checked table into clean rows and quarantined rows, and count both."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.ingest.contract import INPUT_TABLES
from pipelines.sql import create_table, read_sql, row_count


@dataclass(frozen=True)
class StageCounts:
    raw: int
    clean: int
    rejected: int
    reasons: dict[str, int]

    @property
    def reconciles(self) -> bool:
        return self.raw == self.clean + self.rejected


def stage_table(con: duckdb.DuckDBPyConnection, table: str) -> StageCounts:
    """Build `staging.<table>` (valid rows) and `staging.<table>_rejects` (the rest, with a reason
    and the raw record as JSON) from `sql/staging/<table>_checked.sql`."""
    if table not in INPUT_TABLES:
        raise ValueError(f"not an input table: {table!r}")
    con.execute("create schema if not exists staging")
    con.execute(f"create or replace temp table _checked as {read_sql(f'staging/{table}_checked')}")
    # signups get the dense int32 id every later stage uses (igraph wants 0..n-1).
    dense = (
        "(row_number() over (order by account_id) - 1)::integer as account_idx, "
        if table == "signups"
        else ""
    )
    con.execute(
        f"create or replace table staging.{table} as "
        f"select {dense}* exclude (_reason) from _checked where _reason is null "
        "order by _row"
    )
    con.execute(
        f"create or replace table staging.{table}_rejects as "
        f"select '{table}' as table_name, c._row, c._reason as reason, to_json(r) as record "
        f"from _checked as c inner join raw.{table} as r on r._row = c._row "
        "where c._reason is not null order by c._row"
    )
    con.execute("drop table _checked")
    if table == "signups":
        create_table(con, "staging.account_lookup", "staging/account_lookup")
    reasons = dict(
        con.sql(
            f"select reason, count(*) from staging.{table}_rejects group by reason order by reason"
        ).fetchall()
    )
    return StageCounts(
        raw=row_count(con, f"raw.{table}"),
        clean=row_count(con, f"staging.{table}"),
        rejected=row_count(con, f"staging.{table}_rejects"),
        reasons={str(k): int(v) for k, v in reasons.items()},
    )
