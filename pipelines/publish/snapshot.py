"""Publish by replacing the warehouse file whole.

Everything a run builds is in the work database, and nothing else is: raw input and personal data
live in the separate `raw` and `restricted` databases of the work folder. Once the published
tables are built and checked, the work database is checkpointed and closed, copied beside the
warehouse (`.<name>.next`), flushed to disk, and renamed over the warehouse.

A rename is atomic: a reader that opens the warehouse gets the old file or the new one, and one
that has it open keeps reading the old file until it closes it. The pipeline never opens the
warehouse for writing, so readers never block a run and a run never blocks readers. A run killed
at any point leaves the previous warehouse untouched; a half-written `.next` file is removed by
the next publish.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines import faults


def next_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.next")


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def clear_stale(warehouse: Path) -> None:
    """Remove what a killed publish left: a half-written next file."""
    for path in (next_path(warehouse), wal(next_path(warehouse))):
        path.unlink(missing_ok=True)


def publish_file(work_db: Path, warehouse: Path, staged_exports: dict[Path, Path]) -> None:
    """Copy the closed work database into place as the warehouse, then the staged exports.

    The warehouse goes first: an export (what enforcement acts on) never appears before the
    tables that explain it. A stale WAL beside the warehouse (left by someone who opened it for
    writing and crashed) would be replayed into the new file, so it is removed first.
    """
    if wal(work_db).exists():
        raise RuntimeError(f"{work_db} was not checkpointed (a WAL remains); not publishing")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    clear_stale(warehouse)
    target = next_path(warehouse)
    try:
        shutil.copyfile(work_db, target)
        faults.reached("publish:snapshot")
        _fsync(target)
        for staged in staged_exports:
            _fsync(staged)
        wal(warehouse).unlink(missing_ok=True)
        faults.reached("publish:commit")
        os.replace(target, warehouse)
    except BaseException:
        clear_stale(warehouse)
        raise
    for staged, final in staged_exports.items():
        os.replace(staged, final)
    for folder in {warehouse.parent, *(final.parent for final in staged_exports.values())}:
        _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
