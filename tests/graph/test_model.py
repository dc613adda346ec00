"""The logistic risk model: an oracle on simulated data, determinism, weights, serialisation."""

from __future__ import annotations

import numpy as np
import pytest

from graph.model import RiskModel, evasion_masks, fit_logistic, fit_model


def simulated(n: int = 20_000, seed: int = 3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    true_coef, true_intercept = np.array([1.5, -2.0, 0.0]), -0.5
    p = 1 / (1 + np.exp(-(true_intercept + z @ true_coef)))
    y = (rng.random(n) < p).astype(float)
    return z, y, true_coef, true_intercept


def test_fit_recovers_known_coefficients():
    z, y, true_coef, true_intercept = simulated()
    coef, intercept = fit_logistic(z, y, np.ones(len(y)), l2=0.0)
    assert coef == pytest.approx(true_coef, abs=0.08)
    assert intercept == pytest.approx(true_intercept, abs=0.08)


def test_l2_shrinks_towards_zero():
    z, y, _, _ = simulated(2_000)
    free, _ = fit_logistic(z, y, np.ones(len(y)), l2=0.0)
    shrunk, _ = fit_logistic(z, y, np.ones(len(y)), l2=500.0)
    assert np.abs(shrunk).sum() < np.abs(free).sum()


def test_a_weight_of_two_is_a_duplicated_row():
    z, y, _, _ = simulated(500)
    weight = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    twice = np.repeat(np.arange(len(y)), weight.astype(int))
    a, ia = fit_logistic(z, y, weight, l2=0.0)
    b, ib = fit_logistic(z[twice], y[twice], np.ones(len(twice)), l2=0.0)
    assert a == pytest.approx(b, abs=1e-6)
    assert ia == pytest.approx(ib, abs=1e-6)


def test_fitting_is_deterministic_and_separable_data_stays_finite():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    y = np.array([0.0, 0, 0, 1, 1, 1])
    first = fit_model(x, y, np.ones(6), features=("f",), families=("network",))
    second = fit_model(x, y, np.ones(6), features=("f",), families=("network",))
    assert first == second
    assert np.isfinite(first.coef).all()
    assert first.predict(np.array([[5.0]]))[0] > 0.5 > first.predict(np.array([[0.0]]))[0]


def test_center_is_the_benign_median():
    x = np.array([[1.0, 10.0], [3.0, 10.0], [9.0, 50.0]])
    model = fit_model(
        x, np.array([0.0, 0, 1]), np.ones(3), features=("a", "b"), families=("identity", "payment")
    )
    assert model.center == (2.0, 10.0)
    # an ordinary benign cluster contributes nothing in any family
    assert model.family_contributions(np.array([[2.0, 10.0]]), ("identity", "payment")) == (
        pytest.approx(np.zeros((1, 2)))
    )


def test_json_round_trip_and_without():
    model = RiskModel(
        features=("a", "b", "c"),
        families=("identity", "network", "network"),
        center=(0.0, 1.0, 2.0),
        scale=(1.0, 2.0, 3.0),
        coef=(0.5, -1.0, 2.0),
        intercept=-3.0,
        flag_threshold=0.95,
        review_threshold=0.6,
        trained_on={"worlds": ["seed-1"]},
    )
    assert RiskModel.from_json(model.to_json()) == model
    reduced = model.without({"network"})
    assert reduced.features == ("a",)
    assert reduced.coef == (0.5,)


@pytest.mark.parametrize(
    "change",
    [{"scale": (1.0, 0.0)}, {"coef": (1.0,)}, {"flag_threshold": 0.3, "review_threshold": 0.5}],
)
def test_invalid_models_are_refused(change):
    fields = {
        "features": ("a", "b"),
        "families": ("identity", "network"),
        "center": (0.0, 0.0),
        "scale": (1.0, 1.0),
        "coef": (1.0, 1.0),
        "intercept": 0.0,
        **change,
    }
    with pytest.raises(ValueError, match=r"must|need"):
        RiskModel(**fields)


def test_nonnegative_coefficients_are_held_at_zero():
    """A suspicion feature that only benign rows show (a look-alike) gets 0, not a discount."""
    rng = np.random.default_rng(5)
    n = 4_000
    z = rng.normal(size=(n, 2))
    y = (z[:, 0] + rng.normal(scale=0.5, size=n) > 1).astype(float)
    z[:, 1] = np.where(y == 0, z[:, 1] + 1.0, z[:, 1] - 1.0)  # lower in farms
    free, _ = fit_logistic(z, y, np.ones(n), l2=0.0)
    held, _ = fit_logistic(z, y, np.ones(n), l2=0.0, nonnegative=np.array([True, True]))
    assert free[1] < 0
    assert held[1] == 0.0
    assert held[0] > 0


def test_evasion_masks_hide_families_but_keep_two():
    masks = evasion_masks(
        ("identity", "payment", "network", "structure"), ("identity", "payment", "network"), 2
    )
    # nothing hidden, or any one of the three families hidden; structure never
    assert masks.shape == (4, 4)
    assert masks.sum(axis=1).tolist() == [0, 1, 1, 1]
    assert not masks[:, 3].any()


def test_evasion_variants_teach_the_model_that_any_two_families_suffice():
    """Farms seen with all three families; a farm showing only two still scores high."""
    rng = np.random.default_rng(9)
    benign = rng.normal(0, 0.3, size=(600, 3))
    farms = rng.normal(2, 0.3, size=(60, 3))
    x = np.vstack([benign, farms])
    y = np.r_[np.zeros(600), np.ones(60)]
    kw = {"features": ("a", "b", "c"), "families": ("identity", "payment", "network")}
    plain = fit_model(x, y, np.ones(len(y)), **kw)
    robust = fit_model(
        x, y, np.ones(len(y)), **kw, evadable=("identity", "payment", "network"), keep_families=2
    )
    two_of_three = np.array([[2.0, 2.0, 0.0]])
    assert robust.predict(two_of_three)[0] > plain.predict(two_of_three)[0]
    assert robust.predict(two_of_three)[0] > 0.9
