"""`sybil cut`: a world as of an earlier time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from sybil.cli import main
from sybil.cut import cut_world
from sybil.generate import write_world

UNTIL = datetime(2026, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("world")
    write_world(raw, 600, seed=5, dirty_rate=0.01)
    return raw


def count(path: Path, where: str = "true") -> int:
    return duckdb.sql(
        f"select count(*) from read_parquet($p) where {where}", params={"p": str(path)}
    ).fetchall()[0][0]


def test_cut_keeps_what_happened_before_the_time(world, tmp_path):
    out = tmp_path / "cut"
    counts = cut_world(world, out, UNTIL)
    assert set(counts) == {"signups", "payments", "sessions", "api_usage", "allowlist", "truth"}
    for table, column in (
        ("signups", "created_at"),
        ("payments", "created_at"),
        ("sessions", "ts"),
        ("api_usage", "hour"),
    ):
        before = f"{column} < '2026-09-15T00:00:00Z'::timestamptz or {column} is null"
        assert counts[table] == count(world / f"{table}.parquet", before) > 0, table
        assert counts[table] < count(world / f"{table}.parquet"), table
        assert count(out / f"{table}.parquet", f"not ({before})") == 0, table
    accounts = duckdb.sql(
        "select count(*) from read_parquet($t) anti join read_parquet($s) using (account_id)",
        params={"t": str(out / "truth.parquet"), "s": str(out / "signups.parquet")},
    ).fetchall()
    assert accounts == [(0,)]


def test_cli_cut_and_its_errors(world, tmp_path, capsys):
    assert (
        main(["cut", "--raw", str(world), "--until", "2026-09-15", "--out", str(tmp_path / "a")])
        == 0
    )
    assert "as of 2026-09-15T00:00:00+00:00" in capsys.readouterr().out
    assert (
        main(["cut", "--raw", str(world), "--until", "mid-September", "--out", str(tmp_path / "b")])
        == 2
    )
    assert capsys.readouterr().err.strip() == (
        "sybil cut: --until: not an ISO 8601 time: 'mid-September'"
    )
    csv_world = tmp_path / "csv"
    csv_world.mkdir()
    (csv_world / "signups.csv").write_text("account_id,created_at,email\n")
    assert (
        main(
            ["cut", "--raw", str(csv_world), "--until", "2026-09-15", "--out", str(tmp_path / "c")]
        )
        == 2
    )
    assert "sybil cut reads Parquet worlds" in capsys.readouterr().err
