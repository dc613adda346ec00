"""The one job: every asset and its checks, one step after another."""

import dagster as dg

# One DuckDB file has one writer: assets run one after another in the run's process.
sybil_job = dg.define_asset_job(
    "sybil_job",
    selection=dg.AssetSelection.all(),
    description="Load the raw drop, build the graph, find and score clusters, publish.",
    executor_def=dg.in_process_executor,
)

# Runs that hold the work folder's lock, or are about to: a new one would only fail to take it.
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def run_in_progress(instance: dg.DagsterInstance) -> str | None:
    """The id of a `sybil_job` run that is queued or running, if any."""
    runs = instance.get_run_records(
        dg.RunsFilter(job_name=sybil_job.name, statuses=IN_PROGRESS), limit=1
    )
    return runs[0].dagster_run.run_id if runs else None
