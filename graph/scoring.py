"""Cluster risk: named signals per family, combined into a score, a tier and readable evidence.

Each signal is a number in [0, 1] computed from one row of `scoring.cluster_features`. Signals are
grouped in independent families (identity, payment, network, timing, behaviour); a family's
strength is its strongest signal. The risk score is a noisy-OR over families, so one family alone
cannot reach the ban threshold: a household sharing a card, a team on one office IP, a campus
behind NAT each light one family, a farm lights several. A cluster is `flagged` (banned) only when
its score clears `flag_threshold` *and* at least `min_families` families fired on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

FAMILIES = ("identity", "payment", "network", "timing", "behaviour")


@dataclass(frozen=True)
class ScoringParams:
    flag_threshold: float = 0.80
    review_threshold: float = 0.50
    min_families: int = 2
    min_size: int = 3
    family_fires_at: float = 0.5
    family_weight: float = 0.65

    def __post_init__(self) -> None:
        if not 0 < self.review_threshold <= self.flag_threshold <= 1:
            raise ValueError("need 0 < review_threshold <= flag_threshold <= 1")
        if self.min_families < 1 or self.min_size < 2:
            raise ValueError("need min_families >= 1 and min_size >= 2")
        if not 0 < self.family_weight < 1:
            raise ValueError("family_weight must lie in (0, 1)")


def _clip(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(0.0).fill_nan(0.0).clip(0.0, 1.0)


def _ramp(col: str | pl.Expr, lo: float, hi: float) -> pl.Expr:
    """0 at or below `lo`, 1 at or above `hi`, linear in between."""
    expr = pl.col(col) if isinstance(col, str) else col
    return _clip((expr.cast(pl.Float64) - lo) / (hi - lo))


def signals(features: pl.DataFrame) -> pl.DataFrame:
    """One column per named signal (all in [0, 1]) beside `community`."""
    size = pl.col("size").cast(pl.Float64)
    return features.select(
        "community",
        # identity: many accounts behind few mailboxes or phone numbers, or throwaway domains
        mailbox_reuse=_ramp(size / pl.max_horizontal(pl.col("n_mailboxes"), 1), 1.5, 3.0),
        phone_reuse=_ramp(
            pl.col("n_with_phone") / pl.max_horizontal(pl.col("n_phones"), 1), 1.5, 3.0
        )
        * _ramp("n_with_phone", 2, 4),
        disposable_email=_ramp("disposable_share", 0.2, 0.6),
        # payment: many cards from the same few BINs (virtual prepaid cards), failing or disputed
        card_farming=_ramp(pl.col("n_cards") / pl.max_horizontal(pl.col("n_bins"), 1), 2.0, 4.0)
        * _ramp("n_cards", 3, 6),
        payment_failures=_ramp(pl.col("failed_rate") + 2 * pl.col("dispute_rate"), 0.15, 0.4)
        * _ramp("n_payments", 3, 10),
        # network: hosting infrastructure, or a fresh residential IP nearly every session
        datacenter=_ramp("datacenter_share", 0.3, 0.7),
        proxy_rotation=_ramp("ips_per_session", 0.5, 0.85)
        * _ramp("sessions_per_account", 3, 6)
        * _ramp(pl.col("residential_share") + pl.col("mobile_share"), 0.5, 0.8),
        device_pool=_ramp(size / pl.max_horizontal(pl.col("n_signup_devices"), 1), 3.0, 6.0)
        * _ramp(pl.col("mobile_share") + pl.col("datacenter_share"), 0.3, 0.6),
        # timing: machine-regular sign-up cadence, or API use around the clock
        scripted_cadence=_ramp(1 - pl.col("gap_cv"), 0.3, 0.6) * _ramp("size", 8, 15),
        round_the_clock=_ramp("hours_of_day_per_account", 9, 14),
        # behaviour: extraction-shaped use (long answers to short prompts) at volume, in step
        distillation=_ramp("output_input_ratio", 3.0, 6.0) * _ramp("api_active_share", 0.3, 0.6),
        # (in step around the clock: a team in step during office hours is what teams do)
        lockstep=_ramp("cohour_coverage", 0.3, 0.7)
        * _ramp("size", 5, 10)
        * _ramp("cluster_hours_of_day", 14, 20),
    )


SIGNAL_FAMILY = {
    "mailbox_reuse": "identity",
    "phone_reuse": "identity",
    "disposable_email": "identity",
    "card_farming": "payment",
    "payment_failures": "payment",
    "datacenter": "network",
    "proxy_rotation": "network",
    "device_pool": "network",
    "scripted_cadence": "timing",
    "round_the_clock": "timing",
    "distillation": "behaviour",
    "lockstep": "behaviour",
}


def score_clusters(features: pl.DataFrame, *, params: ScoringParams) -> pl.DataFrame:
    """community, risk_score, tier, flagged, review, families, evidence (one row per cluster)."""
    sig = signals(features)
    family_cols = {
        family: pl.max_horizontal([pl.col(s) for s, f in SIGNAL_FAMILY.items() if f == family])
        for family in FAMILIES
    }
    fam = sig.with_columns(**family_cols)
    miss = pl.lit(1.0)
    for family in FAMILIES:
        miss = miss * (1 - params.family_weight * pl.col(family))
    fired = [
        pl.when(pl.col(f) >= params.family_fires_at).then(pl.lit(f)).otherwise(None)
        for f in FAMILIES
    ]
    scored = fam.with_columns(
        risk_score=(1 - miss).round(4),
        families=pl.concat_list(fired).list.drop_nulls(),
    ).join(features.select("community", "size"), on="community")
    big_enough = pl.col("size") >= params.min_size
    enough_families = pl.col("families").list.len() >= params.min_families
    flagged = big_enough & enough_families & (pl.col("risk_score") >= params.flag_threshold)
    review = ~flagged & (pl.col("risk_score") >= params.review_threshold)
    scored = scored.with_columns(flagged=flagged, review=review).with_columns(
        tier=pl.when("flagged")
        .then(pl.lit("flagged"))
        .when("review")
        .then(pl.lit("review"))
        .otherwise(pl.lit("clear"))
    )
    evidence = explain(features, sig)
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


def _fmt_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def explain(features: pl.DataFrame, sig: pl.DataFrame) -> pl.DataFrame:
    """Evidence text per cluster: the facts behind each signal that fired, most telling first.

    Runs in Python per cluster: clusters number in the thousands, not millions, and each sentence
    is assembled from a handful of named values.
    """
    rows = features.join(sig, on="community", suffix="_signal").to_dicts()
    return pl.DataFrame(
        {
            "community": [r["community"] for r in rows],
            "evidence": [_evidence_text(r) for r in rows],
        },
        schema={"community": pl.Int32, "evidence": pl.String},
    )


Value = Callable[[str], float]

# The sentence behind each signal, in the words a reviewer uses; the family tag is added.
_FACTS: dict[str, Callable[[Value], str]] = {
    "mailbox_reuse": lambda v: (
        f"{v('size'):.0f} sign-ups on {v('n_mailboxes'):.0f} mailboxes (dot and +tag aliases)"
    ),
    "phone_reuse": lambda v: (
        f"{v('n_with_phone'):.0f} accounts verified with {v('n_phones'):.0f} phone numbers"
    ),
    "disposable_email": lambda v: f"{v('disposable_share'):.0%} disposable email domains",
    "card_farming": lambda v: (
        f"{v('n_cards'):.0f} cards from {v('n_bins'):.0f} BINs, "
        f"{v('n_postals'):.0f} billing postcodes"
    ),
    "payment_failures": lambda v: (
        f"{v('failed_rate'):.0%} of {v('n_payments'):.0f} payments failed, "
        f"{v('dispute_rate'):.0%} disputed or refunded"
    ),
    "datacenter": lambda v: (
        f"{v('datacenter_share'):.0%} of accounts mostly on hosting providers' IPs"
    ),
    "proxy_rotation": lambda v: (
        f"a new IP in {v('ips_per_session'):.0%} of sessions (median; residential proxy rotation)"
    ),
    "device_pool": lambda v: f"{v('size'):.0f} accounts on {v('n_signup_devices'):.0f} devices",
    "scripted_cadence": lambda v: (
        f"one sign-up every ~{_fmt_duration(v('median_gap_s'))} over "
        f"{_fmt_duration(v('signup_span_hours') * 3600)} (gap variation {v('gap_cv'):.2f})"
    ),
    "round_the_clock": lambda v: (
        f"API use in {v('hours_of_day_per_account'):.0f} hours of the day per account"
    ),
    "distillation": lambda v: f"{v('output_input_ratio'):.1f} output tokens per input token",
    "lockstep": lambda v: (
        f"{v('cohour_coverage'):.0%} of accounts use {v('shared_templates'):.0f} shared prompt "
        "templates in the same hours"
    ),
}
# Shared values worth naming even when no signal fired on them.
_SHARED = (
    ("shared_cards", "cards"),
    ("shared_devices", "devices"),
    ("shared_ips", "IPs"),
    ("shared_bin_postals", "BIN+postcodes"),
)


def _evidence_text(row: dict[str, object]) -> str:
    def value(key: str) -> float:
        got = row.get(key)
        return float(got) if isinstance(got, int | float) else 0.0

    fired = sorted(
        (s for s in _FACTS if value(s) > 0), key=lambda s: (-value(s), list(_FACTS).index(s))
    )
    parts = [f"{value('size'):.0f} accounts"]
    parts += [f"[{SIGNAL_FAMILY[s]}] {_FACTS[s](value)}" for s in fired]
    shared = [f"{value(key):.0f} {label}" for key, label in _SHARED if value(key) > 0]
    if shared:
        parts.append("shared: " + ", ".join(shared))
    return "; ".join(parts)
