"""Adversarial farms: each style evades one signal family entirely, yet betrays itself in others.

The five families are identity (mailboxes, names, phones, email templates), payment (cards, BINs,
billing details, failures), network (IPs, /24s, ASN class, devices, TLS, user agents), timing
(signup bursts, machine-regular cadence, round-the-clock use) and behaviour (shared templates,
co-activity in the same hours, volume, output/input ratio, model choice). Five styles evade one
family each and share at least three of the rest; `farm_org` looks like a verified company in
identity, payment and network, and is betrayed only by timing and behaviour.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.benign import (
    Chunk,
    blocks,
    copy_slot,
    developers,
    holder_names,
    new_cards,
    person_base,
    rank_in_group,
    slot,
)
from sybil.synth.context import MODE_DIURNAL, MODE_POOL, Ctx, local_times
from sybil.synth.farms import (
    _base,
    _farm_cards,
    _farm_templates,
    _identity,
    _job_pool,
    _pick_in,
    _shared,
    _sms_numbers,
    _waking_pool,
)
from sybil.synth.groups import corporate_cards, org_domains
from sybil.synth.people import (
    People,
    countries_for,
    display_names,
    disposable_emails,
    distinct_people,
    draw_people,
    free_emails,
    org_emails,
    pattern_strings,
    phones,
    postals,
)
from sybil.synth.registry import asns_of, pick_asn

_MIN_US = 60_000_000
# A hand-run operator's day: awake 8:00-24:00 local, signs accounts up 9:00-20:00.
_AWAKE = np.array([0] * 8 + [2, 4, 6, 7, 6, 7, 7, 7, 6, 6, 6, 6, 7, 6, 5, 3], dtype=float)
_AWAKE /= _AWAKE.sum()
_DESK = np.array([0] * 9 + [5, 7, 7, 4, 6, 7, 7, 6, 5, 3, 2] + [0] * 4, dtype=float)
_DESK /= _DESK.sum()


def _clients_of(*prefixes: str) -> np.ndarray:
    """Client rows whose user agent starts with one of the prefixes."""
    return np.array([i for i, c in enumerate(pools.CLIENTS) if c.ua.startswith(prefixes)])


def _cadence(
    ctx: Ctx, sizes: np.ndarray, pos: np.ndarray, minutes: tuple[float, float], within: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scripted signups: one account every few minutes (+-8%), all within `within` us per farm.

    Returns (created per account, start per farm).
    """
    rng = ctx.rng
    k, n = len(sizes), len(pos)
    window = pools.SIGNUP_END_US - pools.SIGNUP_START_US
    every = np.minimum(rng.uniform(*minutes, k) * _MIN_US, np.minimum(within, 0.9 * window) / sizes)
    t0 = pools.SIGNUP_START_US + (rng.random(k) * (window - every * sizes)).astype(np.int64)
    step = rank_in_group(pos) + rng.uniform(-0.08, 0.08, n)
    return (t0[pos] + step * every[pos]).astype(np.int64), t0


