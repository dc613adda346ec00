"""Benign archetypes, including the groups that look like farms (households, teams, campuses).

Each builder returns one profile chunk (see `context.DEFAULTS`) for all accounts of its archetype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.context import WAKING, Ctx, local_times
from sybil.synth.people import (
    People,
    countries_for,
    display_names,
    draw_people,
    free_emails,
    phones,
    postals,
    same_surname,
)
from sybil.synth.registry import pick_asn, random_v4

Chunk = dict[str, Any]
_LIFE_MEAN_DAYS = 45.0


def slot(
    chunk: Chunk,
    name: str,
    ip: tuple[np.ndarray, np.ndarray],
    dev: tuple[np.ndarray, np.ndarray | int],
    ua: np.ndarray,
    ctx: Ctx,
    tls: np.ndarray | None = None,
) -> None:
    """Fill one context slot (s, a or b) of a chunk; TLS follows the client unless given."""
    n = len(ua)
    chunk[f"{name}_ip0"], chunk[f"{name}_ipn"] = ip[0], np.broadcast_to(ip[1], (n,)).copy()
    chunk[f"{name}_dev0"] = dev[0]
    chunk[f"{name}_devn"] = np.broadcast_to(dev[1], (n,)).copy()
    chunk[f"{name}_ua"] = ua
    chunk[f"{name}_tls"] = ctx.reg.client_tls()[ua] if tls is None else tls


def copy_slot(chunk: Chunk, dst: str, src: str, rows: np.ndarray | None = None) -> None:
    """Make slot dst equal to slot src (for all rows, or where `rows` is true)."""
    for col in ("ip0", "ipn", "dev0", "devn", "ua", "tls"):
        b = chunk[f"{src}_{col}"]
        chunk[f"{dst}_{col}"] = b if rows is None else np.where(rows, b, chunk[f"{dst}_{col}"])


def holder_names(people: People) -> np.ndarray:
    """Card-holder style names: romanized, title case."""
    frame = pl.DataFrame(
        {
            "f": pl.Series(people.first_ascii, dtype=pl.String),
            "l": pl.Series(people.last_ascii, dtype=pl.String),
        }
    )
    return (
        frame.select(pl.concat_str(["f", "l"], separator=" ").str.to_titlecase())
        .to_series()
        .to_numpy()
        .astype(object)
    )


def new_cards(
    ctx: Ctx,
    n: int,
    bins: tuple[str, ...],
    country: np.ndarray | str,
    holder: np.ndarray,
    postal: np.ndarray,
) -> np.ndarray:
    """n fresh cards with BINs drawn from `bins`; returns card table rows."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return ctx.reg.cards.new(
        n,
        bin=ctx.rng.choice(np.array(bins, dtype=object), n),
        country=np.broadcast_to(np.asarray(country, dtype=object), (n,)),
        holder=holder,
        postal=postal,
    )


def consumer_cards(
    ctx: Ctx,
    rows: np.ndarray,
    countries: np.ndarray,
    holder: np.ndarray,
    postal: np.ndarray,
    n: int,
) -> np.ndarray:
    """Own cards for the selected rows (3% are prepaid gift cards); -1 elsewhere."""
    out = np.full(n, -1, dtype=np.int64)
    prepaid = ctx.rng.random(len(rows)) < 0.03
    for flag, bins in ((False, pools.CONSUMER_BINS), (True, pools.PREPAID_BINS)):
        sel = rows[prepaid == flag]
        out[sel] = new_cards(ctx, len(sel), bins, countries[sel], holder[sel], postal[sel])
    return out


