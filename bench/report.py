"""bench/results.md (and the README's table) from bench/results.json.

`python -m bench.report [RESULTS.json] [--md FILE] [--readme README.md]` re-renders without
re-running anything.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

SYSTEM_LABELS = {
    "pipeline": "**pipeline** (`sybil run`, end to end)",
    "floor": "floor: DuckDB reads every input once, groups by account",
    "splink": "Splink 5 dedupe of the sign-ups (training included)",
    "baseline": "naive baseline: components over the pipeline's keys",
}
STAGE_ORDER = (
    "ingest",
    "staging",
    "keys",
    "edges",
    "graph build",
    "communities",
    "graph build + communities",
    "scoring",
    "publish",
    "other",
)


NEXT_DAY_NOTE = (
    "The daily run (`make bench BENCH_ARGS='--systems next_day --merge'`): the world cut into "
    "daily drops; the full run types every day from an empty work folder, the next-day run "
    "finds the days before the last one in its store (`bench/next_day.py`). Tables differing: "
    "between the two runs' warehouses, cluster ids and history aside (the next-day run has the "
    "day before's warehouse to match against)."
)


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 120:
        return f"{value:,.0f} s ({value / 60:.1f} min)"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value:.2f} s"


def gigabytes(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e9:.2f} GB"


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """A markdown table; `align` has one letter per column: l or r."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def machine_line(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    v = m.get("versions", {})
    git = m.get("git", {})
    s = results.get("settings", {})
    versions = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    threads = s.get("threads") or "all cores"
    commit = (git.get("commit") or "?")[:10] + (
        " (uncommitted changes)" if git.get("dirty") else ""
    )
    return (
        f"Measured {results.get('generated_at', '?')} on {m.get('cpu', '?')}, "
        f"{m.get('cores_available', m.get('cores', '?'))} cores, "
        f"{(m.get('memory_bytes') or 0) / 1e9:.0f} GB RAM ({m.get('os', '?')}); Python "
        f"{m.get('python', '?')}, {versions}; commit `{commit}`. DuckDB memory_limit "
        f"{s.get('memory_limit', '?')}, threads: {threads}; worlds of seed {s.get('seed', '?')}. "
        f"Load average at start: {', '.join(str(x) for x in m.get('load_average_at_start', []))}."
        + _provenance(results)
    )


def _provenance(results: dict[str, Any]) -> str:
    """When sizes were measured in different runs (`--merge`), which run each comes from: the
    header's commit is the latest run's, not necessarily the code behind every row."""
    runs: dict[tuple[str, str], list[str]] = {}
    for entry in results.get("sizes", []):
        measured = entry.get("measured") or {}
        key = (measured.get("at") or "an earlier run", (measured.get("commit") or "?")[:10])
        runs.setdefault(key, []).append(f"{entry['accounts']:,}")
    if len(runs) <= 1:
        return ""
    parts = [
        f"{', '.join(sizes)} at {at} (commit `{commit}`)" for (at, commit), sizes in runs.items()
    ]
    return " Sizes come from separate runs: " + "; ".join(parts) + "."


def _output(name: str, fig: dict[str, Any], entry: dict[str, Any]) -> str:
    if fig.get("status") == "timeout":
        return f"**timed out** after {seconds(fig.get('timeout_seconds'))}" + (
            f" (in {list(fig['phases'])[-1]} done, next phase running)" if fig.get("phases") else ""
        )
    if fig.get("status") != "ok":
        return f"**failed**: {fig.get('error') or fig.get('reason') or '?'}"
    quality = entry.get("quality") or {}
    if name == "pipeline":
        f1 = (quality.get("pipeline") or {}).get("f1")
        text = (
            f"{count(fig.get('edges'))} edges ({fig.get('edges_per_account', 0):.1f} per account)"
        )
        return text + (f", F1 {f1:.3f}" if f1 is not None else "")
    if name == "floor":
        return f"{count(fig.get('rows_read'))} rows read"
    if name == "splink":
        return (
            f"{count(fig.get('pairs_predicted'))} pairs at p >= 0.9, "
            f"{count(fig.get('clusters_2plus'))} clusters of 2+ "
            f"({count(fig.get('accounts_in_clusters_2plus'))} accounts, largest "
            f"{count(fig.get('largest_cluster'))})"
        )
    if name == "baseline":
        f1 = (quality.get("baseline") or {}).get("f1")
        text = f"{count(fig.get('flagged'))} accounts flagged"
        return text + (f", F1 {f1:.3f}" if f1 is not None else "")
    return ""


