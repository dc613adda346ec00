"""History: this run's clusters matched to the previous published result, so that a farm keeps
its cluster_id from run to run, and the history rows carried forward (see `previous.py`)."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.history.previous import PreviousWarehouseError, build_baseline
from pipelines.resources import Warehouse
from pipelines.sql import create_table, describe_sql

_STAGED = [["staging", t] for t in ("signups", "payments", "sessions", "api_usage")]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["history", "as_of"],
            deps=_STAGED,
            group_name="history",
            description=(
                "One row: this run's as-of (the latest sign-up or event timestamp in the input, "
                "never the wall clock) and the as-of of the baseline it is matched against."
            ),
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            ["history", "baseline_members"],
            deps=_STAGED,
            group_name="history",
            description=(
                "The membership this run's clusters are matched against, one row per account: "
                "the previous warehouse's published.cluster_members, or, when this run's data is "
                "not newer than it, the baseline that warehouse was matched against."
            ),
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            ["history", "previous_history"],
            deps=_STAGED,
            group_name="history",
            description=(
                "The previous warehouse's published.cluster_history rows dated before this "
                "run's as-of: carried forward into this run's history."
            ),
            kinds={"duckdb"},
        ),
    ],
)
def history_baseline(warehouse: Warehouse) -> Iterator[dg.MaterializeResult]:
    """Read the previous warehouse (attached read-only, detached again) into the work database."""
    try:
        with warehouse.connect() as con:
            base = build_baseline(con, Path(warehouse.path))
            as_of = con.sql("select as_of from history.as_of").fetchall()[0][0]
    except PreviousWarehouseError as exc:
        raise dg.Failure(description=f"history: {exc}") from None
    yield dg.MaterializeResult(
        asset_key=["history", "as_of"],
        metadata={
            "rows": 1,
            "as_of": str(as_of),
            "baseline_as_of": str(base.as_of),
            "previous_warehouse_as_of": str(base.previous_as_of),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["history", "baseline_members"],
        metadata={"source": base.source, "clusters": base.clusters, "rows": base.members},
    )
    yield dg.MaterializeResult(
        asset_key=["history", "previous_history"], metadata={"rows": base.carried_rows}
    )


@dg.asset(
    key=["history", "cluster_ids"],
    deps=[
        ["history", "as_of"],
        ["history", "baseline_members"],
        ["history", "previous_history"],
        ["communities", "account_communities"],
        ["staging", "signups"],
    ],
    group_name="history",
    description=describe_sql("history/cluster_ids"),
    kinds={"duckdb"},
)
def cluster_ids(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = create_table(con, "history.cluster_ids", "history/cluster_ids")
        events = con.sql(
            "select event, count(*) from history.cluster_ids group by event order by event"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={"rows": rows, "events": {str(e): int(n) for e, n in events}}
    )


assets = [history_baseline, cluster_ids]
