"""Crash safety and concurrent readers (marked `stress`: one iteration in `make test`,
`make stress` runs them SYBIL_STRESS_ITERATIONS=20 times).

- A run is SIGKILLed during edge building, while the new warehouse file is written, and just
  before it is renamed into place, and at a random moment: the previous warehouse and ban list
  are untouched (byte for byte) and readable, and the next run completes with the same result.
- A reader process reads the warehouse and the ban list in a loop while runs on two different
  inputs publish one after the other: every read sees one run's result whole, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from probe_reader import read_once  # the reader process's own check, beside this file

from pipelines.settings import Settings
from sybil.generate import write_world
from sybil.runner import run_pipeline
from sybil.warehouse import published, table_checksums
from tests.conftest import run_settings

pytestmark = [pytest.mark.stress, pytest.mark.integration, pytest.mark.slow]

ITERATIONS = range(int(os.environ.get("SYBIL_STRESS_ITERATIONS", "1")))
ACCOUNTS = 2000
PROBE = Path(__file__).with_name("probe_reader.py")


def settings_for(raw: Path, root: Path) -> Settings:
    return run_settings(raw, root, "w.duckdb")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_checksums(warehouse: Path) -> dict[str, tuple[int, str]]:
    with published(warehouse) as con:
        return table_checksums(con)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("world_a")
    write_world(raw, ACCOUNTS, seed=21, dirty_rate=0.005)
    return raw


@pytest.fixture(scope="module")
def baseline(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse, work folder and exports after one successful run on `world`."""
    root = tmp_path_factory.mktemp("baseline")
    outcome = run_pipeline(settings_for(world, root))
    assert outcome.success, outcome.reason
    return root


def start_run(raw: Path, root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sybil.cli",
            "run",
            "--raw",
            str(raw),
            "--warehouse",
            str(root / "w.duckdb"),
            "--exports",
            str(root / "exports"),
            "--quiet",
            "--memory-limit",
            "2GB",
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"the run ended (exit {proc.returncode}) before {path}: {err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.02)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run (unless it has ended already) and reap it."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()


def assert_previous_result_intact(root: Path, baseline: Path) -> None:
    """The killed run changed nothing readers use: same warehouse bytes, same ban list bytes."""
    assert sha(root / "w.duckdb") == sha(baseline / "w.duckdb")
    assert sha(root / "exports" / "ban_list.csv") == sha(baseline / "exports" / "ban_list.csv")
    with published(root / "w.duckdb") as con:
        clusters, members = con.sql(
            "select (select count(*) from published.clusters), "
            "(select count(*) from published.cluster_members)"
        ).fetchall()[0]
    assert clusters > 0
    assert members > clusters


def assert_next_run_completes(world: Path, root: Path, baseline: Path) -> None:
    outcome = run_pipeline(settings_for(world, root))
    assert outcome.success, outcome.reason
    assert published_checksums(root / "w.duckdb") == published_checksums(baseline / "w.duckdb")
    assert sha(root / "exports" / "ban_list.csv") == sha(baseline / "exports" / "ban_list.csv")
    # Nothing the killed run left behind survives the next one.
    exported = sorted(
        p.relative_to(root / "exports").as_posix()
        for p in (root / "exports").rglob("*")
        if not p.as_posix().startswith((root / "exports" / "reports").as_posix() + "/")
    )
    assert [name.split("-")[0] for name in exported] == [
        "ban_list.csv",
        "ban_list_diff.csv",
        "history",
        "history/ban_list",
        "reports",
        "review_queue.csv",
    ]
    assert not [p.name for p in (root / "exports" / "reports").iterdir() if p.suffix == ".tmp"]
    assert not list(root.glob(".w.duckdb.next*"))


@pytest.mark.parametrize("iteration", ITERATIONS)
@pytest.mark.parametrize("point", ["store", "edges", "publish:snapshot", "publish:commit"])
def test_kill_at_a_stage_keeps_the_previous_result(world, baseline, tmp_path, point, iteration):
    root = tmp_path / "root"
    shutil.copytree(baseline, root)
    markers = tmp_path / "markers"
    markers.mkdir()
    proc = start_run(world, root, {"SYBIL_FAULT_AT": point, "SYBIL_FAULT_DIR": str(markers)})
    wait_for(markers / point.replace(":", "_"), proc)
    kill(proc)
    assert_previous_result_intact(root, baseline)
    assert_next_run_completes(world, root, baseline)


@pytest.mark.parametrize("iteration", ITERATIONS)
def test_kill_at_a_random_moment(world, baseline, tmp_path, iteration):
    """Killed anywhere, the warehouse is the previous result or a complete new one (on the
    same input, with the same content), and the next run completes."""
    rng = random.Random(1000 + iteration)
    delay = rng.uniform(0.5, 8.0)
    root = tmp_path / "root"
    shutil.copytree(baseline, root)
    proc = start_run(world, root, {})
    time.sleep(delay)
    kill(proc)
    before = published_checksums(baseline / "w.duckdb")
    assert published_checksums(root / "w.duckdb") == before, f"killed after {delay:.2f} s"
    assert sha(root / "exports" / "ban_list.csv") == sha(baseline / "exports" / "ban_list.csv")
    assert_next_run_completes(world, root, baseline)


@pytest.fixture(scope="module")
def world_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("world_b")
    write_world(raw, ACCOUNTS, seed=22, dirty_rate=0.005)
    return raw


@pytest.mark.parametrize("iteration", ITERATIONS)
def test_concurrent_reader_sees_one_result_whole(world, world_b, baseline, tmp_path, iteration):
    root = tmp_path / "root"
    shutil.copytree(baseline, root)
    warehouse, csv_path = root / "w.duckdb", root / "exports" / "ban_list.csv"

    def fingerprint() -> tuple[list[str], str]:
        return read_once(warehouse, hold=False)["fingerprint"], sha(csv_path)

    seen = {"a": fingerprint()}
    log, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, str(PROBE), str(warehouse), str(csv_path), str(log), str(stop)]
    )
    try:
        for name, raw in (("b", world_b), ("a", world), ("b", world_b)):
            outcome = run_pipeline(settings_for(raw, root))
            assert outcome.success, outcome.reason
            result = fingerprint()
            assert seen.setdefault(name, result) == result, "a rerun changed the result"
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert seen["a"] != seen["b"]  # the two inputs give different results, so a mix would show
    reads = [json.loads(line) for line in log.read_text().splitlines()]
    errors = [r["error"] for r in reads if "error" in r]
    assert not errors, errors[:3]
    assert len(reads) >= 20, len(reads)
    results = {name: fp for name, (fp, _) in seen.items()}
    csvs = {name: c for name, (_, c) in seen.items()}
    observed = set()
    for read in reads:
        assert not any(read["problems"].values()), read["problems"]
        match = [name for name, fp in results.items() if fp == read["fingerprint"]]
        assert match, "a read saw tables from more than one run"
        assert read["csv"] in csvs.values(), "a read saw a ban list from no run"
        observed.add(match[0])
    assert observed == {"a", "b"}, observed
