"""Assembles the Dagster definitions; nothing else lives here."""

from __future__ import annotations

import dagster as dg

from pipelines.communities import assets as communities
from pipelines.communities import checks as community_checks
from pipelines.edges import assets as edges
from pipelines.features import assets as features
from pipelines.history import assets as history
from pipelines.ingest import assets as ingest
from pipelines.jobs import sybil_job
from pipelines.publish import assets as publish
from pipelines.reports import assets as reports
from pipelines.resources import build_resources
from pipelines.schedules import build_schedule
from pipelines.scoring import assets as scoring
from pipelines.sensors import build_raw_drop_sensor
from pipelines.settings import Settings
from pipelines.staging import assets as staging
from pipelines.staging import checks as staging_checks
from pipelines.store import assets as store

ALL_ASSETS = [
    *ingest.assets,
    *store.assets,
    *staging.assets,
    *features.assets,
    *edges.assets,
    *communities.assets,
    *scoring.assets,
    *history.assets,
    *publish.assets,
    *reports.assets,
]
# Checks that run as steps of their own (the others are declared on the assets they guard).
ALL_CHECKS = [*staging_checks.checks, *community_checks.checks]

__all__ = ["ALL_ASSETS", "ALL_CHECKS", "build_definitions", "defs", "sybil_job"]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[sybil_job],
        schedules=[build_schedule(settings)],
        sensors=[build_raw_drop_sensor(settings)],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
    )


defs = build_definitions()
