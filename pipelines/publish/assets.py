"""Publish: the `published` schema and the ban list export, replaced whole by each run."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.history.queries import create_queries
from pipelines.publish import export
from pipelines.publish.checks import CHECK_SPECS, all_violations, check_results
from pipelines.publish.histogram import size_metadata
from pipelines.publish.snapshot import publish_file
from pipelines.publish.views import PUBLISHED_VIEWS, create_views, view_sql
from pipelines.resources import Folders, Warehouse
from pipelines.sql import describe_sql, read_sql, row_count

# Built in this order: later files read earlier ones.
PUBLISHED_TABLES = (
    "clusters",
    "cluster_members",
    "cluster_weak_ties",
    "cluster_history",
    "similarity_edges_packed",
    "edge_kind_masks",
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
        *(
            dg.AssetSpec(
                ["published", name],
                deps=[["published", table] for table in PUBLISHED_TABLES],
                group_name="publish",
                description=describe_sql(view_sql(name)),
                kinds={"duckdb"},
            )
            for name in PUBLISHED_VIEWS
        ),
        dg.AssetSpec(
            ["exports", "ban_list_csv"],
            deps=[["published", "ban_list"]],
            group_name="publish",
            description=(
                "exports/ban_list.csv for the enforcement job: account_id, cluster_id, "
                "risk_score, reason; and its dated copy exports/history/ban_list-<as-of>.csv. "
                "Written under a temporary name and renamed right after the warehouse, so a "
                "reader never sees half a file. Held back (exports/held/) when it would ban more "
                "than max_ban_share of the active accounts."
            ),
            kinds={"csv"},
        ),
        dg.AssetSpec(
            ["exports", "ban_list_diff_csv"],
            deps=[["published", "ban_list"]],
            group_name="publish",
            description=(
                "exports/ban_list_diff.csv: account_id, cluster_id, change (added, removed), "
                "risk_score against the ban_list.csv in place before the run."
            ),
            kinds={"csv"},
        ),
        dg.AssetSpec(
            ["exports", "review_queue_csv"],
            deps=[["published", "review_queue"]],
            group_name="publish",
            description=(
                "exports/review_queue.csv: members of review-tier clusters and accounts weakly "
                "tied to flagged ones (tie: member, weak), riskiest first, allowlisted accounts "
                "marked."
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
    with warehouse.connect() as con:
        con.execute("drop schema if exists published cascade")
        con.execute("create schema published")
        for name in PUBLISHED_TABLES:
            con.execute(f"create table published.{name} as {read_sql(f'publish/{name}')}")
        create_queries(con)
        counts = {name: row_count(con, f"published.{name}") for name in PUBLISHED_TABLES}
        create_views(con)
        top = con.sql(
            "select cluster_id, size, round(risk_score, 3), tier, evidence "
            "from published.clusters order by flagged desc, risk_score desc, size desc limit 10"
        ).fetchall()
        sizes = size_metadata(con)
        found = all_violations(con, "published")
        failed = [f"{name} ({count} rows)" for name, (count, _) in found.items() if count]
        if failed:
            # The warehouse keeps the previous result rather than get a set that breaks a rule.
            con.execute("drop schema published cascade")
            yield from check_results(found)
            raise dg.Failure(description="not published: " + "; ".join(failed))
        try:
            plan = export.stage_exports(con, exports, max_ban_share=folders.max_ban_share)
        except export.ExportError as exc:
            raise dg.Failure(description=str(exc)) from None
        con.execute("checkpoint")
    try:
        publish_file(warehouse.work_db, Path(warehouse.path), plan.staged)
    finally:
        for staged in plan.staged:
            staged.unlink(missing_ok=True)
    plan.remove_obsolete()
    for name in PUBLISHED_TABLES:
        metadata: dict[str, object] = {"rows": counts[name]}
        if name == "clusters":
            metadata["top_clusters"] = dg.MetadataValue.md(_markdown_table(top))
            metadata.update(sizes)
            metadata["warehouse"] = str(Path(warehouse.path).resolve())
        yield dg.MaterializeResult(asset_key=["published", name], metadata=metadata)
    for name in PUBLISHED_VIEWS:
        yield dg.MaterializeResult(asset_key=["published", name], metadata={"view": True})
    yield from export.materializations(plan)
    yield from check_results(found)
    if plan.held:
        # The warehouse is published (analysts can see why); the ban list in force is not.
        raise dg.Failure(description=plan.held_message())


def _markdown_table(rows: list[tuple[object, ...]]) -> str:
    lines = ["| cluster_id | size | risk | tier | evidence |", "| --- | ---: | ---: | --- | --- |"]
    for cluster_id, size, risk, tier, evidence in rows:
        text = str(evidence).replace("|", "/")
        lines.append(f"| {cluster_id} | {size} | {risk} | {tier} | {text} |")
    return "\n".join(lines)


assets = [published]
