"""Run one system in a child process and measure it: wall time, peak RSS, RSS samples over time.

The peak is the kernel's own figure for the child (`ru_maxrss` from `wait4`), exact however short
the spike. The samples (the child's VmRSS read from /proc every `interval` seconds, with Unix
timestamps) are what lets `bench.stages` attribute memory to the pipeline's steps.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_INTERVAL = 0.2


@dataclass(frozen=True)
class Measurement:
    """What happened to one child process."""

    returncode: int | None  # None when it was killed at the timeout
    wall_seconds: float
    peak_rss_bytes: int
    started: float  # Unix time
    samples: list[tuple[float, int]] = field(default_factory=list)  # (Unix time, RSS bytes)
    timed_out: bool = False
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def read_rss(pid: int) -> int | None:
    """Resident set size of `pid` in bytes (VmRSS), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def run_measured(
    cmd: Sequence[str],
    *,
    log_dir: Path,
    name: str,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = SAMPLE_INTERVAL,
) -> Measurement:
    """Run `cmd` to completion (or until `timeout` seconds, then kill its process group).

    stdout and stderr go to `log_dir/<name>.out` and `.err` (never a pipe that could fill up).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    samples: list[tuple[float, int]] = []
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
        )
        stop = threading.Event()
        sampler = threading.Thread(
            target=_sample, args=(proc.pid, interval, samples, stop), daemon=True
        )
        sampler.start()
        timed_out = False
        reaped = _wait(proc.pid, t0 + timeout)
        if reaped is None:
            timed_out = True
            _kill_group(proc.pid)
            _, status, rusage = os.wait4(proc.pid, 0)
        else:
            status, rusage = reaped
        wall = time.perf_counter() - t0
        stop.set()
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    # We reaped the child ourselves; tell Popen so it does not try (or warn) later.
    proc.returncode = code
    return Measurement(
        returncode=None if timed_out else code,
        wall_seconds=wall,
        peak_rss_bytes=int(rusage.ru_maxrss) * 1024,  # KiB on Linux
        started=started,
        samples=samples,
        timed_out=timed_out,
        stderr_tail=_tail(err_path),
    )


def _wait(pid: int, deadline: float) -> tuple[int, resource.struct_rusage] | None:
    """Poll `wait4` until the child exits or `deadline` (perf_counter) passes."""
    delay = 0.01
    while True:
        reaped, status, rusage = os.wait4(pid, os.WNOHANG)
        if reaped == pid:
            return status, rusage
        if time.perf_counter() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _sample(pid: int, interval: float, out: list[tuple[float, int]], stop: threading.Event) -> None:
    while not stop.is_set():
        rss = read_rss(pid)
        if rss is not None and rss > 0:
            out.append((time.time(), rss))
        stop.wait(interval)


def _kill_group(pid: int) -> None:
    # The child leads its own session (start_new_session), so this reaches its children too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
