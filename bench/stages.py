"""The issue's stages, which Dagster steps make them, and memory samples attributed to steps.

Stage wall time is the sum of its steps' wall times (steps run one after another in one process).
Stage peak RSS is the highest RSS sampled while any of its steps ran: the whole process's memory,
so it includes whatever earlier steps still hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STAGES: tuple[str, ...] = (
    "ingest",
    "staging",
    "keys",
    "edges",
    "graph build",
    "communities",
    "scoring",
    "publish",
    "reports",
)
OTHER = "other"
# The communities step holds both graph build and Leiden; without timing hooks inside it (see
# bench.pipeline) the two are reported together under this name.
GRAPH_AND_COMMUNITIES = "graph build + communities"

# (prefix of the Dagster step key, stage); the first match wins.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("raw__", "ingest"),
    ("ref__", "ingest"),
    ("store__", "staging"),
    ("staging__", "staging"),
    ("features__", "keys"),
    ("edges__", "edges"),
    ("communities__", GRAPH_AND_COMMUNITIES),
    ("scoring__", "scoring"),
    # Matching clusters to the previous run's ids prepares the published tables.
    ("history", "publish"),
    ("published", "publish"),
    ("exports__", "publish"),
    ("reports__", "reports"),
)

# Warehouse schemas whose tables each stage writes (rows per stage are counted from these).
STAGE_SCHEMAS: dict[str, tuple[str, ...]] = {
    "staging": ("staging",),
    "keys": ("features",),
    "edges": ("edges",),
    "communities": ("communities",),
    "scoring": ("scoring",),
    "publish": ("published", "history"),
}


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to (`other` for a step no prefix names)."""
    for prefix, stage in _PREFIXES:
        if step_key.startswith(prefix):
            return stage
    return OTHER


@dataclass(frozen=True)
class Span:
    """A named interval in Unix time."""

    name: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def peak_in(samples: Sequence[tuple[float, int]], start: float, end: float) -> int | None:
    """Highest RSS sampled in [start, end].

    A span shorter than the sampling interval may hold no sample: then the samples just before
    and just after it bound what it used, and the larger of the two is taken. None without
    samples at all.
    """
    inside = [rss for t, rss in samples if start <= t <= end]
    if inside:
        return max(inside)
    before = [rss for t, rss in samples if t < start]
    after = [rss for t, rss in samples if t > end]
    around = ([before[-1]] if before else []) + ([after[0]] if after else [])
    return max(around) if around else None


@dataclass(frozen=True)
class StageFigures:
    stage: str
    seconds: float
    peak_rss_bytes: int | None
    steps: tuple[str, ...]


def stage_figures(
    items: Iterable[tuple[str, Span]], samples: Sequence[tuple[float, int]]
) -> list[StageFigures]:
    """Per stage: summed seconds, peak sampled RSS and the spans' names, from (stage, span)
    pairs; in the order of `STAGES` (then `graph build + communities` if unsplit, then `other`)."""
    seconds: dict[str, float] = {}
    peaks: dict[str, int | None] = {}
    names: dict[str, list[str]] = {}
    for stage, span in items:
        seconds[stage] = seconds.get(stage, 0.0) + span.seconds
        if span.name not in names.setdefault(stage, []):
            names[stage].append(span.name)
        peak = peak_in(samples, span.start, span.end)
        if peak is not None:
            peaks[stage] = max(peaks.get(stage) or 0, peak)
        else:
            peaks.setdefault(stage, None)
    order = [*STAGES, GRAPH_AND_COMMUNITIES, OTHER]
    order += sorted(set(seconds) - set(order))
    return [
        StageFigures(stage, seconds[stage], peaks.get(stage), tuple(names[stage]))
        for stage in order
        if stage in seconds
    ]


def split_communities(step: Span, marks: Sequence[Span]) -> list[Span] | None:
    """Split the communities step into `graph build` and `communities` with timing marks taken
    inside it (see bench.pipeline): graph build is loading the edges (step start to the start of
    `detect_communities`) plus `prepare_edges` and `graph_from_edges`; communities is the rest
    (components, Leiden, labels, pruning, writing the table).

    Returns two or more spans named `graph build`/`communities` that tile the step, or None when
    the marks do not allow it (no `detect_communities` mark inside the step).
    """
    inside = [m for m in marks if step.start <= m.start and m.end <= step.end]
    detect = [m for m in inside if m.name == "detect_communities"]
    if not detect:
        return None
    first = detect[0]
    build = [Span("graph build", step.start, first.start)]
    build += [
        Span("graph build", m.start, m.end)
        for m in inside
        if m.name in ("prepare_edges", "graph_from_edges")
    ]
    build.sort(key=lambda s: s.start)
    # Everything in the step not covered by a build span is communities work.
    out: list[Span] = []
    cursor = step.start
    for span in build:
        if span.start > cursor:
            out.append(Span("communities", cursor, span.start))
        out.append(span)
        cursor = max(cursor, span.end)
    if cursor < step.end:
        out.append(Span("communities", cursor, step.end))
    return [s for s in out if s.end > s.start]


# A step is flagged as slower than the previous measurement when it took this many times as long
# and at least this many seconds more: single runs on a shared machine vary by about 20%, and
# steps of a second vary by more.
SLOWER_RATIO = 1.5
SLOWER_SECONDS = 2.0


def slower_steps(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The steps of `after` that took more than SLOWER_RATIO times their time in `before` and at
    least SLOWER_SECONDS more (each a `{"step", "seconds"}` record, as the pipeline's figures
    list them): the regressions a bench run should point out. Slowest-grown first."""
    old = {str(s["step"]): float(s["seconds"]) for s in before}
    found = []
    for s in after:
        name, now = str(s["step"]), float(s["seconds"])
        was = old.get(name)
        if was is None or now < was * SLOWER_RATIO or now - was < SLOWER_SECONDS:
            continue
        found.append({"step": name, "before": was, "after": now, "ratio": round(now / was, 2)})
    return sorted(found, key=lambda f: -f["after"] / f["before"])
