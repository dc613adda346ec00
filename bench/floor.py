"""Child process: the floor, the least any pipeline over these inputs must do.

DuckDB reads every input table once, every column of it, and groups it by account (row count,
first and last timestamp, non-null count of each other column), writing the aggregates to a
DuckDB file, with the same memory limit and threads as the pipeline.
`python -m bench.floor --raw DIR --db FILE --out FILE.json [...]`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.settings import DEFAULT_MEMORY_LIMIT

# Input table -> its timestamp column (None: no timestamp); see ../shared/CONTRACT.md.
TABLES: dict[str, str | None] = {
    "signups": "created_at",
    "payments": "created_at",
    "sessions": "ts",
    "api_usage": "hour",
    "allowlist": None,
}


def source(raw: Path, table: str) -> str | None:
    """A DuckDB table function reading `table` from the input folder, or None if absent."""
    if (raw / f"{table}.parquet").is_file():
        return f"read_parquet('{_quote(raw / f'{table}.parquet')}')"
    if (raw / table).is_dir():
        return f"read_parquet('{_quote(raw / table)}/*.parquet')"
    if (raw / f"{table}.csv").is_file():
        return f"read_csv('{_quote(raw / f'{table}.csv')}', all_varchar = true)"
    return None


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def connect(
    db: str, *, memory_limit: str, threads: int, temp_dir: Path | None
) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if threads:
        config["threads"] = threads
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_dir)
    con = duckdb.connect(db, config=config)
    con.execute("set TimeZone = 'UTC'")
    return con


def run_floor(
    raw: Path, db: Path, *, memory_limit: str, threads: int, temp_dir: Path | None
) -> dict[str, object]:
    """Read and group every input table; returns rows read and accounts per table."""
    db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    con = connect(str(db), memory_limit=memory_limit, threads=threads, temp_dir=temp_dir)
    tables: dict[str, dict[str, int]] = {}
    try:
        for table, ts in TABLES.items():
            src = source(raw, table)
            if src is None:
                continue
            columns = [row[0] for row in con.execute(f"describe select * from {src}").fetchall()]
            # Every column is read (its non-null count), as the pipeline reads them all.
            aggregates = ["count(*) as n"]
            if ts:
                aggregates += [
                    f"min(try_cast({ts} as timestamptz)) as first_at",
                    f"max(try_cast({ts} as timestamptz)) as last_at",
                ]
            aggregates += [
                f'count("{c}") as "n_{c}"' for c in columns if c not in ("account_id", ts)
            ]
            con.execute(
                f"create table floor_{table} as select account_id, {', '.join(aggregates)} "
                f"from {src} group by account_id"
            )
            rows, accounts = con.execute(f"select sum(n), count(*) from floor_{table}").fetchall()[
                0
            ]
            tables[table] = {"rows": int(rows or 0), "accounts": int(accounts or 0)}
    finally:
        con.close()
    return {"tables": tables, "rows_read": sum(t["rows"] for t in tables.values())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--temp-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_floor(
        args.raw,
        args.db,
        memory_limit=args.memory_limit,
        threads=args.threads,
        temp_dir=args.temp_dir,
    )
    result["work_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
