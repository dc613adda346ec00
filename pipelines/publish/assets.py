"""Publish: the `published` schema and the ban list export, replaced whole by each run."""

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.history.queries import create_queries
from pipelines.publish.checks import CHECK_SPECS, all_violations, check_results
from pipelines.publish.snapshot import publish_file
from pipelines.resources import Folders, Warehouse
from pipelines.sql import describe_sql, read_sql, row_count

# Built in this order: later files read earlier ones.
PUBLISHED_TABLES = (
    "clusters",
    "cluster_members",
    "cluster_history",
    "similarity_edges",
    "account_features",
    "ban_list",
)
_UPSTREAM = [
    ["scoring", "cluster_scores"],
    ["history", "cluster_ids"],
    ["scoring", "cluster_features"],
    ["communities", "account_communities"],
    ["edges", "similarity_edges"],
    ["features", "account_features"],
    ["staging", "signups"],
    ["staging", "allowlist"],
    ["staging", "accounting"],
]
BAN_LIST_FILE = "ban_list.csv"


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(
                ["published", name],
                deps=_UPSTREAM,
                group_name="publish",
                description=describe_sql(f"publish/{name}"),
                kinds={"duckdb"},
            )
            for name in PUBLISHED_TABLES
        ),
        dg.AssetSpec(
            ["exports", "ban_list_csv"],
            deps=[["published", "ban_list"]],
            group_name="publish",
            description=(
                "exports/ban_list.csv for the enforcement job: account_id, cluster_id, "
                "risk_score, reason. Written under a temporary name and renamed right after the "
                "warehouse, so a reader never sees half a file."
            ),
            kinds={"csv"},
        ),
    ],
    check_specs=CHECK_SPECS,
)
def published(
    warehouse: Warehouse, folders: Folders
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Build every published table in the work database and check it; then copy the work
    database into place as the warehouse and the ban list beside it, each written under a
    temporary name and renamed. A reader sees the previous run or this one, never a mix (nor a
    set that fails a check): until the rename, the published tables exist only in the work
    database, which readers never open."""
    exports = folders.exports
    exports.mkdir(parents=True, exist_ok=True)
    target = exports / BAN_LIST_FILE
    staged = exports / f".{BAN_LIST_FILE}.{os.getpid()}.tmp"
    for stale in exports.glob(f".{BAN_LIST_FILE}.*.tmp"):
        stale.unlink(missing_ok=True)  # left by a killed run (this run holds the run lock)
    with warehouse.connect() as con:
        con.execute("drop schema if exists published cascade")
        con.execute("create schema published")
        for name in PUBLISHED_TABLES:
            con.execute(f"create table published.{name} as {read_sql(f'publish/{name}')}")
        create_queries(con)
        counts = {name: row_count(con, f"published.{name}") for name in PUBLISHED_TABLES}
        top = con.sql(
            "select cluster_id, size, round(risk_score, 3), tier, evidence "
            "from published.clusters order by flagged desc, risk_score desc, size desc limit 10"
        ).fetchall()
        found = all_violations(con, "published")
        failed = [f"{name} ({count} rows)" for name, (count, _) in found.items() if count]
        if failed:
            # The warehouse keeps the previous result rather than get a set that breaks a rule.
            con.execute("drop schema published cascade")
            yield from check_results(found)
            raise dg.Failure(description="not published: " + "; ".join(failed))
        con.execute(
            "copy (select account_id, cluster_id, risk_score, reason from published.ban_list "
            "order by cluster_id, account_id) to $path (header true, delimiter ',')",
            {"path": str(staged)},
        )
        con.execute("checkpoint")
    try:
        publish_file(warehouse.work_db, Path(warehouse.path), {staged: target})
    finally:
        staged.unlink(missing_ok=True)
    for name in PUBLISHED_TABLES:
        metadata: dict[str, object] = {"rows": counts[name]}
        if name == "clusters":
            metadata["top_clusters"] = dg.MetadataValue.md(_markdown_table(top))
            metadata["warehouse"] = str(Path(warehouse.path).resolve())
        yield dg.MaterializeResult(asset_key=["published", name], metadata=metadata)
    yield dg.MaterializeResult(
        asset_key=["exports", "ban_list_csv"],
        metadata={"rows": counts["ban_list"], "path": str(target.resolve())},
    )
    yield from check_results(found)


def _markdown_table(rows: list[tuple[object, ...]]) -> str:
    lines = ["| cluster_id | size | risk | tier | evidence |", "| --- | ---: | ---: | --- | --- |"]
    for cluster_id, size, risk, tier, evidence in rows:
        text = str(evidence).replace("|", "/")
        lines.append(f"| {cluster_id} | {size} | {risk} | {tier} | {text} |")
    return "\n".join(lines)


assets = [published]
