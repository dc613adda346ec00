"""Cluster risk: named signals per family, combined into a score, a tier and readable evidence.

Each signal is a number in [0, 1] computed from one row of `scoring.cluster_features`. Signals are
grouped in independent families (identity, payment, network, timing, behaviour); a family's
strength is its strongest signal. The risk score is a noisy-OR over families, so one family alone
cannot reach the ban threshold: a household sharing a card, a team on one office IP, a campus
behind NAT each light one family, a farm lights several. A cluster is `flagged` (banned) only when
its score clears `flag_threshold` *and* at least `min_families` families fired on their own.
"""

from __future__ import annotations

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
    out = []
    for r in rows:
        out.append({"community": r["community"], "evidence": _evidence_text(r)})
    return pl.DataFrame(out, schema={"community": pl.Int32, "evidence": pl.String})


def _evidence_text(r: dict[str, object]) -> str:
    def f(key: str) -> float:
        value = r.get(key)
        return float(value) if isinstance(value, int | float) else 0.0

    size = int(f("size"))
    parts = [f"{size} accounts"]
    facts: list[tuple[float, str]] = []
    if f("mailbox_reuse") > 0:
        facts.append(
            (
                f("mailbox_reuse"),
                f"[identity] {size} sign-ups on {int(f('n_mailboxes'))} mailboxes "
                "(dot and +tag aliases)",
            )
        )
    if f("phone_reuse") > 0:
        facts.append(
            (
                f("phone_reuse"),
                f"[identity] {int(f('n_with_phone'))} accounts verified with "
                f"{int(f('n_phones'))} phone numbers",
            )
        )
    if f("disposable_email") > 0:
        facts.append(
            (
                f("disposable_email"),
                f"[identity] {f('disposable_share'):.0%} disposable email domains",
            )
        )
    if f("card_farming") > 0:
        facts.append(
            (
                f("card_farming"),
                f"[payment] {int(f('n_cards'))} cards from {int(f('n_bins'))} BINs, "
                f"{int(f('n_postals'))} billing postcodes",
            )
        )
    if f("payment_failures") > 0:
        facts.append(
            (
                f("payment_failures"),
                f"[payment] {f('failed_rate'):.0%} of {int(f('n_payments'))} payments "
                f"failed, {f('dispute_rate'):.0%} disputed or refunded",
            )
        )
    if f("datacenter") > 0:
        facts.append(
            (
                f("datacenter"),
                f"[network] {f('datacenter_share'):.0%} of accounts mostly on hosting "
                "providers' IPs",
            )
        )
    if f("proxy_rotation") > 0:
        facts.append(
            (
                f("proxy_rotation"),
                f"[network] a new IP in {f('ips_per_session'):.0%} of sessions (median) "
                "(residential proxy rotation)",
            )
        )
    if f("device_pool") > 0:
        facts.append(
            (f("device_pool"), f"[network] {size} accounts on {int(f('n_signup_devices'))} devices")
        )
    if f("scripted_cadence") > 0:
        facts.append(
            (
                f("scripted_cadence"),
                f"[timing] one sign-up every ~{_fmt_duration(f('median_gap_s'))} over "
                f"{_fmt_duration(f('signup_span_hours') * 3600)} "
                f"(gap variation {f('gap_cv'):.2f})",
            )
        )
    if f("round_the_clock") > 0:
        facts.append(
            (
                f("round_the_clock"),
                f"[timing] API use in {f('hours_of_day_per_account'):.0f} hours of the day "
                "per account",
            )
        )
    if f("distillation") > 0:
        facts.append(
            (
                f("distillation"),
                f"[behaviour] {f('output_input_ratio'):.1f} output tokens per input token",
            )
        )
    if f("lockstep") > 0:
        facts.append(
            (
                f("lockstep"),
                f"[behaviour] {f('cohour_coverage'):.0%} of accounts use "
                f"{int(f('shared_templates'))} shared prompt templates in the same hours",
            )
        )
    shared = []
    for key, label in (
        ("shared_cards", "cards"),
        ("shared_devices", "devices"),
        ("shared_ips", "IPs"),
        ("shared_bin_postals", "BIN+postcodes"),
    ):
        if f(key) > 0 and not any(label in text for _, text in facts):
            shared.append(f"{int(f(key))} {label}")
    facts.sort(key=lambda t: -t[0])
    parts.extend(text for _, text in facts)
    if shared:
        parts.append("shared: " + ", ".join(shared))
    return "; ".join(parts)
