"""Train the cluster risk model on generated worlds: `sybil train`.

The pipeline runs on worlds whose seeds the evaluation never uses, up to
`scoring.cluster_features`; every cluster is labelled from the generator's truth (a farm when at
least half its members belong to farms) and weighted by its size, because what enforcement pays
for is accounts, not clusters. A logistic model over the named features of `graph.scoring` is
fitted, and its thresholds are chosen for stated targets on those training clusters:

* flag: the lowest probability at which the benign accounts in flagged clusters stay within
  `target_fpr` of all benign accounts (with the two-family and minimum-size rules applied);
* review: the lowest probability at which clusters worth a look hold at most `review_fpr` of the
  benign accounts.

The labelled clusters are kept (`data/training/clusters.parquet`) so leave-one-style-out and
ablation refits in `sybil evaluate --report` need no new worlds.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import polars as pl

from graph.model import RiskModel, fit_model
from graph.scoring import FAMILIES, FEATURES, ScoringParams, feature_matrix

ROOT = Path(__file__).resolve().parents[1]
TRAINING_TABLE = ROOT / "data" / "training" / "clusters.parquet"
MODEL_FILE = ROOT / "data" / "reference" / "risk_model.json"
TRAIN_SEEDS = (101, 102, 103)
FARM_SHARE = 0.5


@dataclass(frozen=True)
class Targets:
    """What the thresholds are chosen for (shares of benign accounts)."""

    target_fpr: float = 0.0005
    review_fpr: float = 0.01
    min_flag_threshold: float = 0.9
    l2: float = 1.0
    # Train on farms as they would look hiding any families but two (see graph.model.fit_model).
    evasion: bool = True


def run_to_features(raw_dir: Path, warehouse: Path, *, run_config: dict | None = None) -> Path:
    """Materialize every asset up to `scoring.cluster_features` (nothing is published); returns
    the work database that holds the tables."""
    from pipelines.definitions import ALL_ASSETS
    from pipelines.partitions import planned_events_by_range, run_tags
    from pipelines.resources import build_resources
    from pipelines.settings import Settings

    settings = Settings.from_env().with_overrides(
        raw_dir=raw_dir, warehouse=warehouse, exports=warehouse.parent / "exports"
    )
    resources = build_resources(settings)
    selection = dg.AssetSelection.assets(["scoring", "cluster_features"]).upstream()
    config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}, **(run_config or {})}
    with dg.DagsterInstance.ephemeral() as instance, planned_events_by_range():
        result = dg.materialize(
            ALL_ASSETS,
            selection=selection,
            resources=resources,
            run_config=config,
            instance=instance,
            raise_on_error=False,
            tags=run_tags(raw_dir, settings.work),
        )
    if not result.success:
        raise RuntimeError(f"pipeline failed on {raw_dir} before scoring")
    return Path(resources["warehouse"].work_db)


def labelled_clusters(warehouse: Path, truth: Path, world: str) -> pl.DataFrame:
    """`scoring.cluster_features` plus per cluster its farm/benign member counts and main style."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        features = con.sql("select * from scoring.cluster_features order by community").pl()
        members = con.sql(
            "select c.community, s.account_id from communities.account_communities as c "
            "inner join staging.signups as s using (account_idx)"
        ).pl()
    finally:
        con.close()
    labels = (
        members.join(pl.read_parquet(truth), on="account_id", how="left")
        .with_columns(is_farm=pl.col("farm_id").is_not_null())
        .group_by("community")
        .agg(
            n_farm=pl.col("is_farm").sum(),
            n_benign=(~pl.col("is_farm")).sum(),
            style=pl.col("archetype").mode().sort().first(),
            farm_style=pl.col("archetype").filter(pl.col("is_farm")).mode().sort().first(),
        )
    )
    return (
        features.join(labels, on="community", how="left")
        .with_columns(
            world=pl.lit(world),
            is_farm=(pl.col("n_farm") >= FARM_SHARE * pl.col("size")),
        )
        .sort("community")
    )


def world_totals(truth: Path, world: str) -> pl.DataFrame:
    """Accounts per archetype in one world (the denominators of recall and FPR)."""
    return (
        pl.read_parquet(truth)
        .group_by("archetype")
        .agg(accounts=pl.len(), farm=pl.col("farm_id").is_not_null().any())
        .with_columns(world=pl.lit(world))
        .sort("archetype")
    )


