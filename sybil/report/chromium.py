"""Render a report in headless Chromium (Debian's `chromium`): a screenshot, or the DOM it built.

Used by the tests (does the page render, with the graph the data says?) and by
`make report-screenshot`, which regenerates `docs/images/report.png` from a small generated
world: `python -m sybil.report.chromium --out docs/images/report.png`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# No network, no profile, no background work: the page is a local file and must need nothing else.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(page: Path, *args: str, timeout: float) -> str:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="sybil-chromium-") as profile:
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"chromium exited {done.returncode}: {tail}")
    return done.stdout


def screenshot(page: Path, png: Path, *, width: int = 1400, height: int = 2200) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}", timeout=120)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot for {page}")
    return png


def dump_dom(page: Path) -> str:
    """The DOM after Chromium parsed and laid out the page, serialised."""
    return _run(page, "--dump-dom", timeout=120)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a small world, run the pipeline, report its top flagged cluster, screenshot it."""
    parser = argparse.ArgumentParser(prog="python -m sybil.report.chromium", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/images/report.png"))
    parser.add_argument("--work", type=Path, default=Path("data/generated/report-screenshot"))
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-size", type=int, default=60, help="largest cluster to pick")
    args = parser.parse_args(argv)

    from pipelines.settings import Settings
    from sybil.generate import write_world
    from sybil.report import write_report
    from sybil.runner import run_pipeline
    from sybil.warehouse import read_published

    raw, root = args.work / "raw", args.work / "run"
    if not (raw / "signups.parquet").exists():
        write_world(raw, args.accounts, seed=args.seed)
    settings = Settings(raw_dir=raw, warehouse=root / "w.duckdb", exports=root / "exports")
    outcome = run_pipeline(settings)
    if not outcome.success:
        sys.stderr.write(f"run failed at {outcome.failed_step}: {outcome.reason}\n")
        return 1
    rows = read_published(
        settings.warehouse,
        "select cluster_id from published.clusters where flagged and size <= $n "
        "order by risk_score desc, size desc, cluster_id limit 1",
        {"n": args.max_size},
    )
    if not rows:
        sys.stderr.write("no flagged cluster small enough to show\n")
        return 1
    page = write_report(settings.warehouse, rows[0][0], root / "report.html")
    screenshot(page, args.out)
    sys.stdout.write(f"{args.out}: cluster {rows[0][0]} ({page})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
