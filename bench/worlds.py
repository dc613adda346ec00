"""Seeded worlds for the bench, generated once and reused.

A world lives in `<root>/bench-<accounts>/` with a small manifest (`bench-manifest.json`: size,
seed, dirty rate, a fingerprint of the generator's source, row counts). It is reused when the
manifest matches and every table file is present; otherwise it is generated again (by `sybil
generate` in a child process, so the generator's memory never lingers in the bench's). The
manifest is written last, so a world whose generation was interrupted is never reused.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "bench-manifest.json"
MANIFEST_VERSION = 1
_SYNTH = Path(__file__).resolve().parent.parent / "sybil" / "synth"


@dataclass(frozen=True)
class World:
    path: Path
    accounts: int
    seed: int
    rows: dict[str, int]
    reused: bool
    generate_seconds: float  # 0 when reused

    @property
    def truth(self) -> Path:
        return self.path / "truth.parquet"


def generator_fingerprint(synth_dir: Path = _SYNTH) -> str:
    """sha256 over the generator's source files: a changed generator makes new worlds."""
    digest = hashlib.sha256()
    for path in sorted(synth_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def wanted_manifest(
    accounts: int, seed: int, dirty_rate: float, fingerprint: str
) -> dict[str, Any]:
    return {
        "version": MANIFEST_VERSION,
        "accounts": accounts,
        "seed": seed,
        "dirty_rate": dirty_rate,
        "format": "parquet",
        "generator": fingerprint,
    }


def reusable(path: Path, wanted: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest at `path` if it matches `wanted` and its tables are all there, else None."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if any(manifest.get(k) != v for k, v in wanted.items()):
        return None
    rows = manifest.get("rows")
    if not isinstance(rows, dict) or not rows:
        return None
    if not all((path / f"{table}.parquet").is_file() for table in rows):
        return None
    return manifest


def ensure_world(
    root: Path,
    accounts: int,
    *,
    seed: int,
    dirty_rate: float = 0.001,
    fingerprint: str | None = None,
    log: Any = print,
) -> World:
    """The world of `accounts` accounts under `root`, generated unless a matching one is there."""
    path = root / f"bench-{accounts}"
    wanted = wanted_manifest(accounts, seed, dirty_rate, fingerprint or generator_fingerprint())
    manifest = reusable(path, wanted)
    if manifest is not None:
        log(f"  world {path}: reused (seed {seed})")
        return World(path, accounts, seed, dict(manifest["rows"]), True, 0.0)
    (path / MANIFEST).unlink(missing_ok=True)
    log(f"  world {path}: generating {accounts:,} accounts (seed {seed})")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sybil.cli",
            "generate",
            "--out",
            str(path),
            "--accounts",
            str(accounts),
            "--seed",
            str(seed),
            "--dirty-rate",
            str(dirty_rate),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    rows = count_rows(path)
    (path / MANIFEST).write_text(
        json.dumps({**wanted, "rows": rows, "generate_seconds": round(seconds, 2)}, indent=1) + "\n"
    )
    return World(path, accounts, seed, rows, False, seconds)


def count_rows(path: Path) -> dict[str, int]:
    """Rows per table file of a generated world (from the Parquet footers)."""
    import pyarrow.parquet as pq

    return {
        p.stem: int(pq.ParquetFile(p).metadata.num_rows) for p in sorted(path.glob("*.parquet"))
    }
