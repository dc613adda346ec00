"""Benign groups that share infrastructure like farms do: company teams, campuses, events.

They are the hard negatives: shared office/NAT/venue IPs, shared corporate cards, shared lab
machines, signup bursts and shared prompt templates, all for legitimate reasons.
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
    grouped,
    new_cards,
    pay,
    person_base,
    phone_slot,
    rank_in_group,
    slot,
)
from sybil.synth.context import BUSINESS, MODE_BUSINESS, MODE_POOL, WAKING, Ctx, local_times
from sybil.synth.people import countries_for, draw_people, free_emails, org_emails, postals
from sybil.synth.registry import ASN_POS, asns_of, pick_asn

_TLD_COUNTRY = {"de": "DE", "co.uk": "GB", "fr": "FR"}
_TLDS = ("com", "io", "ai", "co", "net", "de", "co.uk", "fr")
_TLD_W = np.array([10, 2, 2, 1, 1, 1.5, 1.5, 1], dtype=float)
_LAB = np.array([0] * 9 + [1] * 8 + [0] * 7, dtype=float) / 8  # lab sessions start 9:00-16:00
_EVENT = np.array([0] * 9 + [1] * 5 + [0] * 10, dtype=float) / 5


def _unique_names(
    ctx: Ctx, k: int, parts: list[np.ndarray], weights: list[np.ndarray]
) -> list[np.ndarray]:
    """Pick k distinct combinations of parts (one index per part), weighted per part."""
    sizes = [len(p) for p in parts]
    total = int(np.prod(sizes))
    w = np.ones(1)
    for wi in weights:
        w = np.outer(w, wi).ravel()
    take = min(k, total)
    idx = ctx.rng.choice(total, size=take, replace=False, p=w / w.sum())
    if k > take:  # more groups than names: reuse combinations (a numeric suffix is added later)
        idx = np.concatenate([idx, ctx.rng.choice(total, size=k - take)])
    return list(np.unravel_index(idx, sizes))


def _dedupe_suffix(names: np.ndarray) -> np.ndarray:
    """Append 2, 3, ... to repeated names before the first dot."""
    order = np.argsort(names, kind="stable")
    sorted_names = names[order]
    first = np.r_[True, sorted_names[1:] != sorted_names[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(len(names)) - np.repeat(starts, np.diff(np.r_[starts, len(names)]))
    out = names.copy()
    dup = order[rank > 0]
    if len(dup):
        head, _, tail = np.char.partition(names[dup].astype(str), ".").T
        out[dup] = np.char.add(
            np.char.add(head, (rank[rank > 0] + 1).astype(str)), np.char.add(".", tail)
        ).astype(object)
    return out


_LEGAL = {"US": "Inc", "CA": "Inc", "GB": "Ltd", "DE": "GmbH", "FR": "SAS", "NL": "B.V."}
_LEGAL.update({"IN": "Pvt Ltd", "ES": "S.L."})


def _claim(ctx: Ctx, domains: np.ndarray) -> np.ndarray:
    """The domains, each renamed (2, 3, ... before the first dot) if the world already has it,
    and now taken (`ctx.org_domains`, carried across the chunks of a world)."""
    for i, d in enumerate(domains):  # one loop step per company or campus
        head, _, tail = d.partition(".")
        j = 1
        while d in ctx.org_domains:
            j += 1
            d = f"{head}{j}.{tail}"
        domains[i] = d
        ctx.org_domains.add(d)
    return domains


def org_domains(ctx: Ctx, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Company domains like acmeanalytics.com, the company's country and its legal name.

    Domains are unique in the world: a company (team, data team or a farm's front company) never
    shares its domain with another one.
    """
    a = np.array(pools.ORG_WORDS_A, dtype=object)
    b = np.array(pools.ORG_WORDS_B, dtype=object)
    t = np.array(_TLDS, dtype=object)
    ia, ib, it = _unique_names(ctx, k, [a, b, t], [np.ones(len(a)), np.ones(len(b)), _TLD_W])
    domains = _claim(ctx, _dedupe_suffix(a[ia] + b[ib] + "." + t[it]))
    countries = countries_for(ctx.rng, k, only=("US", "GB", "DE", "FR", "NL", "CA", "IN", "ES"))
    for tld, code in _TLD_COUNTRY.items():
        countries[t[it] == tld] = code
    legal = np.array([_LEGAL[c] for c in countries], dtype=object)
    names = pl.DataFrame({"a": a[ia].astype(str), "b": b[ib].astype(str), "l": legal.astype(str)})
    company = names.select(
        pl.concat_str(
            [pl.col("a").str.to_titlecase(), pl.col("b").str.to_titlecase(), "l"], separator=" "
        )
    ).to_series()
    return domains, countries, company.to_numpy().astype(object)


