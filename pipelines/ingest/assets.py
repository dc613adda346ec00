"""Ingest: one asset per input table (`raw.*`) and per reference table (`ref.*`)."""

import dagster as dg

from pipelines.ingest.contract import INPUT_TABLES, InputTable
from pipelines.ingest.reader import REFERENCE_TABLES, InputError, load_raw, load_reference
from pipelines.resources import Folders, Warehouse


def _raw_asset(table: InputTable) -> dg.AssetsDefinition:
    required = "required" if table.required_table else "optional"

    @dg.asset(
        key=["raw", table.name],
        group_name="ingest",
        description=(
            f"The {table.name} input ({required}) as read from the raw folder, one row per input "
            "row, with `_row` numbering rows in load order: a view over a Parquet input, a table "
            "for CSV. Nothing is parsed or dropped here: CSV lines that cannot be split into "
            f"columns go to raw.{table.name}_malformed, and values holding a card number are "
            "nulled (named in `_card_columns`) before any row is stored."
        ),
        kinds={"duckdb"},
    )
    def _asset(warehouse: Warehouse, folders: Folders) -> dg.MaterializeResult:
        try:
            with warehouse.connect() as con:
                counts = load_raw(con, folders.raw, table)
        except InputError as exc:
            raise dg.Failure(description=str(exc)) from None
        return dg.MaterializeResult(
            metadata={
                "rows": counts.rows,
                "malformed_csv_lines": counts.malformed,
                # A Parquet input is a view: its card numbers are found when staging reads it
                # (staging.accounting counts them).
                "card_values_removed": (
                    counts.card_values if counts.fmt == "csv" else "counted in staging"
                ),
                "source": counts.source or "(absent: empty table)",
            }
        )

    return _asset


def _reference_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["ref", name],
        group_name="ingest",
        description=f"Reference table shipped with the code: data/reference/{name}.csv.",
        kinds={"duckdb"},
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rows = load_reference(con, name)
        return dg.MaterializeResult(metadata={"rows": rows})

    return _asset


raw_assets = [_raw_asset(t) for t in INPUT_TABLES.values()]
reference_assets = [_reference_asset(name) for name in REFERENCE_TABLES]
assets = [*raw_assets, *reference_assets]
