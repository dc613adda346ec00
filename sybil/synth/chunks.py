"""Worlds too big for memory, generated as chunks: independent sub-worlds made one at a time.

A world of more than `chunk_accounts` accounts is cut into ceil(n / chunk_accounts) chunks of
about equal size. Each is generated like a world of its own size, from its own random stream
(derived from the seed and the chunk number), written at once and freed before the next, so the
peak memory is that of one chunk. Each input table becomes a folder of Parquet files, one per
chunk (`DIR/<table>/part-00000.parquet`, ...: an input table of the contract, read in file
order), and `truth.parquet` stays one file, concatenated by DuckDB at the end.

The chunks of a world keep apart what one world keeps apart: account ids (drawn for the whole
world), payment ids (one sequence), farm ids (numbered after earlier chunks'), mailboxes (a chunk
never takes an earlier chunk's) and company and campus domains. They share what one world shares:
the calendar, countries and names, networks, clients and TLS stacks, and the same 40 public
templates; carrier CGNAT, VPN and proxy exits are drawn per chunk at one world's density.
Random identifiers (devices, cards, private templates, IPs, phones) coincide across chunks only
by chance, as often as in one world of that size. A farm or a benign group never spans chunks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from sybil.synth.context import PUBLIC_TEMPLATES, Shared, public_template_means
from sybil.synth.people import mailbox_hashes
from sybil.synth.registry import hex_strings

DEFAULT_CHUNK_ACCOUNTS = 1_000_000
MIN_CHUNK_ACCOUNTS = 1_000  # so that every chunk holds at least 500 accounts
CSV_TIME = "%Y-%m-%dT%H:%M:%S%.6f+0000"
_PART = "part-{:05d}.parquet"
_TRUTH_PARTS = ".truth-parts"


def account_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, int]:
    """n distinct random account numbers and their digit count (`dirty.format_ids`)."""
    width = max(7, len(str(10 * n - 1)))
    return rng.choice(10**width, size=n, replace=False), width


def chunk_sizes(n: int, chunk_accounts: int) -> list[int]:
    """ceil(n / chunk_accounts) sizes of about equal size summing to n."""
    k = -(-n // chunk_accounts)
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


@dataclass
class Part:
    """One chunk: its random stream, its account numbers, and what earlier chunks took."""

    index: int
    seed: np.random.SeedSequence
    numbers: np.ndarray  # its account numbers, drawn for the whole world
    used: np.ndarray  # every account number of the world, sorted (dirty rows never take one)
    width: int
    farm_offset: int  # farms of earlier chunks: this chunk's are numbered after them
    mailboxes: np.ndarray  # sorted hashes of earlier chunks' mailboxes
    org_domains: set[str]  # company and campus domains taken so far; the chunk adds its own
    shared: Shared

    @property
    def n(self) -> int:
        return len(self.numbers)


class Chunking:
    """The chunks of one world, handed out one at a time; `record` each before the next."""

    def __init__(self, n: int, *, seed: int, chunk_accounts: int = DEFAULT_CHUNK_ACCOUNTS) -> None:
        self.seed = seed
        self.sizes = chunk_sizes(n, chunk_accounts)
        # World-level draws come from their own stream, the chunks' from theirs.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
        self.numbers, self.width = account_numbers(rng, n)
        self.used = np.sort(self.numbers)
        public_in, public_out = public_template_means(rng)
        self.shared = Shared(
            public_text=hex_strings(rng, PUBLIC_TEMPLATES, 16),  # as registry.Registry.templates
            public_in=public_in,
            public_out=public_out,
            payment_salt=int(rng.integers(0, 1 << 40)),
            payment_offset=0,
        )
        self.farms = 0
        self.payments = 0
        self.mailboxes = np.zeros(0, dtype=np.uint64)
        self.org_domains: set[str] = set()

    def part(self, index: int) -> Part:
        start = sum(self.sizes[:index])
        return Part(
            index=index,
            seed=np.random.SeedSequence(self.seed, spawn_key=(1, index)),
            numbers=self.numbers[start : start + self.sizes[index]],
            used=self.used,
            width=self.width,
            farm_offset=self.farms,
            mailboxes=self.mailboxes,
            org_domains=self.org_domains,
            shared=replace(self.shared, payment_offset=self.payments),
        )

    def record(self, world: dict[str, pl.DataFrame]) -> None:
        """Take note of what a generated chunk holds that later chunks must not reuse."""
        self.farms += world["truth"]["farm_id"].drop_nulls().n_unique()
        self.payments += world["payments"].height  # at least the ids it numbered
        self.mailboxes = np.union1d(self.mailboxes, mailbox_hashes(world["signups"]["email"]))


def clear_table(out_dir: Path, name: str) -> None:
    """Remove what an earlier generation wrote for a table (a file, or the parts of a folder), so
    that a world never mixes two generations or holds a table twice."""
    for path in (out_dir / f"{name}.parquet", out_dir / f"{name}.csv"):
        path.unlink(missing_ok=True)
    folder = out_dir / name
    if folder.is_dir():
        for part in folder.glob("part-*.parquet"):
            part.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()


class PartWriter:
    """Writes each chunk's tables as soon as it is made; `finish` makes truth one file.

    Parquet: `<table>/part-NNNNN.parquet` per chunk, truth concatenated by DuckDB (streaming)
    into `truth.parquet`. CSV: each chunk appended to `<table>.csv` (header once).
    """

    def __init__(self, out_dir: Path, tables: tuple[str, ...], fmt: str) -> None:
        self.out_dir, self.fmt = out_dir, fmt
        self.rows = dict.fromkeys(tables, 0)
        for name in tables:
            clear_table(out_dir, name)
        shutil.rmtree(out_dir / _TRUTH_PARTS, ignore_errors=True)

    def write(self, index: int, world: dict[str, pl.DataFrame]) -> None:
        for name, frame in world.items():
            self.rows[name] += frame.height
            if self.fmt == "csv":
                with open(self.out_dir / f"{name}.csv", "ab" if index else "wb") as fh:
                    frame.write_csv(fh, include_header=index == 0, datetime_format=CSV_TIME)
                continue
            folder = self.out_dir / (_TRUTH_PARTS if name == "truth" else name)
            folder.mkdir(exist_ok=True)
            frame.write_parquet(folder / _PART.format(index), compression="zstd", statistics=True)

    def finish(self) -> dict[str, int]:
        """Row counts per table, once truth is one file."""
        if self.fmt == "parquet":
            parts = self.out_dir / _TRUTH_PARTS
            concat_parquet(parts, self.out_dir / "truth.parquet")
            shutil.rmtree(parts)
        return self.rows


def concat_parquet(folder: Path, target: Path) -> None:
    """The Parquet files of `folder`, in name order, as one file (DuckDB streams the rows)."""
    import duckdb

    tmp = target.with_name(target.name + ".tmp")
    con = duckdb.connect(
        config={"threads": 1, "memory_limit": "1GB", "autoload_known_extensions": False}
    )
    try:
        con.execute(
            "copy (select * from read_parquet($parts)) to $target "
            "(format parquet, compression zstd)",
            {"parts": str(folder / "*.parquet"), "target": str(tmp)},
        )
    finally:
        con.close()
    tmp.replace(target)
