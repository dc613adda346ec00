"""Find an input table on disk and copy it into `raw.<table>` as read, plus a `_row` number."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest.contract import InputTable
from pipelines.sql import REFERENCE_DIR, row_count

REFERENCE_TABLES = ("email_domains", "asn_classes", "key_kinds")


class InputError(ValueError):
    """Input that cannot be loaded at all; the message names the table and what is wrong."""


def locate(raw_dir: Path, table: InputTable) -> tuple[str, str] | None:
    """(format, path or glob) of the table's file or folder, or None when it is absent."""
    candidates = [
        (raw_dir / f"{table.name}.parquet", "parquet"),
        (raw_dir / f"{table.name}.csv", "csv"),
    ]
    found = [(fmt, str(path)) for path, fmt in candidates if path.is_file()]
    folder = raw_dir / table.name
    if folder.is_dir():
        parts = sorted(folder.glob("*.parquet"))
        if not parts:
            raise InputError(f"{table.name}: folder {folder} holds no .parquet files")
        found.append(("parquet", str(folder / "*.parquet")))
    if len(found) > 1:
        names = ", ".join(path for _, path in found)
        raise InputError(f"{table.name}: more than one input found ({names}); keep one")
    return found[0] if found else None


def _source(fmt: str) -> str:
    if fmt == "parquet":
        return "read_parquet($path, union_by_name = true)"
    # Text stays text: types are parsed (and failures quarantined) in staging, not here.
    return "read_csv($path, header = true, all_varchar = true, strict_mode = false)"


def load_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path, table: InputTable) -> int:
    """Create `raw.<name>` from the input; a missing optional table becomes an empty table."""
    con.execute("create schema if not exists raw")
    target = f"raw.{table.name}"
    located = locate(raw_dir, table)
    if located is None:
        if table.required_table:
            raise InputError(f"{table.name}: required table not found in {raw_dir}")
        cols = ", ".join(f"null::varchar as {c}" for c in table.columns)
        con.execute(f"create or replace table {target} as select 0::bigint as _row, {cols} limit 0")
        return 0
    fmt, path = located
    if fmt == "csv" and Path(path).stat().st_size == 0:
        raise InputError(f"{table.name}: {path} is empty (not even a header row)")
    try:
        described = con.execute(f"describe select * from {_source(fmt)}", {"path": path}).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{table.name}: cannot read {path}: {_first_line(exc)}") from None
    present = {str(row[0]).strip().lower(): str(row[0]) for row in described}
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        raise InputError(
            f"{table.name}: required column {', '.join(missing)} missing in {path} "
            f"(found: {', '.join(sorted(present)) or 'no columns'})"
        )
    # Contract columns by their contract name; absent optional ones as null; the rest kept as is.
    selected = [
        f'"{present[c]}" as {c}' if c in present else f"null::varchar as {c}" for c in table.columns
    ]
    extra = [f'"{orig}"' for low, orig in present.items() if low not in table.columns]
    columns = ", ".join(["row_number() over () as _row", *selected, *extra])
    try:
        con.execute(
            f"create or replace table {target} as select {columns} from {_source(fmt)}",
            {"path": path},
        )
    except duckdb.Error as exc:
        raise InputError(f"{table.name}: cannot read {path}: {_first_line(exc)}") from None
    return row_count(con, target)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def load_reference(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Create `ref.<name>` from `data/reference/<name>.csv`, shipped with the code."""
    if name not in REFERENCE_TABLES:
        raise ValueError(f"not a reference table: {name!r}")
    con.execute("create schema if not exists ref")
    con.execute(
        f"create or replace table ref.{name} as "
        "select * from read_csv($path, header = true, auto_detect = true)",
        {"path": str(REFERENCE_DIR / f"{name}.csv")},
    )
    return row_count(con, f"ref.{name}")
