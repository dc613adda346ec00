"""Edges: the account similarity graph, built in DuckDB from shared keys."""

import dagster as dg

from pipelines import faults
from pipelines.resources import Warehouse
from pipelines.sql import create_table, describe_sql


class EdgeConfig(dg.Config):
    """How far a shared value links its holders (see sql/edges/similarity_edges.sql)."""

    max_chords: int = 4
    min_weight: float = 0.05
    exclude_families: list[str] = []  # noqa: RUF012 (pydantic copies defaults)


@dg.asset(
    key=["edges", "similarity_edges"],
    deps=[["features", "account_keys"], ["features", "key_stats"]],
    group_name="edges",
    description=describe_sql("edges/similarity_edges"),
    kinds={"duckdb"},
)
def similarity_edges(config: EdgeConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    if config.max_chords < 1 or not 0 <= config.min_weight < 1:
        raise dg.Failure(description="EdgeConfig: max_chords >= 1 and 0 <= min_weight < 1")
    with warehouse.connect() as con:
        rows = create_table(
            con,
            "edges.similarity_edges",
            "edges/similarity_edges",
            {
                "max_chords": config.max_chords,
                "min_weight": config.min_weight,
                "exclude_families": config.exclude_families,
            },
        )
        faults.reached("edges")
        stats = con.sql(
            "select (select count(*) from staging.signups), "
            "(select count(distinct x) from (select src as x from edges.similarity_edges "
            "union all select dst from edges.similarity_edges))"
        ).fetchall()[0]
    accounts, linked = int(stats[0]), int(stats[1])
    return dg.MaterializeResult(
        metadata={
            "rows": rows,
            "accounts": accounts,
            "linked_accounts": linked,
            "edges_per_account": round(rows / accounts, 3) if accounts else 0.0,
            "max_chords": config.max_chords,
            "min_weight": config.min_weight,
            "exclude_families": ", ".join(config.exclude_families) or "none",
        }
    )


assets = [similarity_edges]