def _waves(
    ctx: Ctx,
    sizes: np.ndarray,
    pos: np.ndarray,
    per_wave: tuple[int, int],
    minutes: tuple[float, float],
    days: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Scripted signups in waves of `per_wave` accounts, one every few minutes, waves at any hour
    over `days` days. Returns (created per account, start per farm)."""
    rng = ctx.rng
    k, n = len(sizes), len(pos)
    n_wave = np.ceil(sizes / rng.integers(per_wave[0], per_wave[1] + 1, k)).astype(np.int64)
    wave, _ = _shared(ctx, n_wave, pos)
    w_farm = np.repeat(np.arange(k), n_wave)
    t0 = rng.integers(pools.SIGNUP_START_US, pools.SIGNUP_END_US - days[1] * pools.DAY_US, k)
    span = rng.integers(days[0], days[1] + 1, k) * pools.DAY_US
    w_time = t0[w_farm] + (rng.random(len(w_farm)) * span[w_farm]).astype(np.int64)
    order = np.lexsort((np.arange(n), wave))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_in_group(wave[order])
    every = rng.uniform(*minutes, len(w_farm)) * _MIN_US
    created = w_time[wave] + (rank + rng.uniform(-0.1, 0.1, n)) * every[wave]
    return np.minimum(created.astype(np.int64), pools.SIGNUP_END_US), t0


def _pools(ctx: Ctx, t0: np.ndarray) -> np.ndarray:
    """One scheduler hour pool per farm."""
    return np.array([_job_pool(ctx, int(t)) for t in t0])


def _behaviour(ctx: Ctx, chunk: Chunk, pos: np.ndarray, t0: np.ndarray, p_clock: float) -> None:
    """The usual farm behaviour: shared distillation templates fired in the scheduler's hours."""
    n, k = len(pos), len(t0)
    _farm_templates(ctx, k, 2, 5, pos, chunk)
    chunk["tp0"], chunk["tpn"] = ctx.templates(np.ones(n, dtype=np.int64), distill=True)
    chunk["p_priv"], chunk["p_grp"] = 0.05, 0.85
    chunk["mode"], chunk["pool"], chunk["p_clock"] = MODE_POOL, _pools(ctx, t0)[pos], p_clock


def _device_pool(ctx: Ctx, lo: int, hi: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per farm a small pool of emulator or anti-detect browser profiles: (first row, count)."""
    count = ctx.rng.integers(lo, hi + 1, k)
    return ctx.devices(int(count.sum()))[0] + np.cumsum(count) - count, count


def noid(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Evades identity: every account its own realistic free mailbox, name and phone (or none).

    Shares network (a few hosting /24s, a small emulator pool, a headless browser with an
    automation TLS stack, an SDK), payment (prepaid cards reused, few BINs and postcodes), timing
    (one signup every few minutes) and behaviour (shared distillation templates in job hours).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_noid", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "GB", "IN", "BR", "DE", "FR", "MX", "ES", "PL"))
    countries = np.where(rng.random(n) < 0.7, oc[pos], countries_for(rng, n))
    people = distinct_people(rng, countries, pos)
    chunk["name"] = display_names(rng, people, full=True)
    chunk["email"] = free_emails(rng, people, countries)
    chunk["phone"] = np.where(rng.random(n) < 0.45, phones(rng, countries), None)
    chunk["country"], chunk["tz"] = countries, ctx.tz(countries)
    chunk["holder"], chunk["postal"] = holder_names(people), postals(rng, countries)
    n_blocks = rng.integers(1, 4, k)
    b_farm = np.repeat(np.arange(k), n_blocks)
    host = rng.choice(asns_of("datacenter"), k)[b_farm]
    blk0, blkn = blocks(ctx, host, rng.integers(2, 7, len(b_farm)))
    block, _ = _shared(ctx, n_blocks, pos)
    dev0, devn = _device_pool(ctx, 3, 10, k)
    browser = ctx.clients(k, "desktop")
    automation = rng.random(k) < 0.6
    tls = np.where(automation, ctx.reg.tls.new(k), ctx.reg.client_tls()[browser])
    sdk = rng.choice(_clients_of("openai-python", "python-requests"), k)
    ip = (blk0[block], blkn[block])
    slot(chunk, "a", ip, (dev0[pos], devn[pos]), sdk[pos], ctx)
    slot(chunk, "b", ip, (dev0[pos], devn[pos]), browser[pos], ctx, tls=tls[pos])
    slot(chunk, "s", ip, (_pick_in(ctx, dev0[pos], devn[pos]), 1), browser[pos], ctx, tls=tls[pos])
    chunk["p_b"] = 0.25
    created, t0 = _cadence(ctx, sizes, pos, (4, 20), np.full(k, 40 * pools.DAY_US))
    chunk["created"] = created
    _behaviour(ctx, chunk, pos, t0, 0.15)
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 11.0, 0.8, 25.0, 50.0
    _farm_cards(ctx, chunk, pos, np.ceil(sizes / 5).astype(np.int64), (1, 2), (1, 3))
    chunk["p_pay"], chunk["pay_n"] = 0.7, 1.5
    return chunk


def nonet(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Evades network: each account one sticky home IP of its own (no two in one /24), its own
    device, a popular browser and its TLS; no datacenter or VPN, no rotation.

    Shares identity (SMS numbers reused; half the farms use throwaway domains), payment (prepaid
    cards reused), timing (waves of signups minutes apart) and behaviour (templates, job hours).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_nonet", sizes, farm_ids)
    home_countries = ("US", "GB", "DE", "CA", "FR", "NL", "ES", "PL")
    oc = countries_for(rng, k, only=home_countries[:6])
    countries = np.where(rng.random(n) < 0.8, oc[pos], countries_for(rng, n, only=home_countries))
    _identity(ctx, chunk, countries, rng.random(n) < 0.03)
    throwaway = (rng.random(k) < 0.5)[pos]
    domains = np.array(pools.OBSCURE_DISPOSABLE_DOMAINS, dtype=object)
    farm_dom = rng.integers(0, len(domains), (k, 2))[pos, rng.integers(0, 2, n)]
    chunk["email"] = chunk["email"].zip_with(
        pl.Series(~throwaway), disposable_emails(rng, n, domains[farm_dom])
    )
    chunk["phone"] = _sms_numbers(ctx, np.ceil(sizes / 10).astype(np.int64), oc, pos, 0.9)
    asn = pick_asn(rng, "residential", countries)
    ip = ctx.reg.ips.add_random(rng, asn, v6_share=0.2, distinct_in=pos)
    slot(chunk, "a", (ip, 1), (ctx.devices(n), 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    created, t0 = _waves(ctx, sizes, pos, (10, 30), (2, 6), (5, 20))
    chunk["created"] = created
    _behaviour(ctx, chunk, pos, t0, 0.1)
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 10.0, 0.6, 25.0, 45.0
    _farm_cards(ctx, chunk, pos, np.ceil(sizes / 6).astype(np.int64), (2, 3), (2, 4))
    chunk["p_pay"], chunk["pay_n"] = 0.7, 1.5
    return chunk


_TEMPLATE_DOMAINS = np.array(
    ["outlook.com", "hotmail.com", "yahoo.com", "proton.me", "aol.com"], dtype=object
)


def _template_emails(ctx: Ctx, people: People, pos: np.ndarray, k: int) -> pl.Series:
    """One generator per farm: a fixed local-part shape with random digits at one provider."""
    rng = ctx.rng
    n = len(pos)
    form = rng.integers(0, 3, k)[pos]
    frame = pl.DataFrame(
        {
            "f": pl.Series(people.first_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "l": pl.Series(people.last_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "d": pl.Series(pattern_strings(rng, n, "DDDDD"), dtype=pl.String),
            "form": form,
            "dom": pl.Series(rng.choice(_TEMPLATE_DOMAINS, k)[pos], dtype=pl.String),
        }
    )
    f, ln, d = pl.col("f"), pl.col("l"), pl.col("d")
    local = (
        pl.when(pl.col("form") == 0)
        .then(f + ln + d.str.slice(0, 4))
        .when(pl.col("form") == 1)
        .then(f + "." + ln + d.str.slice(0, 2))
        .otherwise(f + ln.str.slice(0, 1) + d)
    )
    return frame.select((local + "@" + pl.col("dom")).alias("email")).to_series()


def nopay(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Evades payment: free-tier accounts that never pay, so there are no payment rows at all.

    Shares identity (one provider, one generated local-part shape, script-typed names, no phones),
    network (a slice of a VPN's exits, a small anti-detect browser pool with its own TLS stack),
    timing (waves of signups a minute apart) and behaviour (templates, job hours, free quota).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_nopay", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "GB", "DE", "FR", "IN", "BR"))
    countries = np.where(rng.random(n) < 0.85, oc[pos], countries_for(rng, n))
    people = draw_people(rng, countries, foreign=0.05)
    chunk["name"] = holder_names(people)
    chunk["email"] = _template_emails(ctx, people, pos, k)
    chunk["country"], chunk["tz"] = countries, ctx.tz(countries)
    chunk["holder"], chunk["postal"] = holder_names(people), postals(rng, countries)
    v0, vn = ctx.vpn_window(k)
    dev0, devn = _device_pool(ctx, 4, 12, k)
    ua = ctx.clients(k, "desktop")[pos]
    tls = ctx.reg.tls.new(k)[pos]
    slot(chunk, "a", (v0[pos], vn[pos]), (dev0[pos], devn[pos]), ua, ctx, tls=tls)
    slot(
        chunk,
        "s",
        (_pick_in(ctx, v0[pos], vn[pos]), 1),
        (_pick_in(ctx, dev0[pos], devn[pos]), 1),
        ua,
        ctx,
        tls=tls,
    )
    created, t0 = _waves(ctx, sizes, pos, (20, 40), (0.5, 1.5), (2, 8))
    chunk["created"] = created
    _behaviour(ctx, chunk, pos, t0, 0.3)
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 8.0, 0.8, 15.0, 20.0
    chunk["p_pay"] = 0.0
    return chunk


def notime(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Evades timing: a hand-run farm; signups over 3-14 weeks at irregular gaps in the operator's
    daytime, all use in the operator's waking hours (nothing between midnight and 8:00 local).

    Shares identity (a few fabricated people reused, with their mailboxes and phones), network (the
    operator's home line and a few devices), payment (the operator's own cards, billed in the
    operator's name) and behaviour (shared templates in the operator's working hours).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_notime", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "GB", "DE", "PL", "IN", "BR", "FR", "ES"))
    countries = oc[pos]
    tz = ctx.tz(oc)
    n_ids = rng.integers(3, 9, k)
    who, _ = _shared(ctx, n_ids, pos)
    owners = draw_people(rng, np.repeat(oc, n_ids))
    people = People(owners.culture[who], owners.first[who], owners.last[who])
    chunk["name"] = display_names(rng, people)
    chunk["email"] = free_emails(rng, people, countries)  # taken mailboxes get digits later
    n_ph = rng.integers(2, 5, k)
    number, _ = _shared(ctx, n_ph, pos)
    chunk["phone"] = np.where(rng.random(n) < 0.7, phones(rng, np.repeat(oc, n_ph))[number], None)
    chunk["country"], chunk["tz"] = countries, tz[pos]
    chunk["holder"] = holder_names(people)
    chunk["postal"] = postals(rng, np.repeat(oc, n_ids))[who]
    home = blocks(ctx, pick_asn(rng, "residential", oc), rng.integers(1, 3, k))
    m0, mn, has_carrier = ctx.mobile(oc)
    dev0, devn = _device_pool(ctx, 2, 5, k)
    ua = ctx.clients(k, "desktop")[pos]
    slot(chunk, "a", (home[0][pos], home[1][pos]), (dev0[pos], devn[pos]), ua, ctx)
    slot(
        chunk, "s", (home[0][pos], home[1][pos]), (_pick_in(ctx, dev0[pos], devn[pos]), 1), ua, ctx
    )
    slot(chunk, "b", (m0[pos], mn[pos]), (dev0[pos], devn[pos]), ua, ctx)
    copy_slot(chunk, "b", "a", ~has_carrier[pos])
    chunk["p_b"] = 0.2
    # signups by hand on 50-80% of the days of 3-8 weeks (longer for big farms: a handful a
    # day), at daytime hours; whole local days, so no signup is clipped outside the daytime
    span = np.minimum(np.maximum(rng.integers(21, 57, k), np.ceil(sizes / 4)), 100).astype(int)
    free = pools.SIGNUP_END_US - pools.SIGNUP_START_US - (span + 1) * pools.DAY_US
    day = pools.SIGNUP_START_US + (rng.random(k) * free).astype(np.int64)
    t0 = (day // pools.DAY_US + 1) * pools.DAY_US - tz * pools.HOUR_US
    n_work = np.maximum(3, np.round(span * rng.uniform(0.5, 0.8, k))).astype(np.int64)
    work, _ = _shared(ctx, n_work, pos)
    offset = (rng.random(int(n_work.sum())) * np.repeat(span, n_work)).astype(np.int64)
    lo = t0[pos] + offset[work] * pools.DAY_US
    chunk["created"] = local_times(rng, lo, lo + pools.DAY_US, tz[pos], _DESK, 1.0)
    _farm_templates(ctx, k, 2, 4, pos, chunk)
    hours = np.array([_waking_pool(ctx, int(t0[i]), int(tz[i]), _AWAKE) for i in range(k)])
    chunk["mode"], chunk["pool"], chunk["p_clock"] = MODE_POOL, hours[pos], 0.0
    chunk["p_priv"], chunk["p_grp"] = 0.05, 0.85
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 10.0, 0.6, 25.0, 35.0
    n_cards = rng.integers(2, 5, k)
    card_farm = np.repeat(np.arange(k), n_cards)
    cards = new_cards(
        ctx,
        int(n_cards.sum()),
        pools.CONSUMER_BINS,
        oc[card_farm],
        holder_names(owners)[(np.cumsum(n_ids) - n_ids)[card_farm]],  # the operator's own name
        postals(rng, oc)[card_farm],
    )
    card, _ = _shared(ctx, n_cards, pos)
    chunk["card_a"], chunk["method"], chunk["bill_own"] = cards[card], "card", False
    chunk["p_pay"], chunk["pay_n"], chunk["risk"] = 0.6, 1.5, 0
    return chunk


def nobehaviour(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Evades behaviour: every account its own paraphrased prompts (no template shared within
    the farm, not even a public tool's: it scripts the API), its own hours, an ordinary model
    mix, output/input ratio and power-user volume.

    Shares identity (throwaway domains, reused SMS numbers), network (a small pool of ISP proxy
    IPs each used by many accounts, one SDK), payment (prepaid cards reused, many failures) and
    timing (one signup every few minutes, round-the-clock use).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_nobehaviour", sizes, farm_ids)
    oc = countries_for(rng, k, only=("US", "GB", "CA", "DE", "NL"))
    countries = np.where(rng.random(n) < 0.8, oc[pos], countries_for(rng, n))
    _identity(ctx, chunk, countries, rng.random(n) < 0.1)
    domains = np.array(pools.DISPOSABLE_DOMAINS + pools.OBSCURE_DISPOSABLE_DOMAINS, dtype=object)
    farm_dom = rng.integers(0, len(domains), (k, 3))[pos, rng.integers(0, 3, n)]
    chunk["email"] = disposable_emails(rng, n, domains[farm_dom])
    chunk["phone"] = _sms_numbers(ctx, np.ceil(sizes / 8).astype(np.int64), oc, pos, 0.8)
    n_ip = rng.integers(8, 25, k)
    ips = ctx.reg.ips.add_random(rng, pick_asn(rng, "residential", np.repeat(oc, n_ip)))
    ip0 = ips[0] + np.cumsum(n_ip) - n_ip
    dev = ctx.devices(n)
    sdk = rng.choice(_clients_of("openai-node", "axios", "node-fetch", "Go-http"), k)[pos]
    slot(chunk, "a", (ip0[pos], n_ip[pos]), (dev, 1), sdk, ctx)
    browser = ctx.clients(k, "desktop")[pos]
    slot(chunk, "s", (_pick_in(ctx, ip0[pos], n_ip[pos]), 1), (dev, 1), browser, ctx)
    chunk["created"], _ = _cadence(ctx, sizes, pos, (3, 15), np.full(k, 30 * pools.DAY_US))
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(2, 7, n))
    chunk["p_priv"], chunk["p_grp"], chunk["distill"] = 1.0, 0.0, False
    chunk["mode"], chunk["p_clock"] = MODE_DIURNAL, 0.35
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 20.0, 0.6, 45.0, 15.0
    _farm_cards(ctx, chunk, pos, np.ceil(sizes / 5).astype(np.int64), (1, 3), (2, 4))
    chunk["p_pay"], chunk["pay_n"], chunk["risk"] = 0.75, 1.5, 2
    return chunk


def org(ctx: Ctx, sizes: np.ndarray, farm_ids: np.ndarray) -> Chunk:
    """Hides inside a verified-looking company: its own organisation domain with distinct
    first.last mailboxes, one or two corporate cards in the company's name that never fail, an
    office /24 plus a few cloud IPs, ordinary browsers; identity, payment and network look like a
    benign team's.

    Betrayed by timing (accounts opened by script within hours at machine-regular gaps, use around
    the clock) and behaviour (shared distillation templates in the same hours, long answers to
    short prompts, heavy volume).
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    chunk, pos = _base(ctx, "farm_org", sizes, farm_ids)
    domain, oc, company = org_domains(ctx, k)
    countries = oc[pos]
    people = draw_people(rng, countries, foreign=0.2)
    style = rng.choice(3, k, p=[0.6, 0.25, 0.15])[pos]
    emails = org_emails(people, domain[pos], style)
    person = person_base(ctx, "farm_org", countries, people, phone_share=0.4, emails=emails)
    person.pop("life")
    chunk.update(person)
    chunk["tz"] = ctx.tz(oc)[pos]
    asn = pick_asn(rng, "residential", oc)
    biz = (oc == "US") & (rng.random(k) < 0.6)
    asn[biz] = pick_asn(rng, "business", oc[biz])
    office = blocks(ctx, asn, rng.integers(1, 4, k))
    cloud = blocks(ctx, rng.choice(asns_of("datacenter"), k), rng.integers(2, 5, k))
    laptop = ctx.devices(n)
    ua = ctx.clients(n, "desktop")
    slot(chunk, "a", (office[0][pos], office[1][pos]), (laptop, 1), ua, ctx)
    copy_slot(chunk, "s", "a")
    slot(chunk, "b", (cloud[0][pos], cloud[1][pos]), (laptop, 1), ua, ctx)
    chunk["p_b"] = 0.35
    within = rng.uniform(2, 10, k) * pools.HOUR_US
    created, t0 = _cadence(ctx, sizes, pos, (1, 6), within)
    chunk["created"] = created
    developers(ctx, chunk, 0.7, 0.5)
    farm_sdk = ctx.clients(k, "sdk")[pos]
    chunk["sdk_ua"] = np.where(chunk["sdk_ua"] >= 0, farm_sdk, -1)
    chunk["sdk_tls"] = np.where(chunk["sdk_ua"] >= 0, ctx.reg.client_tls()[farm_sdk], -1)
    _behaviour(ctx, chunk, pos, t0, 0.4)
    chunk["sess"], chunk["early"], chunk["api"], chunk["req"] = 20.0, 0.6, 40.0, 60.0
    boss = chunk["holder"][np.cumsum(sizes) - sizes]
    first = corporate_cards(ctx, oc, boss, company, np.ones(k, bool))
    second = corporate_cards(ctx, oc, boss, company, np.ones(k, bool))
    chunk["card_a"], chunk["card_b"] = first[pos], np.where(rng.random(k) < 0.4, second, -1)[pos]
    chunk["p_card_b"], chunk["method"], chunk["bill_own"] = 0.4, "card", False
    chunk["p_pay"], chunk["pay_n"], chunk["price"], chunk["risk"] = 0.95, 5.0, 60.0, 3
    chunk["allow"] = 0.03
    return chunk
