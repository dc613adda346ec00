"""The daily schedule of `sybil_job`: cron from SYBIL_SCHEDULE_CRON (03:00 UTC by default)."""

import dagster as dg

from pipelines.jobs import run_in_progress, sybil_job
from pipelines.partitions import plan_run
from pipelines.settings import Settings


def default_status(settings: Settings) -> dg.DefaultScheduleStatus:
    """STOPPED unless SYBIL_AUTOMATION=running; a toggle in the UI overrides it either way."""
    if settings.automation == "running":
        return dg.DefaultScheduleStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED


def build_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_sybil_run",
        cron_schedule=settings.schedule_cron,
        job=sybil_job,
        execution_timezone="UTC",
        default_status=default_status(settings),
        description=(
            "Runs the whole pipeline on the raw folder as it is "
            f"(cron '{settings.schedule_cron}', UTC), loading the days of the event tables that "
            "are new or changed since the last run. Skips a tick while another run holds the "
            "work folder."
        ),
        tags={"sybil/trigger": "schedule"},
    )
    def daily_sybil_run(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        running = run_in_progress(context.instance)
        if running:
            return dg.SkipReason(f"run {running} is still in progress; the next tick will try")
        planned = plan_run(settings.raw_dir, settings.work)
        if isinstance(planned, dg.SkipReason):
            return planned
        return dg.RunRequest(
            run_key=None,
            run_config={},
            tags={
                **planned,
                "sybil/scheduled_for": context.scheduled_execution_time.isoformat(),
            },
        )

    return daily_sybil_run
