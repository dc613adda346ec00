"""Publishing links the closed work database into place, and no writer ever changes that file.

The crash tests (test_crash.py) kill runs around the rename; these check the link itself: the
warehouse is the work database's file after a publish, a later writer gets its own copy first,
and a failed link falls back to a copy.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import snapshot
from pipelines.resources import Warehouse


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_db(path: Path, value: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table t as select ? as v", [value])
    con.execute("checkpoint")
    con.close()


def read_value(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("select v from t").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path]:
    """A warehouse published from a work database: (work_db, warehouse)."""
    work = tmp_path / "w.work" / "work.duckdb"
    work.parent.mkdir()
    make_db(work, 1)
    warehouse = tmp_path / "w.duckdb"
    make_db(warehouse, 0)  # the previous run's
    snapshot.publish_file(work, warehouse, {})
    return work, warehouse


def test_publish_links_the_work_database_into_place(published):
    work, warehouse = published
    assert os.path.samefile(work, warehouse)
    assert read_value(warehouse) == 1
    assert not snapshot.next_path(warehouse).exists()


def test_a_writer_after_publish_gets_its_own_copy_and_the_warehouse_stays(published):
    work, warehouse = published
    before = sha(warehouse)
    assert snapshot.own_work_db(work, warehouse)
    assert not os.path.samefile(work, warehouse)
    con = duckdb.connect(str(work))
    con.execute("update t set v = 2")
    con.close()
    assert (read_value(work), read_value(warehouse)) == (2, 1)
    assert sha(warehouse) == before
    assert not snapshot.own_work_db(work, warehouse)  # separate files: nothing to do


def test_warehouse_connect_for_writing_unlinks_first(published):
    work, warehouse = published
    resource = Warehouse(path=str(warehouse), work_dir=str(work.parent), threads=1)
    with resource.connect() as con:
        con.execute("create table written as select v from t")
    assert not os.path.samefile(work, warehouse)
    assert read_value(warehouse) == 1


def test_publish_copies_where_no_link_can_be_made(tmp_path, monkeypatch):
    work, warehouse = tmp_path / "work.duckdb", tmp_path / "w.duckdb"
    make_db(work, 3)

    def no_link(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(snapshot.os, "link", no_link)
    snapshot.publish_file(work, warehouse, {})
    assert not os.path.samefile(work, warehouse)
    assert read_value(warehouse) == 3
