"""The previous published result, read so that this run's clusters can keep their ids.

A run matches its clusters against a *baseline*: the membership of the latest run whose data is
older than this run's (as-of: the data's own latest timestamp, `sql/history/as_of.sql`). The
previous warehouse offers two: its `published.cluster_members` (as of its own data) and the
baseline it used itself (`history.baseline_members`). Normally the first is older and is taken;
when the same data is run again (same as-of) the first is not older, and the second, the very
baseline the earlier run used, is taken instead, so a rerun reproduces that run exactly. History
rows dated before this run's as-of are carried forward; this run's as-of is written afresh.

The warehouse is only ever replaced by a rename (`pipelines/publish/snapshot.py`), so reading
it during a run, read-only, is safe; it is detached before the run publishes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.sql import read_sql

HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cluster_id", "varchar"),
    ("as_of", "timestamp"),
    ("event", "varchar"),
    ("related_cluster_id", "varchar"),
    ("size", "integer"),
    ("previous_size", "integer"),
    ("members_added", "integer"),
    ("members_removed", "integer"),
    ("risk_score", "double"),
    ("flagged", "boolean"),
    ("tier", "varchar"),
)
_PREVIOUS = "previous"


class PreviousWarehouseError(RuntimeError):
    """The previous warehouse exists but cannot be read as one."""


@dataclass(frozen=True)
class Baseline:
    as_of: datetime | None
    previous_as_of: datetime | None  # the previous warehouse's own as-of (None: no warehouse)
    source: str  # "none", "published.cluster_members" or "history.baseline_members"
    clusters: int
    members: int
    carried_rows: int


def as_of_sql(catalog: str = "") -> str:
    """`sql/history/as_of.sql` over the work database ("") or the previous warehouse."""
    if catalog not in ("", _PREVIOUS):
        raise ValueError(f"not a catalog of this module: {catalog!r}")
    return read_sql("history/as_of").replace("__catalog__", f"{catalog}." if catalog else "")


def build_baseline(
    con: duckdb.DuckDBPyConnection, previous: Path | None, *, timeout: float = 30.0
) -> Baseline:
    """Create `history.as_of`, `history.baseline_members` and `history.previous_history` in the
    work database from the previous warehouse (`previous`; None or a missing file: no history)."""
    con.execute("create schema if not exists history")
    as_of = con.sql(as_of_sql()).fetchall()[0][0]
    columns = ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS)
    con.execute(f"create or replace table history.previous_history ({columns})")
    con.execute(
        "create or replace table history.baseline_members "
        "(cluster_id varchar, account_id varchar, member_since timestamp, as_of timestamp)"
    )
    base = Baseline(None, None, "none", 0, 0, 0)
    if previous is not None and previous.is_file():
        _attach(con, previous, timeout)
        try:
            base = _load(con, as_of, previous)
        except duckdb.Error as exc:
            raise PreviousWarehouseError(
                f"cannot read the previous warehouse {previous}: {_first_line(exc)}"
            ) from None
        finally:
            con.execute(f"detach {_PREVIOUS}")
    con.execute(
        "create or replace table history.as_of as "
        "select $as_of::timestamp as as_of, $baseline::timestamp as baseline_as_of",
        {"as_of": as_of, "baseline": base.as_of},
    )
    return base


def _load(con: duckdb.DuckDBPyConnection, as_of: datetime, previous: Path) -> Baseline:
    tables = {
        f"{schema}.{table}"
        for schema, table in con.sql(
            "select schema_name, table_name from duckdb_tables() where database_name = $db",
            params={"db": _PREVIOUS},
        ).fetchall()
    }
    if "published.cluster_members" not in tables:
        raise PreviousWarehouseError(
            f"the previous warehouse {previous} has no published.cluster_members; "
            "move it away to start a new history"
        )
    previous_as_of = con.sql(as_of_sql(_PREVIOUS)).fetchall()[0][0]
    member_columns = {
        str(name)
        for (name,) in con.sql(
            "select column_name from duckdb_columns() where database_name = $db "
            "and schema_name = 'published' and table_name = 'cluster_members'",
            params={"db": _PREVIOUS},
        ).fetchall()
    }
    # Candidates, newest first: the previous run's membership, then the baseline it used.
    source = "none"
    if previous_as_of is not None and previous_as_of < as_of:
        since = "member_since" if "member_since" in member_columns else "$previous_as_of"
        con.execute(
            "insert into history.baseline_members "
            f"select cluster_id, account_id, {since}, $previous_as_of "
            f"from {_PREVIOUS}.published.cluster_members",
            {"previous_as_of": previous_as_of},
        )
        source = "published.cluster_members"
    elif "history.baseline_members" in tables:
        con.execute(
            "insert into history.baseline_members "
            "select cluster_id, account_id, member_since, as_of "
            f"from {_PREVIOUS}.history.baseline_members where as_of < $as_of",
            {"as_of": as_of},
        )
        source = "history.baseline_members"
    if "published.cluster_history" in tables:
        names = ", ".join(name for name, _ in HISTORY_COLUMNS)
        con.execute(
            f"insert into history.previous_history select {names} "
            f"from {_PREVIOUS}.published.cluster_history where as_of < $as_of",
            {"as_of": as_of},
        )
    clusters, members, baseline_as_of = con.sql(
        "select count(distinct cluster_id), count(*), max(as_of) from history.baseline_members"
    ).fetchall()[0]
    carried = con.sql("select count(*) from history.previous_history").fetchall()[0][0]
    if not members:
        source = "none"
    return Baseline(baseline_as_of, previous_as_of, source, clusters, members, carried)


def _attach(con: duckdb.DuckDBPyConnection, path: Path, timeout: float) -> None:
    """Attach read-only, waiting while someone holds the file for writing."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            con.execute(f"attach $path as {_PREVIOUS} (read_only)", {"path": str(path)})
            return
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise PreviousWarehouseError(
                    f"cannot read the previous warehouse {path}: {_first_line(exc)}"
                ) from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise PreviousWarehouseError(
                f"cannot read the previous warehouse {path}: {_first_line(exc)}"
            ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
