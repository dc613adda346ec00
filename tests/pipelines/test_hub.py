"""One value shared by 100,000 accounts (a carrier NAT, a popular device model, a test card):
the run neither blows up its edges nor its memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HUB = 100_000
MAX_RSS_GB = 1.5  # measured: 0.45 GB


def test_a_hub_shared_by_100k_accounts(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    ids = [f"h{i:06d}" for i in range(HUB)]
    start = pl.datetime(2026, 1, 1, time_zone="UTC")
    pl.DataFrame({"account_id": ids}).with_columns(
        created_at=start + pl.duration(seconds=pl.int_range(0, HUB) * 7),
        email=pl.format("user{}@example.org", pl.int_range(0, HUB)),
        phone=pl.lit("+1 415 555 0100"),
        ip=pl.lit("100.64.0.1"),
        device_id=pl.lit("hub-device"),
        user_agent=pl.lit("HubAgent/1.0"),
    ).write_parquet(raw / "signups.parquet")
    pl.DataFrame({"account_id": ids}).with_columns(
        payment_id=pl.format("p{}", pl.int_range(0, HUB)),
        created_at=start + pl.duration(seconds=pl.int_range(0, HUB) * 7 + 3600),
        method=pl.lit("card"),
        card_fingerprint=pl.lit("test-card"),
        card_bin=pl.lit("424242"),
        billing_postal=pl.lit("94107"),
        amount_usd=pl.lit(5.0),
        status=pl.lit("succeeded"),
    ).write_parquet(raw / "payments.parquet")
    root = tmp_path / "out"
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sybil.cli",
            "run",
            "--raw",
            str(raw),
            "--warehouse",
            str(root / "w.duckdb"),
            "--exports",
            str(root / "e"),
            "--quiet",
            "--memory-limit",
            "1GB",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    peak_gb = usage.ru_maxrss / 1024**2  # kilobytes on Linux
    assert proc.returncode == 0, err
    assert peak_gb < MAX_RSS_GB, f"peak RSS {peak_gb:.2f} GB in {seconds:.1f} s"
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    try:
        edges = con.sql("select count(*) from edges.similarity_edges").fetchall()[0][0]
        hubs = con.sql(
            "select kind, n_accounts, linked from features.key_stats "
            "where kind in ('device', 'ip', 'phone', 'card') order by kind"
        ).fetchall()
    finally:
        con.close()
    assert edges == 0
    assert hubs == [(k, HUB, False) for k in ("card", "device", "ip", "phone")]
    assert Path(root / "e" / "ban_list.csv").read_text().splitlines() == [
        "account_id,cluster_id,risk_score,reason"
    ]
