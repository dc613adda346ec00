"""Publish: the `published` schema, replaced in one transaction, and the ban list export."""

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.publish.checks import CHECK_SPECS, all_violations, check_results
from pipelines.resources import Folders, Warehouse
from pipelines.sql import describe_sql, read_sql, row_count

# Built in this order into `publish_next`: later files read earlier ones.
PUBLISHED_TABLES = (
    "clusters",
    "cluster_members",
    "similarity_edges",
    "account_features",
    "ban_list",
)
_UPSTREAM = [
    ["scoring", "cluster_scores"],
    ["scoring", "cluster_features"],
    ["communities", "account_communities"],
    ["edges", "similarity_edges"],
    ["features", "account_features"],
    ["staging", "signups"],
    ["staging", "allowlist"],
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["published", name],
            deps=_UPSTREAM,
            group_name="publish",
            description=describe_sql(f"publish/{name}"),
            kinds={"duckdb"},
        )
        for name in PUBLISHED_TABLES
    ],
    check_specs=CHECK_SPECS,
)
def published(warehouse: Warehouse) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Build every published table in `publish_next`, check it, then swap all of them in one
    transaction, so a reader sees the previous run or this one, never a mix (nor a failing set)."""
    with warehouse.connect() as con:
        con.execute("drop schema if exists publish_next cascade")
        con.execute("create schema publish_next")
        for name in PUBLISHED_TABLES:
            con.execute(f"create table publish_next.{name} as {read_sql(f'publish/{name}')}")
        counts = {name: row_count(con, f"publish_next.{name}") for name in PUBLISHED_TABLES}
        top = con.sql(
            "select cluster_id, size, round(risk_score, 3), tier, evidence "
            "from publish_next.clusters order by flagged desc, risk_score desc, size desc limit 10"
        ).fetchall()
        found = all_violations(con, "publish_next")
        failed = [f"{name} ({count} rows)" for name, (count, _) in found.items() if count]
        if failed:
            # Keep the previous published tables rather than swap in a set that breaks a rule.
            con.execute("drop schema publish_next cascade")
            yield from check_results(found)
            raise dg.Failure(description="not published: " + "; ".join(failed))
        con.execute("begin transaction")
        con.execute("create schema if not exists published")
        for name in PUBLISHED_TABLES:
            con.execute(
                f"create or replace table published.{name} as select * from publish_next.{name}"
            )
        con.execute("drop schema publish_next cascade")
        con.execute("commit")
    for name in PUBLISHED_TABLES:
        metadata: dict[str, object] = {"rows": counts[name]}
        if name == "clusters":
            metadata["top_clusters"] = dg.MetadataValue.md(_markdown_table(top))
        yield dg.MaterializeResult(asset_key=["published", name], metadata=metadata)
    yield from check_results(found)


def _markdown_table(rows: list[tuple[object, ...]]) -> str:
    lines = ["| cluster_id | size | risk | tier | evidence |", "| --- | ---: | ---: | --- | --- |"]
    for cluster_id, size, risk, tier, evidence in rows:
        text = str(evidence).replace("|", "/")
        lines.append(f"| {cluster_id} | {size} | {risk} | {tier} | {text} |")
    return "\n".join(lines)


@dg.asset(
    key=["exports", "ban_list_csv"],
    deps=[["published", "ban_list"]],
    group_name="publish",
    description=(
        "exports/ban_list.csv for the enforcement job: account_id, cluster_id, risk_score, "
        "reason. Written to a temporary name and renamed, so a reader never sees half a file."
    ),
    kinds={"csv"},
)
def ban_list_csv(warehouse: Warehouse, folders: Folders) -> dg.MaterializeResult:
    exports = folders.exports
    exports.mkdir(parents=True, exist_ok=True)
    target = exports / "ban_list.csv"
    tmp = exports / f".ban_list.csv.{os.getpid()}.tmp"
    with warehouse.connect(read_only=False) as con:
        con.execute(
            "copy (select account_id, cluster_id, risk_score, reason from published.ban_list "
            "order by cluster_id, account_id) to $path (header true, delimiter ',')",
            {"path": str(tmp)},
        )
        rows = row_count(con, "published.ban_list")
    os.replace(tmp, target)
    return dg.MaterializeResult(metadata={"rows": rows, "path": str(Path(target).resolve())})


assets = [published, ban_list_csv]
