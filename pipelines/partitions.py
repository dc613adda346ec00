"""The daily partitions of the event tables (payments, sessions, API usage), and the runs that
load them: a run names the days it (re)loads as a partition range."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.staging.days import FIRST_DAY

# One partition per UTC day since the earliest plausible timestamp; today's partition exists
# (end_offset=1) and fills up as the day goes on.
DAILY = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), end_offset=1, timezone="UTC")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def range_tags(days: list[date]) -> dict[str, str]:
    """Run tags that load `days`: the range from the first to the last (days in between are
    loaded again, which changes nothing)."""
    if not days:
        raise ValueError("no days to load")
    return {RANGE_START_TAG: min(days).isoformat(), RANGE_END_TAG: max(days).isoformat()}


def run_tags(raw_dir: Path, work_dir: Path) -> dict[str, str]:
    """The partition range tags of a run over `raw_dir`: the days whose input is new or changed
    (`pipelines.store.plan`). An input that cannot be read gets today's partition: its run then
    fails at ingest with the reason, where a failed run is looked for."""
    from pipelines.ingest.reader import InputError
    from pipelines.staging.days import last_day
    from pipelines.store.plan import run_days

    try:
        return range_tags(run_days(raw_dir, work_dir))
    except InputError:
        return range_tags([last_day()])


def plan_run(raw_dir: Path, work_dir: Path) -> dict[str, str] | dg.SkipReason:
    """`run_tags` for the schedule and the sensor: a store held by another process (a run that
    is still going) is a skip, and the next tick tries again."""
    try:
        return run_tags(raw_dir, work_dir)
    except duckdb.IOException as exc:
        first = str(exc).strip().splitlines()[0]
        return dg.SkipReason(f"the store is in use ({first}); the next tick will try")


@contextmanager
def planned_events_by_range() -> Iterator[None]:
    """While in effect, a run over a range of days logs one "materialization planned" event per
    asset (with the range) instead of one per asset and day: Dagster otherwise writes every
    asset of the job once per day of the range (6,000 events, 8 s, for a first run over 134
    days). Dagster's own switch, an environment variable read as runs are created; used for the
    in-process runs of `sybil run` on an ephemeral instance, whose events nobody reads later."""
    name = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
    before = os.environ.get(name)
    os.environ[name] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def key_range(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The first and last day a run of a partitioned asset loads."""
    keys = context.partition_key_range
    return date.fromisoformat(keys.start), date.fromisoformat(keys.end)
