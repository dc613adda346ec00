"""Live progress of a run: one line per Dagster step as it ends, from the run's event stream.

`StepProgress` is registered with `DagsterInstance.add_event_listener` for the run id the runner
chooses, so it hears every event as the in-process executor stores it (the listener is called
in the run's thread, right after the event is written), not after the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

# Asset keys whose `rows` are better called something else in a progress line.
_ROW_NAMES = {"edges/similarity_edges": "edges", "published/similarity_edges": "edges"}


def _value(meta: Mapping[str, Any], name: str) -> Any:
    raw = meta.get(name)
    return getattr(raw, "value", raw)


def _int(meta: Mapping[str, Any], name: str) -> int | None:
    value = _value(meta, name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def produced(asset: str, meta: Mapping[str, Any]) -> str:
    """What one materialization made, from its metadata: clusters, edges, reports or rows."""
    communities = _int(meta, "communities")
    if communities is not None:
        accounts = _int(meta, "accounts_in_communities")
        text = f"{communities:,} clusters"
        return text + (f" ({accounts:,} accounts)" if accounts is not None else "")
    clusters = _int(meta, "clusters")
    if clusters is not None:
        flagged = _int(meta, "flagged_accounts")
        text = f"{clusters:,} clusters"
        return text + (f", {flagged:,} accounts flagged" if flagged is not None else "")
    reports = _int(meta, "reports")
    if reports is not None:
        return f"{reports:,} reports"
    rows = _int(meta, "rows")
    if rows is None:
        return ""
    text = f"{rows:,} {_ROW_NAMES.get(asset, 'rows')}"
    quarantined = _int(meta, "quarantined")
    return text + (f" ({quarantined:,} quarantined)" if quarantined else "")


class StepProgress:
    """Turns a run's events into progress lines: `[ 3/26]  12.3 s  step  0.89 s  2,999 rows`."""

    def __init__(self, emit: Callable[[str], None], total_steps: int) -> None:
        self.emit = emit
        self.total = total_steps
        self.started = time.time()
        self.done = 0
        self._starts: dict[str, float] = {}
        self._made: dict[str, list[tuple[str, str]]] = {}
        self._checks: dict[str, list[tuple[str, bool]]] = {}
        self._days: dict[str, int] = {}

    def __call__(self, event: Any) -> None:
        dagster_event = getattr(event, "dagster_event", None)
        step = getattr(event, "step_key", None)
        if dagster_event is None or not step:
            return
        kind = dagster_event.event_type_value
        if kind == "STEP_START":
            self._starts[step] = event.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            mat = dagster_event.event_specific_data.materialization
            asset = mat.asset_key.to_user_string()
            made = self._made.setdefault(step, [])
            # A run over a range of daily partitions materializes each day with the same
            # metadata (the range's): one entry, with the number of days.
            if mat.partition and made and made[-1][0] == asset:
                self._days[step] = self._days.get(step, 1) + 1
            else:
                made.append((asset, produced(asset, mat.metadata or {})))
        elif kind == "ASSET_CHECK_EVALUATION":
            data = dagster_event.event_specific_data
            evaluation = getattr(data, "evaluation", data)
            self._checks.setdefault(step, []).append(
                (str(evaluation.check_name), bool(evaluation.passed))
            )
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.done += 1
            self.emit(self.line(step, event.timestamp, failed=kind == "STEP_FAILURE"))

    def line(self, step: str, ended: float, *, failed: bool) -> str:
        seconds = ended - self._starts.get(step, ended)
        made = [(asset, what) for asset, what in self._made.pop(step, []) if what]
        if len(made) == 1:
            what = made[0][1]
        else:  # a multi-asset step (publish): name each table
            what = ", ".join(
                f"{asset.rsplit('/', 1)[-1]} {text.removesuffix(' rows')}" for asset, text in made
            )
        days = self._days.pop(step, 1)
        if days > 1:
            what += f" over {days:,} days"
        checks = self._checks.pop(step, [])
        if not made and checks:  # a step that only checks (null rates, community sizes)
            what = ", ".join(f"check {n} {'passed' if ok else 'FAILED'}" for n, ok in checks)
        elif any(not ok for _, ok in checks):
            what += "; failed checks: " + ", ".join(n for n, ok in checks if not ok)
        if failed:
            what = "FAILED" + (f" after {what}" if what else "")
        width = len(str(self.total))
        return (
            f"[{self.done:>{width}}/{self.total}] {ended - self.started:7.1f} s  "
            f"{step:<34} {seconds:7.2f} s  {what}".rstrip()
        )
