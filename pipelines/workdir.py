"""The work folder of a warehouse: the databases a run works in, spill files, the HMAC secret and
the run lock.

- `work.duckdb`: every analytical schema (ref, staging, features, edges, communities, scoring,
  published). Publishing links this file, closed, into place as the warehouse.
- `raw.duckdb` and `restricted.duckdb`, attached to every connection as the catalogs `raw` and
  `restricted`: the input as read and the personal values (raw emails, phones, names, full
  quarantine records). Being separate files, they can never end up in the warehouse.

The work folder holds raw input and personal data, so it is created private to its owner (0700).
Only one run at a time may use it: `run_lock` takes an exclusive `flock` that the kernel releases
when the process ends, however it ends (a SIGKILL leaves no stale lock).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WORK_DB = "work.duckdb"
PRIVATE_DBS = {"raw": "raw.duckdb", "restricted": "restricted.duckdb", "store": "store.duckdb"}
# Kept from run to run: the event tables' typed rows by day (pipelines/staging/days.py).
KEPT_DBS = ("store",)
SECRET_FILE = "hmac_secret"
LOCK_FILE = "run.lock"
SPILL_DIR = "tmp"

_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth), for reentry in one process
_guard = threading.Lock()


class RunLockedError(RuntimeError):
    """Another process is running the pipeline on the same work folder."""


def ensure_work_dir(work_dir: Path) -> Path:
    """Create the work folder (owner-only) if missing; return it."""
    if not work_dir.is_dir():
        work_dir.mkdir(parents=True, exist_ok=True)
        work_dir.chmod(0o700)
    return work_dir


def work_db(work_dir: Path) -> Path:
    return work_dir / WORK_DB


def private_dbs(work_dir: Path) -> dict[str, Path]:
    """Catalog name -> file of the private databases attached to every work connection."""
    return {name: work_dir / file for name, file in PRIVATE_DBS.items()}


def reset_work_db(work_dir: Path) -> None:
    """Remove the work databases, their WALs and our spill files: a run then starts from nothing,
    so whatever a killed run left behind cannot leak into the next one."""
    kept = {private_dbs(work_dir)[name] for name in KEPT_DBS}
    for db in (work_db(work_dir), *(p for p in private_dbs(work_dir).values() if p not in kept)):
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
    spill = work_dir / SPILL_DIR
    if spill.is_dir():
        for item in spill.iterdir():
            if item.is_file():
                item.unlink(missing_ok=True)


@contextmanager
def run_lock(work_dir: Path) -> Iterator[None]:
    acquire(work_dir)
    try:
        yield
    finally:
        release(work_dir)


def acquire(work_dir: Path) -> None:
    """Take the work folder's run lock (reentrant within a process); fail at once if it is taken."""
    path = (ensure_work_dir(work_dir) / LOCK_FILE).resolve()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunLockedError(
                f"another run (pid {holder}) is using {work_dir}; wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[path] = (fd, 1)


def release(work_dir: Path) -> None:
    path = (work_dir / LOCK_FILE).resolve()
    with _guard:
        if path not in _held:
            return
        fd, depth = _held[path]
        if depth > 1:
            _held[path] = (fd, depth - 1)
            return
        del _held[path]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def hmac_secret(work_dir: Path) -> bytes:
    """The key of the keyed hashes: SYBIL_HMAC_SECRET, else the file SYBIL_HMAC_SECRET_FILE names,
    else a random secret generated once into the work folder (owner-only) and reused."""
    value = os.environ.get("SYBIL_HMAC_SECRET")
    if value:
        return value.strip().encode()
    named = os.environ.get("SYBIL_HMAC_SECRET_FILE")
    if named:
        return Path(named).read_bytes().strip()
    path = ensure_work_dir(work_dir) / SECRET_FILE
    if not path.is_file():
        # Written under a private name and linked into place: a concurrent reader never sees a
        # half-written secret, and of two racing writers exactly one wins.
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()
