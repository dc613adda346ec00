"""Shared fixtures: an in-memory DuckDB with the project's macros, and small generated worlds."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings
from pipelines.sql import load_macros, set_hmac_key

# Keyed hashes need a secret; tests share one fixed value so that runs compare byte for byte
# (subprocesses inherit it). Tests of the generated-secret fallback remove it with monkeypatch.
TEST_SECRET = "test-secret-not-for-production-0123456789"
os.environ.setdefault("SYBIL_HMAC_SECRET", TEST_SECRET)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    load_macros(connection)
    set_hmac_key(connection, TEST_SECRET.encode())
    yield connection
    connection.close()


def fixture_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: list[tuple]
) -> None:
    """Create `table` (and its schema) with `columns` (SQL column definitions) holding `rows`:
    the tiny hand-written input of an SQL file's oracle test."""
    con.execute(f"create schema if not exists {table.split('.')[0]}")
    con.execute(f"create table {table} ({columns})")
    marks = ", ".join("?" for _ in rows[0])
    con.executemany(f"insert into {table} values ({marks})", rows)


def run_settings(raw: Path, root: Path, warehouse: str = "warehouse.duckdb") -> Settings:
    """Settings of a small test run: input `raw`, warehouse and exports in `root`, 2 GB and
    2 threads for DuckDB."""
    return Settings(
        raw_dir=raw,
        warehouse=root / warehouse,
        exports=root / "exports",
        memory_limit="2GB",
        threads=2,
    )


def publish_checks_after(warehouse: Path, tmp_path: Path, tamper: str) -> dict:
    """The publish checks run on a copy of a warehouse's published tables after one tampering
    statement (against `publish_next.*`): what a check would say if publish had built that."""
    from pipelines.publish.checks import all_violations

    tmp_path.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    connection = duckdb.connect(str(copy))
    try:
        connection.execute("create schema publish_next")
        for table in (
            "clusters",
            "cluster_members",
            "cluster_weak_ties",
            "cluster_history",
            "ban_list",
        ):
            connection.execute(
                f"create table publish_next.{table} as select * from published.{table}"
            )
        connection.execute(tamper)
        return all_violations(connection, "publish_next")
    finally:
        connection.close()
