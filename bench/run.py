"""`python -m bench` (or `sybil bench`, `make bench`): the pipeline beside a floor, Splink and the
naive baseline, on seeded worlds of each size; writes bench/results.json and bench/results.md.

Every system runs in its own child process, one after another, so each one's wall time and peak
RSS are its own. For the pipeline, an RSS sample every 0.2 s is attributed to the Dagster step
running at that moment, which gives time and memory per stage.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import stages as st
from bench.measure import Measurement, run_measured
from bench.next_day import run_next_day
from bench.report import render_markdown, update_readme
from bench.worlds import World, ensure_world
from pipelines.settings import DEFAULT_MEMORY_LIMIT

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100_000, 1_000_000)
TEN_MILLION = 10_000_000
# What the issue asks of the pipeline (issue 4, "Done when").
TARGETS = {
    "wall_seconds_1m": 120.0,
    "peak_rss_bytes_1m": 6e9,
    "scaling_100k_to_1m": 12.0,
    "edges_per_account": 20.0,
    "wall_seconds_10m": 1200.0,
    "peak_rss_bytes_10m": 24e9,
    "f1_tolerance": 0.01,
}
REFERENCE_REPORT = ROOT / "docs" / "evaluation" / "seed-7" / "report.json"
# Free disk a pipeline run needs, as a multiple of its world's files: at 10M accounts (7.1 GB
# of Parquet) the work folder and DuckDB's spill files beside it took up to 44 GB at once.
DISK_PER_INPUT_BYTE = 7.0


class NotEnoughDisk(RuntimeError):
    """A size's runs would fill the disk; said before they start, not 37 minutes in."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = list(args.sizes or DEFAULT_SIZES)
    if args.with_10m and TEN_MILLION not in sizes:
        sizes.append(TEN_MILLION)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - {"pipeline", "floor", "splink", "baseline", "next_day"}
    if unknown:
        print(f"bench: unknown system(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.no_splink and "splink" in systems:
        systems.remove("splink")

    results: dict[str, Any] = {
        "schema": 1,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info(),
        "settings": {
            "seed": args.seed,
            "memory_limit": args.memory_limit,
            "threads": args.threads,
            "sample_interval_seconds": 0.2,
            "splink": {"max_pairs": args.splink_max_pairs, "timeout_seconds": args.splink_timeout},
            "systems": systems,
        },
        "targets": TARGETS,
        "reference": reference_quality(),
        "sizes": [],
    }
    previous = json.loads(args.json.read_text()) if args.json.is_file() else {}
    if args.merge:
        results["sizes"] = previous.get("sizes", [])
    for n in sorted(sizes):
        print(f"bench: {n:,} accounts")
        try:
            entry = bench_size(n, args, systems)
        except NotEnoughDisk as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2
        compare_steps(
            entry, next((s for s in previous.get("sizes", []) if s["accounts"] == n), None)
        )
        # Merged sizes may come from earlier runs: each says when and at which commit it ran.
        entry["measured"] = {
            "at": results["generated_at"],
            "commit": results["machine"].get("git", {}).get("commit"),
        }
        if args.merge:  # keep the systems not run this time
            before = next((s for s in results["sizes"] if s["accounts"] == n), None)
            if before is not None:
                entry["systems"] = {**before.get("systems", {}), **entry["systems"]}
                entry = {**before, **entry, "ratios": ratios(entry["systems"])}
        results["sizes"] = sorted(
            [s for s in results["sizes"] if s["accounts"] != n] + [entry],
            key=lambda s: s["accounts"],
        )
        results["scaling"] = scaling(results["sizes"])
        results["target_check"] = check_targets(results)
        write_results(results, args.json, args.md)
    if args.readme is not None:
        update_readme(args.readme, results)
        print(f"bench: README table updated in {args.readme}")
    print(f"bench: wrote {args.json} and {args.md}")
    return 0


def compare_steps(entry: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Record (and print) the pipeline's steps that got much slower than in the previous results
    of the same size: a regression of speed shows up in the run that made it, not sessions later
    in someone's reading of the table."""
    before = before or {}
    now = entry["systems"].get("pipeline") or {}
    was = (before.get("systems") or {}).get("pipeline") or {}
    if now.get("status") != "ok" or was.get("status") != "ok":
        return
    slower = st.slower_steps(was.get("steps") or [], now.get("steps") or [])
    commit = (before.get("measured") or {}).get("commit")
    now["slower_than_previous"] = {"commit": commit, "steps": slower}
    for s in slower:
        print(
            f"bench: slower than at {str(commit)[:10]}: {s['step']} "
            f"{s['before']:.1f} s -> {s['after']:.1f} s ({s['ratio']}x)"
        )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--sizes",
        type=lambda v: [int(float(x)) for x in v.replace(",", " ").split()],
        default=None,
        help="account counts, e.g. '100000 1000000' (default: 100k and 1M)",
    )
    p.add_argument("--with-10m", action="store_true", help="add the 10M-account world")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--systems",
        default="pipeline,floor,baseline,splink",
        help="any of pipeline, floor, baseline, splink, next_day (bench/next_day.py)",
    )
    p.add_argument("--no-splink", action="store_true")
    p.add_argument(
        "--memory-limit", default=os.environ.get("SYBIL_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    )
    p.add_argument("--threads", type=int, default=int(os.environ.get("SYBIL_THREADS") or 0))
    p.add_argument("--splink-max-pairs", type=float, default=1e7)
    p.add_argument("--splink-timeout", type=float, default=1800.0)
    p.add_argument("--timeout", type=float, default=3600.0, help="for each other system")
    p.add_argument("--worlds", type=Path, default=ROOT / "data" / "generated")
    p.add_argument("--work", type=Path, default=ROOT / "data" / "warehouse" / "bench")
    p.add_argument("--logs", type=Path, default=ROOT / "bench" / "out")
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    p.add_argument("--md", type=Path, default=ROOT / "bench" / "results.md")
    p.add_argument("--readme", type=Path, default=None, help="update this README's bench table")
    p.add_argument(
        "--merge", action="store_true", help="keep other sizes already in --json (re-run some)"
    )
    return p


def bench_size(n: int, args: argparse.Namespace, systems: Sequence[str]) -> dict[str, Any]:
    world = ensure_world(args.worlds, n, seed=args.seed)
    work = args.work / str(n)
    logs = args.logs / str(n)
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "warehouse.duckdb"
    exports = work / "exports"
    common = ["--memory-limit", args.memory_limit, "--threads", str(args.threads)]
    entry: dict[str, Any] = {
        "accounts": n,
        "world": {
            "path": _rel(world.path),
            "seed": world.seed,
            "reused": world.reused,
            "generate_seconds": round(world.generate_seconds, 2),
            "rows": world.rows,
            "rows_per_account": {t: round(r / n, 2) for t, r in world.rows.items()},
        },
        "systems": {},
    }
    out: dict[str, Any] = entry["systems"]

    if "pipeline" in systems:
        child_out = logs / "pipeline.json"
        child_out.unlink(missing_ok=True)
        # A full run from nothing: the store of typed days a previous bench left goes too.
        shutil.rmtree(work / "warehouse.work", ignore_errors=True)
        check_disk(work, world.path, n)
        m, load = _run(
            "pipeline",
            [
                "-m",
                "bench.pipeline",
                "--raw",
                str(world.path),
                "--warehouse",
                str(warehouse),
                "--exports",
                str(exports),
                "--out",
                str(child_out),
                *common,
            ],
            logs,
            args.timeout,
        )
        out["pipeline"] = pipeline_figures(m, _load(child_out), load)
        if out["pipeline"]["status"] == "ok":
            out["pipeline"].update(warehouse_figures(warehouse))
            entry["quality"] = quality(world, warehouse, exports, logs)
    if "floor" in systems:
        child_out = logs / "floor.json"
        m, load = _run(
            "floor",
            [
                "-m",
                "bench.floor",
                "--raw",
                str(world.path),
                "--db",
                str(work / "floor.duckdb"),
                "--out",
                str(child_out),
                "--temp-dir",
                str(work / "tmp-floor"),
                *common,
            ],
            logs,
            args.timeout,
        )
        out["floor"] = system_figures(m, _load(child_out), load)
        (work / "floor.duckdb").unlink(missing_ok=True)
    if "baseline" in systems and warehouse.is_file():
        child_out = logs / "baseline.json"
        m, load = _run(
            "baseline",
            ["-m", "bench.baseline", "--warehouse", str(warehouse), "--out", str(child_out)],
            logs,
            args.timeout,
        )
        out["baseline"] = system_figures(m, _load(child_out), load)
    if "splink" in systems:
        child_out = logs / "splink.json"
        child_out.unlink(missing_ok=True)
        m, load = _run(
            "splink",
            [
                "-m",
                "bench.splink_dedupe",
                "--raw",
                str(world.path),
                "--out",
                str(child_out),
                "--max-pairs",
                str(args.splink_max_pairs),
                "--seed",
                str(args.seed),
                "--temp-dir",
                str(work / "tmp-splink"),
                *common,
            ],
            logs,
            args.splink_timeout,
        )
        out["splink"] = system_figures(m, _load(child_out), load)
        out["splink"]["blocking"] = blocking_pairs(world.path)
    if "next_day" in systems:
        check_disk(work, world.path, n)
        out["next_day"] = run_next_day(
            world,
            work / "next_day",
            logs / "next_day",
            common,
            args.timeout,
            _run,
            pipeline_figures,
        )
    entry["ratios"] = ratios(out)
    return entry


def check_disk(work: Path, world: Path, accounts: int) -> None:
    """Raise NotEnoughDisk when the disk holding `work` has less free space than a run over
    `world` needs (`DISK_PER_INPUT_BYTE` times the world's files)."""
    size = sum(f.stat().st_size for f in world.rglob("*") if f.is_file())
    need = size * DISK_PER_INPUT_BYTE
    free = shutil.disk_usage(work).free
    if free < need:
        raise NotEnoughDisk(
            f"{accounts:,} accounts need about {_bytes(need)} free for the work folder and "
            f"spill ({DISK_PER_INPUT_BYTE}x the world's {_bytes(size)}), and {work} has "
            f"{_bytes(free)}: free some space or give --work on a larger disk"
        )


def _bytes(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _run(name: str, argv: list[str], logs: Path, timeout: float) -> tuple[Measurement, float]:
    load = os.getloadavg()[0]
    print(f"  {name}: running (load average {load:.2f})", flush=True)
    m = run_measured(
        [sys.executable, *argv], log_dir=logs, name=name, timeout=timeout, cwd=ROOT, env=_env()
    )
    state = "timed out" if m.timed_out else ("ok" if m.ok else f"failed ({m.returncode})")
    print(
        f"  {name}: {state} in {m.wall_seconds:.1f} s, peak RSS {m.peak_rss_bytes / 1e9:.2f} GB",
        flush=True,
    )
    if not m.ok and m.stderr_tail:
        print("    " + m.stderr_tail.replace("\n", "\n    "), flush=True)
    (logs / f"{name}.samples.json").write_text(json.dumps(m.samples))
    return m, load


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _status(m: Measurement) -> str:
    if m.timed_out:
        return "timeout"
    return "ok" if m.returncode == 0 else "failed"


def system_figures(
    m: Measurement, child: dict[str, Any], load: float | None = None
) -> dict[str, Any]:
    """Wall time and peak RSS of a child process, with what it reported about its work."""
    figures: dict[str, Any] = {
        "status": _status(m),
        "load_average_before": None if load is None else round(load, 2),
        "wall_seconds": round(m.wall_seconds, 3),
        "peak_rss_bytes": m.peak_rss_bytes,
        **{k: v for k, v in child.items() if k not in ("status",)},
    }
    if m.timed_out:
        figures["timeout_seconds"] = round(m.wall_seconds, 1)
    if not m.ok:
        figures["error"] = m.stderr_tail.splitlines()[-1] if m.stderr_tail else ""
    return figures


def pipeline_figures(
    m: Measurement, child: dict[str, Any], load: float | None = None
) -> dict[str, Any]:
    """The pipeline's wall time and peak RSS, per step and per stage (see bench.stages)."""
    figures = system_figures(m, {}, load)
    if not child:
        return figures
    figures["run_seconds"] = round(float(child.get("run_seconds", 0.0)), 3)
    figures["failed_step"] = child.get("failed_step", "")
    figures["reason"] = child.get("reason", "")
    if child.get("success") is False and figures["status"] == "ok":
        figures["status"] = "failed"
    spans = sorted(
        (st.Span(step, float(a), float(b)) for step, (a, b) in child.get("step_spans", {}).items()),
        key=lambda s: s.start,
    )
    marks = [st.Span(str(n), float(a), float(b)) for n, a, b in child.get("marks", [])]
    samples = [(float(t), int(r)) for t, r in m.samples]
    items: list[tuple[str, st.Span]] = []
    split_detail: dict[str, float] | None = None
    for span in spans:
        stage = st.stage_of(span.name)
        parts = st.split_communities(span, marks) if stage == st.GRAPH_AND_COMMUNITIES else None
        if parts is None:
            items.append((stage, span))
            continue
        items += [(p.name, st.Span(span.name, p.start, p.end)) for p in parts]
        split_detail = communities_detail(span, marks)
    figures["steps"] = [
        {
            "step": s.name,
            "stage": st.stage_of(s.name),
            "seconds": round(s.seconds, 3),
            "peak_rss_bytes": st.peak_in(samples, s.start, s.end),
        }
        for s in spans
    ]
    figures["stages"] = [
        {
            "stage": f.stage,
            "seconds": round(f.seconds, 3),
            "peak_rss_bytes": f.peak_rss_bytes,
            "steps": list(f.steps),
        }
        for f in st.stage_figures(items, samples)
    ]
    figures["steps_seconds"] = round(sum(s.seconds for s in spans), 3)
    # Interpreter start-up, imports, Dagster's job set-up and the summary: the process's wall
    # time outside every step.
    figures["outside_steps_seconds"] = round(m.wall_seconds - figures["steps_seconds"], 3)
    figures["communities_split"] = split_detail is not None
    if split_detail is not None:
        figures["communities_detail"] = split_detail
    return figures


def communities_detail(step: st.Span, marks: Sequence[st.Span]) -> dict[str, float]:
    """Seconds inside the communities step, by part, from the timing marks."""
    inside = [m for m in marks if step.start <= m.start and m.end <= step.end]

    def total(name: str) -> float:
        return sum(m.seconds for m in inside if m.name == name)

    detect = [m for m in inside if m.name == "detect_communities"]
    prune = [m for m in inside if m.name == "prune_weak_members"]
    detail = {
        "open_and_load_edges": (detect[0].start - step.start) if detect else 0.0,
        "prepare_edges": total("prepare_edges"),
        "graph_from_edges": total("graph_from_edges"),
        "components_leiden_labels": total("detect_communities")
        - total("prepare_edges")
        - total("graph_from_edges"),
        "prune": total("prune_weak_members"),
        # The cut (between the two prunings): the member-value SQL, then the graph work.
        "cut_member_values": total("_cut_at_chance_values") - total("split_at_chance_values"),
        "cut_split": total("split_at_chance_values"),
        # Weak ties and the tables, after the last pruning.
        "write_table": (step.end - prune[-1].end) if prune else 0.0,
    }
    return {k: round(v, 3) for k, v in detail.items()}


def warehouse_figures(warehouse: Path) -> dict[str, Any]:
    """Rows per stage (tables of its schemas), edges and edges per account, from the warehouse."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        counts = {
            f"{schema}.{name}": int(
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            )
            for schema, name in tables
        }
        try:
            rows_read = int(
                con.execute(
                    "select coalesce(sum(rows_read), 0) from staging.accounting"
                ).fetchall()[0][0]
            )
        except duckdb.Error:
            rows_read = None
    finally:
        con.close()
    rows = {"ingest": rows_read}
    for stage, schemas in st.STAGE_SCHEMAS.items():
        rows[stage] = sum(v for k, v in counts.items() if k.split(".")[0] in schemas)
    accounts = counts.get("staging.signups", 0)
    edges = counts.get("edges.similarity_edges", 0)
    return {
        "accounts": accounts,
        "edges": edges,
        "edges_per_account": round(edges / accounts, 3) if accounts else None,
        "stage_rows": rows,
        "table_rows": counts,
    }


def quality(world: World, warehouse: Path, exports: Path, logs: Path) -> dict[str, Any]:
    """`sybil evaluate` on the pipeline's outputs (a child process; not timed as a system)."""
    report = logs / "evaluate.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sybil.cli",
            "evaluate",
            "--truth",
            str(world.truth),
            "--warehouse",
            str(warehouse),
            "--exports",
            str(exports),
            "--json",
            str(report),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    data = _load(report)
    if proc.returncode != 0 or not data:
        return {"error": (proc.stderr.strip().splitlines() or ["evaluate failed"])[-1]}
    keep = ("precision", "recall", "f1", "benign_fpr", "tp", "fp", "fn", "tn")
    return {
        "pipeline": {k: data["overall"][k] for k in keep},
        "baseline": {k: data["baseline"][k] for k in keep},
        "farms_detected": data.get("farms_detected"),
        "farms_total": data.get("farms_total"),
        "flagged_cluster_purity": data.get("flagged_cluster_purity"),
    }


def blocking_pairs(raw: Path) -> dict[str, Any]:
    """Pairs each Splink prediction rule generates (sum of n(n-1)/2 over its blocks), and the
    largest block: why Splink takes the time it does. Counted here, outside Splink's timing."""
    import duckdb

    from bench.floor import source
    from bench.splink_dedupe import BLOCKING_COLUMNS

    src = source(raw, "signups")
    if src is None:
        return {}
    con = duckdb.connect()
    try:
        out: dict[str, Any] = {}
        for column in BLOCKING_COLUMNS:
            value = f"nullif(lower(trim({column}::varchar)), '')"
            pairs, largest = con.execute(
                f"select coalesce(sum(n * (n - 1) // 2), 0), coalesce(max(n), 0) from ("
                f"select count(*)::hugeint as n from {src} where {value} is not null "
                f"group by {value})"
            ).fetchall()[0]
            out[column] = {"pairs": int(pairs), "largest_block": int(largest)}
        return out
    finally:
        con.close()


def ratios(systems: dict[str, Any]) -> dict[str, Any]:
    """Pipeline wall time and peak RSS over the floor's and Splink's (same run, same machine)."""
    out: dict[str, Any] = {}
    pipe = systems.get("pipeline", {})
    if pipe.get("status") != "ok":
        return out
    for other in ("floor", "splink", "baseline"):
        fig = systems.get(other)
        if not fig:
            continue
        if fig.get("status") == "ok" and fig.get("wall_seconds"):
            out[f"pipeline_over_{other}_time"] = round(
                pipe["wall_seconds"] / fig["wall_seconds"], 3
            )
            out[f"pipeline_over_{other}_rss"] = round(
                pipe["peak_rss_bytes"] / fig["peak_rss_bytes"], 3
            )
        elif fig.get("status") == "timeout":
            # Splink did not finish: the pipeline took at most this share of Splink's time.
            out[f"pipeline_over_{other}_time_at_most"] = round(
                pipe["wall_seconds"] / fig["wall_seconds"], 3
            )
    return out


def scaling(sizes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time and memory ratios between consecutive sizes, per system."""
    out = []
    for small, big in itertools.pairwise(sizes):
        row: dict[str, Any] = {
            "from": small["accounts"],
            "to": big["accounts"],
            "size_ratio": round(big["accounts"] / small["accounts"], 3),
        }
        for name in ("pipeline", "floor", "splink", "baseline"):
            a, b = small["systems"].get(name), big["systems"].get(name)
            if a and b and a.get("status") == "ok" and b.get("status") == "ok":
                row[f"{name}_time_ratio"] = round(b["wall_seconds"] / a["wall_seconds"], 3)
                row[f"{name}_rss_ratio"] = round(b["peak_rss_bytes"] / a["peak_rss_bytes"], 3)
        out.append(row)
    return out


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's "done when" list against what this run measured (None: not measured)."""
    by_size = {s["accounts"]: s for s in results["sizes"]}
    pipe = {n: s["systems"].get("pipeline", {}) for n, s in by_size.items()}
    checks: list[dict[str, Any]] = []

    def add(name: str, measured: Any, target: str, met: bool | None) -> None:
        checks.append({"target": name, "measured": measured, "wanted": target, "met": met})

    one_m = pipe.get(1_000_000, {})
    if one_m.get("status") == "ok":
        add(
            "1M: wall time",
            f"{one_m['wall_seconds']:.0f} s",
            "<= 120 s",
            one_m["wall_seconds"] <= TARGETS["wall_seconds_1m"],
        )
        add(
            "1M: peak RSS",
            f"{one_m['peak_rss_bytes'] / 1e9:.1f} GB",
            "<= 6 GB",
            one_m["peak_rss_bytes"] <= TARGETS["peak_rss_bytes_1m"],
        )
        ref = (results.get("reference") or {}).get("f1")
        f1 = ((by_size[1_000_000].get("quality") or {}).get("pipeline") or {}).get("f1")
        if ref is not None and f1 is not None:
            add(
                "1M: F1 within 0.01 of 50k",
                f"{f1:.3f} (50k: {ref:.3f})",
                "within 0.01",
                abs(f1 - ref) <= TARGETS["f1_tolerance"],
            )
    for row in results.get("scaling", []):
        if row["from"] == 100_000 and row["to"] == 1_000_000 and "pipeline_time_ratio" in row:
            add(
                "100k -> 1M time",
                f"{row['pipeline_time_ratio']:.1f}x",
                "<= 12x",
                row["pipeline_time_ratio"] <= TARGETS["scaling_100k_to_1m"],
            )
    for n, p in sorted(pipe.items()):
        if p.get("edges_per_account") is not None:
            add(
                f"{_short(n)}: edges per account",
                f"{p['edges_per_account']:.1f}",
                "<= 20",
                p["edges_per_account"] <= TARGETS["edges_per_account"],
            )
    ten = pipe.get(TEN_MILLION, {})
    if ten:
        ok = ten.get("status") == "ok"
        minutes = ten.get("wall_seconds", 0) / 60
        measured = f"{minutes:.1f} min, {ten.get('peak_rss_bytes', 0) / 1e9:.1f} GB"
        if not ok:
            where = f" at {ten['failed_step']}" if ten.get("failed_step") else ""
            measured = f"{ten.get('status', 'not run')}{where} after {measured}"
        add(
            "10M: completes",
            measured,
            "<= 20 min in 24 GB",
            ok
            and ten["wall_seconds"] <= TARGETS["wall_seconds_10m"]
            and ten["peak_rss_bytes"] <= TARGETS["peak_rss_bytes_10m"],
        )
    for n, s in sorted(by_size.items()):
        r = s.get("ratios", {})
        if "pipeline_over_splink_time" in r:
            add(
                f"{_short(n)}: faster than Splink",
                f"{r['pipeline_over_splink_time']:.2f}x Splink's time",
                "< 1x",
                r["pipeline_over_splink_time"] < 1,
            )
        elif "pipeline_over_splink_time_at_most" in r:
            add(
                f"{_short(n)}: faster than Splink",
                "Splink timed out",
                "< 1x",
                r["pipeline_over_splink_time_at_most"] < 1,
            )
    return checks


def _short(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def reference_quality(path: Path = REFERENCE_REPORT) -> dict[str, Any]:
    """F1 and friends at 50k accounts (seed 7) as kept in docs/evaluation: the quality bar."""
    try:
        overall = json.loads(path.read_text())["evaluation"]["overall"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        "source": _rel(path),
        "accounts": 50_000,
        **{k: overall[k] for k in ("precision", "recall", "f1", "benign_fpr") if k in overall},
    }


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for dist in ("duckdb", "igraph", "leidenalg", "polars", "dagster", "splink"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)),
        "memory_bytes": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "git": git_info(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_info() -> dict[str, Any]:
    def git(*cmd: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), *cmd], capture_output=True, text=True, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def write_results(results: dict[str, Any], json_path: Path, md_path: Path) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    md_path.write_text(render_markdown(results))


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
