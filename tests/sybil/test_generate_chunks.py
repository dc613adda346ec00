"""Worlds generated in chunks: one world's ids and private identifiers, and a pipeline run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.settings import Settings
from sybil.generate import TABLES, write_world
from sybil.runner import run_pipeline
from sybil.synth import pools
from sybil.synth.chunks import Chunking, chunk_sizes
from sybil.synth.evasive import _TEMPLATE_DOMAINS
from sybil.synth.people import finalize_emails, gmail_key, mailbox_hashes

N, CHUNK, SEED = 3000, 1000, 11
PARTS = ("signups", "payments", "sessions", "api_usage", "allowlist")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("chunked")
    write_world(raw, N, seed=SEED, dirty_rate=0.005, chunk_accounts=CHUNK)
    return raw


def _read(world: Path, table: str) -> pl.DataFrame:
    """A table with the chunk each row came from."""
    frames = [
        pl.read_parquet(p).with_columns(chunk=pl.lit(i))
        for i, p in enumerate(sorted((world / table).glob("part-*.parquet")))
    ]
    return pl.concat(frames)


def _shared_across_chunks(world: Path, table: str, value: pl.Expr) -> pl.DataFrame:
    """Values of `value` (over the rows of `table`) held in more than one chunk."""
    return (
        _read(world, table)
        .select(value.alias("value"), "chunk")
        .drop_nulls("value")
        .group_by("value")
        .agg(pl.col("chunk").n_unique().alias("chunks"))
        .filter(pl.col("chunks") > 1)
    )


def test_chunk_sizes_are_about_equal_and_add_up() -> None:
    assert chunk_sizes(3000, 1000) == [1000, 1000, 1000]
    assert chunk_sizes(2_500_001, 1_000_000) == [833_334, 833_334, 833_333]
    assert chunk_sizes(1001, 1000) == [501, 500]


def test_layout_is_a_folder_per_table_and_one_truth_file(world: Path) -> None:
    for table in PARTS:
        parts = sorted(p.name for p in (world / table).iterdir())
        assert parts == [f"part-{i:05d}.parquet" for i in range(3)], table
        assert not (world / f"{table}.parquet").exists()
    assert (world / "truth.parquet").is_file()
    assert sorted(p.name for p in world.iterdir()) == sorted([*PARTS, "truth.parquet"])


def test_same_seed_gives_the_same_files(world: Path, tmp_path: Path) -> None:
    counts = write_world(tmp_path, N, seed=SEED, dirty_rate=0.005, chunk_accounts=CHUNK)
    assert counts["truth"] == N
    files = sorted(p.relative_to(world) for p in world.rglob("*.parquet"))
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    for path in files:
        assert (world / path).read_bytes() == (tmp_path / path).read_bytes(), path


def test_ids_are_unique_across_chunks(world: Path) -> None:
    truth = pl.read_parquet(world / "truth.parquet")
    signups = _read(world, "signups")
    assert truth.height == N
    assert truth["account_id"].is_unique().all()
    assert truth["account_id"].str.contains(r"^acc_\d{7}$").all()
    # every account signs up in one chunk (dirt duplicates rows only within its chunk)
    assert _shared_across_chunks(world, "signups", pl.col("account_id")).height == 0
    # truth covers every account exactly once; other ids are dirty rows, in no chunk's truth
    valid = set(truth["account_id"])
    assert valid <= set(signups["account_id"].drop_nulls())
    extra = signups.filter(~pl.col("account_id").is_in(valid) & pl.col("account_id").is_not_null())
    assert 0 < extra.height <= 0.005 * N
    # payment ids: one sequence for the world (dirt repeats some only within their chunk)
    assert _shared_across_chunks(world, "payments", pl.col("payment_id")).height == 0
    payments = _read(world, "payments")
    assert payments["payment_id"].n_unique() > 0.99 * payments.height


def test_farms_never_span_chunks_and_their_ids_are_distinct(world: Path) -> None:
    truth = pl.read_parquet(world / "truth.parquet")
    chunk_of = _read(world, "signups").select("account_id", "chunk").unique()
    farms = truth.drop_nulls("farm_id").join(chunk_of, on="account_id")
    per_farm = farms.group_by("farm_id").agg(
        pl.col("chunk").n_unique(), pl.col("archetype").n_unique()
    )
    assert per_farm["chunk"].max() == 1
    assert per_farm["archetype"].max() == 1
    assert farms["chunk"].n_unique() == 3
    assert per_farm.height >= 3 * 10  # every chunk holds every farm style


def test_private_identifiers_stay_in_their_chunk(world: Path) -> None:
    phone = pl.col("phone").str.replace_all(r"[^0-9]", "").str.slice(-10)
    assert _shared_across_chunks(world, "signups", gmail_key()).height == 0
    assert _shared_across_chunks(world, "signups", phone).height == 0
    assert _shared_across_chunks(world, "signups", pl.col("device_id")).height == 0
    assert _shared_across_chunks(world, "sessions", pl.col("device_id")).height == 0
    assert _shared_across_chunks(world, "payments", pl.col("card_fingerprint")).height == 0
    # company and campus domains are the world's: only free and throwaway providers repeat
    domains = _shared_across_chunks(world, "signups", gmail_key().str.extract(r"@(.+)$", 1))
    providers = {d for c in pools.COUNTRIES for d, _ in c.mails}
    providers |= {*pools.DISPOSABLE_DOMAINS, *pools.OBSCURE_DISPOSABLE_DOMAINS}
    providers |= set(_TEMPLATE_DOMAINS)
    assert domains.height > 0
    assert set(domains["value"]) <= providers
    # templates: the 40 public ones are one world's (in every chunk), private ones stay put
    public = set(Chunking(N, seed=SEED, chunk_accounts=CHUNK).shared.public_text.tolist())
    templates = _shared_across_chunks(world, "api_usage", pl.col("prompt_hash"))
    assert set(templates["value"]) <= public
    assert len(public & set(templates.filter(pl.col("chunks") == 3)["value"])) >= 20


def test_a_taken_mailbox_is_never_given_again() -> None:
    rng = np.random.default_rng(1)
    emails = pl.Series(
        ["ann.lee@gmail.com", "annlee+ai@gmail.com", "a.nn.lee@gmail.com", "an.nlee+x@gmail.com"]
    )
    protected = np.array([False, False, True, True])  # a farm's two variants of one mailbox
    taken = mailbox_hashes(pl.Series(["annlee@gmail.com"]))
    out = finalize_emails(rng, emails, protected, taken)
    keys = pl.DataFrame({"email": out}).select(gmail_key()).to_series()
    assert not (set(keys) & {"annlee@gmail.com"})
    assert keys[0] != keys[1]  # the +tag variant got a mailbox of its own, not only a new tag
    assert keys[2] == keys[3]  # the farm's variants still share one mailbox
    assert out[3].strip().lower().endswith("+x@gmail.com")


def test_csv_chunks_are_one_file_per_table(tmp_path: Path) -> None:
    (tmp_path / "signups").mkdir()
    (tmp_path / "signups" / "part-00007.parquet").write_bytes(b"stale")
    counts = write_world(tmp_path, 2000, seed=3, fmt="csv", chunk_accounts=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    for table in TABLES:
        frame = pl.read_csv(tmp_path / f"{table}.csv", infer_schema=False)
        assert frame.height == counts[table], table
    assert counts["truth"] == 2000


@pytest.mark.integration
@pytest.mark.slow
def test_the_pipeline_runs_and_links_no_private_identifier_across_chunks(
    world: Path, tmp_path: Path
) -> None:
    settings = Settings(
        raw_dir=world,
        warehouse=tmp_path / "warehouse.duckdb",
        exports=tmp_path / "exports",
        memory_limit="2GB",
        threads=2,
    )
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.reason
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        accounting = con.sql("select table_name, rows_read, adds_up from staging.accounting").pl()
        edges = con.sql("select account_a, account_b, kinds from published.similarity_edges").pl()
        flagged = con.sql("select count(*) from published.clusters where flagged").fetchall()
    finally:
        con.close()
    assert accounting["adds_up"].all()
    read = dict(zip(accounting["table_name"], accounting["rows_read"], strict=True))
    for table in PARTS:
        assert read[table] == _read(world, table).height, table
    assert flagged[0][0] > 0
    chunk_of = _read(world, "signups").select("account_id", "chunk").unique("account_id")
    across = (
        edges.join(chunk_of.rename({"account_id": "account_a", "chunk": "a"}), on="account_a")
        .join(chunk_of.rename({"account_id": "account_b", "chunk": "b"}), on="account_b")
        .filter(pl.col("a") != pl.col("b"))
        .explode("kinds")
    )
    assert edges.height > 0
    assert not set(across["kinds"]) & {"email", "phone", "device", "card"}
