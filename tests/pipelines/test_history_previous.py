"""Which baseline a run is matched against, read from the previous warehouse
(`pipelines/history/previous.py`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.history.previous import HISTORY_COLUMNS, PreviousWarehouseError, build_baseline

T1 = datetime(2026, 10, 1, 12)
T2 = datetime(2026, 10, 2, 12)
T0 = datetime(2026, 9, 30, 12)


def stage(con: duckdb.DuckDBPyConnection, latest: datetime) -> None:
    """Staging tables whose latest timestamp (a session) is `latest`."""
    con.execute("create schema if not exists staging")
    con.execute(
        "create or replace table staging.signups as select $t::timestamp as created_at",
        {"t": datetime(2026, 9, 1)},
    )
    con.execute("create or replace table staging.payments (created_at timestamp)")
    con.execute(
        "create or replace table staging.sessions as select $t::timestamp as ts", {"t": latest}
    )
    con.execute("create or replace table staging.api_usage (hour timestamp)")


def previous_warehouse(
    path: Path, *, as_of: datetime, legacy: bool = False, baseline_as_of: datetime | None = None
) -> Path:
    """A warehouse as a run at `as_of` publishes it (legacy: before history existed)."""
    con = duckdb.connect(str(path))
    try:
        stage(con, as_of)
        con.execute("create schema published")
        since = "" if legacy else ", $t::timestamp as member_since"
        con.execute(
            "create table published.cluster_members as "
            f"select 'Cnow' as cluster_id, unnest(['a', 'b']) as account_id{since}",
            {} if legacy else {"t": as_of},
        )
        if legacy:
            return path
        columns = ", ".join(f"{n} {k}" for n, k in HISTORY_COLUMNS)
        con.execute(f"create table published.cluster_history ({columns})")
        con.execute(
            "insert into published.cluster_history (cluster_id, as_of, event, size) values "
            "('Cold', $b, 'new', 2), ('Cnow', $t, 'new', 2)",
            {"b": baseline_as_of or T0, "t": as_of},
        )
        con.execute("create schema history")
        con.execute(
            "create table history.baseline_members as select 'Cold' as cluster_id, "
            "unnest(['a', 'c']) as account_id, $b::timestamp as member_since, "
            "$b::timestamp as as_of",
            {"b": baseline_as_of or T0},
        )
    finally:
        con.close()
    return path


def baseline_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.sql("select * from history.baseline_members order by all").fetchall()


def test_no_previous_warehouse_means_an_empty_baseline(con, tmp_path):
    stage(con, T2)
    base = build_baseline(con, tmp_path / "missing.duckdb")
    assert (base.source, base.as_of, base.previous_as_of) == ("none", None, None)
    assert con.sql("select * from history.as_of").fetchall() == [(T2, None)]
    assert baseline_rows(con) == []
    assert con.sql("select count(*) from history.previous_history").fetchall() == [(0,)]


def test_newer_data_is_matched_against_the_previous_published_members(con, tmp_path):
    stage(con, T2)
    base = build_baseline(con, previous_warehouse(tmp_path / "w.duckdb", as_of=T1))
    assert (base.source, base.as_of, base.previous_as_of) == ("published.cluster_members", T1, T1)
    assert baseline_rows(con) == [("Cnow", "a", T1, T1), ("Cnow", "b", T1, T1)]
    carried = con.sql("select cluster_id, as_of from history.previous_history order by as_of")
    assert carried.fetchall() == [("Cold", T0), ("Cnow", T1)]
    assert con.sql("select * from history.as_of").fetchall() == [(T2, T1)]


def test_the_same_data_again_reuses_the_previous_runs_own_baseline(con, tmp_path):
    """A rerun at the previous run's as-of is matched against what that run was matched against,
    and its as-of rows are left out of the carried history (this run writes them anew)."""
    stage(con, T1)
    base = build_baseline(con, previous_warehouse(tmp_path / "w.duckdb", as_of=T1))
    assert (base.source, base.as_of) == ("history.baseline_members", T0)
    assert baseline_rows(con) == [("Cold", "a", T0, T0), ("Cold", "c", T0, T0)]
    carried = con.sql("select cluster_id, as_of from history.previous_history").fetchall()
    assert carried == [("Cold", T0)]


def test_older_data_than_the_previous_run_rewinds_to_before_it(con, tmp_path):
    stage(con, datetime(2026, 9, 29))
    base = build_baseline(con, previous_warehouse(tmp_path / "w.duckdb", as_of=T1))
    assert base.source == "none"
    assert baseline_rows(con) == []
    assert con.sql("select count(*) from history.previous_history").fetchall() == [(0,)]


def test_a_warehouse_from_before_history_still_gives_a_baseline(con, tmp_path):
    stage(con, T2)
    base = build_baseline(con, previous_warehouse(tmp_path / "w.duckdb", as_of=T1, legacy=True))
    assert base.source == "published.cluster_members"
    assert baseline_rows(con) == [("Cnow", "a", T1, T1), ("Cnow", "b", T1, T1)]


def test_an_unreadable_previous_warehouse_is_a_one_line_error(con, tmp_path):
    stage(con, T2)
    bad = tmp_path / "w.duckdb"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(PreviousWarehouseError, match="cannot read the previous warehouse") as err:
        build_baseline(con, bad, timeout=0.5)
    assert "\n" not in str(err.value)


def test_a_warehouse_without_published_members_is_refused(con, tmp_path):
    stage(con, T2)
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(PreviousWarehouseError, match=r"no published\.cluster_members"):
        build_baseline(con, path)
