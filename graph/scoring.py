"""Cluster risk: named features per family, a learned logistic score, tiers and readable evidence.

Every feature is computed from one row of `scoring.cluster_features` and belongs to one signal
family (identity, payment, network, timing, behaviour) or to `structure` (size and density, which
shape the score but never count as evidence). The risk model (`graph.model.RiskModel`, trained by
`sybil train` and kept in `data/reference/risk_model.json`) turns them into a calibrated
probability. A family *fires* when its features together add at least `fire_margin` to the
log-odds of an ordinary benign cluster. A cluster is `flagged` (banned) only when its probability
clears the flag threshold *and* at least `min_families` families fired: a household sharing a
card, a team on one office IP, a campus behind NAT light one family; a farm lights several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from graph.model import RiskModel

FAMILIES = ("identity", "payment", "network", "timing", "behaviour")
STRUCTURE = "structure"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "data" / "reference" / "risk_model.json"

Value = Callable[[str], float]


@dataclass(frozen=True)
class Feature:
    """A named cluster feature: its family, how it is computed, and the sentence behind it."""

    name: str
    family: str
    expr: pl.Expr
    fact: Callable[[Value], str]


def _col(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64).fill_null(0.0).fill_nan(0.0)


def _log_ratio(num: str | pl.Expr, den: str) -> pl.Expr:
    top = _col(num) if isinstance(num, str) else num
    return (pl.max_horizontal(top, 1.0) / pl.max_horizontal(_col(den), 1.0)).log()


# Shares and variation measured on a handful of members are chance (two sign-ups always have a
# "regular" gap, a pair shares a domain half the time): shape features start at this size.
SHAPE_MIN_SIZE = 8


def _sized(expr: pl.Expr) -> pl.Expr:
    """`expr` for clusters of SHAPE_MIN_SIZE members or more, 0 below."""
    return pl.when(pl.col("size") >= SHAPE_MIN_SIZE).then(expr).otherwise(0.0)


def _fmt_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


FEATURES: tuple[Feature, ...] = (
    # identity: many accounts behind few mailboxes or phones, throwaway domains, one template
    Feature(
        "mailbox_reuse",
        "identity",
        _log_ratio("size", "n_mailboxes"),
        lambda v: (
            f"{v('size'):.0f} sign-ups on {v('n_mailboxes'):.0f} mailboxes (dot/+tag aliases)"
        ),
    ),
    Feature(
        "phone_reuse",
        "identity",
        _log_ratio("n_with_phone", "n_phones"),
        lambda v: f"{v('n_with_phone'):.0f} accounts verified with {v('n_phones'):.0f} phones",
    ),
    Feature(
        "disposable_email",
        "identity",
        _col("disposable_share"),
        lambda v: f"{v('disposable_share'):.0%} disposable email domains",
    ),
    Feature(
        "email_template",
        "identity",
        _sized(_col("email_shape_share")),
        lambda v: f"{v('email_shape_share'):.0%} of mailboxes follow one local-part pattern",
    ),
    Feature(
        "domain_concentration",
        "identity",
        _sized(1 - _col("n_email_domains") / _col("size").clip(lower_bound=1)),
        lambda v: f"{v('size'):.0f} accounts on {v('n_email_domains'):.0f} email domains",
    ),
    # payment: many cards from few BINs, cards passed around, failures and disputes
    Feature(
        "card_farming",
        "payment",
        _log_ratio("n_cards", "n_bins"),
        lambda v: (
            f"{v('n_cards'):.0f} cards from {v('n_bins'):.0f} BINs, "
            f"{v('n_postals'):.0f} billing postcodes"
        ),
    ),
    Feature(
        "card_reuse",
        "payment",
        _log_ratio("n_paying", "n_cards"),
        lambda v: f"{v('n_paying'):.0f} paying accounts on {v('n_cards'):.0f} cards",
    ),
    Feature(
        "payment_failures",
        "payment",
        _col("failed_rate"),
        lambda v: f"{v('failed_rate'):.0%} of {v('n_payments'):.0f} payments failed",
    ),
    Feature(
        "disputes",
        "payment",
        _col("dispute_rate"),
        lambda v: f"{v('dispute_rate'):.0%} of payments disputed or refunded",
    ),
    # network: hosting and VPN infrastructure, rotating proxies, device pools
    Feature(
        "datacenter",
        "network",
        _col("datacenter_share"),
        lambda v: f"{v('datacenter_share'):.0%} of accounts mostly on hosting providers' IPs",
    ),
    Feature(
        "vpn",
        "network",
        _col("vpn_share"),
        lambda v: f"{v('vpn_share'):.0%} of accounts mostly behind VPN exits",
    ),
    Feature(
        "mobile_network",
        "network",
        _col("mobile_share"),
        lambda v: f"{v('mobile_share'):.0%} of sessions (median) on mobile carriers",
    ),
    Feature(
        "proxy_rotation",
        "network",
        _col("ips_per_session"),
        lambda v: f"a new IP in {v('ips_per_session'):.0%} of sessions (median)",
    ),
    Feature(
        "device_reuse",
        "network",
        _log_ratio("size", "n_signup_devices"),
        lambda v: f"{v('size'):.0f} accounts signed up on {v('n_signup_devices'):.0f} devices",
    ),
    # timing: scripted sign-up cadence, bursts, use around the clock
    Feature(
        "signup_regularity",
        "timing",
        _sized((1 - _col("gap_cv")).clip(0.0, 1.0) * pl.col("gap_cv").is_not_null()),
        lambda v: (
            f"one sign-up every ~{_fmt_duration(v('median_gap_s'))} over "
            f"{_fmt_duration(v('signup_span_hours') * 3600)} (gap variation {v('gap_cv'):.2f})"
        ),
    ),
    Feature(
        "signup_burst",
        "timing",
        _sized(_col("max_signups_in_hour") / _col("size").clip(lower_bound=1)),
        lambda v: f"{v('max_signups_in_hour'):.0f} of {v('size'):.0f} sign-ups in one hour",
    ),
    Feature(
        "round_the_clock",
        "timing",
        _col("sleepless_share"),
        lambda v: (
            f"{v('sleepless_share'):.0%} of active accounts never pause more than 3 hours a day "
            f"(median longest pause {v('quiet_hours'):.0f} h)"
        ),
    ),
    # behaviour: extraction-shaped use, shared templates, in step, at volume, on one model
    Feature(
        "distillation",
        "behaviour",
        (pl.max_horizontal(_col("output_input_ratio"), 0.01)).log(),
        lambda v: f"{v('output_input_ratio'):.1f} output tokens per input token (median)",
    ),
    Feature(
        "shared_templates",
        "behaviour",
        _col("template_coverage"),
        lambda v: (
            f"{v('template_coverage'):.0%} of accounts share "
            f"{v('shared_templates'):.0f} prompt templates"
        ),
    ),
    Feature(
        "template_sets",
        "behaviour",
        _col("template_set_coverage"),
        lambda v: (
            f"{v('template_set_coverage'):.0%} of accounts use near-identical sets of templates"
        ),
    ),
    Feature(
        "lockstep",
        "behaviour",
        _col("cohour_coverage"),
        lambda v: f"{v('cohour_coverage'):.0%} of accounts fire shared templates in the same hours",
    ),
    Feature(
        "volume",
        "behaviour",
        (1 + _col("requests_per_account")).log(),
        lambda v: f"{v('requests_per_account'):.0f} requests per account (median)",
    ),
    Feature(
        "one_model",
        "behaviour",
        _col("top_model_share"),
        lambda v: f"{v('top_model_share'):.0%} of accounts mostly use the same model",
    ),
    # structure: shapes the score, never counts as evidence of its own
    Feature("log_size", STRUCTURE, _col("size").clip(lower_bound=1).log(), lambda v: ""),
    Feature("density", STRUCTURE, _col("weighted_density"), lambda v: ""),
)
FEATURE_FAMILY = {f.name: f.family for f in FEATURES}


@dataclass(frozen=True)
class ScoringParams:
    """The policy around the model: how many families must agree, and the smallest ban."""

    min_families: int = 2
    min_size: int = 3
    flag_threshold: float | None = None  # None: the model's own, chosen by `sybil train`
    review_threshold: float | None = None
    exclude_families: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_families < 1 or self.min_size < 2:
            raise ValueError("need min_families >= 1 and min_size >= 2")
        unknown = set(self.exclude_families) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown families to exclude: {sorted(unknown)}")
        flag, review = self.flag_threshold, self.review_threshold
        if flag is not None and not 0 < flag < 1:
            raise ValueError("flag_threshold must lie in (0, 1)")
        if review is not None and not 0 < review < 1:
            raise ValueError("review_threshold must lie in (0, 1)")
        if flag is not None and review is not None and review > flag:
            raise ValueError("need review_threshold <= flag_threshold")


def feature_matrix(features: pl.DataFrame) -> pl.DataFrame:
    """`community` plus one Float64 column per named feature (nulls and NaNs read as 0)."""
    return features.select(
        "community", *[f.expr.fill_nan(0.0).fill_null(0.0).alias(f.name) for f in FEATURES]
    )


def load_model(path: Path | None = None) -> RiskModel:
    return RiskModel.load(path or DEFAULT_MODEL)


def score_clusters(
    features: pl.DataFrame, *, params: ScoringParams, model: RiskModel
) -> pl.DataFrame:
    """community, risk_score, tier, flagged, review, families, <family> log-odds, evidence."""
    if params.exclude_families:
        model = model.without(set(params.exclude_families))
    matrix = feature_matrix(features)
    x = matrix.select(list(model.features)).to_numpy().astype(np.float64)
    contrib = model.contributions(x) if len(x) else np.zeros((0, len(model.features)))
    prob = model.probability(contrib)
    fam = model.sum_by_family(contrib, FAMILIES) if len(x) else np.zeros((0, len(FAMILIES)))
    flag_at = params.flag_threshold or model.flag_threshold
    review_at = params.review_threshold or model.review_threshold
    fired = fam >= model.fire_margin
    scored = pl.DataFrame(
        {
            "community": matrix["community"],
            "probability": prob,
            **{f: np.round(fam[:, i], 3) for i, f in enumerate(FAMILIES)},
            "families": [[f for i, f in enumerate(FAMILIES) if row[i]] for row in fired.tolist()],
        },
        schema_overrides={"families": pl.List(pl.String)},
    ).join(features.select("community", "size"), on="community")
    big_enough = pl.col("size") >= params.min_size
    enough_families = pl.col("families").list.len() >= params.min_families
    flagged = big_enough & enough_families & (pl.col("probability") >= flag_at)
    review = ~flagged & (pl.col("probability") >= review_at)
    scored = scored.with_columns(
        flagged=flagged, review=review, risk_score=pl.col("probability").round(4)
    ).with_columns(
        tier=pl.when("flagged")
        .then(pl.lit("flagged"))
        .when("review")
        .then(pl.lit("review"))
        .otherwise(pl.lit("clear"))
    )
    evidence = explain(features, model, contrib, fired)
    return (
        scored.join(evidence, on="community")
        .select(
            "community",
            "risk_score",
            "tier",
            "flagged",
            "review",
            "families",
            *FAMILIES,
            "evidence",
        )
        .sort("community")
    )


# Shared values worth naming even when no feature fired on them.
_SHARED = (
    ("shared_cards", "cards"),
    ("shared_devices", "devices"),
    ("shared_ips", "IPs"),
    ("shared_bin_postals", "BIN+postcodes"),
)
_FACT = {f.name: f.fact for f in FEATURES}


def explain(
    features: pl.DataFrame,
    model: RiskModel,
    contrib: np.ndarray,
    fired: np.ndarray,
) -> pl.DataFrame:
    """Evidence per cluster: for each family that fired, its features that pushed the score up,
    most telling first, as sentences with the numbers behind them.

    Runs in Python per cluster: clusters number in the thousands, not millions, and each
    sentence is assembled from a handful of named values.
    """
    rows = features.to_dicts()
    names = model.features
    texts = []
    for r, row in enumerate(rows):

        def value(key: str, row: dict[str, object] = row) -> float:
            got = row.get(key)
            return float(got) if isinstance(got, int | float) else 0.0

        parts = [f"{value('size'):.0f} accounts"]
        telling: list[tuple[float, int]] = []
        for i, family in enumerate(FAMILIES):
            if not fired[r, i]:
                continue
            mine = sorted(
                (-float(contrib[r, j]), j)
                for j, name in enumerate(names)
                if FEATURE_FAMILY[name] == family and contrib[r, j] > 0
            )
            telling += [m for m in mine if -m[0] >= 0.25] or mine[:1]
        parts += [
            f"[{FEATURE_FAMILY[names[j]]}] {_FACT[names[j]](value)}" for _, j in sorted(telling)
        ]
        shared = [f"{value(key):.0f} {label}" for key, label in _SHARED if value(key) > 0]
        if shared:
            parts.append("shared: " + ", ".join(shared))
        texts.append("; ".join(parts))
    return pl.DataFrame(
        {"community": [r["community"] for r in rows], "evidence": texts},
        schema={"community": features.schema["community"], "evidence": pl.String},
    )
