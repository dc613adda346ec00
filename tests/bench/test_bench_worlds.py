"""Bench worlds are reused only when their manifest matches; child processes are measured."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

from bench import worlds
from bench.measure import run_measured

WANTED = worlds.wanted_manifest(1000, 7, 0.001, "abc")


def _fake_world(path: Path, **overrides: object) -> None:
    path.mkdir(parents=True)
    rows = {"signups": 1000, "truth": 1000}
    for table in rows:
        (path / f"{table}.parquet").write_bytes(b"")
    manifest = {**WANTED, "rows": rows, **overrides}
    (path / worlds.MANIFEST).write_text(json.dumps(manifest))


def test_a_matching_world_is_reusable(tmp_path: Path) -> None:
    _fake_world(tmp_path / "w")
    manifest = worlds.reusable(tmp_path / "w", WANTED)
    assert manifest is not None
    assert manifest["rows"] == {"signups": 1000, "truth": 1000}


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 8},
        {"accounts": 2000},
        {"generator": "def"},
        {"dirty_rate": 0.0},
        {"rows": {}},
        {"chunk_accounts": 500},
        {"version": 1},
    ],
)
def test_a_world_made_otherwise_is_not_reused(tmp_path: Path, change: dict[str, object]) -> None:
    _fake_world(tmp_path / "w", **change)
    assert worlds.reusable(tmp_path / "w", WANTED) is None


def test_a_world_missing_a_table_or_its_manifest_is_not_reused(tmp_path: Path) -> None:
    _fake_world(tmp_path / "w")
    (tmp_path / "w" / "truth.parquet").unlink()
    assert worlds.reusable(tmp_path / "w", WANTED) is None
    _fake_world(tmp_path / "v")
    (tmp_path / "v" / worlds.MANIFEST).write_text("{not json")
    assert worlds.reusable(tmp_path / "v", WANTED) is None
    assert worlds.reusable(tmp_path / "absent", WANTED) is None


def test_a_world_of_chunks_is_reusable_and_counted_by_its_parts(tmp_path: Path) -> None:
    world = tmp_path / "w"
    world.mkdir()
    pl.DataFrame({"account_id": ["a", "b", "c"]}).write_parquet(world / "truth.parquet")
    (world / "signups").mkdir()
    for i, n in enumerate((2, 1, 4)):
        frame = pl.DataFrame({"account_id": [f"x{i}"] * n})
        frame.write_parquet(world / "signups" / f"part-{i:05d}.parquet")
    assert worlds.count_rows(world) == {"signups": 7, "truth": 3}
    manifest = {**WANTED, "rows": worlds.count_rows(world)}
    (world / worlds.MANIFEST).write_text(json.dumps(manifest))
    assert worlds.reusable(world, WANTED) is not None
    for part in (world / "signups").iterdir():
        part.unlink()
    assert worlds.reusable(world, WANTED) is None  # an empty folder is no table


def test_the_generator_fingerprint_follows_its_source(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    before = worlds.generator_fingerprint(tmp_path)
    assert worlds.generator_fingerprint(tmp_path) == before
    (tmp_path / "a.py").write_text("x = 2\n")
    assert worlds.generator_fingerprint(tmp_path) != before


def test_ensure_world_generates_once_then_reuses(tmp_path: Path) -> None:
    first = worlds.ensure_world(tmp_path, 500, seed=3, log=lambda _: None)
    assert not first.reused
    assert first.rows["truth"] == 500
    assert first.truth.is_file()
    second = worlds.ensure_world(tmp_path, 500, seed=3, log=lambda _: None)
    assert second.reused
    assert second.rows == first.rows
    third = worlds.ensure_world(tmp_path, 500, seed=4, log=lambda _: None)
    assert not third.reused  # another seed: generated again in the same folder


def test_ensure_world_generates_a_big_world_in_chunks(tmp_path: Path) -> None:
    world = worlds.ensure_world(tmp_path, 2000, seed=3, chunk_accounts=1000, log=lambda _: None)
    assert not world.reused
    assert world.rows["truth"] == 2000
    assert world.truth.is_file()
    assert len(list((world.path / "signups").glob("part-*.parquet"))) == 2
    again = worlds.ensure_world(tmp_path, 2000, seed=3, chunk_accounts=1000, log=lambda _: None)
    assert again.reused
    assert again.rows == world.rows


def test_run_measured_reports_peak_memory_and_samples(tmp_path: Path) -> None:
    code = (
        "import time; x = bytearray(150 * 2**20); x[::4096] = b'1' * len(x[::4096]); "
        "time.sleep(0.6)"
    )
    m = run_measured(
        [sys.executable, "-c", code], log_dir=tmp_path, name="alloc", timeout=30, interval=0.05
    )
    assert m.ok
    assert m.returncode == 0
    assert m.peak_rss_bytes >= 150 * 2**20
    assert m.samples
    assert max(rss for _, rss in m.samples) >= 100 * 2**20
    assert all(a[0] <= b[0] for a, b in zip(m.samples, m.samples[1:], strict=False))


def test_run_measured_kills_at_the_timeout_and_keeps_failures(tmp_path: Path) -> None:
    slow = run_measured(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        log_dir=tmp_path,
        name="slow",
        timeout=0.5,
    )
    assert slow.timed_out
    assert slow.returncode is None
    assert not slow.ok
    assert slow.wall_seconds < 10
    failing = run_measured(
        [sys.executable, "-c", "import sys; print('bad input', file=sys.stderr); sys.exit(3)"],
        log_dir=tmp_path,
        name="failing",
        timeout=30,
    )
    assert failing.returncode == 3
    assert not failing.ok
    assert failing.stderr_tail == "bad input"
