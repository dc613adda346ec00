"""A readable risk model: L2-regularised logistic regression over named cluster features.

Each feature is standardised against a benign reference (the median benign cluster), so a
coefficient times a standardised value is the feature's contribution to the log-odds *relative
to an ordinary benign cluster*. Contributions add up per signal family, which is what the
evidence text and the "at least two families" rule read. Fitting is plain Newton-Raphson (IRLS)
in numpy: deterministic, no solver options, a few dozen features and a few thousand clusters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RiskModel:
    """Coefficients per named feature plus the operating thresholds chosen for them."""

    features: tuple[str, ...]
    families: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    flag_threshold: float = 0.9
    review_threshold: float = 0.5
    fire_margin: float = 1.0
    trained_on: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.families) == len(self.center) == len(self.scale) == len(self.coef) == n):
            raise ValueError("features, families, center, scale and coef must have equal length")
        if any(s <= 0 for s in self.scale):
            raise ValueError("every scale must be positive")
        if not 0 < self.review_threshold <= self.flag_threshold < 1:
            raise ValueError("need 0 < review_threshold <= flag_threshold < 1")

    def standardize(self, x: FloatArray) -> FloatArray:
        center = np.asarray(self.center, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        out: FloatArray = (x - center) / scale
        return out

    def contributions(self, x: FloatArray) -> FloatArray:
        """Per cluster and feature, the feature's share of the log-odds (rows x features)."""
        out: FloatArray = self.standardize(x) * np.asarray(self.coef, dtype=np.float64)
        return out

    def family_contributions(self, x: FloatArray, families: tuple[str, ...]) -> FloatArray:
        """Per cluster and family (in the order given), the summed contributions."""
        return self.sum_by_family(self.contributions(x), families)

    def sum_by_family(self, contrib: FloatArray, families: tuple[str, ...]) -> FloatArray:
        """Feature contributions (rows x features) summed per family (rows x families)."""
        fam = np.asarray(self.families)
        return np.column_stack(
            [contrib[:, fam == f].sum(axis=1) for f in families] or [np.zeros(len(contrib))]
        )

    def predict(self, x: FloatArray) -> FloatArray:
        """Probability that a cluster is a farm."""
        return self.probability(self.contributions(x))

    def probability(self, contrib: FloatArray) -> FloatArray:
        """Probability from feature contributions already computed (rows x features)."""
        return _sigmoid(self.intercept + contrib.sum(axis=1))

    def without(self, families: set[str]) -> RiskModel:
        """The same model with some families' features dropped (for ablation after refitting)."""
        keep = [i for i, f in enumerate(self.families) if f not in families]
        return replace(
            self,
            features=tuple(self.features[i] for i in keep),
            families=tuple(self.families[i] for i in keep),
            center=tuple(self.center[i] for i in keep),
            scale=tuple(self.scale[i] for i in keep),
            coef=tuple(self.coef[i] for i in keep),
        )

    def to_json(self) -> str:
        body = asdict(self)
        body["terms"] = [
            {"feature": f, "family": fam, "center": c, "scale": s, "coef": b}
            for f, fam, c, s, b in zip(
                self.features, self.families, self.center, self.scale, self.coef, strict=True
            )
        ]
        for key in ("features", "families", "center", "scale", "coef"):
            del body[key]
        return json.dumps(body, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RiskModel:
        body = json.loads(text)
        terms = body.pop("terms")
        return cls(
            features=tuple(t["feature"] for t in terms),
            families=tuple(t["family"] for t in terms),
            center=tuple(float(t["center"]) for t in terms),
            scale=tuple(float(t["scale"]) for t in terms),
            coef=tuple(float(t["coef"]) for t in terms),
            **body,
        )

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return out


def fit_logistic(
    z: FloatArray,
    y: FloatArray,
    weight: FloatArray,
    *,
    l2: float = 1.0,
    nonnegative: BoolArray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[FloatArray, float]:
    """Weighted logistic regression by Newton-Raphson; returns (coef, intercept).

    `z` is already standardised; the intercept is not penalised. Weights are rescaled to mean
    1, so `l2` means the same whatever the units of the weights. Coefficients marked
    `nonnegative` that come out below zero are fixed at zero and the rest refitted, until none
    is negative (an active-set loop: a signal of suspicion may be worth nothing, never a
    discount).
    """
    n, p = z.shape
    if n == 0 or len(y) != n or len(weight) != n:
        raise ValueError("z, y and weight must describe the same non-empty set of rows")
    constrained = np.zeros(p, dtype=bool) if nonnegative is None else np.asarray(nonnegative)
    active = np.ones(p, dtype=bool)
    while True:
        coef, intercept = _newton(z[:, active], y, weight, l2, max_iter, tol)
        full = np.zeros(p)
        full[active] = coef
        negative = constrained & active & (full < 0)
        if not negative.any():
            return full, intercept
        active &= ~negative


def _newton(
    z: FloatArray, y: FloatArray, weight: FloatArray, l2: float, max_iter: int, tol: float
) -> tuple[FloatArray, float]:
    n, p = z.shape
    w = weight / weight.mean()
    design = np.column_stack([np.ones(n), z])
    penalty = np.full(p + 1, l2)
    penalty[0] = 0.0
    beta = np.zeros(p + 1)
    for _ in range(max_iter):
        prob = _sigmoid(design @ beta)
        grad = design.T @ (w * (prob - y)) + penalty * beta
        hess = (design * (w * prob * (1 - prob))[:, None]).T @ design + np.diag(penalty)
        hess[np.diag_indices_from(hess)] += 1e-9
        step = np.linalg.solve(hess, grad)
        beta = beta - step
        if float(np.max(np.abs(step))) < tol:
            break
    return beta[1:], float(beta[0])


def evasion_masks(families: tuple[str, ...], evadable: tuple[str, ...], keep: int) -> BoolArray:
    """Every way to hide some `evadable` families while at least `keep` of them stay visible:
    one row per way, one column per feature, True where the feature is hidden."""
    fam = np.asarray(families)
    masks = [
        np.isin(fam, hidden)
        for k in range(0, len(evadable) - keep + 1)
        for hidden in combinations(evadable, k)
    ]
    return np.array(masks, dtype=bool).reshape(len(masks), len(families))


def evadable_all(families: tuple[str, ...]) -> list[str]:
    """Families whose features all point towards suspicion (everything but `structure`)."""
    return sorted({f for f in families if f != "structure"})


def fit_model(
    x: FloatArray,
    y: FloatArray,
    weight: FloatArray,
    *,
    features: tuple[str, ...],
    families: tuple[str, ...],
    l2: float = 1.0,
    evadable: tuple[str, ...] = (),
    keep_families: int = 2,
) -> RiskModel:
    """Standardise against the benign median, fit, and wrap the result as a RiskModel.

    With `evadable` families, every farm row is also shown to the fit in each variant where
    some of those families are hidden (set to the benign median) and at least `keep_families`
    stay visible, the variants sharing the row's weight. This is the threat model written into
    the data: an operator can make any family look ordinary, but not all of them at once. It keeps
    the model from leaning on whatever every training farm happened to share.
    """
    benign = y < 0.5
    if not benign.any() or benign.all():
        raise ValueError("training needs both benign and farm clusters")
    center = np.median(x[benign], axis=0)
    spread = x.std(axis=0)
    scale = np.where(spread > 1e-9, spread, 1.0)
    z = (x - center) / scale
    present = tuple(f for f in evadable if f in families)
    if len(present) > keep_families and (~benign).any():
        masks = evasion_masks(families, present, keep_families)
        farm_z = z[~benign]
        variants = np.concatenate([np.where(m, 0.0, farm_z) for m in masks])
        z = np.concatenate([z[benign], variants])
        y = np.concatenate([y[benign], np.ones(len(variants))])
        weight = np.concatenate([weight[benign], np.tile(weight[~benign] / len(masks), len(masks))])
    coef, intercept = fit_logistic(
        z, y, weight, l2=l2, nonnegative=np.isin(np.asarray(families), evadable_all(families))
    )
    return RiskModel(
        features=features,
        families=families,
        center=tuple(float(c) for c in center),
        scale=tuple(float(s) for s in scale),
        coef=tuple(round(float(b), 6) for b in coef),
        intercept=round(intercept, 6),
    )
