"""Daily partitions of the event tables and incremental runs: a run on the next day's data types
only the new day, and publishes exactly what a run typing everything again publishes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import workdir
from pipelines.definitions import build_definitions
from pipelines.ingest.contract import INPUT_TABLES
from pipelines.ingest.reader import InputError, load_raw
from pipelines.partitions import DAILY, RANGE_END_TAG, RANGE_START_TAG
from pipelines.resources import Folders
from pipelines.settings import Settings
from pipelines.sql import attach_private, load_macros, set_hmac_key
from pipelines.staging import days as days_module
from pipelines.staging.days import (
    EVENT_TABLES,
    FIRST_DAY,
    StoreStaleError,
    last_day,
    load_days,
    stale_days,
    typed_rows,
)
from pipelines.store.plan import days_to_load, run_days
from sybil.cut import cut_world
from sybil.generate import write_world
from sybil.runner import run_pipeline
from sybil.warehouse import table_checksums
from tests.conftest import TEST_SECRET, run_settings

ACCOUNTS = 2000
CUT = datetime(2026, 11, 12, tzinfo=UTC)  # day 1 holds everything before this


def settings_for(raw: Path, root: Path) -> Settings:
    return run_settings(raw, root)


def checksums(path: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()


def store_partitions(settings: Settings) -> list[tuple]:
    con = duckdb.connect(str(workdir.private_dbs(settings.work)["store"]), read_only=True)
    try:
        return con.sql(
            "select table_name, day, rows, run_id from partitions order by table_name, day"
        ).fetchall()
    finally:
        con.close()


# --- Definitions, schedule and sensor -------------------------------------------------------


def test_event_tables_are_daily_partitioned_in_the_definitions(tmp_path):
    defs = build_definitions(settings_for(tmp_path / "raw", tmp_path))
    graph = defs.resolve_asset_graph()
    for table in EVENT_TABLES:
        node = graph.get(dg.AssetKey(["store", table]))
        assert node.partitions_def == DAILY
        # The staging table reads every day of it.
        assert (
            dg.AssetKey(["store", table]) in graph.get(dg.AssetKey(["staging", table])).parent_keys
        )
    assert DAILY.get_first_partition_key() == FIRST_DAY.isoformat()
    job = defs.resolve_job_def("sybil_job")
    assert job.partitions_def == DAILY


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("partitions-world")
    write_world(root / "generated", ACCOUNTS, seed=13, dirty_rate=0.01)
    # Daily drops: a file per day of each event table, the next day's drop holding one more.
    cut_world(root / "generated", root / "day1", CUT, by_day=True)
    cut_world(root / "generated", root / "world", datetime(2100, 1, 1, tzinfo=UTC), by_day=True)
    return root


def test_a_by_day_cut_is_the_world_in_daily_files(world):
    """Each event table: a file per day (and `undated.parquet`), the source's columns only, and
    together the source's rows; the days before the cut are the same files in both cuts."""
    for table in EVENT_TABLES:
        files = sorted((world / "world" / table).glob("*.parquet"))
        assert all(f.stem == "undated" or date.fromisoformat(f.stem) for f in files)
        source = duckdb.sql(
            "select * from read_parquet($p)",
            params={"p": str(world / "generated" / f"{table}.parquet")},
        )
        cut = duckdb.sql("select * from read_parquet($p)", params={"p": [str(f) for f in files]})
        assert cut.columns == source.columns
        assert cut.shape[0] == source.shape[0]
        for day1 in (world / "day1" / table).glob("2*.parquet"):
            if day1.stem < CUT.date().isoformat():
                assert day1.read_bytes() == (world / "world" / table / day1.name).read_bytes()


def test_schedule_and_sensor_name_the_stale_days(world, tmp_path):
    raw = world / "day1"
    settings = Settings.from_env(
        {
            "SYBIL_RAW_DIR": str(raw),
            "SYBIL_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "SYBIL_EXPORTS": str(tmp_path / "exports"),
        }
    )
    defs = build_definitions(settings)
    expected = run_days(raw, settings.work)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 11, 24, 3, tzinfo=UTC)
        )
        [request] = defs.resolve_schedule_def("daily_sybil_run").evaluate_tick(context).run_requests
        assert request.tags[RANGE_START_TAG] == min(expected).isoformat()
        assert request.tags[RANGE_END_TAG] == max(expected).isoformat()
        (raw / "_SUCCESS").touch()
        sensor = defs.resolve_sensor_def("raw_drop_sensor")
        context = dg.build_sensor_context(
            instance=instance,
            resources={"folders": Folders(raw_dir=str(raw), exports_dir=str(tmp_path / "exports"))},
        )
        [request] = sensor.evaluate_tick(context).run_requests
        (raw / "_SUCCESS").unlink()
        assert request.tags[RANGE_START_TAG] == min(expected).isoformat()
        assert request.tags[RANGE_END_TAG] == max(expected).isoformat()


