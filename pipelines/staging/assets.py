"""Staging: typed, normalized, validated tables; rejected rows go to quarantine with a reason."""

from collections.abc import Iterator

import dagster as dg

from pipelines.ingest.contract import INPUT_TABLES
from pipelines.resources import Warehouse
from pipelines.sql import create_table, describe_sql
from pipelines.staging.accounting import (
    accounting_problems,
    empty_problems,
    quarantine_problems,
)
from pipelines.staging.days import StoreStaleError
from pipelines.staging.split import stage_table

# What each staging table needs besides its own raw table.
_UPSTREAM: dict[str, list[list[str]]] = {
    "signups": [["ref", "email_domains"]],
    "payments": [["staging", "signups"], ["store", "payments"]],
    "sessions": [["staging", "signups"], ["store", "sessions"]],
    "api_usage": [["staging", "signups"], ["store", "api_usage"]],
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
                description="rows read = staged rows + quarantined rows: nothing dropped silently",
            )
        ],
        kinds={"duckdb"},
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            try:
                counts = stage_table(con, table)
            except StoreStaleError as exc:
                raise dg.Failure(description=str(exc)) from None
        return dg.MaterializeResult(
            metadata={
                "rows_read": counts.read,
                "rows": counts.clean,
                "quarantined": counts.rejected,
                "quarantine_reasons": counts.reasons,
                "fields_nulled": counts.field_issues,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=counts.reconciles,
                    metadata={
                        "read": counts.read,
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
    description=(
        "Every rejected input row: table_name, _row (null for a CSV line that could not be "
        "read), reason, and the raw record as JSON with personal values redacted. Also the view "
        "staging.field_issues: one row per nulled field of a kept row."
    ),
    kinds={"duckdb"},
)
def quarantine(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        for schema in ("staging", "restricted"):
            union = " union all ".join(
                f"select table_name, _row, reason, record from {schema}.{t}_rejects"
                for t in INPUT_TABLES
            )
            con.execute(f"create or replace view {schema}.quarantine as {union}")
        issues = " union all ".join(
            f"select table_name, _row, column_name, reason from staging.{t}_field_issues"
            for t in INPUT_TABLES
        )
        con.execute(f"create or replace view staging.field_issues as {issues}")
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


class AccountingConfig(dg.Config):
    """A table losing more than this share of its rows to quarantine stops the run: the input is
    more likely broken (a wrong file, a format change) than that dirty."""

    max_quarantine_share: float = 0.5


_ACCOUNTING_KEY = dg.AssetKey(["staging", "accounting"])


@dg.asset(
    key=_ACCOUNTING_KEY,
    deps=[["staging", "quarantine"]],
    group_name="staging",
    description=describe_sql("staging/accounting"),
    check_specs=[
        dg.AssetCheckSpec(
            "rows_add_up",
            asset=_ACCOUNTING_KEY,
            blocking=True,
            description="per table: rows read = loaded + quarantined, reasons sum to the total",
        ),
        dg.AssetCheckSpec(
            "quarantine_share",
            asset=_ACCOUNTING_KEY,
            blocking=True,
            description="no table loses more than max_quarantine_share of its rows",
        ),
        dg.AssetCheckSpec(
            "signups_not_empty",
            asset=_ACCOUNTING_KEY,
            blocking=True,
            description="at least one valid sign-up: an empty result is never published",
        ),
    ],
    kinds={"duckdb"},
)
def accounting(
    config: AccountingConfig, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    if not 0 < config.max_quarantine_share <= 1:
        raise dg.Failure(description="AccountingConfig: 0 < max_quarantine_share <= 1")
    with warehouse.connect() as con:
        rows = create_table(con, "staging.accounting", "staging/accounting")
        summary = con.sql(
            "select table_name, rows_read, rows_loaded, rows_quarantined, fields_nulled "
            "from staging.accounting order by table_name"
        ).fetchall()
        unbalanced = accounting_problems(con)
        too_many = quarantine_problems(con, config.max_quarantine_share)
        empty = empty_problems(con)
    results = [
        dg.AssetCheckResult(
            check_name="rows_add_up",
            passed=not unbalanced,
            metadata={"problems": "; ".join(unbalanced) or "none"},
        ),
        dg.AssetCheckResult(
            check_name="quarantine_share",
            passed=not too_many,
            metadata={"problems": "; ".join(too_many) or "none", **config.model_dump()},
        ),
        dg.AssetCheckResult(
            check_name="signups_not_empty",
            passed=not empty,
            metadata={"problems": "; ".join(empty) or "none"},
        ),
    ]
    problems = [*unbalanced, *too_many, *empty]
    if problems:
        yield from results
        raise dg.Failure(description="; ".join(problems))
    yield dg.MaterializeResult(
        metadata={
            "rows": rows,
            **{
                str(t): f"read {r:,}, loaded {lo:,}, quarantined {q:,}, fields nulled {f:,}"
                for t, r, lo, q, f in summary
            },
        }
    )
    yield from results


assets = [*(_staging_asset(t) for t in _UPSTREAM), quarantine, accounting]
