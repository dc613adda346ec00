"""Null rates of the key columns of each staged event table (limits in `pipelines/limits.py`)."""

import dagster as dg
import duckdb

from pipelines.limits import NULL_LIMITS, NullLimit
from pipelines.resources import Warehouse
from pipelines.sql import quote_ident


def null_rates(con: duckdb.DuckDBPyConnection, table: str) -> dg.AssetCheckResult:
    """Count nulls of every limited column of `staging.<table>` in one scan, and non-null input
    values of their source columns in one scan of `raw.<table>`; judge them against the limits."""
    limits = NULL_LIMITS[table]
    counts = ", ".join(f"count(*) - count({quote_ident(x.column)})" for x in limits)
    rows, *nulls = con.sql(f"select count(*), {counts} from staging.{table}").fetchall()[0]
    sourced = [x.source for x in limits if x.source]
    present = dict.fromkeys(sourced, 0)
    if sourced and rows:
        found = con.sql(
            f"select {', '.join(f'count({quote_ident(s)})' for s in sourced)} from raw.{table}"
        ).fetchall()[0]
        present = dict(zip(sourced, found, strict=True))
    errors: list[str] = []
    warnings: list[str] = []
    lines = [
        "| column | nulls | share | warn above | fail above | status |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for limit, n_null in zip(limits, nulls, strict=True):
        share = n_null / rows if rows else 0.0
        status = _judge(limit, share, absent=limit.source is not None and not present[limit.source])
        text = f"{table}.{limit.column}: {share:.1%} null ({n_null:,} of {rows:,})"
        if status.startswith("fail"):
            errors.append(f"{text} > {limit.error:.1%}")
        elif status != "ok":
            warnings.append(
                f"{text} > {limit.warn:.1%}"
                + (" (absent from input)" if "absent" in status else "")
            )
        error = "-" if limit.error is None else f"{limit.error:.1%}"
        lines.append(
            f"| {limit.column} | {n_null:,} | {share:.2%} | {limit.warn:.1%} | {error} | {status} |"
        )
    severity = dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        asset_key=["staging", table],
        check_name="null_rates",
        passed=not errors and not warnings,
        severity=severity,
        description="; ".join(errors + warnings) or None,
        metadata={
            "rows": rows,
            "failures": len(errors),
            "warnings": len(warnings),
            "problems": "; ".join(errors + warnings) or "none",
            "null_rates": dg.MetadataValue.md("\n".join(lines)),
        },
    )


def _judge(limit: NullLimit, share: float, *, absent: bool) -> str:
    if limit.error is not None and share > limit.error:
        return "warn (absent from input)" if absent else "fail"
    if share > limit.warn:
        return "warn"
    return "ok"


def _null_rate_check(table: str) -> dg.AssetChecksDefinition:
    columns = ", ".join(x.column for x in NULL_LIMITS[table])

    @dg.asset_check(
        asset=["staging", table],
        name="null_rates",
        blocking=True,
        description=(
            f"Share of nulls in {columns}: WARN above the warning limit, ERROR (blocks the run) "
            "above the failure limit; limits in pipelines/limits.py."
        ),
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            return null_rates(con, table)

    return _check


checks = [_null_rate_check(t) for t in NULL_LIMITS]