def corporate_cards(
    ctx: Ctx, countries: np.ndarray, person: np.ndarray, company: np.ndarray, corporate: np.ndarray
) -> np.ndarray:
    """One card per company: corporate BINs where `corporate`, else an employee's own card.

    Half of the corporate cards are embossed with the company's name instead of a person's.
    """
    rng = ctx.rng
    k = len(countries)
    card = np.empty(k, dtype=np.int64)
    holder = np.where(corporate & (rng.random(k) < 0.5), company, person)
    office_postal = postals(rng, countries)
    for flag, bins in ((True, pools.CORPORATE_BINS), (False, pools.CONSUMER_BINS)):
        sel = np.flatnonzero(corporate == flag)
        card[sel] = new_cards(ctx, len(sel), bins, countries[sel], holder[sel], office_postal[sel])
    return card


def teams(ctx: Ctx, sizes: np.ndarray) -> Chunk:
    """Company teams: org domain, office IPs in one /24, one corporate card, internal template."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    group, pos, head = grouped(ctx, sizes)
    domain, tc, company = org_domains(ctx, k)
    asn = pick_asn(rng, "residential", tc)
    biz = (tc == "US") & (rng.random(k) < 0.6)
    asn[biz] = pick_asn(rng, "business", tc[biz])
    office = blocks(ctx, asn, rng.integers(1, 4, k))
    countries = tc[pos]
    people = draw_people(rng, countries, foreign=0.2)
    style = rng.choice(3, k, p=[0.6, 0.25, 0.15])[pos]
    chunk = person_base(
        ctx,
        "benign_team",
        countries,
        people=people,
        phone_share=0.4,
        emails=org_emails(people, domain[pos], style),
    )
    tz = ctx.tz(tc)
    chunk["group"], chunk["tz"] = group, tz[pos]
    t0 = local_times(
        rng,
        np.full(k, pools.SIGNUP_START_US),
        np.full(k, pools.SIGNUP_END_US - 14 * pools.DAY_US),
        tz,
        BUSINESS,
        0.05,
    )
    join = t0[pos] + (rng.exponential(12, n) * pools.DAY_US).astype(np.int64)
    join = np.minimum(join, pools.SIGNUP_END_US - pools.DAY_US)
    created = local_times(rng, join, join + pools.DAY_US, tz[pos], BUSINESS, 0.05)
    created[head] = t0
    chunk["created"] = created
    laptop = ctx.devices(n)
    slot(chunk, "a", (office[0][pos], office[1][pos]), (laptop, 1), ctx.clients(n, "desktop"), ctx)
    copy_slot(chunk, "s", "a")
    slot(chunk, "b", ctx.home(countries), (laptop, 1), chunk["a_ua"], ctx)
    chunk["p_b"] = 0.3
    developers(ctx, chunk, 0.7, 0.5)
    team_sdk = ctx.clients(k, "sdk")[pos]
    chunk["sdk_ua"] = np.where(chunk["sdk_ua"] >= 0, team_sdk, -1)
    chunk["sdk_tls"] = np.where(chunk["sdk_ua"] >= 0, ctx.reg.client_tls()[team_sdk], -1)
    tg0, tgn = ctx.templates(rng.integers(1, 4, k))
    chunk["tg0"], chunk["tgn"] = tg0[pos], tgn[pos]
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["p_grp"], chunk["p_priv"] = 0.55, 0.3
    chunk["mode"], chunk["p_clock"] = MODE_BUSINESS, 0.03
    chunk["sess"], chunk["api"], chunk["req"] = 18.0, 22.0, 6.0
    chunk["life"] = 30 + rng.exponential(90, n)
    corporate = rng.random(k) < 0.7
    card = corporate_cards(ctx, tc, chunk["holder"][head], company, corporate)
    chunk["card_a"], chunk["method"] = card[pos], "card"
    chunk["p_pay"] = (rng.random(n) < 0.9).astype(float)
    chunk["pay_n"], chunk["price"], chunk["allow"] = 5.0, 25.0, 0.08
    return chunk


_SVC_A = np.array(["etl", "batch", "ml", "data", "pipeline", "ingest", "classify", "extract"])
_SVC_B = np.array(["bot", "runner", "worker", "prod", "svc", "jobs", "cron"])


def _service_emails(ctx: Ctx, domains: np.ndarray) -> pl.Series:
    """Service-account addresses such as etl-runner3@acmeanalytics.com."""
    rng = ctx.rng
    n = len(domains)
    frame = pl.DataFrame(
        {
            "a": pl.Series(rng.choice(_SVC_A, n)),
            "b": pl.Series(rng.choice(_SVC_B, n)),
            "i": pl.Series(rng.integers(1, 10, n)).cast(pl.String),
            "d": pl.Series(domains, dtype=pl.String),
        }
    )
    return frame.select(
        pl.concat_str(["a", pl.lit("-"), "b", "i", pl.lit("@"), "d"]).alias("email")
    ).to_series()


def _cron_pool(ctx: Ctx, start: int) -> int:
    """A scheduler's hours: 2-6 fixed hours of every day (any hour), skipping a few days."""
    rng = ctx.rng
    days = np.arange(start // pools.DAY_US, pools.ACTIVITY_END_US // pools.DAY_US + 1)
    days = days[rng.random(len(days)) < 0.9]
    slots = rng.choice(24, int(rng.integers(2, 7)), replace=False)
    t = (days[:, None] * pools.DAY_US + slots[None, :] * pools.HOUR_US).ravel()
    return ctx.hour_pool(t[(t >= start) & (t <= pools.ACTIVITY_END_US)])


def data_teams(ctx: Ctx, sizes: np.ndarray) -> Chunk:
    """Heavy legitimate API users on one internal template: a company's data team and its
    service accounts, one org domain and corporate card, office plus cloud (datacenter) IPs,
    scheduled jobs around the clock in the same hours, all on the pipeline's one template.

    Unlike a farm: classification and extraction (long inputs, short outputs), accounts opened by
    people in office hours over days or weeks, ordinary payments.
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    group, pos, head = grouped(ctx, sizes)
    domain, tc, company = org_domains(ctx, k)
    asn = pick_asn(rng, "residential", tc)
    biz = (tc == "US") & (rng.random(k) < 0.6)
    asn[biz] = pick_asn(rng, "business", tc[biz])
    office = blocks(ctx, asn, rng.integers(1, 4, k))
    cloud = blocks(ctx, rng.choice(asns_of("datacenter"), k), rng.integers(1, 5, k))
    countries = tc[pos]
    people = draw_people(rng, countries, foreign=0.2)
    service = (rng.random(n) < 0.4) & (rank_in_group(pos) > 0)  # the first one is a person
    humans = org_emails(people, domain[pos], rng.choice(3, k, p=[0.6, 0.25, 0.15])[pos])
    emails = humans.zip_with(pl.Series(~service), _service_emails(ctx, domain[pos]))
    chunk = person_base(ctx, "benign_batch", countries, people=people, emails=emails)
    chunk["name"] = chunk["name"].zip_with(
        pl.Series(~service), pl.Series([None] * n, dtype=pl.String)
    )
    chunk["phone"] = np.where(service, None, chunk["phone"])
    tz = ctx.tz(tc)
    chunk["group"], chunk["tz"] = group, tz[pos]
    t0 = local_times(
        rng,
        np.full(k, pools.SIGNUP_START_US),
        np.full(k, pools.SIGNUP_END_US - 14 * pools.DAY_US),
        tz,
        BUSINESS,
        0.05,
    )
    join = t0[pos] + (rng.exponential(10, n) * pools.DAY_US).astype(np.int64)
    join = np.minimum(join, pools.SIGNUP_END_US - pools.DAY_US)
    created = local_times(rng, join, join + pools.DAY_US, tz[pos], BUSINESS, 0.05)
    created[head] = t0
    chunk["created"] = created
    laptop = ctx.devices(n)
    desk_ua = ctx.clients(n, "desktop")
    slot(chunk, "s", (office[0][pos], office[1][pos]), (laptop, 1), desk_ua, ctx)
    copy_slot(chunk, "b", "s")
    n_vm = rng.integers(1, 4, k)
    vm0 = ctx.devices(int(n_vm.sum()))[0] + np.cumsum(n_vm) - n_vm
    job_ua = ctx.clients(k, "sdk")[pos]
    slot(chunk, "a", (cloud[0][pos], cloud[1][pos]), (vm0[pos], n_vm[pos]), job_ua, ctx)
    chunk["p_b"] = np.where(service, 0.02, 0.35)
    tg0, tgn = ctx.templates(np.ones(k, dtype=np.int64), extract=True)  # the pipeline's prompt
    chunk["tg0"], chunk["tgn"] = tg0[pos], tgn[pos]
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["p_grp"], chunk["p_priv"] = 0.85, 0.08
    cron = np.array([_cron_pool(ctx, int(t)) for t in t0])
    scheduled = service | (rng.random(n) < 0.6)
    chunk["mode"] = np.where(scheduled, MODE_POOL, MODE_BUSINESS)
    chunk["pool"], chunk["p_clock"] = cron[pos], 0.05
    chunk["sess"], chunk["api"], chunk["req"] = 25.0, 60.0, 50.0
    chunk["life"] = 200 + rng.exponential(90, n)
    card = corporate_cards(ctx, tc, chunk["holder"][head], company, np.ones(k, bool))
    chunk["card_a"], chunk["method"] = card[pos], "card"
    chunk["p_pay"] = (rng.random(n) < 0.9).astype(float)
    chunk["pay_n"], chunk["price"], chunk["allow"] = 5.0, 200.0, 0.08
    return chunk


def _universities(ctx: Ctx, countries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A distinct university domain and campus ASN per campus."""
    rng = ctx.rng
    domains = np.empty(len(countries), dtype=object)
    asn = np.empty(len(countries), dtype=np.int64)
    words = np.array(pools.UNI_WORDS, dtype=object)
    for code, (forms, asns) in pools.UNI_FORMS.items():
        rows = np.flatnonzero(countries == code)
        f = np.array(forms, dtype=object)
        iw, iform = _unique_names(
            ctx, len(rows), [words, f], [np.ones(len(words)), np.ones(len(f))]
        )
        domains[rows] = [form.format(w=w) for form, w in zip(f[iform], words[iw], strict=True)]
        asn[rows] = rng.choice([ASN_POS[a] for a in asns], len(rows))
    return _claim(ctx, _dedupe_suffix(domains)), asn


def campuses(ctx: Ctx, sizes: np.ndarray) -> Chunk:
    """Students: campus NAT, shared lab machines, lab-session signup bursts, class templates."""
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    group, pos, _ = grouped(ctx, sizes)
    cc = rng.choice(np.array(["US", "GB", "DE", "FR"], dtype=object), k, p=[0.55, 0.2, 0.13, 0.12])
    domain, uni_asn = _universities(ctx, cc)
    nat0, natn = blocks(ctx, uni_asn, rng.integers(2, 7, k))
    n_sec = np.ceil(sizes / 40).astype(np.int64)
    sec_local = (rng.random(n) * n_sec[pos]).astype(np.int64)
    sec = (np.cumsum(n_sec) - n_sec)[pos] + sec_local
    n_rooms = np.ceil(n_sec / 3).astype(np.int64)
    machines = np.maximum(2, np.ceil(sizes / n_rooms / 15)).astype(np.int64)  # ~15 per machine
    lab_start = (
        ctx.devices(int((n_rooms * machines).sum()))[0]
        + np.cumsum(n_rooms * machines)
        - n_rooms * machines
    )
    room0 = lab_start[pos] + (sec_local % n_rooms[pos]) * machines[pos]
    usual = np.minimum(rng.integers(1, 3, n), machines[pos])  # a student's usual 1-2 seats
    seat = room0 + (rng.random(n) * (machines[pos] - usual + 1)).astype(np.int64)
    tz_c = ctx.tz(cc)
    sec_campus = np.repeat(np.arange(k), n_sec)
    lo = max(pools.SIGNUP_START_US, pools.SEMESTER_START_US - 10 * pools.DAY_US)
    lab_t = (
        local_times(
            rng,
            np.full(len(sec_campus), lo),
            np.full(len(sec_campus), pools.SIGNUP_END_US - pools.DAY_US),
            tz_c[sec_campus],
            _LAB,
            0.0,
        )
        // pools.HOUR_US
        * pools.HOUR_US
    )
    in_lab = rng.random(n) < 0.8
    tz = tz_c[pos]
    later = local_times(rng, lab_t[sec], np.full(n, pools.SIGNUP_END_US), tz, WAKING, 0.8)
    created = np.where(
        in_lab, lab_t[sec] + (rng.beta(2, 4, n) * pools.HOUR_US).astype(np.int64), later
    )
    countries = cc[pos]
    people = draw_people(rng, countries, foreign=0.25)
    org = org_emails(people, domain[pos], rng.choice(3, k)[pos])
    free = free_emails(rng, people, countries)
    emails = org.zip_with(pl.Series(rng.random(n) < 0.8), free)
    chunk = person_base(
        ctx, "benign_campus", countries, people=people, emails=emails, phone_share=0.3
    )
    chunk["group"], chunk["tz"], chunk["created"] = group, tz, created
    home0, homen = ctx.home(countries)
    dorm = rng.random(n) < 0.5
    laptop = ctx.devices(n)
    lab_ua = ctx.clients(k, "desktop")[pos]
    slot(
        chunk,
        "a",
        (np.where(dorm, nat0[pos], home0), np.where(dorm, natn[pos], homen)),
        (laptop, 1),
        ctx.clients(n, "desktop"),
        ctx,
    )
    slot(chunk, "b", (nat0[pos], natn[pos]), (seat, usual), lab_ua, ctx)
    slot(chunk, "s", (nat0[pos], natn[pos]), (seat, 1), lab_ua, ctx)
    copy_slot(chunk, "s", "a", ~in_lab)
    chunk["p_b"] = 0.25
    tg0, tgn = ctx.templates(rng.integers(1, 4, k))
    chunk["tg0"], chunk["tgn"] = tg0[pos], tgn[pos]
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["p_grp"], chunk["p_priv"] = 0.45, 0.4
    chunk["sess"], chunk["api"], chunk["req"] = 8.0, 5.0, 3.0
    chunk["life"] = 20 + rng.exponential(50, n)
    pay(ctx, chunk, 0.04, 3.0, 20.0)
    return chunk


def events(ctx: Ctx, sizes: np.ndarray) -> Chunk:
    """Hackathon/conference attendees: signup burst on venue wifi, then everyone goes home.

    At 40% of events a registration desk signs most attendees up on its own laptops, one every
    1.5-4 minutes per desk: a regular cadence on shared devices that looks scripted. Attendees
    still have their own identities, pay on their own (or not at all) and use the API normally.
    """
    rng = ctx.rng
    n, k = int(sizes.sum()), len(sizes)
    group, pos, _ = grouped(ctx, sizes)
    ec = countries_for(rng, k)
    asn = pick_asn(rng, "residential", ec)
    us = ec == "US"
    asn[us] = pick_asn(rng, "business", ec[us])
    venue = blocks(ctx, asn, rng.integers(1, 3, k))
    t_e = local_times(
        rng,
        np.full(k, pools.SIGNUP_START_US),
        np.full(k, pools.SIGNUP_END_US - 4 * pools.HOUR_US),
        ctx.tz(ec),
        _EVENT,
        0.7,
    )
    t_e = t_e // (pools.HOUR_US // 2) * (pools.HOUR_US // 2)
    dur = rng.uniform(1.0, 2.0, k) * pools.HOUR_US
    created = t_e[pos] + (rng.beta(1.5, 2.5, n) * dur[pos]).astype(np.int64)
    # registration desks: attendees queue at one of the event's desks
    has_desk = rng.random(k) < 0.4
    at_desk = has_desk[pos] & (rng.random(n) < 0.8)
    n_desks = np.maximum(1, np.ceil(np.bincount(pos[at_desk], minlength=k) / 60)).astype(np.int64)
    desk_dev0 = ctx.devices(int(n_desks.sum()))[0] + np.cumsum(n_desks) - n_desks
    queue = np.zeros(n, dtype=np.int64)  # place in the event's desk queue
    queue[at_desk] = rank_in_group(pos[at_desk])
    desk = queue % n_desks[pos]
    every = rng.uniform(1.5, 4.0, k) * 60_000_000
    at = t_e[pos] + ((queue // n_desks[pos]) + rng.uniform(-0.25, 0.25, n)) * every[pos]
    created = np.where(at_desk, at.astype(np.int64), created)
    countries = np.where(rng.random(n) < 0.85, ec[pos], countries_for(rng, n))
    chunk = person_base(ctx, "benign_event", countries, phone_share=0.35)
    chunk["group"], chunk["created"] = group, np.minimum(created, pools.SIGNUP_END_US)
    laptop = ctx.devices(n)
    ua = ctx.clients(n, "desktop")
    slot(chunk, "a", ctx.home(countries), (laptop, 1), ua, ctx)
    slot(chunk, "s", (venue[0][pos], venue[1][pos]), (laptop, 1), ua, ctx)
    desk_ua = ctx.clients(k, "desktop")[pos]
    chunk["s_dev0"] = np.where(at_desk, desk_dev0[pos] + desk, chunk["s_dev0"])
    chunk["s_ua"] = np.where(at_desk, desk_ua, chunk["s_ua"])
    chunk["s_tls"] = ctx.reg.client_tls()[chunk["s_ua"]]
    phone_slot(ctx, chunk, 0.4, 0.25)
    developers(ctx, chunk, 0.5, 0.4)
    tg0, tgn = ctx.templates(np.ones(k, dtype=np.int64))
    chunk["tg0"], chunk["tgn"] = tg0[pos], tgn[pos]
    chunk["tp0"], chunk["tpn"] = ctx.templates(rng.integers(1, 3, n))
    chunk["p_grp"] = np.where(rng.random(n) < 0.5, 0.35, 0.0)
    chunk["early"], chunk["sess"], chunk["api"], chunk["req"] = 1.5, 6.0, 5.0, 3.0
    pay(ctx, chunk, 0.1, 4.0, 20.0)
    return chunk
