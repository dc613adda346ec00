"""`sybil run`: materialize the Dagster job in-process, the same definitions the UI shows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from pipelines import workdir
from pipelines.definitions import build_definitions
from pipelines.partitions import planned_events_by_range, run_tags
from pipelines.settings import Settings
from sybil.progress import StepProgress
from sybil.warehouse import published


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    seconds: float
    failed_step: str = ""
    reason: str = ""
    summary: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)
    # Step key -> (start, end) as Unix times, from Dagster's step stats (`bench/` attributes
    # memory samples to steps with them).
    step_spans: dict[str, tuple[float, float]] = field(default_factory=dict)


def run_pipeline(
    settings: Settings,
    *,
    seed: int | None = None,
    run_config: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run every asset once; never raises for a failed step, reports it instead.

    The run holds its work folder's lock and starts from an empty work database, so nothing a
    killed run left behind can leak into this one; only the store of typed event rows by day is
    kept, and the run (re)loads the days whose input differs from it (`pipelines.store.plan`).
    The warehouse and exports change only at the very end, when every check has passed.
    `progress` receives one line per step as the step ends: its wall time and what it made
    (rows, edges, clusters; see `sybil.progress`).
    """
    try:
        workdir.acquire(settings.work)
    except workdir.RunLockedError as exc:
        return RunOutcome(False, 0.0, "start", str(exc))
    try:
        workdir.reset_work_db(settings.work)
        tags = run_tags(settings.raw_dir, settings.work)
        return _execute(settings, tags=tags, seed=seed, run_config=run_config, progress=progress)
    finally:
        workdir.release(settings.work)


def _execute(
    settings: Settings,
    *,
    tags: dict[str, str],
    seed: int | None,
    run_config: dict[str, Any] | None,
    progress: Callable[[str], None] | None,
) -> RunOutcome:
    defs = build_definitions(settings)
    job = defs.resolve_job_def("sybil_job")
    config: dict[str, Any] = {
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
        **(run_config or {}),
    }
    if seed is not None:
        ops = config.setdefault("ops", {})
        ops.setdefault("communities__account_communities", {"config": {}})["config"]["seed"] = seed
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        # The run id is chosen here so that the listener is in place before the first event.
        run_id = str(uuid.uuid4())  # Dagster's own run ids are uuid4 too
        if progress:
            instance.add_event_listener(run_id, StepProgress(progress, len(job.nodes)))
        with planned_events_by_range():
            result = job.execute_in_process(
                run_config=config,
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                tags=tags,
            )
        seconds = time.perf_counter() - started
        step_spans = {
            stat.step_key: (stat.start_time or 0.0, stat.end_time or stat.start_time or 0.0)
            for stat in instance.get_run_step_stats(result.run_id)
        }
        step_seconds = {step: end - start for step, (start, end) in step_spans.items()}
    if not result.success:
        step, reason = _failure(result)
        return RunOutcome(
            False, seconds, step, reason, step_seconds=step_seconds, step_spans=step_spans
        )
    return RunOutcome(
        True,
        seconds,
        summary=summarize(settings, seconds),
        step_seconds=step_seconds,
        step_spans=step_spans,
    )


def _failure(result: dg.ExecuteInProcessResult) -> tuple[str, str]:
    """The first failed step and a one-line reason (a Failure's description, else the error)."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        user = getattr(data, "user_failure_data", None)
        if user is not None and user.description:
            return event.step_key or "?", user.description
        if data.error is not None and data.error.cls_name == "DagsterAssetCheckFailedError":
            break  # a blocking check failed: its evaluation below says what and why
        # Dagster wraps the user's exception; the innermost cause is the message that matters.
        error = data.error
        while error is not None and error.cause is not None:
            error = error.cause
        message = error.message.strip().splitlines()[0] if error else "unknown error"
        return event.step_key or "?", message
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            evaluation: Any = getattr(data, "evaluation", data)
            failed = not getattr(evaluation, "passed", True)
            if failed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                key = evaluation.asset_key.to_user_string()
                if evaluation.description:
                    return event.step_key or "?", (
                        f"check {evaluation.check_name} failed on {key}: {evaluation.description}"
                    )
                details = ", ".join(
                    f"{name} {getattr(value, 'value', value)}"
                    for name, value in sorted((evaluation.metadata or {}).items())
                )
                return event.step_key or "?", (
                    f"check {evaluation.check_name} failed on {key}"
                    + (f" ({details})" if details else "")
                )
    return "?", "the run failed without a step failure"


def summarize(settings: Settings, seconds: float) -> str:
    """What a person wants after a run: where the rows went, clusters and the riskiest few."""
    with published(settings.warehouse) as con:
        accounts, quarantined, nulled, edges = con.sql(
            "select (select count(*) from staging.signups), "
            "(select count(*) from staging.quarantine), "
            "(select count(*) from staging.field_issues), "
            "(select count(*) from edges.similarity_edges)"
        ).fetchall()[0]
        accounting = con.sql(
            "select table_name, rows_read, rows_loaded, rows_quarantined, fields_nulled "
            "from staging.accounting where rows_read > 0 order by table_name"
        ).fetchall()
        clusters, flagged, review, banned = con.sql(
            "select count(*), count(*) filter (where flagged), count(*) filter (where review), "
            "(select count(*) from published.ban_list) from published.clusters"
        ).fetchall()[0]
        top = con.sql(
            "select cluster_id, size, risk_score, tier, evidence from published.clusters "
            "order by flagged desc, risk_score desc, size desc limit 10"
        ).fetchall()
    lines = [
        f"sybil run finished in {seconds:.1f} s: {accounts:,} accounts, {quarantined:,} rows "
        f"quarantined, {nulled:,} fields nulled, {edges:,} edges, {clusters:,} clusters "
        f"({flagged:,} flagged, {review:,} for review), {banned:,} accounts on the ban list "
        f"({settings.exports / 'ban_list.csv'})",
        "",
        f"{'input':<10} {'read':>11} {'loaded':>11} {'quarantined':>11} {'fields nulled':>13}",
    ]
    for table, read, loaded, rejected, fields in accounting:
        lines.append(f"{table:<10} {read:>11,} {loaded:>11,} {rejected:>11,} {fields:>13,}")
    lines += ["", f"{'cluster_id':<14} {'size':>6} {'risk':>5} {'tier':<8} evidence"]
    for cluster_id, size, risk, tier, evidence in top:
        text = evidence if len(evidence) <= 150 else evidence[:147] + "..."
        lines.append(f"{cluster_id:<14} {size:>6} {risk:>5.2f} {tier:<8} {text}")
    return "\n".join(lines)