def build_training_table(
    seeds: tuple[int, ...] = TRAIN_SEEDS, n_accounts: int = 50_000, workdir: Path | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Generate, run and label one world per seed; returns (clusters, world totals)."""
    from sybil.generate import write_world

    clusters, totals = [], []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for seed in seeds:
            raw = Path(tmp) / f"world-{seed}"
            write_world(raw, n_accounts, seed=seed)
            work = run_to_features(raw, Path(tmp) / f"world-{seed}.duckdb")
            clusters.append(labelled_clusters(work, raw / "truth.parquet", f"seed-{seed}"))
            totals.append(world_totals(raw / "truth.parquet", f"seed-{seed}"))
    return pl.concat(clusters, how="diagonal_relaxed"), pl.concat(totals)


def _pick_threshold(prob: np.ndarray, benign: np.ndarray, budget: float, floor: float) -> float:
    """The lowest threshold at which the benign accounts at or above it stay within budget."""
    order = np.argsort(-prob, kind="stable")
    spent = np.cumsum(benign[order])
    ok = spent <= budget
    # Thresholds sit on observed probabilities; equal probabilities stand or fall together.
    best = 0.999
    for i in range(len(order)):
        if not ok[i]:
            break
        if i + 1 == len(order) or prob[order[i + 1]] < prob[order[i]]:
            best = float(prob[order[i]])
    return round(min(max(best, floor), 0.9999), 4)


def fit(
    clusters: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    targets: Targets = Targets(),
    exclude_styles: tuple[str, ...] = (),
    exclude_families: tuple[str, ...] = (),
    params: ScoringParams | None = None,
) -> RiskModel:
    """Fit the model on labelled clusters and set its thresholds for the targets."""
    params = params or ScoringParams()
    if exclude_styles:
        held_out = pl.col("is_farm") & pl.col("farm_style").is_in(list(exclude_styles))
        clusters = clusters.filter(~held_out.fill_null(False))
    used = [f for f in FEATURES if f.family not in exclude_families]
    names = tuple(f.name for f in used)
    x = feature_matrix(clusters).select(names).to_numpy().astype(np.float64)
    y = clusters["is_farm"].to_numpy().astype(np.float64)
    weight = clusters["size"].to_numpy().astype(np.float64)
    model = fit_model(
        x,
        y,
        weight,
        features=names,
        families=tuple(f.family for f in used),
        l2=targets.l2,
        evadable=FAMILIES if targets.evasion else (),
        keep_families=params.min_families,
    )
    prob = model.predict(x)
    fired = (model.family_contributions(x, FAMILIES) >= model.fire_margin).sum(axis=1)
    gate = (fired >= params.min_families) & (clusters["size"].to_numpy() >= params.min_size)
    benign = clusters["n_benign"].to_numpy().astype(np.float64)
    benign_total = float(totals.filter(~pl.col("farm"))["accounts"].sum())
    flag = _pick_threshold(
        np.where(gate, prob, 0.0),
        benign,
        targets.target_fpr * benign_total,
        targets.min_flag_threshold,
    )
    review = min(_pick_threshold(prob, benign, targets.review_fpr * benign_total, 0.2), flag)
    return replace(
        model,
        flag_threshold=flag,
        review_threshold=review,
        trained_on={
            "worlds": sorted(clusters["world"].unique().to_list()),
            "clusters": clusters.height,
            "farm_clusters": int(y.sum()),
            "benign_accounts": int(benign_total),
            "target_benign_fpr": targets.target_fpr,
            "review_benign_fpr": targets.review_fpr,
            "l2": targets.l2,
            "evasion_variants": targets.evasion,
            "excluded_styles": list(exclude_styles),
            "excluded_families": list(exclude_families),
        },
    )


def train(
    seeds: tuple[int, ...] = TRAIN_SEEDS,
    n_accounts: int = 50_000,
    *,
    table_out: Path = TRAINING_TABLE,
    model_out: Path = MODEL_FILE,
    targets: Targets = Targets(),
    refit: bool = False,
) -> RiskModel:
    """Build the training table (or reuse the kept one), fit, and write the model file the
    pipeline reads. Features are computed at fit time, so a changed feature definition needs
    only a refit; a changed cluster_features SQL needs new worlds."""
    if refit:
        clusters, totals = load_training(table_out)
    else:
        clusters, totals = build_training_table(seeds, n_accounts)
        table_out.parent.mkdir(parents=True, exist_ok=True)
        clusters.write_parquet(table_out, compression="zstd")
        totals.write_parquet(table_out.with_name("worlds.parquet"), compression="zstd")
    model = fit(clusters, totals, targets=targets)
    tmp = model_out.with_suffix(".json.tmp")
    tmp.write_text(model.to_json(), encoding="utf-8")
    tmp.replace(model_out)
    return model


def load_training(table: Path = TRAINING_TABLE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The kept training clusters and the account totals of their worlds."""
    return pl.read_parquet(table), pl.read_parquet(table.with_name("worlds.parquet"))
