"""The daily partitions of the event tables: each day's rows typed once and kept in the store
(`store.<table>`, see pipelines/staging/days.py), so a day's new data is loaded without typing
history again."""

import warnings

import dagster as dg

from pipelines import faults
from pipelines.ingest.reader import InputError
from pipelines.partitions import DAILY, key_range
from pipelines.resources import Warehouse
from pipelines.staging.days import EVENT_TABLES, load_days


def _store_asset(table: str) -> dg.AssetsDefinition:
    with warnings.catch_warnings():
        # backfill_policy is marked beta in Dagster 1.13; a single-run range is what we need.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _define(table)


def _define(table: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["store", table],
        deps=[["raw", table]],
        partitions_def=DAILY,
        # A range of days is loaded in one run, set-based: a first run loads all history at once.
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="store",
        description=(
            f"The {table} rows of each day (UTC, by {EVENT_TABLES[table]}), typed and normalized "
            f"by sql/staging/{table}_typed.sql, kept from run to run in the work folder's "
            "store.duckdb; store.partitions holds each day's row count, content fingerprint and "
            "code version, from which a run knows which days are stale."
        ),
        kinds={"duckdb"},
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        start, end = key_range(context)
        try:
            with warehouse.connect() as con:
                loaded = load_days(con, table, start, end, context.run.run_id)
        except InputError as exc:
            raise dg.Failure(description=str(exc)) from None
        faults.reached("store")  # the day's rows committed, the run not yet published
        # A range of days is one materialization per day with these figures, which are the
        # run's (each day's rows are in store.partitions).
        return dg.MaterializeResult(
            metadata={
                "rows": loaded.rows,
                "days_with_rows": loaded.days,
                "run_first_day": start.isoformat(),
                "run_last_day": end.isoformat(),
            }
        )

    return _asset


assets = [_store_asset(t) for t in EVENT_TABLES]
