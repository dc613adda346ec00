"""The whole bench once, on a 2,000-account world (no timing asserts: only that it all runs and
says what it measured)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bench.run import main
from sybil.cli import main as sybil_main

HAS_SPLINK = importlib.util.find_spec("splink") is not None


@pytest.mark.slow
@pytest.mark.integration
def test_bench_end_to_end_on_a_small_world(tmp_path: Path) -> None:
    args = [
        "--sizes",
        "2000",
        "--worlds",
        str(tmp_path / "worlds"),
        "--work",
        str(tmp_path / "work"),
        "--logs",
        str(tmp_path / "logs"),
        "--json",
        str(tmp_path / "results.json"),
        "--md",
        str(tmp_path / "results.md"),
        "--splink-max-pairs",
        "1e4",
        "--splink-timeout",
        "120",
        "--timeout",
        "300",
    ]
    if not HAS_SPLINK:
        args.append("--no-splink")
    assert main(args) == 0

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["git"]["commit"]
    (entry,) = results["sizes"]
    assert entry["accounts"] == 2000
    assert entry["world"]["rows"]["truth"] == 2000
    systems = entry["systems"]
    expected = {"pipeline", "floor", "baseline"} | ({"splink"} if HAS_SPLINK else set())
    assert set(systems) == expected
    for name, fig in systems.items():
        assert fig["status"] == "ok", (name, fig)
        assert fig["wall_seconds"] > 0
        assert fig["peak_rss_bytes"] > 10 * 2**20

    pipeline = systems["pipeline"]
    stages = [s["stage"] for s in pipeline["stages"]]
    assert stages[:4] == ["ingest", "staging", "keys", "edges"]
    assert "publish" in stages
    assert "other" not in stages
    # The timing hooks split the communities step into graph build and communities.
    assert pipeline["communities_split"] is True
    assert {"graph build", "communities"} <= set(stages)
    assert all(s["peak_rss_bytes"] for s in pipeline["stages"])
    assert pipeline["edges"] > 0
    assert pipeline["edges_per_account"] == pytest.approx(pipeline["edges"] / 2000, rel=0.01)
    assert pipeline["stage_rows"]["ingest"] >= sum(
        v for k, v in entry["world"]["rows"].items() if k != "truth"
    )
    assert systems["floor"]["rows_read"] == pipeline["stage_rows"]["ingest"]
    assert systems["baseline"]["flagged"] > 0
    if HAS_SPLINK:
        assert systems["splink"]["finished"] is True
        assert systems["splink"]["records"] == 2000
        assert set(systems["splink"]["blocking"]) == {"device_id", "ip", "email"}

    quality = entry["quality"]
    assert 0 < quality["pipeline"]["f1"] <= 1
    assert "pipeline_over_floor_time" in entry["ratios"]
    assert any(c["target"] == "2k: edges per account" for c in results["target_check"])

    markdown = (tmp_path / "results.md").read_text()
    assert "| 2,000 | **pipeline**" in markdown
    assert "## Pipeline stages" in markdown

    # The world is reused by the next run.
    assert main([*args, "--systems", "floor"]) == 0
    again = json.loads((tmp_path / "results.json").read_text())
    assert again["sizes"][0]["world"]["reused"] is True


def test_sybil_bench_hands_its_options_to_the_bench(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        sybil_main(["bench", "--help"])
    assert exc.value.code == 0
    assert "--with-10m" in capsys.readouterr().out


def test_a_size_the_disk_cannot_hold_stops_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that would fill the disk is refused with the space it needs, before it starts (a
    10M run once died out of disk 37 minutes in)."""
    from collections import namedtuple

    import bench.run as bench_run

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(bench_run.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 10**6))
    logs = tmp_path / "logs"
    code = main(
        [
            "--sizes",
            "2000",
            "--systems",
            "pipeline,floor",
            "--worlds",
            str(tmp_path / "worlds"),
            "--work",
            str(tmp_path / "work"),
            "--logs",
            str(logs),
            "--json",
            str(tmp_path / "results.json"),
            "--md",
            str(tmp_path / "results.md"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "2,000 accounts need about" in err
    assert "has 1.0 MB" in err
    assert "--work" in err
    assert not list(logs.rglob("*"))  # no system was started
