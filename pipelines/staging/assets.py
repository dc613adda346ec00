"""Staging: typed, normalized, validated tables; rejected rows go to quarantine with a reason."""

import dagster as dg

from pipelines.resources import Warehouse
from pipelines.sql import describe_sql
from pipelines.staging.split import stage_table

# What each staging table needs besides its own raw table.
_UPSTREAM: dict[str, list[list[str]]] = {
    "signups": [["ref", "email_domains"]],
    "payments": [["staging", "signups"]],
    "sessions": [["staging", "signups"]],
    "api_usage": [["staging", "signups"]],
    "allowlist": [],
}


def _staging_asset(table: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["staging", table])

    @dg.asset(
        key=key,
        deps=[["raw", table], *_UPSTREAM[table]],
        group_name="staging",
        description=describe_sql(f"staging/{table}_checked").replace(
            "with the reason it is rejected (null when valid)", "valid rows only"
        ),
        check_specs=[
            dg.AssetCheckSpec(
                "rows_reconcile",
                asset=key,
                blocking=True,
                description="raw rows = staged rows + quarantined rows: nothing dropped silently",
            )
        ],
        kinds={"duckdb"},
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            counts = stage_table(con, table)
        return dg.MaterializeResult(
            metadata={
                "raw_rows": counts.raw,
                "rows": counts.clean,
                "quarantined": counts.rejected,
                "quarantine_reasons": counts.reasons,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=counts.reconciles,
                    metadata={
                        "raw": counts.raw,
                        "staged": counts.clean,
                        "quarantined": counts.rejected,
                    },
                )
            ],
        )

    return _asset


@dg.asset(
    key=["staging", "quarantine"],
    deps=[["staging", t] for t in _UPSTREAM],
    group_name="staging",
    description="Every rejected input row: table_name, _row, reason, and the raw record as JSON.",
    kinds={"duckdb"},
)
def quarantine(warehouse: Warehouse) -> dg.MaterializeResult:
    union = " union all ".join(
        f"select table_name, _row, reason, record from staging.{t}_rejects" for t in _UPSTREAM
    )
    with warehouse.connect() as con:
        con.execute(f"create or replace view staging.quarantine as {union}")
        by_reason = con.sql(
            "select table_name || ': ' || reason, count(*) from staging.quarantine "
            "group by all order by all"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "rows": sum(int(n) for _, n in by_reason),
            "by_reason": {str(k): int(v) for k, v in by_reason},
        }
    )


assets = [*(_staging_asset(t) for t in _UPSTREAM), quarantine]
