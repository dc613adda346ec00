"""`sybil cut`: a world as it looked at an earlier time, to replay runs day by day.

Keeps the sign-ups created before `until`, and the payments, sessions and usage hours dated
before it (rows whose time is missing are kept: they are quarantined by every run alike); the
allowlist and truth keep the accounts that exist by then. Run the pipeline on the cut, then on
the whole world with the same warehouse, and the second run is "the next day's data": the
history shows which farms persisted, grew, split or merged (README, "Cluster ids and history").
"""

from __future__ import annotations

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


def cut_world(raw: Path, out: Path, until: datetime) -> dict[str, int]:
    """Write `out/<table>.parquet` for each table of `raw` as of `until` (UTC when naive);
    returns the rows written per table."""
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
