"""Which days a run must load: the stale days of every event table, found before the run starts
(`sybil run`, the schedule and the sensor name them as the run's partition range)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipelines import workdir
from pipelines.ingest.contract import INPUT_TABLES
from pipelines.ingest.reader import load_raw
from pipelines.sql import load_macros, set_hmac_key
from pipelines.staging.days import EVENT_TABLES, ensure_store, has_partitions, last_day, stale_days


def days_to_load(raw_dir: Path, work_dir: Path) -> tuple[dict[str, list[date]], date | None]:
    """Per event table, the days whose stored rows do not match the input in `raw_dir` (every
    day of the input when nothing is stored yet); and the newest stored day.

    Reads the store read-only, on a connection of its own (it fails while a run holds the store:
    callers check for a run in progress first). A Parquet input is only looked at (views); a CSV
    input is parsed, as its run will parse it again.
    """
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        load_macros(con)
        set_hmac_key(con, workdir.hmac_secret(work_dir))
        con.execute("attach ':memory:' as raw")
        store = workdir.private_dbs(work_dir)["store"]
        if store.is_file():
            con.execute("attach $path as store (read_only)", {"path": str(store)})
            if not has_partitions(con):  # a store a run opened but never loaded
                con.execute("detach store")
        if not has_partitions(con):
            con.execute("attach if not exists ':memory:' as store")
            ensure_store(con)
        stale: dict[str, list[date]] = {}
        for table in EVENT_TABLES:
            load_raw(con, raw_dir, INPUT_TABLES[table])
            stale[table] = stale_days(con, table)
        newest = con.sql("select max(day) from store.partitions").fetchall()[0][0]
        return stale, newest
    finally:
        con.close()


def run_days(raw_dir: Path, work_dir: Path) -> list[date]:
    """The days a run loads: every stale day of any event table; when none is stale, the newest
    stored day (a run names at least one partition, and loading a day again changes nothing)."""
    found, newest = days_to_load(raw_dir, work_dir)
    stale = sorted({d for days in found.values() for d in days})
    return stale or [newest or last_day()]
