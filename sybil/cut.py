"""`sybil cut`: a world as it looked at an earlier time, to replay runs day by day.

Keeps the sign-ups created before `until`, and the payments, sessions and usage hours dated
before it (rows whose time is missing are kept: they are quarantined by every run alike); the
allowlist and truth keep the accounts that exist by then. Run the pipeline on the cut, then on
the whole world with the same warehouse, and the second run is "the next day's data": the
history shows which farms persisted, grew, split or merged (README, "Cluster ids and history").
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

# table -> its time column (None: follows the sign-ups)
TIME_COLUMNS: dict[str, str | None] = {
    "signups": "created_at",
    "payments": "created_at",
    "sessions": "ts",
    "api_usage": "hour",
    "allowlist": None,
    "truth": None,
}
# The tables that grow by the day: written one file per day with `by_day`.
DAILY_TABLES = ("payments", "sessions", "api_usage")


def _write_by_day(
    con: duckdb.DuckDBPyConnection,
    path: str,
    folder: Path,
    column: str,
    where: str,
    until: datetime,
) -> int:
    """One Parquet file per UTC day of `column` (and `undated.parquet`) in `folder`, each day's
    rows in their order in the source; returns the rows written."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    staged = folder / ".by-day"
    # The column name comes from the fixed TIME_COLUMNS, never from input.
    day = (
        f"coalesce(strftime(timezone('UTC', try_cast({column} as timestamptz)), '%Y-%m-%d'), "
        "'undated')"
    )
    con.execute(
        f"copy (select *, {day} as _day from ("
        "select * exclude (file_row_number), file_row_number as _source_row "
        f"from read_parquet($path, file_row_number = true) where {where})) "
        "to $target (format parquet, partition_by (_day), write_partition_columns false, "
        "overwrite_or_ignore true)",
        {"path": path, "target": str(staged), "until": until},
    )
    rows = 0
    for part in sorted(staged.glob("_day=*")):
        target = folder / f"{part.name.removeprefix('_day=')}.parquet"
        # Writer threads split a day into files in no set order: the source order is restored.
        con.execute(
            "copy (select * exclude (_source_row) "
            "from read_parquet($files, hive_partitioning = false)"
            " order by _source_row)"
            " to $target (format parquet, compression zstd)",
            {"files": [str(f) for f in sorted(part.glob("*.parquet"))], "target": str(target)},
        )
        rows += int(
            con.sql("select count(*) from read_parquet($t)", params={"t": str(target)}).fetchall()[
                0
            ][0]
        )
    shutil.rmtree(staged)
    return rows


def _source(raw: Path, table: str) -> str | None:
    """A Parquet file or folder glob for `table`, None when absent; CSV is refused."""
    if (raw / f"{table}.parquet").is_file():
        return str(raw / f"{table}.parquet")
    if (raw / table).is_dir():
        return str(raw / table / "*.parquet")
    if (raw / f"{table}.csv").is_file():
        raise ValueError(
            f"{raw / (table + '.csv')}: sybil cut reads Parquet worlds "
            "(sybil generate --format parquet)"
        )
    return None


def cut_world(raw: Path, out: Path, until: datetime, *, by_day: bool = False) -> dict[str, int]:
    """Write `out/<table>.parquet` for each table of `raw` as of `until` (UTC when naive);
    returns the rows written per table.

    With `by_day`, the event tables (payments, sessions, API usage) are written as a producer
    appending a file per day lays them out: `out/<table>/<YYYY-MM-DD>.parquet` for each UTC day,
    rows in their order in `raw`, and `undated.parquet` for the rows without a usable time. Two
    cuts of one world then hold the same files for the days both have, so a run on the later
    cut finds the earlier days unchanged and loads only the new ones."""
    raw, out = Path(raw), Path(out)
    if raw.resolve() == out.resolve():
        raise ValueError("sybil cut: --out must differ from --raw")
    if _source(raw, "signups") is None:
        raise ValueError(f"no signups table in {raw}")
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(config={"autoload_known_extensions": False})
    try:
        con.execute("set TimeZone = 'UTC'")
        kept = "try_cast(created_at as timestamptz) < $until or created_at is null"
        signups = _source(raw, "signups")
        con.execute(
            f"create temp table accounts as select distinct account_id from read_parquet($path) "
            f"where {kept}",
            {"path": signups, "until": until},
        )
        for table, column in TIME_COLUMNS.items():
            path = _source(raw, table)
            if path is None:
                continue
            if column is None:
                where = "account_id in (select account_id from accounts)"
            else:
                # The column name comes from the fixed TIME_COLUMNS, never from input.
                where = f"try_cast({column} as timestamptz) < $until or {column} is null"
            if by_day and table in DAILY_TABLES:
                counts[table] = _write_by_day(con, path, out / table, column or "", where, until)
                continue
            target = out / f"{table}.parquet"
            params = {"path": path, "target": str(target)}
            if column is not None:
                params["until"] = until
            con.execute(
                f"copy (select * from read_parquet($path) where {where}) "
                "to $target (format parquet, compression zstd)",
                params,
            )
            counts[table] = int(
                con.sql(
                    "select count(*) from read_parquet($t)", params={"t": str(target)}
                ).fetchall()[0][0]
            )
    finally:
        con.close()
    return counts
