"""Assembles the Dagster definitions; nothing else lives here."""

from __future__ import annotations

import dagster as dg

from pipelines.communities import assets as communities
from pipelines.edges import assets as edges
from pipelines.features import assets as features
from pipelines.history import assets as history
from pipelines.ingest import assets as ingest
from pipelines.publish import assets as publish
from pipelines.resources import build_resources
from pipelines.scoring import assets as scoring
from pipelines.settings import Settings
from pipelines.staging import assets as staging

ALL_ASSETS = [
    *ingest.assets,
    *staging.assets,
    *features.assets,
    *edges.assets,
    *communities.assets,
    *scoring.assets,
    *history.assets,
    *publish.assets,
]

# One DuckDB file has one writer: assets run one after another in the run's process.
sybil_job = dg.define_asset_job(
    "sybil_job",
    selection=dg.AssetSelection.all(),
    description="Load the raw drop, build the graph, find and score clusters, publish.",
    executor_def=dg.in_process_executor,
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[sybil_job],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
    )


defs = build_definitions()
