"""Seeded worlds for the bench, generated once and reused.

A world lives in `<root>/bench-<accounts>/` with a small manifest (`bench-manifest.json`: size,
seed, dirty rate, chunk size, a fingerprint of the generator's source, row counts). It is reused
when the manifest matches and every table is present; otherwise it is generated again (by `sybil
generate` in a child process, so the generator's memory never lingers in the bench's). Worlds
above `CHUNK_ACCOUNTS` are generated in chunks of about that size (the 10M world in ten, at the
memory of one), their tables folders of one Parquet file per chunk. The manifest is written
last, so a world whose generation was interrupted is never reused.
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
MANIFEST_VERSION = 2  # 2: chunk_accounts; tables may be folders of parts
CHUNK_ACCOUNTS = 1_000_000
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
    accounts: int,
    seed: int,
    dirty_rate: float,
    fingerprint: str,
    chunk_accounts: int = CHUNK_ACCOUNTS,
) -> dict[str, Any]:
    return {
        "version": MANIFEST_VERSION,
        "accounts": accounts,
        "seed": seed,
        "dirty_rate": dirty_rate,
        "format": "parquet",
        "chunk_accounts": chunk_accounts,
        "generator": fingerprint,
    }


def _table_present(path: Path, table: str) -> bool:
    """One Parquet file, or a folder of Parquet parts (a world generated in chunks)."""
    folder = path / table
    return (path / f"{table}.parquet").is_file() or (
        folder.is_dir() and any(folder.glob("*.parquet"))
    )


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
    if not all(_table_present(path, table) for table in rows):
        return None
    return manifest


def ensure_world(
    root: Path,
    accounts: int,
    *,
    seed: int,
    dirty_rate: float = 0.001,
    fingerprint: str | None = None,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    log: Any = print,
) -> World:
    """The world of `accounts` accounts under `root`, generated unless a matching one is there."""
    path = root / f"bench-{accounts}"
    wanted = wanted_manifest(
        accounts, seed, dirty_rate, fingerprint or generator_fingerprint(), chunk_accounts
    )
    manifest = reusable(path, wanted)
    if manifest is not None:
        log(f"  world {path}: reused (seed {seed})")
        return World(path, accounts, seed, dict(manifest["rows"]), True, 0.0)
    (path / MANIFEST).unlink(missing_ok=True)
    chunks = -(-accounts // chunk_accounts)
    how = f", {chunks} chunks" if chunks > 1 else ""
    log(f"  world {path}: generating {accounts:,} accounts (seed {seed}{how})")
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
            "--chunk-accounts",
            str(chunk_accounts),
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
    """Rows per table of a generated world, a file or a folder of parts (from the Parquet
    footers)."""
    import pyarrow.parquet as pq

    def rows(p: Path) -> int:
        return int(pq.ParquetFile(p).metadata.num_rows)

    counts = {p.stem: rows(p) for p in sorted(path.glob("*.parquet"))}
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and p.name[0] != "."):
        parts = sorted(folder.glob("*.parquet"))
        if parts:
            counts[folder.name] = sum(rows(p) for p in parts)
    return dict(sorted(counts.items()))