def side_by_side(results: dict[str, Any]) -> list[str]:
    rows = []
    for entry in results.get("sizes", []):
        systems = entry.get("systems", {})
        r = entry.get("ratios", {})
        first = True
        for name in ("pipeline", "floor", "splink", "baseline"):
            fig = systems.get(name)
            if not fig:
                continue
            vs_floor = vs_splink = "–"
            floor = systems.get("floor") or {}
            if fig.get("status") == "ok" and floor.get("status") == "ok":
                vs_floor = ratio(fig["wall_seconds"] / floor["wall_seconds"])
            if name == "pipeline":
                if "pipeline_over_splink_time" in r:
                    vs_splink = ratio(r["pipeline_over_splink_time"])
                elif "pipeline_over_splink_time_at_most" in r:
                    vs_splink = "< " + ratio(r["pipeline_over_splink_time_at_most"])
            timed_out = fig.get("status") == "timeout"
            rows.append(
                [
                    f"{entry['accounts']:,}" if first else "",
                    SYSTEM_LABELS.get(name, name),
                    ("> " if timed_out else "") + seconds(fig.get("wall_seconds")),
                    gigabytes(fig.get("peak_rss_bytes")),
                    vs_floor,
                    vs_splink,
                    _output(name, fig, entry),
                ]
            )
            first = False
    return _table(
        ["accounts", "system", "wall", "peak RSS", "time / floor", "time / Splink", "output"],
        rows,
        "rlrrrrl",
    )


def stage_table(results: dict[str, Any]) -> list[str]:
    entries = [e for e in results.get("sizes", []) if "stages" in e["systems"].get("pipeline", {})]
    if not entries:
        return ["(no pipeline run)"]
    names = [s for s in STAGE_ORDER if any(_stage(e, s) for e in entries)]
    headers = ["stage"]
    for e in entries:
        label = size_label(e["accounts"])
        headers += [f"{label}: time", f"{label}: peak RSS", f"{label}: rows out"]
    rows = []
    for name in names:
        row = [name]
        for e in entries:
            fig = _stage(e, name)
            stage_rows = e["systems"]["pipeline"].get("stage_rows", {})
            rows_out = stage_rows.get(name)
            if name in ("graph build", "graph build + communities"):
                rows_out = None
            if name == "communities":
                rows_out = stage_rows.get("communities")
            row += [
                seconds(fig["seconds"]) if fig else "–",
                gigabytes(fig["peak_rss_bytes"]) if fig else "–",
                count(rows_out),
            ]
        rows.append(row)
    outside = ["outside steps (start-up, imports, Dagster set-up)"]
    total = ["**total** (process wall, peak)"]
    for e in entries:
        p = e["systems"]["pipeline"]
        outside += [seconds(p.get("outside_steps_seconds")), "", ""]
        total += [
            f"**{seconds(p.get('wall_seconds'))}**",
            f"**{gigabytes(p.get('peak_rss_bytes'))}**",
            f"{count(p.get('edges'))} edges",
        ]
    rows += [outside, total]
    return _table(headers, rows, "l" + "rrr" * len(entries))


def _stage(entry: dict[str, Any], name: str) -> dict[str, Any] | None:
    for fig in entry["systems"].get("pipeline", {}).get("stages", []):
        if fig["stage"] == name:
            return dict(fig)
    return None


def communities_table(results: dict[str, Any]) -> list[str]:
    entries = [
        e
        for e in results.get("sizes", [])
        if e["systems"].get("pipeline", {}).get("communities_detail")
    ]
    if not entries:
        return []
    parts = list(entries[-1]["systems"]["pipeline"]["communities_detail"])
    rows = [
        [
            part.replace("_", " "),
            *(seconds(e["systems"]["pipeline"]["communities_detail"].get(part)) for e in entries),
        ]
        for part in parts
    ]
    return _table(
        ["part", *(size_label(e["accounts"]) for e in entries)], rows, "l" + "r" * len(entries)
    )


def top_steps(results: dict[str, Any], n: int = 5) -> list[str]:
    entries = [e for e in results.get("sizes", []) if e["systems"].get("pipeline", {}).get("steps")]
    if not entries:
        return []
    e = entries[-1]
    p = e["systems"]["pipeline"]
    steps = sorted(p["steps"], key=lambda s: -s["seconds"])[:n]
    rows = [
        [
            f"`{s['step']}`",
            s["stage"],
            seconds(s["seconds"]),
            f"{s['seconds'] / p['wall_seconds']:.0%}",
            gigabytes(s.get("peak_rss_bytes")),
        ]
        for s in steps
    ]
    return [
        f"Slowest steps at {e['accounts']:,} accounts:",
        "",
        *_table(["step", "stage", "time", "share of wall", "peak RSS"], rows, "llrrr"),
    ]


