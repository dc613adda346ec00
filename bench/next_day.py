"""The next-day run: what a daily run costs once the store holds the days before it.

A bench world is cut into daily drops (`sybil cut --by-day`): *day 1* holds everything before the
world's last day, *day 2* the whole world, each event table a folder with a file per day, the
days of day 1 byte for byte the same in day 2 (as a producer adding a file per day leaves them).
Three measured runs of `sybil run`, each in its own child process:

- `cold`: day 2 from an empty work folder (every day typed), the full rebuild;
- `day1`: day 1 from an empty work folder (the run before);
- `next_day`: day 2 in day 1's work folder and warehouse: only the new day is typed.

`next_day` and `cold` run on the same input, so their ratio is what the store saves; their
published tables are compared too (they must be identical but for the history, which differs
because `next_day` has day 1's warehouse before it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from bench.measure import Measurement
from bench.worlds import World

DROPS_MARKER = "drops.json"
DROPS_VERSION = 2  # bump when `sybil cut --by-day` writes different files
# What depends on the run before (cluster ids and history): left out of the comparison.
HISTORY_TABLES = ("published.cluster_history",)
HISTORY_COLUMNS = (
    "cluster_id",
    "first_seen",
    "last_seen",
    "member_since",
    "is_new_member",
)
# Keyed hashes must match for the comparison: both runs use this secret unless one is set.
BENCH_SECRET = "bench-secret-not-for-production"

Runner = Callable[[str, list[str], Path, float], tuple[Measurement, float]]
Figures = Callable[[Measurement, dict[str, Any], float | None], dict[str, Any]]


def daily_drops(world: World, root: Path) -> tuple[Path, Path, str]:
    """(day 1, day 2, the last day) as by-day cuts of `world` under `root`, reused while the
    world's manifest is unchanged."""
    manifest = (world.path / "bench-manifest.json").read_text()
    marker = root / DROPS_MARKER
    day1, day2 = root / "day1", root / "day2"
    wanted = {"world": manifest, "version": DROPS_VERSION}
    if marker.is_file():
        found = json.loads(marker.read_text())
        if {k: found.get(k) for k in wanted} == wanted:
            return day1, day2, found["last_day"]
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    last = _last_day(world.path)
    cut = [sys.executable, "-m", "sybil.cli", "cut", "--raw", str(world.path), "--by-day"]
    subprocess.run([*cut, "--out", str(day1), "--until", last.isoformat()], check=True)
    future = (datetime.now(UTC) + timedelta(days=365 * 50)).isoformat()
    subprocess.run([*cut, "--out", str(day2), "--until", future], check=True)
    marker.write_text(json.dumps({**wanted, "last_day": last.date().isoformat()}))
    return day1, day2, last.date().isoformat()


def _last_day(raw: Path) -> datetime:
    """Midnight (UTC) of the world's last day of sessions."""
    source = raw / "sessions.parquet" if (raw / "sessions.parquet").is_file() else raw / "sessions"
    path = str(source / "*.parquet") if source.is_dir() else str(source)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        (latest,) = con.sql(
            "select max(try_cast(ts as timestamptz)) from read_parquet($p) "
            "where try_cast(ts as timestamptz) < '2100-01-01'",
            params={"p": path},
        ).fetchall()[0]
    finally:
        con.close()
    day = latest.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day


def run_next_day(
    world: World,
    work: Path,
    logs: Path,
    common: list[str],
    timeout: float,
    run: Runner,
    figures: Figures,
) -> dict[str, Any]:
    """Measure `cold`, `day1` and `next_day` (see the module docstring)."""
    day1, day2, last = daily_drops(world, work / "drops")
    out: dict[str, Any] = {"last_day": last}
    folders = {"cold": work / "cold", "day1": work / "daily", "next_day": work / "daily"}
    for folder in {*folders.values()}:
        shutil.rmtree(folder, ignore_errors=True)
    logs.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("SYBIL_HMAC_SECRET") and not os.environ.get("SYBIL_HMAC_SECRET_FILE"):
        os.environ["SYBIL_HMAC_SECRET"] = BENCH_SECRET  # inherited by the child processes
    for name, raw in (("cold", day2), ("day1", day1), ("next_day", day2)):
        folder = folders[name]
        child_out = logs / f"{name}.json"
        child_out.unlink(missing_ok=True)
        m, load = run(
            name,
            [
                "-m",
                "bench.pipeline",
                "--raw",
                str(raw),
                "--warehouse",
                str(folder / "warehouse.duckdb"),
                "--exports",
                str(folder / "exports"),
                "--out",
                str(child_out),
                *common,
            ],
            logs,
            timeout,
        )
        try:
            child = json.loads(child_out.read_text())
        except (OSError, ValueError):
            child = {}
        out[name] = figures(m, child, load)
        if name == "day1":
            out["store_days_after_day1"] = _stored_days(folder)
    out["days_typed_by_next_day"] = _stored_days(folders["next_day"], since=last)
    cold, warm = out["cold"], out["next_day"]
    if cold.get("status") == "ok" and warm.get("status") == "ok":
        out["next_day_over_cold_time"] = round(warm["wall_seconds"] / cold["wall_seconds"], 3)
        out["differing_tables"] = _differing_tables(
            folders["cold"] / "warehouse.duckdb", folders["next_day"] / "warehouse.duckdb"
        )
    return out


def _stored_days(folder: Path, since: str | None = None) -> int:
    store = folder / "warehouse.work" / "store.duckdb"
    if not store.is_file():
        return 0
    con = duckdb.connect(str(store), read_only=True)
    try:
        where = "where day >= $since" if since else ""
        params = {"since": since} if since else {}
        return int(
            con.sql(
                f"select count(distinct day) from partitions {where}", params=params
            ).fetchall()[0][0]
        )
    finally:
        con.close()


def _differing_tables(a: Path, b: Path) -> list[str]:
    """Tables whose rows differ between two warehouses (as multisets), cluster ids and history
    left out."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        tables = con.sql(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'a' order by all"
        ).fetchall()
        differing = []
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in HISTORY_TABLES or schema == "history":
                continue
            columns = {str(r[0]) for r in con.sql(f"describe a.{name}").fetchall()} & set(
                HISTORY_COLUMNS
            )
            select = f"select * exclude ({', '.join(sorted(columns))})" if columns else "select *"
            n = con.sql(
                f"select count(*) from ({select} from a.{name} except all {select} from b.{name})"
            ).fetchall()[0][0]
            if n:
                differing.append(name)
        return differing
    finally:
        con.close()
