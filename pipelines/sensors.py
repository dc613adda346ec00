"""`raw_drop_sensor`: start `sybil_job` when a new, complete raw drop lands in the raw folder.

A drop is complete when the producer has written the marker file `_SUCCESS` in the raw folder
*last* (Spark and Hadoop jobs write one on commit; anything else can `touch` it). Its identity is
a fingerprint of every file's relative path, size and mtime, the marker's included, so a new
marker or a changed file is a new drop. The sensor refuses drops where a data file is newer than
the marker (the producer is rewriting files under an old marker: wait for the new one). Hidden
files (`.name`, the usual temporary names of uploads in progress) are ignored.

The cursor holds the fingerprint of the last drop a run was requested for, and the run key is
`drop-<fingerprint>`, so one drop starts one run even if the cursor were lost. While a
`sybil_job` run is queued or running, a new drop waits (the cursor is not moved). The run loads
the days of the event tables that the drop added or changed (its partition range, see
`pipelines.store.plan`).
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.jobs import run_in_progress, sybil_job
from pipelines.partitions import plan_run
from pipelines.resources import Folders
from pipelines.settings import Settings

DROP_MARKER = "_SUCCESS"
MIN_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class Drop:
    """What the raw folder holds now: data files, the marker, and why it is not ready (if so)."""

    files: int
    fingerprint: str
    waiting_for: str = ""  # empty when the drop is complete


def inspect_drop(raw: Path) -> Drop:
    """Describe the drop in `raw` without reading any file's content."""
    if not raw.is_dir():
        return Drop(0, "", f"raw folder {raw} does not exist")
    entries: list[tuple[str, int, int]] = []
    for folder, dirs, names in os.walk(raw):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith("."):
                continue
            stat = (Path(folder) / name).stat()
            entries.append(
                (str((Path(folder) / name).relative_to(raw)), stat.st_size, stat.st_mtime_ns)
            )
    entries.sort()
    data = [e for e in entries if e[0] != DROP_MARKER]
    digest = hashlib.sha256(repr(entries).encode()).hexdigest()[:24]
    if not data:
        return Drop(0, digest, f"no input files in {raw}")
    marker = next((e for e in entries if e[0] == DROP_MARKER), None)
    if marker is None:
        return Drop(
            len(data), digest, f"{len(data)} files in {raw} but no {DROP_MARKER} marker yet"
        )
    newer = [name for name, _, mtime in data if mtime > marker[2]]
    if newer:
        return Drop(
            len(data),
            digest,
            f"{len(newer)} files changed after the {DROP_MARKER} marker (e.g. {newer[0]}): "
            "the producer is still writing",
        )
    return Drop(len(data), digest)


def default_status(settings: Settings) -> dg.DefaultSensorStatus:
    """STOPPED unless SYBIL_AUTOMATION=running; a toggle in the UI overrides it either way."""
    if settings.automation == "running":
        return dg.DefaultSensorStatus.RUNNING
    return dg.DefaultSensorStatus.STOPPED


def build_raw_drop_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="raw_drop_sensor",
        job=sybil_job,
        minimum_interval_seconds=MIN_INTERVAL_SECONDS,
        default_status=default_status(settings),
        description=(
            f"Starts sybil_job when a new drop with a {DROP_MARKER} marker (written last) lands "
            "in the raw folder; one run per drop (run key = the drop's fingerprint)."
        ),
    )
    def raw_drop_sensor(
        context: dg.SensorEvaluationContext, folders: Folders
    ) -> dg.RunRequest | dg.SkipReason:
        drop = inspect_drop(folders.raw)
        if drop.waiting_for:
            return dg.SkipReason(drop.waiting_for)
        if drop.fingerprint == context.cursor:
            return dg.SkipReason(f"drop {drop.fingerprint} already has its run; nothing new")
        running = run_in_progress(context.instance)
        if running:
            # The cursor stays put, so the drop is picked up on a tick after that run.
            return dg.SkipReason(f"new drop {drop.fingerprint} waits for run {running} to end")
        planned = plan_run(folders.raw, settings.work)
        if isinstance(planned, dg.SkipReason):
            return planned
        context.update_cursor(drop.fingerprint)
        return dg.RunRequest(
            run_key=f"drop-{drop.fingerprint}",
            tags={**planned, "sybil/trigger": "raw_drop", "sybil/drop": drop.fingerprint},
        )

    return raw_drop_sensor