def slower_table(results: dict[str, Any]) -> list[str]:
    """Pipeline steps much slower than in the results this run replaced (see
    `bench.stages.slower_steps`); nothing when no size has one."""
    rows = []
    for e in results.get("sizes", []):
        found = e["systems"].get("pipeline", {}).get("slower_than_previous") or {}
        for s in found.get("steps", []):
            rows.append(
                [
                    f"{e['accounts']:,}",
                    f"`{s['step']}`",
                    seconds(s["before"]),
                    seconds(s["after"]),
                    f"{s['ratio']:.2f}x",
                    f"`{str(found.get('commit'))[:10]}`",
                ]
            )
    if not rows:
        return []
    return _table(["accounts", "step", "before", "now", "ratio", "before at"], rows, "rlrrrl")


def next_day_table(results: dict[str, Any]) -> list[str]:
    """The daily run (bench/next_day.py): the whole world typed from nothing against the run that
    finds the days before the last one in the store."""
    rows = []
    for entry in results.get("sizes", []):
        nd = entry.get("systems", {}).get("next_day")
        if not nd:
            continue
        cold, warm = nd.get("cold", {}), nd.get("next_day", {})
        staging = [_stage({"systems": {"pipeline": f}}, "staging") or {} for f in (cold, warm)]
        differing = nd.get("differing_tables")
        rows.append(
            [
                f"{entry['accounts']:,}",
                seconds(cold.get("wall_seconds")),
                seconds(warm.get("wall_seconds")),
                ratio(nd.get("next_day_over_cold_time")),
                seconds(staging[0].get("seconds")),
                seconds(staging[1].get("seconds")),
                gigabytes(warm.get("peak_rss_bytes")),
                f"{nd.get('days_typed_by_next_day', 0)}",
                "none" if differing == [] else ", ".join(differing or ["–"]),
            ]
        )
    if not rows:
        return []
    return _table(
        [
            "accounts",
            "full run",
            "next-day run",
            "next-day / full",
            "staging, full",
            "staging, next day",
            "next-day peak RSS",
            "days typed",
            "tables differing",
        ],
        rows,
        "rrrrrrrrl",
    )


def scaling_table(results: dict[str, Any]) -> list[str]:
    rows = []
    for s in results.get("scaling", []):
        rows.append(
            [
                f"{size_label(s['from'])} → {size_label(s['to'])}",
                ratio(s.get("size_ratio")),
                ratio(s.get("pipeline_time_ratio")),
                ratio(s.get("pipeline_rss_ratio")),
                ratio(s.get("floor_time_ratio")),
                ratio(s.get("splink_time_ratio")),
                ratio(s.get("baseline_time_ratio")),
            ]
        )
    if not rows:
        return []
    return _table(
        [
            "sizes",
            "accounts",
            "pipeline time",
            "pipeline RSS",
            "floor time",
            "Splink time",
            "baseline time",
        ],
        rows,
        "lrrrrrr",
    )


def quality_table(results: dict[str, Any]) -> list[str]:
    rows = []
    ref = results.get("reference") or {}
    if ref:
        rows.append(
            [
                f"{ref.get('accounts', 0):,} (kept in `{ref.get('source', '?')}`)",
                f"{ref.get('precision', 0):.3f}",
                f"{ref.get('recall', 0):.3f}",
                f"{ref.get('f1', 0):.3f}",
                f"{ref.get('benign_fpr', 0):.5f}",
                "",
                "",
            ]
        )
    for e in results.get("sizes", []):
        q = e.get("quality") or {}
        p, b = q.get("pipeline"), q.get("baseline") or {}
        if not p:
            continue
        rows.append(
            [
                f"{e['accounts']:,}",
                f"{p['precision']:.3f}",
                f"{p['recall']:.3f}",
                f"**{p['f1']:.3f}**",
                f"{p['benign_fpr']:.5f}",
                f"{q.get('farms_detected', '?')} / {q.get('farms_total', '?')}",
                f"{b.get('f1', 0):.3f}",
            ]
        )
    if not rows:
        return []
    return _table(
        ["accounts", "precision", "recall", "F1", "benign FPR", "farms detected", "baseline F1"],
        rows,
        "lrrrrrr",
    )


def targets_table(results: dict[str, Any]) -> list[str]:
    checks = results.get("target_check") or []
    if not checks:
        return []
    rows = [
        [
            c["target"],
            c["measured"],
            c["wanted"],
            {True: "yes", False: "**no**", None: "–"}[c["met"]],
        ]
        for c in checks
    ]
    return _table(["target (issue 4)", "measured", "wanted", "met"], rows, "lrrl")


