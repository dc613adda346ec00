"""The daily schedule and the raw-drop sensor, evaluated directly with built contexts."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.resources import Folders
from pipelines.schedules import build_schedule
from pipelines.sensors import DROP_MARKER, build_raw_drop_sensor
from pipelines.settings import Settings, SettingsError


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "SYBIL_RAW_DIR": str(tmp_path / "raw"),
            "SYBIL_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "SYBIL_EXPORTS": str(tmp_path / "exports"),
            **env,
        }
    )


@pytest.fixture
def instance():
    # Schedule and sensor contexts need a persistent instance (one with a ref): a temporary one.
    with dg.instance_for_test() as instance:
        yield instance


def test_schedule_defaults_to_03_utc_and_stopped(tmp_path):
    schedule = build_schedule(settings_for(tmp_path))
    assert schedule.cron_schedule == "0 3 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.job_name == "sybil_job"


def test_schedule_cron_and_status_come_from_settings(tmp_path):
    settings = settings_for(
        tmp_path, SYBIL_SCHEDULE_CRON="30 1 * * 1-5", SYBIL_AUTOMATION="running"
    )
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("daily_sybil_run")
    assert schedule.cron_schedule == "30 1 * * 1-5"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = defs.resolve_sensor_def("raw_drop_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYBIL_SCHEDULE_CRON": "daily"}, "SYBIL_SCHEDULE_CRON"),
        ({"SYBIL_SCHEDULE_CRON": "0 3 * *"}, "SYBIL_SCHEDULE_CRON"),
        ({"SYBIL_AUTOMATION": "on"}, "SYBIL_AUTOMATION"),
    ],
)
def test_bad_automation_settings_are_named(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        settings_for(tmp_path, **env)


def test_schedule_requests_a_run_whose_config_validates(tmp_path, instance):
    settings = settings_for(tmp_path)
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("daily_sybil_run")
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.tags["sybil/scheduled_for"] == when.isoformat()
    job = defs.resolve_job_def("sybil_job")
    assert dg.validate_run_config(job, request.run_config) is not None


def _add_run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus) -> str:
    run = dg.DagsterRun(job_name="sybil_job", run_id="a1b2c3d4-0000-0000-0000-000000000000")
    instance.add_run(run.with_status(status))
    return run.run_id


def test_schedule_skips_while_a_run_is_in_progress(tmp_path, instance):
    schedule = build_schedule(settings_for(tmp_path))
    run_id = _add_run(instance, dg.DagsterRunStatus.STARTED)
    context = dg.build_schedule_context(instance=instance)
    result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert run_id in (result.skip_message or "")


class SensorProbe:
    """Evaluates the sensor on a raw folder, carrying the cursor from tick to tick."""

    def __init__(self, tmp_path: Path, instance: dg.DagsterInstance) -> None:
        self.raw = tmp_path / "raw"
        self.sensor = build_raw_drop_sensor(settings_for(tmp_path))
        self.instance = instance
        self.cursor: str | None = None
        self.folders = Folders(raw_dir=str(self.raw), exports_dir=str(tmp_path / "exports"))

    def tick(self) -> Any:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"folders": self.folders}
        )
        result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor if result.cursor is not None else self.cursor
        return result

    def write(self, name: str, text: str, mtime: float) -> None:
        path = self.raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (mtime, mtime))


def test_sensor_runs_once_per_complete_drop(tmp_path, instance):
    probe = SensorProbe(tmp_path, instance)
    assert "does not exist" in probe.tick().skip_message

    probe.raw.mkdir()
    assert "no input files" in probe.tick().skip_message

    probe.write("signups.csv", "account_id,created_at,email\n", 1_000)
    probe.write("sessions/part-0.parquet", "x", 1_000)
    first = probe.tick()
    assert not first.run_requests
    assert f"no {DROP_MARKER} marker" in first.skip_message

    probe.write(DROP_MARKER, "", 1_010)
    second = probe.tick()
    [request] = second.run_requests
    assert request.run_key == f"drop-{probe.cursor}"
    assert request.tags["sybil/trigger"] == "raw_drop"

    again = probe.tick()  # same drop, later tick: nothing new
    assert not again.run_requests
    assert "already has its run" in again.skip_message

    # The producer rewrites a file under the old marker: not complete until a new marker.
    probe.write("signups.csv", "account_id,created_at,email\na1,2026-01-01,a@b.c\n", 1_020)
    writing = probe.tick()
    assert not writing.run_requests
    assert "changed after the _SUCCESS marker" in writing.skip_message

    probe.write(DROP_MARKER, "", 1_030)
    third = probe.tick()
    [new_request] = third.run_requests
    assert new_request.run_key not in {request.run_key}


def test_sensor_ignores_hidden_files_and_waits_for_a_running_job(tmp_path, instance):
    probe = SensorProbe(tmp_path, instance)
    probe.write("signups.csv", "account_id,created_at,email\n", 1_000)
    probe.write(DROP_MARKER, "", 1_010)
    probe.write(".signups.csv.uploading", "partial", 2_000)  # an upload in progress elsewhere
    run_id = _add_run(instance, dg.DagsterRunStatus.STARTED)
    busy = probe.tick()
    assert not busy.run_requests
    assert run_id in busy.skip_message
    assert probe.cursor is None  # the drop is still new for the next tick
