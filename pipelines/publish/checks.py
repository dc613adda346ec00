"""Integrity checks on the published tables: SQL files that return the violating rows."""

import dagster as dg
import duckdb

from pipelines.resources import Warehouse
from pipelines.sql import read_sql

# check name -> (sql/checks file, published table it guards)
CHECKS: dict[str, tuple[str, str]] = {
    "one_cluster_per_account": ("checks/account_in_two_clusters", "cluster_members"),
    "allowlist_never_banned": ("checks/allowlisted_on_ban_list", "ban_list"),
    "ban_list_is_flagged_members": ("checks/ban_list_mismatch", "ban_list"),
    "risk_score_in_range": ("checks/risk_score_out_of_range", "clusters"),
}
_SCHEMAS = {"published", "publish_next"}


def violations(
    con: duckdb.DuckDBPyConnection, check: str, schema: str = "published"
) -> tuple[int, list[tuple[object, ...]]]:
    """(count, sample of up to 5 rows) of what breaks `check` in `schema`."""
    if schema not in _SCHEMAS:
        raise ValueError(f"not a publish schema: {schema!r}")
    sql = read_sql(CHECKS[check][0]).replace("__schema__", schema)
    rows = con.sql(f"select * from ({sql})").fetchall()
    return len(rows), rows[:5]


def find_violations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """One line per failing check, naming it, its count and a sample."""
    problems = []
    for check in CHECKS:
        count, sample = violations(con, check, schema)
        if count:
            problems.append(f"{check}: {count} rows, e.g. {sample[:3]}")
    return problems


def _make_check(check: str) -> dg.AssetChecksDefinition:
    table = CHECKS[check][1]

    @dg.asset_check(
        asset=dg.AssetKey(["published", table]),
        name=check,
        blocking=True,
        description=read_sql(CHECKS[check][0]).splitlines()[0].removeprefix("--").strip(),
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            count, sample = violations(con, check)
        return dg.AssetCheckResult(
            passed=count == 0, metadata={"violations": count, "sample": str(sample)}
        )

    return _check


checks = [_make_check(name) for name in CHECKS]