NOTES = """\
How these figures are taken (`bench/`):

- Each system runs in its own child process, one after another, on the same seeded world
  (`data/generated/bench-<n>`, reused while its manifest matches). Wall time is the child's from
  start to exit, interpreter start-up and imports included; peak RSS is the kernel's maximum
  resident set of that child (`wait4`). All DuckDB connections get the same `memory_limit` and
  thread count.
- Pipeline stages are Dagster steps (ingest = `raw__*`/`ref__*`, staging = `staging__*`, keys =
  `features__*`, edges = `edges__*`, graph build and communities = `communities__*`, scoring =
  `scoring__*`, publish = `published`, `exports__*`), timed by Dagster's step stats. A stage's
  peak RSS is the highest RSS sampled (every 0.2 s) while its steps ran: the whole process's
  memory, including what earlier steps still hold. Graph build (reading the edges into arrays,
  `prepare_edges`, `graph_from_edges`) is told apart from communities (components, Leiden,
  pruning, writing the table) by timing hooks the bench wraps around those functions in its own
  process; nothing in `pipelines/` or `graph/` is changed. Rows out are the rows of the tables
  in the stage's schema (ingest: rows read, from `staging.accounting`).
- The floor reads every input table once, every column, and groups it by account (count,
  first and last timestamp, non-null count of each other column) into a DuckDB file: the least
  any pipeline over these inputs must do.
- Splink 5 deduplicates the sign-ups (one row per account id; emails lower-cased, phones reduced
  to digits) on DuckDB: blocking on device, IP and email; `EmailComparison`, `NameComparison`,
  `ExactMatch` on phone; u by random sampling (fixed seed), m by EM on the device and IP rules;
  `predict(0.9)` and `cluster_pairwise_predictions_at_threshold(0.9)`. Its time includes
  training. The prior stays at Splink's default. It answers a different question (same person?)
  than the pipeline (same operator?): it is here as the standard tool for matching accounts at
  this scale, for time and memory.
- The naive baseline is `sybil evaluate`'s: connected components over every shared identifier
  in `features.account_keys`. It reuses the pipeline's keys, so its time leaves out reading and
  normalising the input (the pipeline's ingest + staging + keys stages).
- Quality is `sybil evaluate` on the pipeline's ban list against the world's truth.
- Ratios are taken in one run on one machine, so they hold better than absolute times on a
  shared, noisy machine (the load average before each system is in results.json).
"""


def render_markdown(results: dict[str, Any]) -> str:
    lines = ["# Benchmark", "", machine_line(results), ""]
    lines += ["Reproduce: `make bench` (100k and 1M; `make bench BENCH_10M=1` adds 10M).", ""]
    lines += ["## Side by side", "", *side_by_side(results), ""]
    lines += ["## Pipeline stages", "", *stage_table(results), ""]
    comm = communities_table(results)
    if comm:
        lines += ["Inside the communities step:", "", *comm, ""]
    top = top_steps(results)
    if top:
        lines += [*top, ""]
    slower = slower_table(results)
    if slower:
        lines += ["## Steps slower than in the previous results", "", *slower, ""]
    daily = next_day_table(results)
    if daily:
        lines += ["## The next-day run", "", NEXT_DAY_NOTE, "", *daily, ""]
    scale = scaling_table(results)
    if scale:
        lines += ["## Scaling", "", *scale, ""]
    quality = quality_table(results)
    if quality:
        lines += ["## Detection quality", "", *quality, ""]
    targets = targets_table(results)
    if targets:
        lines += ["## Against the issue's targets", "", *targets, ""]
    lines += ["## How it is measured", "", NOTES]
    return "\n".join(lines).rstrip() + "\n"


def readme_block(results: dict[str, Any]) -> str:
    """The README's part: machine, side by side, stages, the next-day run, targets."""
    lines = [README_START, machine_line(results), ""]
    lines += [*side_by_side(results), ""]
    lines += [*stage_table(results), ""]
    daily = next_day_table(results)
    if daily:
        lines += [NEXT_DAY_NOTE, "", *daily, ""]
    targets = targets_table(results)
    if targets:
        lines += [*targets, ""]
    lines += [README_END]
    return "\n".join(lines)


def update_readme(path: Path, results: dict[str, Any]) -> None:
    """Replace the text between the bench markers of `path` with the latest tables."""
    text = path.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no {README_START} ... {README_END} block")
    path.write_text(text[:start] + readme_block(results) + text[end + len(README_END) :])


def main(argv: Sequence[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("results", type=Path, nargs="?", default=here / "results.json")
    parser.add_argument("--md", type=Path, default=here / "results.md")
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    args.md.write_text(render_markdown(results))
    if args.readme:
        update_readme(args.readme, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
