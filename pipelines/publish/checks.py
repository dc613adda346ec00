"""Integrity checks on what is about to be published: SQL files that return the violating rows.

They run inside the publish step against the new `published` tables in the work database, before
the warehouse is replaced, so a failing check both shows in the Dagster UI and keeps the previous
warehouse in place.
"""

import dagster as dg
import duckdb

from pipelines.sql import read_sql

# check name -> (sql/checks file, published table it guards)
CHECKS: dict[str, tuple[str, str]] = {
    "one_cluster_per_account": ("checks/account_in_two_clusters", "cluster_members"),
    "weak_ties_are_not_members": ("checks/weak_tie_in_a_cluster", "cluster_weak_ties"),
    "allowlist_never_banned": ("checks/allowlisted_on_ban_list", "ban_list"),
    "ban_list_is_flagged_members": ("checks/ban_list_mismatch", "ban_list"),
    "risk_score_in_range": ("checks/risk_score_out_of_range", "clusters"),
    "flagged_names_two_families": ("checks/flagged_without_two_families", "clusters"),
    "cluster_ids_unique_and_fresh": ("checks/cluster_id_reused", "clusters"),
}
_SCHEMAS = {"published", "publish_next"}

CHECK_SPECS = [
    dg.AssetCheckSpec(
        name,
        asset=["published", table],
        blocking=True,
        description=read_sql(sql_name).splitlines()[0].removeprefix("--").strip(),
    )
    for name, (sql_name, table) in CHECKS.items()
]


def violations(
    con: duckdb.DuckDBPyConnection, check: str, schema: str = "published"
) -> tuple[int, list[tuple[object, ...]]]:
    """(count, sample of up to 5 rows) of what breaks `check` in `schema`."""
    if schema not in _SCHEMAS:
        raise ValueError(f"not a publish schema: {schema!r}")
    sql = read_sql(CHECKS[check][0]).replace("__schema__", schema)
    rows = con.sql(f"select * from ({sql})").fetchall()
    return len(rows), rows[:5]


def all_violations(
    con: duckdb.DuckDBPyConnection, schema: str
) -> dict[str, tuple[int, list[tuple[object, ...]]]]:
    """check name -> (count, sample) for every check on the tables in `schema`."""
    return {name: violations(con, name, schema) for name in CHECKS}


def check_results(
    found: dict[str, tuple[int, list[tuple[object, ...]]]],
) -> list[dg.AssetCheckResult]:
    """The Dagster check results for what `all_violations` found."""
    return [
        dg.AssetCheckResult(
            asset_key=["published", CHECKS[name][1]],
            check_name=name,
            passed=count == 0,
            metadata={"violations": count, "sample": str(sample)},
        )
        for name, (count, sample) in found.items()
    ]
