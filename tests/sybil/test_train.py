"""Training: threshold choice for a stated target, leave-one-style-out refits, and the report."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from graph.scoring import FEATURES
from sybil.train import _pick_threshold, fit


def test_threshold_is_the_lowest_that_keeps_benign_accounts_within_budget():
    prob = np.array([0.99, 0.95, 0.95, 0.80, 0.60])
    benign = np.array([0.0, 1.0, 0.0, 5.0, 0.0])
    assert _pick_threshold(prob, benign, budget=1.0, floor=0.5) == 0.95
    assert _pick_threshold(prob, benign, budget=0.0, floor=0.5) == 0.99
    assert _pick_threshold(prob, benign, budget=100.0, floor=0.5) == 0.6
    assert _pick_threshold(prob, benign, budget=100.0, floor=0.7) == 0.7


def labelled(seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Clusters of three kinds: benign (quiet), farm style A (datacenter) and B (disposable)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(300):
        kind = ("benign", "farm_a", "farm_b")[i % 3]
        rows.append(
            {
                "community": i,
                "size": 10,
                "datacenter_share": float(kind == "farm_a") * 0.9 + rng.random() * 0.1,
                "disposable_share": float(kind == "farm_b") * 0.9 + rng.random() * 0.1,
                "output_input_ratio": 8.0 if kind != "benign" else 1.0 + rng.random(),
                "is_farm": kind != "benign",
                "farm_style": None if kind == "benign" else kind,
                "n_benign": 10 if kind == "benign" else 0,
                "world": "w",
            }
        )
    clusters = pl.DataFrame(rows)
    for f in FEATURES:  # every other feature column present, at a constant
        for column in f.expr.meta.root_names():
            if column not in clusters.columns:
                clusters = clusters.with_columns(pl.lit(1.0).alias(column))
    totals = pl.DataFrame({"archetype": ["benign"], "accounts": [100_000], "farm": [False]})
    return clusters, totals


def test_fit_sets_thresholds_and_records_what_it_was_trained_on():
    clusters, totals = labelled()
    model = fit(clusters, totals)
    assert 0.5 <= model.flag_threshold < 1
    assert model.review_threshold <= model.flag_threshold
    assert model.trained_on["clusters"] == 300
    assert model.trained_on["farm_clusters"] == 200


def test_leaving_a_style_out_removes_its_clusters_from_training():
    clusters, totals = labelled()
    model = fit(clusters, totals, exclude_styles=("farm_a",))
    assert model.trained_on["clusters"] == 200
    assert model.trained_on["excluded_styles"] == ["farm_a"]


def test_excluding_a_family_drops_its_features():
    clusters, totals = labelled()
    model = fit(clusters, totals, exclude_families=("network",))
    assert "datacenter" not in model.features
    assert "network" not in model.families


def test_fit_is_deterministic():
    clusters, totals = labelled()
    assert fit(clusters, totals) == fit(clusters, totals)


def test_all_benign_training_data_is_refused():
    clusters, totals = labelled()
    only_benign = clusters.filter(~pl.col("is_farm"))
    with pytest.raises(ValueError, match="both benign and farm"):
        fit(only_benign, totals)
