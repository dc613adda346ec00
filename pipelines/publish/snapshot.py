"""Publish by replacing the warehouse file whole.

Everything a run builds is in the work database, and nothing else is: raw input and personal data
live in the separate `raw` and `restricted` databases of the work folder. Once the published
tables are built and checked, the work database is checkpointed and closed, linked beside the
warehouse (`.<name>.next`, a second name for the same file), flushed to disk, and renamed over
the warehouse.

A rename is atomic: a reader that opens the warehouse gets the old file or the new one, and one
that has it open keeps reading the old file until it closes it. The pipeline never opens the
warehouse for writing, so readers never block a run and a run never blocks readers. A run killed
at any point leaves the previous warehouse untouched; a half-made `.next` file is removed by the
next publish.

A link instead of a copy: at 10M accounts the work database is over 20 GB, and copying it took
minutes and a second 20 GB of disk that the machine did not have. After publishing, the work
database and the warehouse are one file, so nothing may write to the work database until they
are two again: `sybil run` starts by removing the work database's name (the warehouse keeps the
file), and any other writer gets its own copy first (`own_work_db`, called by
`Warehouse.connect`). Where a link cannot be made (the work folder on another file system) the
file is copied, as before.
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
    """Put the closed work database into place as the warehouse, then the staged exports.

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
        _link_or_copy(work_db, target)
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


def own_work_db(work_db: Path, warehouse: Path) -> bool:
    """Before writing to the work database: if it is still the published warehouse's file (the
    last publish linked it), give the work database a copy of its own, so that the warehouse
    readers have open never changes under them. True if a copy was made."""
    if not (work_db.exists() and warehouse.exists() and os.path.samefile(work_db, warehouse)):
        return False
    if wal(work_db).exists():
        raise RuntimeError(f"{work_db} is the published warehouse and has a WAL; not writing")
    copy = work_db.with_name(f".{work_db.name}.own")
    copy.unlink(missing_ok=True)
    shutil.copyfile(work_db, copy)
    os.replace(copy, work_db)
    return True


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
