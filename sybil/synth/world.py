"""Assemble a whole synthetic world: plan, build every archetype, derive tables, add dirt.

`write_world` writes worlds larger than `chunk_accounts` chunk by chunk (`sybil.synth.chunks`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from sybil.synth import benign, evasive, farms, groups
from sybil.synth.chunks import (
    CSV_TIME,
    DEFAULT_CHUNK_ACCOUNTS,
    MIN_CHUNK_ACCOUNTS,
    Chunking,
    Part,
    PartWriter,
    account_numbers,
    clear_table,
)
from sybil.synth.context import Ctx, assemble
from sybil.synth.dirty import format_ids, inject_all
from sybil.synth.people import finalize_emails
from sybil.synth.plan import plan_world
from sybil.synth.tables import (
    Tables,
    api_usage,
    numpy_profile,
    payments,
    sessions,
    signup_picks,
    signups,
)

TABLES = ("signups", "payments", "sessions", "api_usage", "allowlist", "truth")
_FARM_BUILDERS = {
    "farm_proxy": farms.proxy,
    "farm_burst": farms.burst,
    "farm_alias": farms.alias,
    "farm_sms": farms.sms,
    "farm_noid": evasive.noid,
    "farm_nonet": evasive.nonet,
    "farm_nopay": evasive.nopay,
    "farm_notime": evasive.notime,
    "farm_nobehaviour": evasive.nobehaviour,
    "farm_org": evasive.org,
}


def _build_accounts(ctx: Ctx, plan: dict[str, np.ndarray]) -> pl.DataFrame:
    """Profiles of all accounts in group order (ids are assigned later, shuffled)."""
    chunks = [
        benign.individuals(ctx, int(plan["benign_individual"][0])),
        benign.households(ctx, plan["benign_household"]),
        groups.teams(ctx, plan["benign_team"]),
        groups.campuses(ctx, plan["benign_campus"]),
        groups.events(ctx, plan["benign_event"]),
        groups.data_teams(ctx, plan["benign_batch"]),
        benign.mobile_users(ctx, int(plan["benign_mobile"][0])),
        benign.vpn_users(ctx, int(plan["benign_vpn"][0])),
        benign.power_users(ctx, int(plan["benign_power"][0])),
    ]
    n_farms = sum(len(plan[style]) for style in _FARM_BUILDERS)
    farm_numbers = ctx.rng.permutation(n_farms) + 1  # numbering does not reveal the style
    used = 0
    for style, build in _FARM_BUILDERS.items():
        sizes = plan[style]
        if len(sizes):
            chunks.append(build(ctx, sizes, farm_numbers[used : used + len(sizes)]))
        used += len(sizes)
    chunks = [c for c in chunks if len(c["created"])]
    return assemble(chunks)


def _account_ids(rng: np.random.Generator, n: int) -> tuple[pl.Series, np.ndarray, int]:
    numbers, width = account_numbers(rng, n)
    return format_ids(numbers, width), numbers, width


def _allowlist(rng: np.random.Generator, acc: pl.DataFrame) -> pl.DataFrame:
    """Verified customers (mostly teams and power users) plus one compromised farm account."""
    allow = rng.random(acc.height) < acc["allow"].to_numpy()
    farm_rows = np.flatnonzero(acc["farm"].to_numpy() >= 0)
    if len(farm_rows):
        proxy = np.flatnonzero(acc["arch"].to_numpy() == "farm_proxy")
        allow[rng.choice(proxy if len(proxy) else farm_rows)] = True
    return acc.filter(pl.Series(allow)).select("account_id").sort("account_id")


def generate_world(
    n_accounts: int = 50_000, *, seed: int = 7, dirty_rate: float = 0.001
) -> dict[str, pl.DataFrame]:
    """A seeded synthetic world in the contract's input format, plus ground truth.

    Returns signups, payments, sessions, api_usage, allowlist and truth (account_id, farm_id or
    null, archetype). The same arguments always give identical frames. The whole world is built
    in memory (about 7 GB at 1M accounts); `write_world` writes bigger ones in chunks.
    """
    _check(n_accounts, dirty_rate)
    return _generate(np.random.default_rng(seed), n_accounts, dirty_rate)


def _check(n_accounts: int, dirty_rate: float) -> None:
    if n_accounts < 500:
        raise ValueError("n_accounts must be at least 500 to hold every archetype")
    if not 0.0 <= dirty_rate < 0.5:
        raise ValueError("dirty_rate must be in [0, 0.5)")


def _generate(
    rng: np.random.Generator, n_accounts: int, dirty_rate: float, part: Part | None = None
) -> dict[str, pl.DataFrame]:
    """One world, or with `part` one chunk of a world (its ids and what it shares with or keeps
    apart from the other chunks come from the part)."""
    if part is None:
        ctx = Ctx(rng, n_accounts)
    else:
        ctx = Ctx(rng, n_accounts, org_domains=part.org_domains, shared=part.shared)
    acc = _build_accounts(ctx, plan_world(rng, n_accounts))
    if part is None:
        ids, numbers, width = _account_ids(rng, acc.height)
    else:
        numbers, width = part.used, part.width  # dirty rows avoid every account of the world
        ids = format_ids(part.numbers, width)
    acc = acc.with_columns(
        account_id=ids,
        email=finalize_emails(
            rng, acc["email"], acc["alias"].to_numpy(), None if part is None else part.mailboxes
        ),
    )
    t = Tables.finish(ctx)
    a = numpy_profile(acc)
    act = np.exp(rng.normal(-0.245, 0.7, acc.height))  # mean 1: how active each account is
    sig_ip, sig_dev = signup_picks(ctx, a)
    farm = acc["farm"].to_numpy()
    if part is not None:  # numbered after the farms of earlier chunks
        farm = np.where(farm >= 0, farm + part.farm_offset, farm)
    truth = pl.DataFrame(
        {
            "account_id": acc["account_id"],
            "farm_id": pl.Series(farm)
            .cast(pl.String)
            .str.zfill(4)
            .scatter(np.flatnonzero(farm < 0), None)
            .str.replace(r"^", "farm_"),
            "archetype": acc["arch"],
        }
    ).sort("account_id")
    tables = {
        "signups": signups(ctx, t, acc, a, sig_ip, sig_dev),
        "payments": payments(ctx, t, acc, a),
        "sessions": sessions(ctx, t, acc, a, sig_ip, sig_dev, act),
        "api_usage": api_usage(ctx, t, acc, a, act),
    }
    tables = inject_all(rng, tables, dirty_rate, numbers, width)
    tables["allowlist"] = _allowlist(rng, acc)
    tables["truth"] = truth
    return {name: tables[name] for name in TABLES}


def write_world(
    out_dir: Path,
    n_accounts: int = 50_000,
    *,
    seed: int = 7,
    dirty_rate: float = 0.001,
    fmt: str = "parquet",
    chunk_accounts: int = DEFAULT_CHUNK_ACCOUNTS,
) -> dict[str, int]:
    """Write out_dir/<table>.parquet (or .csv, ISO timestamps in UTC) for every table, truth
    included; returns row counts.

    A world of more than `chunk_accounts` accounts is generated and written chunk by chunk
    (`sybil.synth.chunks`): each Parquet table but truth is then a folder of one file per chunk,
    a CSV table one file appended chunk by chunk. Smaller worlds are one chunk, written as always.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, not {fmt!r}")
    if chunk_accounts < MIN_CHUNK_ACCOUNTS:
        raise ValueError(f"chunk_accounts must be at least {MIN_CHUNK_ACCOUNTS:,}")
    out_dir = Path(out_dir)
    if n_accounts > chunk_accounts:
        _check(n_accounts, dirty_rate)
        chunking = Chunking(n_accounts, seed=seed, chunk_accounts=chunk_accounts)
        out_dir.mkdir(parents=True, exist_ok=True)
        writer = PartWriter(out_dir, TABLES, fmt)
        for index in range(len(chunking.sizes)):
            part = chunking.part(index)
            world = _generate(np.random.default_rng(part.seed), part.n, dirty_rate, part)
            chunking.record(world)
            writer.write(index, world)
            del world, part  # freed before the next chunk is made
        return writer.finish()
    out_dir.mkdir(parents=True, exist_ok=True)
    world = generate_world(n_accounts, seed=seed, dirty_rate=dirty_rate)
    for name, frame in world.items():
        clear_table(out_dir, name)
        if fmt == "csv":
            frame.write_csv(out_dir / f"{name}.csv", datetime_format=CSV_TIME)
        else:
            frame.write_parquet(out_dir / f"{name}.parquet", compression="zstd", statistics=True)
    return {name: frame.height for name, frame in world.items()}
