"""Child process: `sybil run` as the CLI runs it, plus the step timings the bench needs.

`python -m bench.pipeline --raw DIR --warehouse FILE --exports DIR --out FILE.json [...]` runs
`sybil.runner.run_pipeline` once and writes its outcome, each step's start and end (Unix time)
and timing marks taken inside the communities step.

The marks come from wrapping, in this process only, `detect_communities`,
`prune_weak_members`, `_cut_at_chance_values` (the member-value SQL and the split) and
`split_at_chance_values` as the communities asset calls them and `prepare_edges` and
`graph_from_edges` as `graph.communities` calls them. Nothing in `pipelines/` or `graph/` is
edited; a wrapper whose target has been renamed is skipped, and the report then gives graph
build and communities together.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MARKS: list[tuple[str, float, float]] = []

_HOOKS: tuple[tuple[str, str], ...] = (
    ("pipelines.communities.assets", "detect_communities"),
    ("pipelines.communities.assets", "prune_weak_members"),
    ("pipelines.communities.assets", "_cut_at_chance_values"),
    ("pipelines.communities.assets", "split_at_chance_values"),
    ("graph.communities", "prepare_edges"),
    ("graph.communities", "graph_from_edges"),
)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            MARKS.append((name, start, time.time()))

    return wrapper


def install_marks() -> list[str]:
    """Wrap the functions of `_HOOKS` that exist; returns the ones wrapped."""
    import importlib

    installed = []
    for module_name, attr in _HOOKS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fn = getattr(module, attr, None)
        if callable(fn):
            setattr(module, attr, _timed(attr, fn))
            installed.append(f"{module_name}.{attr}")
    return installed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--exports", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--temp-dir", type=Path, default=None)
    parser.add_argument("--no-marks", action="store_true", help="run without timing hooks")
    args = parser.parse_args(argv)

    started = time.time()
    hooks = [] if args.no_marks else install_marks()
    from pipelines.settings import Settings
    from sybil.runner import run_pipeline

    settings = Settings.from_env().with_overrides(
        raw_dir=args.raw,
        warehouse=args.warehouse,
        exports=args.exports,
        memory_limit=args.memory_limit,
        threads=args.threads,
        temp_directory=args.temp_dir,
    )
    imported = time.time()
    outcome = run_pipeline(settings)
    ended = time.time()
    result = {
        "success": outcome.success,
        "run_seconds": outcome.seconds,
        "failed_step": outcome.failed_step,
        "reason": outcome.reason,
        "started": started,
        "imported": imported,
        "ended": ended,
        "step_spans": {k: list(v) for k, v in outcome.step_spans.items()},
        "hooks": hooks,
        "marks": [list(m) for m in MARKS],
        "settings": {
            "memory_limit": settings.memory_limit,
            "threads": settings.threads,
            "temp_directory": str(settings.temp_directory or ""),
            "work_dir": str(settings.work),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if not outcome.success:
        print(f"pipeline failed at {outcome.failed_step}: {outcome.reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
