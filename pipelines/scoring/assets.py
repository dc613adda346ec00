"""Scoring: cluster features in SQL, then a risk score, a tier and readable evidence."""

from pathlib import Path

import dagster as dg

from graph.scoring import DEFAULT_MODEL, ScoringParams, load_model, score_clusters
from pipelines.resources import Warehouse
from pipelines.sql_asset import sql_table_asset

cluster_shared_keys = sql_table_asset(
    "scoring",
    "cluster_shared_keys",
    deps=[["communities", "account_communities"], ["features", "account_keys"]],
    group_name="scoring",
)

cluster_coverage = sql_table_asset(
    "scoring",
    "cluster_coverage",
    deps=[
        ["communities", "account_communities"],
        ["features", "account_keys"],
        ["scoring", "cluster_shared_keys"],
    ],
    group_name="scoring",
)

cluster_edge_stats = sql_table_asset(
    "scoring",
    "cluster_edge_stats",
    deps=[
        ["communities", "account_communities"],
        ["edges", "similarity_edges"],
        ["ref", "key_kinds"],
    ],
    group_name="scoring",
)

cluster_activity = sql_table_asset(
    "scoring",
    "cluster_activity",
    deps=[
        ["communities", "account_communities"],
        ["staging", "payments"],
        ["staging", "api_usage"],
    ],
    group_name="scoring",
)

cluster_signups = sql_table_asset(
    "scoring",
    "cluster_signups",
    deps=[["communities", "account_communities"], ["staging", "signups"]],
    group_name="scoring",
)

cluster_behaviour = sql_table_asset(
    "scoring",
    "cluster_behaviour",
    deps=[["communities", "account_communities"], ["features", "account_features"]],
    group_name="scoring",
)

cluster_features = sql_table_asset(
    "scoring",
    "cluster_features",
    deps=[
        ["scoring", "cluster_signups"],
        ["scoring", "cluster_behaviour"],
        ["scoring", "cluster_activity"],
        ["scoring", "cluster_shared_keys"],
        ["scoring", "cluster_coverage"],
        ["scoring", "cluster_edge_stats"],
    ],
    group_name="scoring",
)


class ScoringConfig(dg.Config):
    """The risk model and the policy around it: `flagged` goes to the ban list, `review` to a
    person. Thresholds left empty are the model's own, set by `sybil train` for a stated benign
    false-positive target."""

    model_path: str = ""
    flag_threshold: float | None = None
    review_threshold: float | None = None
    min_families: int = ScoringParams.min_families
    min_size: int = ScoringParams.min_size
    exclude_families: list[str] = []  # noqa: RUF012 (pydantic copies defaults)


@dg.asset(
    key=["scoring", "cluster_scores"],
    deps=[["scoring", "cluster_features"]],
    group_name="scoring",
    description=(
        "One row per community: risk_score in [0, 1], tier (flagged, review, clear), the signal "
        "families that fired, each family's share of the log-odds, and evidence a reviewer can "
        "read."
    ),
    kinds={"duckdb", "polars"},
)
def cluster_scores(config: ScoringConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    try:
        params = ScoringParams(
            min_families=config.min_families,
            min_size=config.min_size,
            flag_threshold=config.flag_threshold,
            review_threshold=config.review_threshold,
            exclude_families=tuple(config.exclude_families),
        )
        model_path = Path(config.model_path) if config.model_path else DEFAULT_MODEL
        model = load_model(model_path)
    except (ValueError, OSError, KeyError) as exc:
        raise dg.Failure(description=f"scoring: {exc}") from None
    with warehouse.connect() as con:
        features = con.sql("select * from scoring.cluster_features order by community").pl()
        scores = score_clusters(features, params=params, model=model)
        con.execute(
            "create or replace table scoring.cluster_scores as "
            "select * from scores order by community"
        )
    tiers = scores["tier"].value_counts().sort("tier")
    flagged = scores.filter(scores["flagged"])
    return dg.MaterializeResult(
        metadata={
            "rows": scores.height,
            "clusters": scores.height,
            "tiers": {str(t): int(n) for t, n in tiers.iter_rows()},
            "flagged_accounts": int(features.join(flagged, on="community")["size"].sum()),
            "model": str(model_path.name),
            "flag_threshold": params.flag_threshold or model.flag_threshold,
            "review_threshold": params.review_threshold or model.review_threshold,
            "min_families": params.min_families,
            "min_size": params.min_size,
            "exclude_families": ", ".join(params.exclude_families) or "none",
        }
    )


assets = [
    cluster_shared_keys,
    cluster_coverage,
    cluster_edge_stats,
    cluster_activity,
    cluster_signups,
    cluster_behaviour,
    cluster_features,
    cluster_scores,
]
