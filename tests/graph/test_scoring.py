"""Scoring: named features, the learned model's tiers, the two-family rule, readable evidence."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from graph.model import RiskModel
from graph.scoring import (
    FAMILIES,
    FEATURES,
    STRUCTURE,
    ScoringParams,
    feature_matrix,
    load_model,
    score_clusters,
)

# One row of scoring.cluster_features with quiet, human values; tests override what matters.
BASE = {
    "size": 12,
    "first_signup": datetime(2026, 9, 1),
    "last_signup": datetime(2026, 10, 20),
    "signup_span_hours": 49 * 24.0,
    "median_gap_s": 3 * 86400.0,
    "gap_cv": 1.1,
    "max_signups_in_hour": 1,
    "n_mailboxes": 12,
    "n_email_domains": 1,
    "disposable_share": 0.0,
    "free_email_share": 0.0,
    "organisation_share": 1.0,
    "education_share": 0.0,
    "n_phones": 10,
    "n_with_phone": 10,
    "n_signup_devices": 12,
    "n_paying": 12,
    "n_payments": 36,
    "n_cards": 1,
    "n_bins": 1,
    "n_postals": 1,
    "failed_rate": 0.0,
    "dispute_rate": 0.0,
    "datacenter_share": 0.0,
    "vpn_share": 0.0,
    "mobile_share": 0.05,
    "residential_share": 0.2,
    "ips_per_session": 0.1,
    "sessions_per_account": 12.0,
    "requests_per_account": 3000.0,
    "output_input_ratio": 1.2,
    "hours_of_day_per_account": 7.0,
    "api_active_share": 1.0,
    "cluster_hours_of_day": 11,
    "shared_mailboxes": 0,
    "shared_phones": 0,
    "shared_devices": 0,
    "shared_cards": 1,
    "shared_bin_postals": 1,
    "shared_ips": 2,
    "shared_prefixes": 1,
    "shared_templates": 1,
    "shared_template_hours": 40,
    "shared_names": 0,
    "mailbox_coverage": 0.0,
    "phone_coverage": 0.0,
    "device_coverage": 0.0,
    "card_coverage": 1.0,
    "bin_postal_coverage": 1.0,
    "network_coverage": 1.0,
    "template_coverage": 1.0,
    "cohour_coverage": 0.9,
    "template_set_coverage": 0.9,
    "email_shape_share": 0.4,
    "top_model_share": 0.7,
    "quiet_hours": 11.0,
    "sleepless_share": 0.0,
    "n_edges": 60,
    "edge_weight": 50.0,
    "weighted_density": 0.75,
    "identity_edges": 0,
    "payment_edges": 60,
    "device_edges": 0,
    "network_edges": 60,
    "behaviour_edges": 60,
}

TEAM = {}  # a company team: one corporate card, one office, an internal template, office hours
PROXY_FARM = {
    "size": 400,
    "signup_span_hours": 400 * 12 / 60,
    "median_gap_s": 720.0,
    "gap_cv": 0.15,
    "n_mailboxes": 400,
    "free_email_share": 1.0,
    "organisation_share": 0.0,
    "n_email_domains": 4,
    "n_phones": 30,
    "n_with_phone": 400,
    "n_signup_devices": 400,
    "n_paying": 300,
    "n_payments": 900,
    "n_cards": 60,
    "n_bins": 2,
    "n_postals": 3,
    "failed_rate": 0.3,
    "dispute_rate": 0.05,
    "residential_share": 0.95,
    "mobile_share": 0.0,
    "ips_per_session": 0.97,
    "output_input_ratio": 8.0,
    "hours_of_day_per_account": 18.0,
    "quiet_hours": 3.0,
    "sleepless_share": 0.8,
    "cohour_coverage": 0.8,
    "requests_per_account": 900.0,
}
BURST_FARM = {
    "size": 150,
    "signup_span_hours": 2.0,
    "median_gap_s": 48.0,
    "gap_cv": 0.2,
    "n_mailboxes": 150,
    "disposable_share": 0.9,
    "organisation_share": 0.0,
    "n_phones": 0,
    "n_with_phone": 0,
    "n_paying": 0,
    "n_payments": 0,
    "n_cards": 0,
    "n_bins": 0,
    "datacenter_share": 0.95,
    "residential_share": 0.0,
    "output_input_ratio": 9.0,
    "hours_of_day_per_account": 20.0,
    "quiet_hours": 2.0,
    "sleepless_share": 0.9,
    "max_signups_in_hour": 90,
}
HOUSEHOLD = {
    "size": 3,
    "n_mailboxes": 3,
    "gap_cv": 0.9,
    "n_phones": 2,
    "n_with_phone": 2,
    "n_signup_devices": 2,
    "organisation_share": 0.0,
    "free_email_share": 1.0,
    "n_paying": 3,
    "n_payments": 6,
}


def frame(*overrides: dict[str, object]) -> pl.DataFrame:
    rows = [{"community": i, **BASE, **o} for i, o in enumerate(overrides)]
    return pl.DataFrame(rows).with_columns(pl.col("community").cast(pl.Int32))


def toy_model(**coef: float) -> RiskModel:
    """Centred on BASE (a benign team), unit scales, only the named coefficients non-zero."""
    base = feature_matrix(frame({})).row(0, named=True)
    return RiskModel(
        features=tuple(f.name for f in FEATURES),
        families=tuple(f.family for f in FEATURES),
        center=tuple(float(base[f.name]) for f in FEATURES),
        scale=tuple(1.0 for _ in FEATURES),
        coef=tuple(coef.get(f.name, 0.0) for f in FEATURES),
        intercept=-4.0,
        flag_threshold=0.9,
        review_threshold=0.5,
        fire_margin=1.0,
    )


# A model that reads four families, enough to tell the fixtures apart.
TOY = toy_model(
    disposable_email=4.0,
    phone_reuse=2.0,
    card_farming=2.0,
    datacenter=5.0,
    proxy_rotation=5.0,
    round_the_clock=4.0,
    distillation=3.0,
)


def scored(*overrides: dict[str, object], model: RiskModel = TOY, **params: object):
    return score_clusters(frame(*overrides), params=ScoringParams(**params), model=model).to_dicts()


def test_benign_team_on_one_card_is_clear_and_proxy_farm_is_flagged():
    team, farm = scored(TEAM, PROXY_FARM)
    assert team["tier"] == "clear"
    assert team["families"] == []
    assert farm["tier"] == "flagged"
    assert farm["risk_score"] >= 0.9
    assert set(farm["families"]) >= {"identity", "payment", "network", "timing", "behaviour"}


def test_crude_burst_farm_is_flagged_with_its_reasons():
    (farm,) = scored(BURST_FARM)
    assert farm["flagged"]
    assert "disposable email" in farm["evidence"]
    assert "hosting providers" in farm["evidence"]
    assert farm["evidence"].startswith("150 accounts")


def test_one_family_alone_never_flags():
    """However sure the model is, one family (a cluster of disposable emails) is review at most."""
    (one,) = scored({"disposable_share": 1.0}, model=toy_model(disposable_email=20.0))
    assert one["families"] == ["identity"]
    assert one["risk_score"] >= 0.9
    assert one["tier"] == "review"
    assert not one["flagged"]


def test_min_size_guards_pairs():
    (pair,) = scored({**BURST_FARM, "size": 2})
    assert not pair["flagged"]
    assert pair["risk_score"] >= 0.9


def test_every_flagged_cluster_names_two_families_in_its_evidence():
    for row in scored(PROXY_FARM, BURST_FARM):
        assert row["flagged"]
        named = {family for family in FAMILIES if f"[{family}]" in row["evidence"]}
        assert named == set(row["families"])
        assert len(named) >= 2, row["evidence"]


def test_family_columns_are_the_log_odds_each_family_adds():
    (farm,) = scored(BURST_FARM)
    x = feature_matrix(frame(BURST_FARM)).select(TOY.features).to_numpy()
    by_family = TOY.family_contributions(x, FAMILIES)[0]
    assert [farm[f] for f in FAMILIES] == pytest.approx(by_family.round(3).tolist())
    logit = TOY.intercept + sum(by_family)
    assert farm["risk_score"] == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-4)


def test_excluding_a_family_drops_its_features():
    (farm,) = scored(BURST_FARM, exclude_families=("network",))
    assert farm["network"] == 0.0
    assert "[network]" not in farm["evidence"]


def test_thresholds_from_params_override_the_model():
    damped = toy_model(disposable_email=1.5, datacenter=1.5, round_the_clock=1.5)
    (farm,) = scored(BURST_FARM, model=damped)
    assert farm["tier"] == "review"  # the model's own flag threshold is 0.9
    (lowered,) = scored(BURST_FARM, model=damped, flag_threshold=farm["risk_score"] - 0.01)
    assert lowered["flagged"]


def test_features_are_finite_with_nulls_and_zero_divisors():
    weird = frame({"gap_cv": None, "n_mailboxes": 0, "n_bins": 0, "n_phones": 0, "size": 0})
    values = feature_matrix(weird).drop("community").to_numpy()
    assert np.isfinite(values).all()


def test_scores_are_monotone_in_a_feature_with_positive_weight():
    low, high = scored({**PROXY_FARM, "ips_per_session": 0.1}, PROXY_FARM)
    assert high["network"] > low["network"]
    assert high["risk_score"] >= low["risk_score"]


def test_every_feature_has_a_known_family_and_a_sentence():
    for feature in FEATURES:
        assert feature.family in (*FAMILIES, STRUCTURE)
        if feature.family != STRUCTURE:
            assert feature.fact(lambda key: 1.0)


def test_the_shipped_model_spares_the_team_and_household_and_flags_the_farms():
    model = load_model()
    team, household, proxy, burst = score_clusters(
        frame(TEAM, HOUSEHOLD, PROXY_FARM, BURST_FARM), params=ScoringParams(), model=model
    ).to_dicts()
    assert team["tier"] != "flagged"
    assert household["tier"] == "clear"
    assert proxy["flagged"]
    assert burst["flagged"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"flag_threshold": 0.4, "review_threshold": 0.5},
        {"flag_threshold": 1.0},
        {"min_families": 0},
        {"min_size": 1},
        {"exclude_families": ("astrology",)},
    ],
)
def test_params_are_validated(kwargs):
    with pytest.raises(ValueError, match=r"need|must|unknown"):
        ScoringParams(**kwargs)
