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
    run.add_argument("--quiet", action="store_true", help="print only the summary")

    ev = sub.add_parser("evaluate", help="precision, recall, F1 and benign FPR against truth")
    ev.add_argument("--truth", type=Path, required=True)
    ev.add_argument("--warehouse", type=Path, required=True)
    ev.add_argument("--exports", type=Path, required=True)
    ev.add_argument("--json", type=Path, default=None, help="also write the report as JSON")

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "run":
            return _run(args)
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
    from sybil.generate import write_world

    started = time.perf_counter()
    counts = write_world(args.out, args.accounts, seed=args.seed, dirty_rate=args.dirty_rate)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"generated {args.out} in {elapsed:.1f} s: {summary}")
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here: loading the pipeline reads SYBIL_* settings, whose errors main() reports.
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
    )
    if not settings.raw_dir.is_dir():
        raise ValueError(f"raw folder not found: {settings.raw_dir} (give --raw or SYBIL_RAW_DIR)")
    outcome = run_pipeline(settings, seed=args.seed, progress=None if args.quiet else print)
    if not outcome.success:
        print(
            f"sybil run: failed at {outcome.failed_step}: {outcome.reason} "
            f"(the warehouse and exports are unchanged)",
            file=sys.stderr,
        )
        return 1
    print(outcome.summary)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from sybil.evaluate import evaluate, format_report, report_to_dict

    report = evaluate(args.truth, args.warehouse, args.exports)
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report_to_dict(report), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