# --- The store: which days are stale --------------------------------------------------------


SESSIONS = """account_id,ts,ip,asn,user_agent,device_id,tls_fingerprint
a1,2026-01-01T10:00:00Z,1.2.3.4,7922,UA,d1,t1
a1,2026-01-01T23:59:59Z,1.2.3.4,7922,UA,d1,t1
a2,2026-01-02T00:00:00Z,1.2.3.5,7922,UA,d2,t2
a2,not a time,1.2.3.5,7922,UA,d2,t2
a2,2026-01-03T08:00:00+02:00,1.2.3.5,7922,UA,d2,t2
"""


def _store_con(raw: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    attach_private(con)
    load_macros(con)
    set_hmac_key(con, TEST_SECRET.encode())
    load_raw(con, raw, INPUT_TABLES["sessions"])
    return con


def test_days_are_stale_until_loaded_and_again_when_their_rows_change(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sessions.csv").write_text(SESSIONS)
    con = _store_con(raw)
    # 08:00+02:00 is 06:00 UTC: the day is the UTC day. The row without a time has no day.
    assert stale_days(con, "sessions") == [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    loaded = load_days(con, "sessions", date(2026, 1, 1), date(2026, 1, 3), "run-1")
    assert (loaded.days, loaded.rows) == (3, 4)
    assert stale_days(con, "sessions") == []
    assert con.sql("select count(*) from store.sessions where day is null").fetchall() == [(0,)]

    # A corrected row on day 2, and day 3 gone from the drop: both days are stale, day 1 not.
    (raw / "sessions.csv").write_text(
        SESSIONS.replace(
            "a2,2026-01-02T00:00:00Z,1.2.3.5", "a2,2026-01-02T00:00:00Z,1.2.3.6"
        ).replace("a2,2026-01-03T08:00:00+02:00,1.2.3.5,7922,UA,d2,t2\n", "")
    )
    load_raw(con, raw, INPUT_TABLES["sessions"])
    assert stale_days(con, "sessions") == [date(2026, 1, 2), date(2026, 1, 3)]
    load_days(con, "sessions", date(2026, 1, 2), date(2026, 1, 3), "run-2")
    assert stale_days(con, "sessions") == []
    assert con.sql("select day, run_id from store.partitions order by day").fetchall() == [
        (date(2026, 1, 1), "run-1"),
        (date(2026, 1, 2), "run-2"),
    ]
    assert con.sql("select ip from store.sessions where day = '2026-01-02'").fetchall() == [
        ("1.2.3.6",)
    ]


def test_typing_streams_from_parquet_with_card_numbers_nulled_and_never_normalized(tmp_path):
    """The store types a Parquet input as it reads it (no copy of the raw rows): a card number
    in the ip column is nulled and named in `_card_columns`, and its text is not among the IPs
    normalized beforehand (`ip_values`, read from the input's ip column)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    card = "4111 1111 1111 1111"
    csv = tmp_path / "sessions.csv"
    csv.write_text(SESSIONS + f"a3,2026-01-02T05:00:00Z,{card},7922,UA,d3,t3\n")
    with duckdb.connect() as write:
        write.execute(
            "copy (select * from read_csv($src, all_varchar = true)) to $dst (format parquet)",
            {"src": str(csv), "dst": str(raw / "sessions.parquet")},
        )
    con = _store_con(raw)
    params = {"first": FIRST_DAY, "last": last_day()}
    typed, typed_params = days_module._typed_select(
        con, "sessions", days_module._dated(con, "sessions"), params
    )
    assert con.sql("select ip_raw_text from ip_values order by 1").fetchall() == [
        ("1.2.3.4",),
        ("1.2.3.5",),
    ]
    rows = con.execute(
        f"select account_id, ip, ip_prefix, _card_columns from ({typed}) order by _row",
        typed_params,
    ).fetchall()
    assert [r[0] for r in rows] == ["a1", "a1", "a2", "a2", "a3"]  # the undated row left out
    assert rows[0][1:] == ("1.2.3.4", "1.2.3.0/24", None)
    assert rows[-1][1:] == (None, None, ["ip"])


def test_changed_typing_code_makes_every_day_stale(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sessions.csv").write_text(SESSIONS)
    con = _store_con(raw)
    load_days(con, "sessions", FIRST_DAY, last_day(), "run-1")
    assert stale_days(con, "sessions") == []
    monkeypatch.setattr(days_module, "STORE_VERSION", days_module.STORE_VERSION + 1)
    assert len(stale_days(con, "sessions")) == 3


def _folder_con(world: Path, raw: Path) -> duckdb.DuckDBPyConnection:
    """A store connection over a copy of the day 1 cut: sessions as a folder of daily files."""
    shutil.copytree(world / "day1", raw)
    return _store_con(raw)


def test_with_nothing_stored_by_this_code_the_days_come_from_the_time_column_alone(world, tmp_path):
    """A first run (or new typing code) finds every day stale without hashing every row: the
    same days as the fingerprints give, and no fingerprint pass (`raw.<table>_days`) made."""
    con = _folder_con(world, tmp_path / "raw")
    stale = stale_days(con, "sessions")
    assert not days_module._exists(con, "raw", "sessions_days")
    days = [d for d, _, _ in days_module.input_days(con, "sessions", FIRST_DAY, last_day())]
    assert stale == days
    assert len(days) > 3
    # On a connection in another time zone the days are still the UTC days.
    con.execute("drop table raw.sessions_days")
    con.execute("set TimeZone = 'Pacific/Kiritimati'")
    assert stale_days(con, "sessions") == days
    con.execute("set TimeZone = 'UTC'")

    # Stored by other code, with a day the input no longer has: every day of either is stale.
    gone = date(2001, 1, 1)
    con.execute(
        "insert into store.partitions values ('sessions', $d, 1, 1, 'old code', now(), 'r')",
        {"d": gone},
    )
    assert stale_days(con, "sessions") == [gone, *days]
    assert not days_module._exists(con, "raw", "sessions_days")
    # Once a day is stored by this code, the others are told apart by their fingerprints.
    load_days(con, "sessions", days[0], days[0], "run-1")
    assert stale_days(con, "sessions") == [gone, *days[1:]]
    con.close()


def test_a_value_table_changed_makes_stale_only_the_tables_with_its_column(tmp_path, monkeypatch):
    """The store's code version covers the SQL that normalizes a table's own columns per distinct
    value (`VALUE_TABLES`), and only those: a change to the billing names' keys re-types the
    payments, not every day of sessions."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(days_module.SQL_DIR, sql_dir)
    monkeypatch.setattr(days_module, "SQL_DIR", sql_dir)
    con = duckdb.connect()
    load_macros(con)
    set_hmac_key(con, TEST_SECRET.encode())
    before = {t: days_module.code_version(con, t) for t in EVENT_TABLES}
    changed = {}
    for column, (_, sql) in days_module.VALUE_TABLES.items():
        path = sql_dir / f"{sql}.sql"
        path.write_text(path.read_text() + "\n-- changed\n")
        now = {t: days_module.code_version(con, t) for t in EVENT_TABLES}
        changed[column] = sorted(t for t in EVENT_TABLES if now[t] != before[t])
        before = now
    assert changed == {"ip": ["sessions"], "billing_name": ["payments"]}


def test_staging_refuses_a_store_that_does_not_match_its_input(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sessions.csv").write_text(SESSIONS)
    con = _store_con(raw)
    load_days(con, "sessions", date(2026, 1, 1), date(2026, 1, 2), "run-1")
    with pytest.raises(StoreStaleError, match=r"store/sessions .* 1 day\(s\) \(2026-01-03\)"):
        typed_rows(con, "sessions")
    load_days(con, "sessions", date(2026, 1, 3), date(2026, 1, 3), "run-2")
    assert typed_rows(con, "sessions") == 5  # four dated rows from the store, one undated


def test_a_folder_is_fingerprinted_per_file_and_only_new_or_changed_files_are_read(world, tmp_path):
    """The days of a folder of daily files equal a whole scan's; the files already seen are
    taken from `store.file_days`, not read (a kept part altered on purpose is what comes back),
    and a file rewritten is read again."""
    raw = tmp_path / "raw"
    con = _folder_con(world, raw)
    by_file = days_module.input_days(con, "sessions", FIRST_DAY, last_day())
    con.execute("drop table raw.sessions_days")
    con.execute("drop view raw.sessions_parts")  # whole scan, as for a single file
    whole = days_module.input_days(con, "sessions", FIRST_DAY, last_day())
    assert by_file == whole
    assert len(whole) > 3
    files = con.sql("select count(distinct file) from store.file_days").fetchall()[0][0]
    assert files == len(list((raw / "sessions").glob("*.parquet")))

    first_day, second_day = whole[0][0], whole[1][0]
    con.execute("update store.file_days set fingerprint = 42 where day = $d", {"d": first_day})
    # A day's file rewritten with one row fewer: read again; the others come from the store.
    second = raw / "sessions" / f"{second_day.isoformat()}.parquet"
    rows = duckdb.sql("select * from read_parquet($p)", params={"p": str(second)}).fetchall()
    duckdb.sql(
        f"copy (select * from read_parquet('{second}') limit {len(rows) - 1}) "
        f"to '{tmp_path / 'rewritten.parquet'}' (format parquet)"
    )
    shutil.move(tmp_path / "rewritten.parquet", second)
    load_raw(con, raw, INPUT_TABLES["sessions"])
    again = dict(
        (d, (n, f)) for d, n, f in days_module.input_days(con, "sessions", FIRST_DAY, last_day())
    )
    assert again[first_day] == (whole[0][1], 42)  # kept, not read
    assert again[second_day][0] == whole[1][1] - 1  # read again
    con.close()


def test_a_file_gone_during_the_run_is_a_clear_error(world, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(world / "day1", raw)
    con = duckdb.connect()
    attach_private(con)
    load_macros(con)
    load_raw(con, raw, INPUT_TABLES["sessions"])
    gone = sorted((raw / "sessions").glob("*.parquet"))[0]
    gone.unlink()
    with pytest.raises(InputError, match=rf"sessions: .*{gone.name} was read when the run started"):
        days_module.input_days(con, "sessions", FIRST_DAY, last_day())
    con.close()


# --- Incremental runs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Runs:
    incremental: Settings  # day 1, then the whole world, in one work folder
    rebuilt: Settings  # the whole world typed from scratch, after the same day 1 warehouse
    day1_partitions: list[tuple]
    day2_partitions: list[tuple]
    day2_days: list[date]


@pytest.fixture(scope="module")
def runs(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    a = settings_for(world / "day1", tmp_path_factory.mktemp("incremental"))
    assert run_pipeline(a).success
    day1_partitions = store_partitions(a)
    # The rebuild starts from the same published day 1 (the history it matches against), with
    # no store: every day is typed again.
    b = settings_for(world / "world", tmp_path_factory.mktemp("rebuilt"))
    shutil.copy(a.warehouse, b.warehouse)
    shutil.copytree(a.exports, b.exports)
    a = settings_for(world / "world", a.warehouse.parent)
    stale, _ = days_to_load(a.raw_dir, a.work)
    day2_days = sorted({d for ds in stale.values() for d in ds})
    assert run_pipeline(a).success
    assert run_pipeline(b).success
    return Runs(a, b, day1_partitions, store_partitions(a), day2_days)


@pytest.mark.integration
def test_the_next_day_run_loads_only_the_new_days(runs):
    assert runs.day2_days
    assert min(runs.day2_days) >= CUT.date()
    before = {(t, d): (n, run) for t, d, n, run in runs.day1_partitions}
    after = {(t, d): (n, run) for t, d, n, run in runs.day2_partitions}
    for key, value in before.items():
        if key[1] < CUT.date():
            assert after[key] == value  # typed by the day 1 run, kept as it was
    new = {key for key in after if key not in before or after[key] != before[key]}
    assert new
    assert all(day in runs.day2_days for _, day in new)


@pytest.mark.integration
def test_an_incremental_run_publishes_what_a_rebuild_publishes(runs):
    incremental = checksums(runs.incremental.warehouse)
    rebuilt = checksums(runs.rebuilt.warehouse)
    assert incremental.keys() == rebuilt.keys()
    assert {t: v for t, v in incremental.items() if v != rebuilt[t]} == {}
    for name in ("ban_list.csv", "review_queue.csv", "ban_list_diff.csv"):
        assert (runs.incremental.exports / name).read_bytes() == (
            runs.rebuilt.exports / name
        ).read_bytes()


@pytest.mark.integration
def test_undated_rows_are_quarantined_by_every_run_and_never_stored(runs):
    con = duckdb.connect(str(runs.incremental.warehouse), read_only=True)
    try:
        undated = con.sql(
            "select count(*) from staging.quarantine where reason in "
            "('null ts', 'unparseable ts', 'ts out of range', 'null hour', 'unparseable hour', "
            "'hour out of range', 'null created_at', 'unparseable created_at', "
            "'created_at out of range')"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert undated > 0  # the dirty world has some
    store = duckdb.connect(str(workdir.private_dbs(runs.incremental.work)["store"]), read_only=True)
    try:
        for table in EVENT_TABLES:
            assert store.sql(f"select count(*) from {table} where day is null").fetchall() == [(0,)]
    finally:
        store.close()
