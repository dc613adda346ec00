"""Scoring: cluster features in SQL, then a risk score, a tier and readable evidence."""

import dagster as dg

from graph.scoring import ScoringParams, score_clusters
from pipelines.resources import Warehouse
from pipelines.sql_asset import sql_table_asset

cluster_features = sql_table_asset(
    "scoring",
    "cluster_features",
    deps=[
        ["communities", "account_communities"],
        ["features", "account_features"],
        ["features", "account_keys"],
        ["edges", "similarity_edges"],
        ["staging", "payments"],
        ["staging", "api_usage"],
    ],
    group_name="scoring",
)


class ScoringConfig(dg.Config):
    """Thresholds of the tiers: `flagged` goes to the ban list, `review` to a person."""

    flag_threshold: float = ScoringParams.flag_threshold
    review_threshold: float = ScoringParams.review_threshold
    min_families: int = ScoringParams.min_families
    min_size: int = ScoringParams.min_size


@dg.asset(
    key=["scoring", "cluster_scores"],
    deps=[["scoring", "cluster_features"]],
    group_name="scoring",
    description=(
        "One row per community: risk_score in [0, 1], tier (flagged, review, clear), the signal "
        "families that fired and evidence text a reviewer can read."
    ),
    kinds={"duckdb", "polars"},
)
def cluster_scores(config: ScoringConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    params = ScoringParams(**config.model_dump())
    with warehouse.connect() as con:
        features = con.sql("select * from scoring.cluster_features order by community").pl()
        scores = score_clusters(features, params=params)
        con.execute(
            "create or replace table scoring.cluster_scores as "
            "select * from scores order by community"
        )
    tiers = scores["tier"].value_counts().sort("tier")
    flagged = scores.filter(scores["flagged"])
    return dg.MaterializeResult(
        metadata={
            "clusters": scores.height,
            "tiers": {str(t): int(n) for t, n in tiers.iter_rows()},
            "flagged_accounts": int(features.join(flagged, on="community")["size"].sum()),
            **config.model_dump(),
        }
    )


assets = [cluster_features, cluster_scores]