def blocks(ctx: Ctx, asn_pos: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group, `width` consecutive IPv4s in one /24 of its ASN (offices, NATs, venues)."""
    base = (random_v4(ctx.rng, asn_pos).astype(np.int64) & 0xFFFFFF00) + ctx.rng.integers(
        2, 200, len(asn_pos)
    )
    first = np.cumsum(widths) - widths
    offs = np.arange(widths.sum()) - np.repeat(first, widths)
    rows = ctx.reg.ips.add(np.repeat(asn_pos, widths), np.repeat(base, widths) + offs)
    return rows[first], widths


def person_base(
    ctx: Ctx,
    arch: str,
    countries: np.ndarray,
    people: People | None = None,
    phone_share: float = 0.4,
    emails: pl.Series | None = None,
) -> Chunk:
    """Identity fields every benign account has: name, email, phone, postcode, timezone."""
    rng = ctx.rng
    n = len(countries)
    people = draw_people(rng, countries) if people is None else people
    ph = phones(rng, countries)
    return {
        "arch": arch,
        "country": countries,
        "name": display_names(rng, people),
        "email": free_emails(rng, people, countries) if emails is None else emails,
        "phone": np.where(rng.random(n) < phone_share, ph, None),
        "postal": postals(rng, countries),
        "tz": ctx.tz(countries),
        "holder": holder_names(people),
        "life": 2 + rng.exponential(_LIFE_MEAN_DAYS, n),
    }


def phone_slot(ctx: Ctx, chunk: Chunk, share: float, p_b: float) -> None:
    """Give `share` of accounts a phone (on a carrier network if the country has one)."""
    rng = ctx.rng
    countries = chunk["country"]
    n = len(countries)
    m0, mn, ok = ctx.mobile(countries)
    has = rng.random(n) < share
    cell = ok & (rng.random(n) < 0.7)  # otherwise the phone is on home wifi
    ip0 = np.where(cell, m0, chunk["a_ip0"])
    ipn = np.where(cell, mn, chunk["a_ipn"])
    slot(chunk, "b", (ip0, ipn), (ctx.devices(n), 1), ctx.clients(n, ("mobile", "app")), ctx)
    copy_slot(chunk, "b", "a", ~has)
    chunk["p_b"] = np.where(has, p_b, 0.0)


def pay(
    ctx: Ctx, chunk: Chunk, share: float, pay_n: float, price: float, alt_method: float = 0.12
) -> None:
    """Paying share with their own card; a few use PayPal/bank/crypto instead."""
    rng = ctx.rng
    countries = chunk["country"]
    n = len(countries)
    paying = np.flatnonzero(rng.random(n) < share)
    chunk["p_pay"] = np.isin(np.arange(n), paying).astype(float)
    chunk["card_a"] = consumer_cards(ctx, paying, countries, chunk["holder"], chunk["postal"], n)
    chunk["pay_n"] = rng.gamma(2.0, pay_n / 2.0, n)
    chunk["price"] = np.where(rng.random(n) < 0.9, price, price * 10)
    chunk["method"] = rng.choice(
        np.array(["card", "paypal", "bank", "crypto"], dtype=object),
        n,
        p=[1 - alt_method, alt_method * 0.75, alt_method * 0.15, alt_method * 0.10],
    )


def developers(ctx: Ctx, chunk: Chunk, share: float, p_sdk: float) -> None:
    """Some accounts also call the API from an SDK or script (same machine, different client)."""
    n = len(chunk["created"])
    dev = ctx.rng.random(n) < share
    ua = ctx.clients(n, "sdk")
    chunk["sdk_ua"] = np.where(dev, ua, -1)
    chunk["sdk_tls"] = np.where(dev, ctx.reg.client_tls()[ua], -1)
    chunk["p_sdk"] = np.where(dev, p_sdk, 0.0)


def spread_created(ctx: Ctx, tz: np.ndarray) -> np.ndarray:
    lo = np.full(len(tz), pools.SIGNUP_START_US)
    return local_times(ctx.rng, lo, np.full(len(tz), pools.SIGNUP_END_US), tz, WAKING, 0.8)


def individuals(ctx: Ctx, n: int, arch: str = "benign_individual") -> Chunk:
    """Solo users at home with their own laptop, sometimes a phone, sometimes an SDK."""
    rng = ctx.rng
    countries = countries_for(rng, n)
    chunk = person_base(ctx, arch, countries, phone_share=0.45)
    chunk["group"] = ctx.groups(n)
    chunk["created"] = spread_created(ctx, chunk["tz"])
    slot(chunk, "a", ctx.home(countries), (ctx.devices(n), 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    phone_slot(ctx, chunk, 0.45, 0.3)
    developers(ctx, chunk, 0.3, 0.4)
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 4, n))
    chunk["sess"], chunk["api"], chunk["req"] = 9.0, 9.0, 4.0
    pay(ctx, chunk, 0.35, 7.0, 20.0)
    chunk["allow"] = 0.002
    return chunk


def mobile_users(ctx: Ctx, n: int) -> Chunk:
    """Phone-first users: every session from a carrier CGNAT address shared by hundreds."""
    rng = ctx.rng
    carrier_countries = tuple({a.country for a in pools.ASNS if a.kind == "mobile"})
    countries = countries_for(rng, n, only=carrier_countries)
    chunk = person_base(ctx, "benign_mobile", countries, phone_share=0.7)
    chunk["group"] = ctx.groups(n)
    chunk["created"] = spread_created(ctx, chunk["tz"])
    m0, mn, _ = ctx.mobile(countries)
    phone = ctx.devices(n)
    slot(chunk, "a", (m0, mn), (phone, 1), ctx.clients(n, ("mobile", "app")), ctx)
    copy_slot(chunk, "s", "a")
    slot(chunk, "b", ctx.home(countries), (phone, 1), chunk["a_ua"], ctx)
    chunk["p_b"] = 0.2
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["sess"], chunk["api"], chunk["req"] = 16.0, 4.0, 3.0
    pay(ctx, chunk, 0.25, 4.0, 20.0, alt_method=0.05)
    return chunk


def vpn_users(ctx: Ctx, n: int) -> Chunk:
    """Privacy-minded users behind commercial VPN exits that many strangers share."""
    rng = ctx.rng
    countries = countries_for(rng, n)
    chunk = person_base(ctx, "benign_vpn", countries, phone_share=0.2)
    chunk["group"] = ctx.groups(n)
    chunk["created"] = spread_created(ctx, chunk["tz"])
    laptop = ctx.devices(n)
    slot(chunk, "a", ctx.vpn_window(n), (laptop, 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    slot(chunk, "b", ctx.home(countries), (laptop, 1), chunk["a_ua"], ctx)
    chunk["p_b"] = 0.15
    developers(ctx, chunk, 0.3, 0.4)
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 4, n))
    chunk["sess"], chunk["api"], chunk["req"] = 12.0, 10.0, 4.0
    pay(ctx, chunk, 0.3, 6.0, 20.0, alt_method=0.25)
    return chunk


def power_users(ctx: Ctx, n: int) -> Chunk:
    """Heavy API users; many run batch jobs from a cloud VM around the clock."""
    rng = ctx.rng
    countries = countries_for(rng, n)
    chunk = person_base(ctx, "benign_power", countries, phone_share=0.6)
    chunk["group"] = ctx.groups(n)
    chunk["created"] = spread_created(ctx, chunk["tz"])
    slot(chunk, "a", ctx.home(countries), (ctx.devices(n), 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    vm = ctx.reg.ips.add_random(rng, pick_asn(rng, "datacenter", np.full(n, "US", dtype=object)))
    slot(chunk, "b", (vm, 1), (ctx.devices(n), 1), ctx.clients(n, "sdk"), ctx)
    chunk["p_b"] = 0.5
    chunk["p_clock"] = np.where(rng.random(n) < 0.6, 0.6, 0.05)
    chunk["life"] = 200.0
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(3, 9, n))
    synth = rng.random(n) < 0.3  # synthetic-data jobs: short prompts, long answers, like a farm
    gen0, _ = ctx.templates(np.where(synth, chunk["tpn"], 0), distill=True)
    chunk["tp0"] = np.where(synth, gen0, chunk["tp0"])
    chunk["p_priv"], chunk["distill"] = 0.85, synth
    chunk["sess"], chunk["api"], chunk["req"] = 40.0, 150.0, 40.0
    pay(ctx, chunk, 0.95, 12.0, 200.0, alt_method=0.05)
    chunk["allow"] = 0.25
    return chunk


def rank_in_group(pos: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal (sorted) group positions."""
    starts = np.r_[0, np.flatnonzero(np.diff(pos)) + 1]
    return np.arange(len(pos)) - np.repeat(starts, np.diff(np.r_[starts, len(pos)]))


def grouped(ctx: Ctx, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group id per row, group position per row, first row of each group)."""
    pos = np.repeat(np.arange(len(sizes)), sizes)
    return ctx.groups(len(sizes))[pos], pos, np.cumsum(sizes) - sizes


def households(ctx: Ctx, sizes: np.ndarray) -> Chunk:
    """Families: one home IP, one surname, often one family card and a shared computer."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    group, pos, head = grouped(ctx, sizes)
    hc = countries_for(rng, k)
    countries = hc[pos]
    people = same_surname(rng, draw_people(rng, countries), pos)
    chunk = person_base(ctx, "benign_household", countries, people=people, phone_share=0.4)
    chunk["group"] = group
    chunk["tz"] = ctx.tz(hc)[pos]
    chunk["postal"] = postals(rng, hc)[pos]
    t0 = spread_created(ctx, ctx.tz(hc))
    later = t0[pos] + (rng.exponential(20, n) * pools.DAY_US).astype(np.int64)
    later = np.minimum(later, pools.SIGNUP_END_US - pools.DAY_US)
    created = local_times(rng, later, later + pools.DAY_US, chunk["tz"], WAKING, 0.9)
    created[head] = t0
    chunk["created"] = created
    h0, hn = ctx.home(hc)
    slot(chunk, "a", (h0[pos], hn[pos]), (ctx.devices(n), 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    phone_slot(ctx, chunk, 0.4, 0.3)
    shared_pc = (rng.random(k) < 0.3)[pos]
    family = ctx.devices(k)[pos]
    fam_ua = ctx.clients(k, "desktop")[pos]
    chunk["b_ip0"] = np.where(shared_pc, chunk["a_ip0"], chunk["b_ip0"])
    chunk["b_ipn"] = np.where(shared_pc, chunk["a_ipn"], chunk["b_ipn"])
    chunk["b_dev0"] = np.where(shared_pc, family, chunk["b_dev0"])
    chunk["b_devn"] = np.where(shared_pc, 1, chunk["b_devn"])
    chunk["b_ua"] = np.where(shared_pc, fam_ua, chunk["b_ua"])
    chunk["b_tls"] = ctx.reg.client_tls()[chunk["b_ua"]]
    chunk["p_b"] = np.where(shared_pc, 0.35, chunk["p_b"])
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["sess"], chunk["api"], chunk["req"] = 9.0, 7.0, 3.0
    pay(ctx, chunk, 0.2, 6.0, 20.0)  # some members pay with their own card regardless
    house_pays = rng.random(k) < 0.5
    payers = np.flatnonzero(house_pays)
    fam_card = np.full(k, -1, dtype=np.int64)
    fam_card[payers] = new_cards(
        ctx,
        len(payers),
        pools.CONSUMER_BINS,
        hc[payers],
        chunk["holder"][head[payers]],
        chunk["postal"][head[payers]],
    )
    uses_family = house_pays[pos] & (rng.random(n) < 0.7)
    chunk["card_a"] = np.where(uses_family, fam_card[pos], chunk["card_a"])
    chunk["p_pay"] = np.where(uses_family, 1.0, chunk["p_pay"])
    chunk["method"] = np.where(uses_family, "card", chunk["method"])
    return chunk
