"""Turn account profiles into the four input tables (signups, sessions, api_usage, payments).

All sampling is per row but vectorized: rows are account indices repeated by their counts, and
every identifier is a gather from the shared tables built by the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.context import (
    BUSINESS,
    MODE_BUSINESS,
    MODE_CLOCK,
    MODE_DIURNAL,
    MODE_POOL,
    WAKING,
    Ctx,
    local_times,
)
from sybil.synth.registry import HEX16, str_series

UTC_US = pl.Datetime("us", "UTC")
_UA = pl.Series([c.ua for c in pools.CLIENTS], dtype=pl.String)
_POOL_SHIFT = 21  # hour index < 2^21 for the next two centuries


@dataclass
class Tables:
    """Finished identifier tables: strings to gather from, plus numeric attributes."""

    ip: pl.Series
    ip_alt: pl.Series
    ip_asn: np.ndarray
    dev: pl.Series
    tls: pl.Series
    tpl: pl.Series
    tpl_in: np.ndarray
    tpl_out: np.ndarray
    card: pl.Series
    card_attr: pl.DataFrame
    pool_key: np.ndarray
    pool_hour: np.ndarray
    pool_end: np.ndarray

    @classmethod
    def finish(cls, ctx: Ctx) -> Tables:
        reg = ctx.reg
        ip, ip_alt, asn = reg.ips.finish()
        lens = np.array([len(p) for p in ctx.hour_pools], dtype=np.int64)
        hours = np.concatenate(ctx.hour_pools) if ctx.hour_pools else np.zeros(0, np.int64)
        pid = np.repeat(np.arange(len(lens)), lens)
        cards = reg.cards
        return cls(
            ip=ip,
            ip_alt=ip_alt,
            ip_asn=asn,
            dev=reg.devices.finish(ctx.rng),
            tls=reg.tls.finish(ctx.rng),
            tpl=reg.templates.finish(ctx.rng),
            tpl_in=reg.templates.column("in_mean"),
            tpl_out=reg.templates.column("out_mean"),
            card=cards.finish(ctx.rng),
            card_attr=pl.DataFrame(
                {
                    k: str_series(cards.column(k).astype(object), k)
                    for k in ("bin", "country", "holder", "postal")
                }
            ),
            pool_key=(pid << _POOL_SHIFT) + hours // pools.HOUR_US,
            pool_hour=hours,
            pool_end=np.cumsum(lens),
        )


def numpy_profile(acc: pl.DataFrame) -> dict[str, np.ndarray]:
    """Profile columns as numpy arrays (strings stay in the frame)."""
    return {c: acc[c].to_numpy() for c in acc.columns if acc[c].dtype != pl.String}


def sample_times(ctx: Ctx, t: Tables, a: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    """Activity timestamps for rows of accounts `idx`, following each account's rhythm."""
    rng = ctx.rng
    m = len(idx)
    created = a["created"][idx]
    end = np.minimum(
        created + (a["life"][idx] * pools.DAY_US).astype(np.int64), pools.ACTIVITY_END_US
    )
    mode = np.where(rng.random(m) < a["p_clock"][idx], MODE_CLOCK, a["mode"][idx])
    out = created + (rng.random(m) * (end - created)).astype(np.int64)
    for code, profile, weekend in ((MODE_DIURNAL, WAKING, 0.6), (MODE_BUSINESS, BUSINESS, 0.08)):
        sel = np.flatnonzero(mode == code)
        out[sel] = local_times(rng, created[sel], end[sel], a["tz"][idx[sel]], profile, weekend)
    sel = np.flatnonzero(mode == MODE_POOL)
    if len(sel) and len(t.pool_key):
        pid = a["pool"][idx[sel]]
        first_hour = -(-created[sel] // pools.HOUR_US)
        lo = np.searchsorted(t.pool_key, (pid << _POOL_SHIFT) + first_hour)
        hi = t.pool_end[pid]
        ok = lo < hi
        pick = lo + (rng.random(len(sel)) * np.maximum(hi - lo, 0)).astype(np.int64)
        pick = np.minimum(pick, len(t.pool_hour) - 1)
        inside = t.pool_hour[pick] + (rng.random(len(sel)) * pools.HOUR_US).astype(np.int64)
        out[sel] = np.where(ok, inside, out[sel])
    return np.clip(out, created, pools.ACTIVITY_END_US)


def signup_picks(ctx: Ctx, a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The concrete signup IP and device of each account (one draw from its signup slot)."""
    n = len(a["created"])
    ip = a["s_ip0"] + (ctx.rng.random(n) * a["s_ipn"]).astype(np.int64)
    dev = a["s_dev0"] + (ctx.rng.random(n) * a["s_devn"]).astype(np.int64)
    return ip, dev


def _blank(s: pl.Series, drop: np.ndarray) -> pl.Series:
    """s (a fresh series) with nulls where drop is true."""
    return s.scatter(np.flatnonzero(drop), None)


def _where(mask: np.ndarray | pl.Series, a: pl.Series, b: pl.Series) -> pl.Series:
    return a.zip_with(mask if isinstance(mask, pl.Series) else pl.Series(mask), b)


def _null_some(ctx: Ctx, s: pl.Series, share: float) -> pl.Series:
    return _blank(s, ctx.rng.random(len(s)) < share)


def signups(
    ctx: Ctx,
    t: Tables,
    acc: pl.DataFrame,
    a: dict[str, np.ndarray],
    ip: np.ndarray,
    dev: np.ndarray,
) -> pl.DataFrame:
    """One row per account, as the signup form and SDK recorded it."""
    frame = pl.DataFrame(
        {
            "account_id": acc["account_id"],
            "created_at": pl.Series(a["created"]).cast(UTC_US),
            "email": acc["email"],
            "name": acc["name"],
            "phone": acc["phone"],
            "country": acc["country"],
            "ip": _null_some(ctx, t.ip.gather(ip), 0.003),
            "user_agent": _null_some(ctx, _UA.gather(a["s_ua"]), 0.003),
            "device_id": _null_some(ctx, t.dev.gather(dev), 0.02),
        }
    )
    return frame.sort(["created_at", "account_id"])


def sessions(
    ctx: Ctx,
    t: Tables,
    acc: pl.DataFrame,
    a: dict[str, np.ndarray],
    sig_ip: np.ndarray,
    sig_dev: np.ndarray,
    act: np.ndarray,
) -> pl.DataFrame:
    """Logins and API sessions: the signup itself, a short early burst, then regular use."""
    rng = ctx.rng
    n = len(act)
    early = rng.poisson(a["early"])
    main = rng.poisson(a["sess"] * act)
    first = np.arange(n)
    e_idx = np.repeat(first, early)
    m_idx = np.repeat(first, main)
    idx = np.concatenate([first, e_idx, m_idx])
    kind = np.repeat(np.array([0, 1, 2], dtype=np.int8), [n, len(e_idx), len(m_idx)])
    ts = np.concatenate(
        [
            a["created"],
            a["created"][e_idx] + (rng.random(len(e_idx)) * 3 * pools.HOUR_US).astype(np.int64),
            sample_times(ctx, t, a, m_idx),
        ]
    )
    m = len(idx)
    use_b = (kind == 2) & (rng.random(m) < a["p_b"][idx])
    flat = idx * 3 + np.where(kind == 2, np.where(use_b, 2, 1), 0)  # row of (account, slot)

    def pick(col: str) -> np.ndarray:
        return np.stack([a[f"s_{col}"], a[f"a_{col}"], a[f"b_{col}"]], axis=1).ravel()[flat]

    ip = pick("ip0") + (rng.random(m) * pick("ipn")).astype(np.int64)
    dev = pick("dev0") + (rng.random(m) * pick("devn")).astype(np.int64)
    ip[:n], dev[:n] = sig_ip, sig_dev
    ua, tls = pick("ua"), pick("tls")
    sdk = (kind > 0) & (a["sdk_ua"][idx] >= 0) & (rng.random(m) < a["p_sdk"][idx])
    ua = np.where(sdk, a["sdk_ua"][idx], ua)
    tls = np.where(sdk, a["sdk_tls"][idx], tls)
    alt = rng.random(m) < 0.04
    drop_dev = sdk & (rng.random(m) < 0.5)
    ts = np.minimum(ts, pools.ACTIVITY_END_US)
    o = np.argsort(ts, kind="stable")
    idx, ts, ip, ua, dev, tls, alt, drop_dev = (
        x[o] for x in (idx, ts, ip, ua, dev, tls, alt, drop_dev)
    )
    return pl.DataFrame(
        {
            "account_id": acc["account_id"].gather(idx),
            "ts": pl.Series(ts).cast(UTC_US),
            "ip": _where(alt, t.ip_alt.gather(ip), t.ip.gather(ip)),
            "asn": t.ip_asn[ip].astype(np.int64),
            "user_agent": _UA.gather(ua),
            "device_id": _blank(t.dev.gather(dev), drop_dev),
            "tls_fingerprint": t.tls.gather(tls),
        }
    )


def _templates(
    ctx: Ctx,
    a: dict[str, np.ndarray],
    idx: np.ndarray,
    public: tuple[int, int],
    public_w: np.ndarray,
) -> np.ndarray:
    rng = ctx.rng
    m = len(idx)
    u = rng.random(m)
    r = rng.random(m)
    priv = (u < a["p_priv"][idx]) & (a["tpn"][idx] > 0)
    grp = ~priv & (u < a["p_priv"][idx] + a["p_grp"][idx]) & (a["tgn"][idx] > 0)
    out = public[0] + rng.choice(public[1], size=m, p=public_w)
    out = np.where(priv, a["tp0"][idx] + (r * a["tpn"][idx]).astype(np.int64), out)
    return np.where(grp, a["tg0"][idx] + (r * a["tgn"][idx]).astype(np.int64), out)


def api_usage(
    ctx: Ctx, t: Tables, acc: pl.DataFrame, a: dict[str, np.ndarray], act: np.ndarray
) -> pl.DataFrame:
    """Hourly usage per (account, model, template); farms distill (short in, long out)."""
    rng = ctx.rng
    counts = rng.poisson(a["api"] * act)
    idx = np.repeat(np.arange(len(act)), counts)
    m = len(idx)
    hour = sample_times(ctx, t, a, idx) // pools.HOUR_US * pools.HOUR_US
    tpl = _templates(ctx, a, idx, ctx.public_tpl, ctx.public_w)
    distill = a["distill"][idx]
    u = rng.random(m)
    model = np.where(
        distill,
        np.where(u < 0.05, 0, np.where(u < 0.6, 1, 2)),
        np.where(u < 0.55, 0, np.where(u < 0.92, 1, 2)),
    )
    model = np.where((model == 2) & (hour < pools.REASONING_RELEASE_US), 1, model)
    req = 1 + rng.poisson(a["req"][idx] * rng.lognormal(-0.18, 0.6, m))
    tin = (req * t.tpl_in[tpl] * rng.lognormal(0, 0.25, m)).astype(np.int64)
    tout = (
        req * t.tpl_out[tpl] * rng.lognormal(0, 0.4, m) * np.where(model == 2, 2.5, 1.0)
    ).astype(np.int64)
    # One row per (hour, account, model, template): sum duplicates via one packed int64 key.
    n_acc, n_tpl = len(act), len(t.tpl_in)
    hours = (pools.ACTIVITY_END_US - pools.SIGNUP_START_US) // pools.HOUR_US + 1
    if hours * n_acc * len(pools.MODELS) * n_tpl >= 2**63:
        raise ValueError("world too large for the packed api_usage key")
    h = (hour - pools.SIGNUP_START_US) // pools.HOUR_US
    key = ((h * n_acc + idx) * len(pools.MODELS) + model) * n_tpl + tpl
    uniq, inv = np.unique(key, return_inverse=True)
    sums = [np.bincount(inv, weights=w).astype(np.int64) for w in (req, tin, tout)]
    tpl, rest = uniq % n_tpl, uniq // n_tpl
    model, rest = rest % len(pools.MODELS), rest // len(pools.MODELS)
    idx, h = rest % n_acc, rest // n_acc
    return pl.DataFrame(
        {
            "account_id": acc["account_id"].gather(idx),
            "hour": pl.Series(pools.SIGNUP_START_US + h * pools.HOUR_US).cast(UTC_US),
            "model": pl.Series(pools.MODELS, dtype=pl.String).gather(model),
            "requests": sums[0],
            "input_tokens": sums[1],
            "output_tokens": sums[2],
            "prompt_hash": t.tpl.gather(tpl),
        }
    )


_STATUS = np.array(["succeeded", "failed", "refunded", "disputed"], dtype=object)
# by profile "risk": 0 benign, 1 careful farm, 2 crude farm, 3 a card that never fails
_STATUS_P = np.array(
    [
        [0.95, 0.04, 0.008, 0.002],
        [0.62, 0.28, 0.04, 0.06],
        [0.25, 0.65, 0.02, 0.08],
        [1.0, 0.0, 0.0, 0.0],
    ]
)


def payments(ctx: Ctx, t: Tables, acc: pl.DataFrame, a: dict[str, np.ndarray]) -> pl.DataFrame:
    """Payment attempts: a first one soon after signup, then renewals and top-ups."""
    rng = ctx.rng
    n = len(a["created"])
    count = np.where(rng.random(n) < a["p_pay"], 1 + rng.poisson(a["pay_n"]), 0)
    idx = np.repeat(np.arange(n), count)
    m = len(idx)
    first = np.r_[True, idx[1:] != idx[:-1]] if m else np.zeros(0, bool)
    created = a["created"][idx]
    ts = np.where(
        first,
        created + (rng.random(m) * 2 * pools.DAY_US).astype(np.int64),
        created + (rng.random(m) * (pools.ACTIVITY_END_US - created)).astype(np.int64),
    )
    card = np.where(
        (rng.random(m) < a["p_card_b"][idx]) & (a["card_b"][idx] >= 0),
        a["card_b"][idx],
        a["card_a"][idx],
    )
    method = acc["method"].gather(idx).to_numpy().astype(object)
    method = np.where((method == "card") & (card < 0), "paypal", method)
    is_card = method == "card"
    status = np.empty(m, dtype=object)
    risk = a["risk"][idx]
    u = rng.random(m)
    for level in range(len(_STATUS_P)):
        sel = risk == level
        status[sel] = _STATUS[np.minimum(np.searchsorted(np.cumsum(_STATUS_P[level]), u[sel]), 3)]
    price = a["price"][idx]
    amount = np.where(
        rng.random(m) < 0.65, price, np.round(price * rng.lognormal(0.2, 0.9, m), 2)
    )  # plan renewals, top-ups
    o = np.argsort(ts, kind="stable")
    idx, ts, method, card, is_card, status, amount = (
        x[o] for x in (idx, ts, method, card, is_card, status, amount)
    )
    cidx = pl.Series(np.maximum(card, 0))
    attr = t.card_attr[cidx]
    own_name = ~is_card | a["bill_own"][idx]
    return pl.DataFrame(
        {
            "payment_id": _payment_ids(ctx, m),
            "account_id": acc["account_id"].gather(idx),
            "created_at": pl.Series(ts).cast(UTC_US),
            "method": pl.Series(method, dtype=pl.String),
            "card_fingerprint": _blank(t.card.gather(cidx), ~is_card),
            "card_bin": _blank(attr["bin"], ~is_card),
            "card_country": _blank(attr["country"], ~is_card),
            "billing_name": _where(own_name, acc["holder"].gather(idx), attr["holder"]),
            "billing_postal": _where(is_card, attr["postal"], acc["postal"].gather(idx)),
            "amount_usd": amount.astype(np.float64),
            "status": pl.Series(status, dtype=pl.String),
        }
    )


def _payment_ids(ctx: Ctx, m: int) -> pl.Series:
    """Unique random-looking ids: an odd multiplier is a bijection modulo 2^48.

    A chunk of a world numbers its payments after those of earlier chunks, with the world's salt,
    so ids stay unique across chunks.
    """
    salt, first = ctx.rng.integers(0, 1 << 40), 0
    if ctx.shared is not None:
        salt, first = ctx.shared.payment_salt, ctx.shared.payment_offset
    code = (
        (np.arange(m, dtype=np.uint64) + np.uint64(first)) * np.uint64(0x9E3779B97F4A7C15)
        + np.uint64(salt)
    ) & np.uint64((1 << 48) - 1)
    code = code.astype(np.int64)
    parts = [HEX16.gather((code >> sh) & 0xFFFF).str.zfill(4) for sh in (32, 16, 0)]
    return pl.select(pl.concat_str([pl.lit("pay_"), *(pl.lit(p) for p in parts)])).to_series()
