"""Account farms: one operator, many accounts, and the traces operators cannot avoid sharing.

Every builder gets the farm sizes and returns one profile chunk for all farms of its style. Each
farm account also carries some unique noise (own device, own private template, own name/email),
so that a single shared value is never a trivial marker.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.benign import (
    Chunk,
    blocks,
    grouped,
    holder_names,
    new_cards,
    rank_in_group,
    slot,
)
from sybil.synth.context import MODE_CLOCK, MODE_POOL, WAKING, Ctx, local_times
from sybil.synth.people import (
    countries_for,
    display_names,
    disposable_emails,
    draw_people,
    free_emails,
    phones,
    postals,
)
from sybil.synth.registry import asns_of, random_words

_WEEK_US = 7 * pools.DAY_US


def _pick_in(ctx: Ctx, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A uniformly random row of each range [start, start + count)."""
    return start + (ctx.rng.random(len(start)) * count).astype(np.int64)


def _job_pool(ctx: Ctx, start: int) -> int:
    """Hours a farm's scheduler runs: 2-5 jobs a week, 2-6 hours each, all accounts at once."""
    rng = ctx.rng
    span = max(pools.ACTIVITY_END_US - start, pools.DAY_US)
    jobs = 1 + rng.poisson(span / _WEEK_US * rng.uniform(2, 5))
    t = (start + rng.random(jobs) * span).astype(np.int64) // pools.HOUR_US * pools.HOUR_US
    dur = rng.integers(2, 7, jobs)
    hours = (
        np.repeat(t, dur)
        + (np.arange(dur.sum()) - np.repeat(np.cumsum(dur) - dur, dur)) * pools.HOUR_US
    )
    return ctx.hour_pool(hours[hours <= pools.ACTIVITY_END_US])


