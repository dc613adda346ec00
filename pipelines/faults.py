"""Fault-injection points for the crash tests: inert unless SYBIL_FAULT_AT names the point.

`reached("publish:commit")` in the pipeline does nothing in normal runs. When a test starts a run
with SYBIL_FAULT_AT=publish:commit, the run writes a marker file into SYBIL_FAULT_DIR (the test
polls for it) and sleeps there, so the test can SIGKILL it at exactly that point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("store", "edges", "publish:snapshot", "publish:commit")


def reached(point: str) -> None:
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r}")
    if os.environ.get("SYBIL_FAULT_AT") != point:
        return
    marker = Path(os.environ.get("SYBIL_FAULT_DIR", ".")) / point.replace(":", "_")
    marker.write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("SYBIL_FAULT_SLEEP", "300")))
