"""The `sybil` command: generate a world, run the pipeline, evaluate it against truth."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        # Its own options (`sybil bench --help`): handed over whole to the bench's parser.
        from bench.run import main as bench_main

        return bench_main(argv[1:])
    parser = argparse.ArgumentParser(prog="sybil", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic world (input tables + truth.parquet)")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--accounts", type=int, default=50_000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument(
        "--dirty-rate",
        type=float,
        default=0.001,
        help="share of malformed rows mixed in, to exercise quarantine",
    )
    gen.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    gen.add_argument(
        "--chunk-accounts",
        type=int,
        default=None,
        help="a bigger world is generated as independent chunks of about this many accounts, one "
        "at a time (Parquet tables become folders of one file per chunk; default 1,000,000)",
    )

    cut = sub.add_parser(
        "cut", help="a Parquet world as of an earlier time (to replay runs day by day)"
    )
    cut.add_argument("--raw", type=Path, required=True, help="the whole world (Parquet)")
    cut.add_argument("--until", required=True, help="ISO time, UTC unless an offset is given")
    cut.add_argument("--out", type=Path, required=True)
    cut.add_argument(
        "--by-day",
        action="store_true",
        help="write payments, sessions and api_usage as one Parquet file per day (daily drops)",
    )

    run = sub.add_parser("run", help="materialize every asset in-process")
    run.add_argument("--raw", type=Path, help="input folder (default: $SYBIL_RAW_DIR)")
    run.add_argument("--warehouse", type=Path, help="DuckDB file (default: $SYBIL_WAREHOUSE)")
    run.add_argument("--exports", type=Path, help="exports folder (default: $SYBIL_EXPORTS)")
    run.add_argument("--seed", type=int, default=None, help="Leiden seed (default 7)")
    run.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 8GB")
    run.add_argument("--threads", type=int, default=None, help="DuckDB threads (0: all cores)")
    run.add_argument("--temp-dir", type=Path, default=None, help="DuckDB spill folder")
    run.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="work folder: work database, personal data, secret (default: WAREHOUSE stem + .work)",
    )
    run.add_argument(
        "--max-ban-share",
        type=float,
        default=None,
        help="hold the ban list back if it would ban more than this share of active accounts "
        "(default: $SYBIL_MAX_BAN_SHARE or 0.30)",
    )
    run.add_argument("--quiet", action="store_true", help="print only the summary")

    ev = sub.add_parser("evaluate", help="precision, recall, F1 and benign FPR against truth")
    ev.add_argument("--truth", type=Path, required=True)
    ev.add_argument("--warehouse", type=Path, required=True)
    ev.add_argument("--exports", type=Path, required=True)
    ev.add_argument("--json", type=Path, default=None, help="also write the report as JSON")
    ev.add_argument(
        "--report",
        type=Path,
        default=None,
        help="write the full report (by style, ablation, leave-one-style-out, PR curve) here",
    )
    ev.add_argument("--raw", type=Path, default=None, help="the world's input (for the ablation)")
    ev.add_argument("--no-ablation", action="store_true", help="skip the ablation re-runs")

    tr = sub.add_parser(
        "train", help="fit the cluster risk model on generated worlds (seeds unused by evaluation)"
    )
    tr.add_argument("--seeds", default="101,102,103", help="comma-separated world seeds")
    tr.add_argument("--accounts", type=int, default=50_000)
    tr.add_argument("--target-fpr", type=float, default=0.0005, help="benign FPR for flagging")
    tr.add_argument(
        "--refit",
        action="store_true",
        help="refit on the kept training clusters (data/training/) instead of new worlds",
    )

    rep = sub.add_parser(
        "report", help="one cluster as a self-contained HTML page for an investigator"
    )
    rep.add_argument("cluster_id", help="a cluster_id of published.clusters")
    rep.add_argument("--warehouse", type=Path, help="DuckDB file (default: $SYBIL_WAREHOUSE)")
    rep.add_argument(
        "--out", type=Path, default=None, help="HTML file (default: ./report-CLUSTER_ID.html)"
    )

    sub.add_parser(
        "bench",
        help="the pipeline beside a floor, Splink and the naive baseline at 100k and 1M accounts "
        "(bench/results.json and .md; `sybil bench --help`)",
    )

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "run":
            return _run(args)
        if args.command == "cut":
            return _cut(args)
        if args.command == "train":
            return _train(args)
        if args.command == "report":
            return _report(args)
        return _evaluate(args)
    except (ValueError, OSError) as exc:  # SettingsError and EvaluationError are ValueErrors
        print(f"sybil {args.command}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sybil {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Anything else is a bug, still told in one line; SYBIL_DEBUG=1 shows the traceback.
        if os.environ.get("SYBIL_DEBUG"):
            raise
        print(
            f"sybil {args.command}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(SYBIL_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _generate(args: argparse.Namespace) -> int:
    from sybil.generate import DEFAULT_CHUNK_ACCOUNTS, write_world

    chunk = DEFAULT_CHUNK_ACCOUNTS if args.chunk_accounts is None else args.chunk_accounts
    started = time.perf_counter()
    counts = write_world(
        args.out,
        args.accounts,
        seed=args.seed,
        dirty_rate=args.dirty_rate,
        fmt=args.format,
        chunk_accounts=chunk,
    )
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    chunks = -(-args.accounts // chunk)
    how = f" ({chunks} chunks)" if chunks > 1 else ""
    print(f"generated {args.out}{how} in {elapsed:.1f} s: {summary}")
    return 0


def _cut(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from sybil.cut import cut_world

    try:
        until = datetime.fromisoformat(str(args.until).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--until: not an ISO 8601 time: {args.until!r}") from None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    counts = cut_world(args.raw, args.out, until, by_day=args.by_day)
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"wrote {args.out} as of {until.isoformat()}: {summary}")
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here: loading the pipeline reads SYBIL_* settings, whose errors main() reports.
    from pipelines.publish.export import HELD_PREFIX
    from pipelines.settings import Settings
    from sybil.runner import run_pipeline

    settings = Settings.from_env().with_overrides(
        raw_dir=args.raw,
        warehouse=args.warehouse,
        exports=args.exports,
        memory_limit=args.memory_limit,
        threads=args.threads,
        temp_directory=args.temp_dir,
        work_dir=args.work_dir,
        max_ban_share=args.max_ban_share,
    )
    if not settings.raw_dir.is_dir():
        raise ValueError(f"raw folder not found: {settings.raw_dir} (give --raw or SYBIL_RAW_DIR)")
    outcome = run_pipeline(settings, seed=args.seed, progress=None if args.quiet else _stderr)
    if not outcome.success:
        # A held ban list is the one failure that publishes the warehouse; its reason says so.
        if outcome.reason.startswith(HELD_PREFIX):
            after = ""
        elif outcome.failed_step.startswith("reports__"):
            after = " (the warehouse and ban list were published; the reports are not up to date)"
        else:
            after = " (the warehouse and exports are unchanged)"
        print(
            f"sybil run: failed at {outcome.failed_step}: {outcome.reason}{after}",
            file=sys.stderr,
        )
        return 1
    print(outcome.summary)
    return 0


def _report(args: argparse.Namespace) -> int:
    from pipelines.settings import Settings
    from sybil.report import write_report

    warehouse = args.warehouse or Settings.from_env().warehouse
    out = write_report(warehouse, args.cluster_id, args.out or _default_report(args.cluster_id))
    print(f"report written to {out}")
    return 0


def _default_report(cluster_id: str) -> Path:
    # The id comes from the command line: keep only what is safe in a file name.
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in cluster_id)[:64]
    return Path(f"report-{safe}.html")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _train(args: argparse.Namespace) -> int:
    from sybil.train import MODEL_FILE, TRAINING_TABLE, Targets, train

    seeds = tuple(int(s) for s in str(args.seeds).split(",") if s.strip())
    started = time.perf_counter()
    model = train(
        seeds, args.accounts, targets=Targets(target_fpr=args.target_fpr), refit=args.refit
    )
    print(
        f"trained on {len(seeds)} worlds in {time.perf_counter() - started:.0f} s: "
        f"flag at {model.flag_threshold}, review at {model.review_threshold}; "
        f"wrote {MODEL_FILE} and {TRAINING_TABLE}"
    )
    width = max(len(f) for f in model.features)
    for name, family, coef in sorted(
        zip(model.features, model.families, model.coef, strict=True), key=lambda t: -abs(t[2])
    ):
        print(f"  {name:<{width}}  {family:<9} {coef:+.3f}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from sybil.evaluate import evaluate, format_report, report_to_dict

    if args.report is not None:
        from sybil.evaluation_report import summary_line, write_report

        if args.raw is None and not args.no_ablation:
            raise ValueError("--report needs --raw (the ablation re-runs the pipeline on it)")
        body = write_report(
            args.report,
            raw=args.raw or args.truth.parent,
            truth=args.truth,
            warehouse=args.warehouse,
            exports=args.exports,
            with_ablation=not args.no_ablation,
        )
        print(f"report written to {args.report}: {summary_line(body)}")
        return 0
    report = evaluate(args.truth, args.warehouse, args.exports)
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report_to_dict(report), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