def _waking_pool(ctx: Ctx, start: int, tz: int, profile: np.ndarray = WAKING) -> int:
    """Hours an operator works by hand: about 8 waking hours (local, by `profile`) of each day."""
    rng = ctx.rng
    days = np.arange(start // pools.DAY_US, pools.ACTIVITY_END_US // pools.DAY_US + 1)
    hours = rng.choice(24, size=(len(days), 8), p=profile)
    t = (days[:, None] * pools.DAY_US + (hours - tz) * pools.HOUR_US).ravel()
    return ctx.hour_pool(t[(t >= start) & (t <= pools.ACTIVITY_END_US)])


def _farm_templates(ctx: Ctx, k: int, lo: int, hi: int, pos: np.ndarray, chunk: Chunk) -> None:
    """A few distillation templates per farm shared by all its accounts."""
    tg0, tgn = ctx.templates(ctx.rng.integers(lo, hi + 1, k), distill=True)
    chunk["tg0"], chunk["tgn"], chunk["distill"] = tg0[pos], tgn[pos], True


def _shared(ctx: Ctx, per_farm: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per farm a contiguous range of `per_farm` items; per account a random item of it."""
    start = np.cumsum(per_farm) - per_farm
    return _pick_in(ctx, start[pos], per_farm[pos]), start


def _farm_cards(
    ctx: Ctx,
    chunk: Chunk,
    pos: np.ndarray,
    n_cards: np.ndarray,
    n_bins: tuple[int, int],
    n_postal: tuple[int, int],
) -> None:
    """Prepaid/virtual cards from a few BINs and postcodes, each card reused by several accounts."""
    rng = ctx.rng
    k = len(n_cards)
    bins = np.array(pools.PREPAID_BINS, dtype=object)
    farm_bins = bins[np.argsort(rng.random((k, len(bins))), axis=1)[:, :3]]
    per_farm = rng.integers(n_bins[0], n_bins[1] + 1, k)
    pick, _ = _shared(ctx, n_cards, pos)
    total = int(n_cards.sum())
    card_farm = np.repeat(np.arange(k), n_cards)
    bin_of = farm_bins[card_farm, (rng.random(total) * per_farm[card_farm]).astype(np.int64)]
    postal_pool = postals(rng, np.full(k * 5, "US", dtype=object)).reshape(k, 5)
    n_post = rng.integers(*n_postal, k, endpoint=True)
    postal = postal_pool[card_farm, (rng.random(total) * n_post[card_farm]).astype(np.int64)]
    rows = ctx.reg.cards.new(
        total,
        bin=bin_of,
        country="US",
        holder=holder_names(draw_people(rng, np.full(total, "US"))),
        postal=postal,
    )
    chunk["card_a"] = rows[0] + pick if total else np.full(len(pos), -1)
    alt, _ = _shared(ctx, n_cards, pos)
    chunk["card_b"], chunk["p_card_b"] = rows[0] + alt if total else -1, 0.3
    chunk["method"], chunk["bill_own"] = "card", True


def _sms_numbers(
    ctx: Ctx, per_farm: np.ndarray, countries: np.ndarray, pos: np.ndarray, share: float
) -> np.ndarray:
    """SMS-activation numbers, each reused by several accounts of one farm (E.164 as scripted)."""
    pick, _ = _shared(ctx, per_farm, pos)
    numbers = phones(ctx.rng, np.repeat(countries, per_farm), e164=True)
    return np.where(ctx.rng.random(len(pos)) < share, numbers[pick], None)


def _base(
    ctx: Ctx, style: str, sizes: np.ndarray, farm_ids: np.ndarray
) -> tuple[Chunk, np.ndarray]:
    group, pos, _ = grouped(ctx, sizes)
    chunk: Chunk = {
        "arch": style,
        "group": group,
        "farm": farm_ids[pos],
        "risk": 1,
        "life": 365.0,
        "p_priv": 0.0,
        "p_grp": 0.88,
    }
    return chunk, pos


def _identity(ctx: Ctx, chunk: Chunk, countries: np.ndarray, name_null: np.ndarray) -> None:
    """Realistic, non-aliased identities (what a careful operator fabricates)."""
    rng = ctx.rng
    people = draw_people(rng, countries)
    names = display_names(rng, people)
    chunk["name"] = names.zip_with(
        pl.Series(~name_null), pl.Series([None] * len(names), dtype=pl.String)
    )
    chunk["email"] = free_emails(rng, people, countries)
    chunk["country"], chunk["tz"] = countries, ctx.tz(countries)
    chunk["holder"], chunk["postal"] = holder_names(people), postals(rng, countries)


def burst(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Crude script: hundreds of signups in 1-3 hours from one hosting /24, disposable emails."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_burst", sizes, farm_ids)
    host = rng.choice(asns_of("datacenter"), k)
    dc = blocks(ctx, host, rng.integers(2, 7, k))
    farm_country = np.array([pools.ASNS[a].country for a in host], dtype=object)
    countries = np.where(rng.random(n) < 0.7, farm_country[pos], countries_for(rng, n))
    _identity(ctx, chunk, countries, (rng.random(k) < 0.5)[pos] | (rng.random(n) < 0.1))
    domains = np.array(pools.DISPOSABLE_DOMAINS + pools.OBSCURE_DISPOSABLE_DOMAINS, dtype=object)
    farm_domains = rng.integers(0, len(domains), (k, 3))
    chunk["email"] = disposable_emails(rng, n, domains[farm_domains[pos, rng.integers(0, 3, n)]])
    t0 = rng.integers(pools.SIGNUP_START_US, pools.SIGNUP_END_US - 3 * pools.HOUR_US, k)
    step = rng.uniform(1, 3, k) * pools.HOUR_US / sizes
    rank = rank_in_group(pos)
    chunk["created"] = (t0[pos] + (rank + rng.uniform(-0.1, 0.1, n)) * step[pos]).astype(np.int64)
    chunk["created"] = np.clip(chunk["created"], pools.SIGNUP_START_US, pools.SIGNUP_END_US)
    python = np.array([i for i, c in enumerate(pools.CLIENTS) if c.ua.startswith("python-req")])
    ua = rng.choice(python, k)[pos]
    rare = rng.random(k) < 0.7
    tls = np.where(rare, ctx.reg.tls.new(k), ctx.reg.client_tls()[rng.choice(python, k)])[pos]
    slot(chunk, "a", (dc[0][pos], dc[1][pos]), (ctx.devices(n), 1), ua, ctx, tls=tls)
    slot(chunk, "s", (dc[0][pos], dc[1][pos]), (chunk["a_dev0"], 1), ua, ctx, tls=tls)
    _farm_templates(ctx, k, 2, 5, pos, chunk)
    chunk["mode"], chunk["sess"], chunk["early"] = MODE_CLOCK, 7.0, 0.5
    chunk["api"], chunk["req"] = 35.0, 60.0
    chunk["pay_n"], chunk["risk"] = 0.3, 2
    payers = np.flatnonzero(rng.random(n) < 0.1)
    card = np.full(n, -1, dtype=np.int64)
    card[payers] = new_cards(
        ctx, len(payers), pools.PREPAID_BINS, "US", chunk["holder"][payers], chunk["postal"][payers]
    )
    chunk["card_a"], chunk["bill_own"], chunk["p_pay"] = card, True, (card >= 0).astype(float)
    return chunk


def _dot_masks(max_gaps: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each number of gaps, every way to place at most two dots (bitmasks), flattened."""
    flat: list[int] = []
    offset, count = [], []
    for gaps in range(max_gaps + 1):
        masks = [0] + [1 << i for i in range(gaps)]
        masks += [(1 << i) | (1 << j) for i in range(gaps) for j in range(i + 1, gaps)]
        offset.append(len(flat))
        count.append(len(masks))
        flat += masks
    return np.array(flat, dtype=np.int64), np.array(offset), np.array(count)


_MASKS, _MASK_OFF, _MASK_N = _dot_masks()


def _alias_emails(ctx: Ctx, base: np.ndarray, box: np.ndarray, rank: np.ndarray) -> pl.Series:
    """Gmail variants of one mailbox: one or two dots, +tags, googlemail.com; all distinct.

    Variant `rank` of a mailbox gets dot pattern (rank * prime + offset) mod C, a bijection for
    rank < C; later ranks carry a +tag containing the rank, so no two accounts share an address.
    """
    rng = ctx.rng
    n = len(base)
    local = pl.Series(base, dtype=pl.String).str.slice(0, 40)
    gaps = local.str.len_chars().to_numpy().astype(np.int64) - 1
    combos = _MASK_N[gaps]
    offset = rng.integers(0, 1 << 20, int(box.max()) + 1 if n else 1)[box]
    mask = _MASKS[_MASK_OFF[gaps] + (rank * 7919 + offset) % combos]
    dotted = (
        pl.DataFrame({"row": np.arange(n), "c": local, "m": mask})
        .with_columns(pl.col("c").str.split(""))
        .explode("c")
        .with_columns(pl.int_range(pl.len()).over("row").alias("p"))
        .with_columns(
            pl.when((pl.col("m") // (2 ** pl.col("p"))) % 2 == 1)
            .then(pl.col("c") + ".")
            .otherwise(pl.col("c"))
            .alias("c")
        )
        .group_by("row", maintain_order=True)
        .agg(pl.col("c").str.join(""))
        .sort("row")
    )["c"]
    word = pl.Series(random_words(rng, n, 5), dtype=pl.String)
    letters = pl.Series(random_words(rng, n, 2, "abcdefghijklmnopqrstuvwxyz"), dtype=pl.String)
    frame = pl.DataFrame(
        {
            "l": dotted,
            "w": word.str.slice(0, pl.Series(rng.integers(2, 6, n))),
            "r": pl.Series(rank).cast(pl.String),
            "x": letters.str.slice(0, pl.Series(rng.integers(1, 3, n))),
            "must": rank >= combos,
            "may": rng.random(n) < 0.4,
            "d": np.where(rng.random(n) < 0.15, "googlemail.com", "gmail.com"),
        }
    )
    local_part = (
        pl.when("must")
        .then(pl.col("l") + "+" + pl.col("x") + pl.col("r"))
        .when("may")
        .then(pl.col("l") + "+" + pl.col("w"))
        .otherwise(pl.col("l"))
    )
    return frame.select((local_part + "@" + pl.col("d")).alias("email")).to_series()


def alias(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """A person with a handful of gmail boxes, their dot/+tag variants, a few devices and phones."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_alias", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "IN", "BR", "GB", "PL", "MX", "EG"))
    countries = oc[pos]
    _identity(ctx, chunk, countries, rng.random(n) < 0.2)
    boxes = rng.integers(3, 11, k)
    box, _ = _shared(ctx, boxes, pos)
    owners = draw_people(rng, np.repeat(oc, boxes))
    digits = pl.Series(rng.integers(10, 10_000, len(owners.first))).cast(pl.String)
    local = (
        pl.DataFrame({"f": owners.first_ascii, "l": owners.last_ascii, "d": digits})
        .select(pl.concat_str("f", "l", "d").str.replace_all(r"[^a-z0-9]", ""))
        .to_series()
    )
    order = np.lexsort((np.arange(n), box))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_in_group(box[order])
    chunk["email"] = _alias_emails(ctx, local.to_numpy()[box], box, rank)
    chunk["alias"] = True
    owner_name = holder_names(owners)[box]
    chunk["name"] = chunk["name"].zip_with(
        pl.Series(rng.random(n) < 0.5), pl.Series(owner_name, dtype=pl.String)
    )
    tz = ctx.tz(oc)
    t0 = rng.integers(pools.SIGNUP_START_US, pools.SIGNUP_END_US - 10 * pools.DAY_US, k)
    span = rng.uniform(2, 10, k) * pools.DAY_US
    chunk["created"] = local_times(
        rng, t0[pos], (t0 + span).astype(np.int64)[pos], tz[pos], WAKING, 1.0
    )
    chunk["tz"] = tz[pos]
    home = ctx.home(oc)
    vpn = ctx.vpn_window(k)
    n_dev = rng.integers(2, 5, k)
    dev0 = ctx.devices(int(n_dev.sum()))[0] + np.cumsum(n_dev) - n_dev
    ua = ctx.clients(k, "desktop")[pos]
    slot(chunk, "a", (home[0][pos], home[1][pos]), (dev0[pos], n_dev[pos]), ua, ctx)
    slot(chunk, "b", (vpn[0][pos], vpn[1][pos]), (dev0[pos], n_dev[pos]), ua, ctx)
    on_vpn = rng.random(n) < 0.5
    slot(
        chunk,
        "s",
        (np.where(on_vpn, vpn[0][pos], home[0][pos]), np.where(on_vpn, vpn[1][pos], 1)),
        (_pick_in(ctx, dev0[pos], n_dev[pos]), 1),
        ua,
        ctx,
    )
    chunk["p_b"] = 0.5
    phone_pool = phones(rng, np.repeat(oc, 5))
    n_phones = rng.integers(2, 6, k)[pos]
    chunk["phone"] = np.where(
        rng.random(n) < 0.6, phone_pool[pos * 5 + (rng.random(n) * n_phones).astype(np.int64)], None
    )
    _farm_templates(ctx, k, 2, 4, pos, chunk)
    pools_ = np.array([_waking_pool(ctx, int(t0[i]), int(tz[i])) for i in range(k)])
    chunk["mode"], chunk["pool"], chunk["p_clock"] = MODE_POOL, pools_[pos], 0.3
    chunk["sess"], chunk["api"], chunk["req"] = 10.0, 30.0, 40.0
    _farm_cards(ctx, chunk, pos, rng.integers(2, 7, k), (1, 2), (1, 2))
    chunk["p_pay"], chunk["pay_n"] = 0.6, 1.5
    chunk["bill_own"] = rng.random(n) < 0.5
    return chunk


def proxy(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Careful operator: residential proxies, fresh devices, real-looking emails, scripted cadence.

    What still links the accounts: prepaid cards reused 3-10 times from 2-3 BINs and a few
    postcodes, SMS numbers reused 5-20 times, signup cadence, shared templates in shared hours.
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_proxy", sizes, farm_ids)
    provider = rng.integers(0, 3, k)
    expected = 0.05 * ctx.n * 14 / 3
    pool = np.array([ctx.proxy_pool(int(p), expected) for p in provider])
    p0, pn = pool[pos, 0], pool[pos, 1]
    first_ip = _pick_in(ctx, p0, pn)
    ip_country = np.array(
        [pools.ASNS[a].country for a in ctx.reg.ips.asn_of(first_ip)], dtype=object
    )
    _identity(ctx, chunk, ip_country, rng.random(n) < 0.03)
    every = rng.uniform(5, 30, k) * 60_000_000
    every = np.minimum(every, (pools.SIGNUP_END_US - pools.SIGNUP_START_US) * 0.9 / sizes)
    t0 = pools.SIGNUP_START_US + (
        rng.random(k) * (pools.SIGNUP_END_US - pools.SIGNUP_START_US - every * sizes)
    ).astype(np.int64)
    rank = rank_in_group(pos)
    chunk["created"] = (t0[pos] + (rank + rng.uniform(-0.08, 0.08, n)) * every[pos]).astype(
        np.int64
    )
    farm_ua = ctx.clients(3 * k, "desktop").reshape(k, 3)
    ua = farm_ua[pos, rng.integers(0, rng.integers(1, 4, k)[pos])]
    dev = ctx.devices(n)
    slot(chunk, "a", (p0, pn), (dev, 1), ua, ctx)
    slot(chunk, "s", (first_ip, 1), (dev, 1), ua, ctx)
    sms_country = rng.choice(np.array(["US", "GB", "NL", "PL", "IN"], dtype=object), k)
    chunk["phone"] = _sms_numbers(ctx, np.ceil(sizes / 12).astype(np.int64), sms_country, pos, 0.9)
    _farm_templates(ctx, k, 2, 5, pos, chunk)
    chunk["tp0"], chunk["tpn"] = ctx.templates(np.ones(n, dtype=np.int64), distill=True)
    chunk["p_priv"], chunk["p_grp"] = 0.05, 0.85
    pools_ = np.array([_job_pool(ctx, int(t)) for t in t0])
    chunk["mode"], chunk["pool"], chunk["p_clock"] = MODE_POOL, pools_[pos], 0.1
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 11.0, 0.8, 25.0, 50.0
    _farm_cards(ctx, chunk, pos, np.ceil(sizes / 6).astype(np.int64), (2, 3), (3, 5))
    chunk["p_pay"], chunk["pay_n"] = 0.8, 1.5
    return chunk


def sms(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Phone-emulator farm on one carrier's CGNAT: few rotated devices, reused SMS numbers."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_sms", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "IN", "BR", "GB"))
    countries = np.where(rng.random(n) < 0.9, oc[pos], countries_for(rng, n))
    _identity(ctx, chunk, countries, rng.random(n) < 0.1)
    m0, _, _ = ctx.mobile(oc)
    width = rng.integers(4, 9, k)
    n_dev = rng.integers(3, 9, k)
    dev0 = ctx.devices(int(n_dev.sum()))[0] + np.cumsum(n_dev) - n_dev
    apps = np.array([i for i, c in enumerate(pools.CLIENTS) if c.kind == "app"])
    ua = rng.choice(apps[:2], k)[pos]
    slot(chunk, "a", (m0[pos], width[pos]), (dev0[pos], n_dev[pos]), ua, ctx)
    slot(
        chunk,
        "s",
        (_pick_in(ctx, m0[pos], width[pos]), 1),
        (_pick_in(ctx, dev0[pos], n_dev[pos]), 1),
        ua,
        ctx,
    )
    chunk["phone"] = _sms_numbers(ctx, np.ceil(sizes / 10).astype(np.int64), oc, pos, 0.95)
    tz = ctx.tz(oc)
    t0 = rng.integers(pools.SIGNUP_START_US, pools.SIGNUP_END_US - 21 * pools.DAY_US, k)
    n_batch = np.ceil(sizes / 30).astype(np.int64)
    batch, _ = _shared(ctx, n_batch, pos)
    b_farm = np.repeat(np.arange(k), n_batch)
    b_time = local_times(
        rng,
        t0[b_farm],
        t0[b_farm] + rng.integers(7, 22, len(b_farm)) * pools.DAY_US,
        tz[b_farm],
        WAKING,
        1.0,
    )
    order = np.lexsort((np.arange(n), batch))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_in_group(batch[order])
    cadence = rng.uniform(2, 5, len(b_farm)) * 60_000_000
    chunk["created"] = np.minimum(
        (b_time[batch] + (rank + rng.uniform(-0.1, 0.1, n)) * cadence[batch]).astype(np.int64),
        pools.SIGNUP_END_US,
    )
    _farm_templates(ctx, k, 2, 4, pos, chunk)
    chunk["tp0"], chunk["tpn"] = ctx.templates(np.ones(n, dtype=np.int64), distill=True)
    chunk["p_priv"], chunk["p_grp"] = 0.1, 0.8
    pools_ = np.array([_job_pool(ctx, int(t)) for t in t0])
    chunk["mode"], chunk["pool"], chunk["p_clock"] = MODE_POOL, pools_[pos], 0.1
    chunk["sess"], chunk["api"], chunk["req"] = 15.0, 20.0, 30.0
    _farm_cards(ctx, chunk, pos, np.ceil(sizes / 8).astype(np.int64), (1, 2), (1, 3))
    chunk["p_pay"], chunk["pay_n"] = 0.3, 1.0
    return chunk
