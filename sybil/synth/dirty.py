"""Dirty rows that a real export contains, so the pipeline's quarantine has work to do.

Dirt is only ever added (extra rows), never written over clean rows: the clean world and its
truth stay exactly as generated. Extra rows with fresh ids are not accounts and not in truth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

_BAD_IPS = ("999.1.2.3", "not-an-ip", "10.0.0.300", "1.2.3", "2001:db8::zz")


def format_ids(numbers: np.ndarray, width: int) -> pl.Series:
    """acc_ + zero-padded number."""
    digits = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str([pl.lit("acc_"), pl.lit(digits)])).to_series()


def fresh_ids(rng: np.random.Generator, used: np.ndarray, k: int, width: int) -> pl.Series:
    """k account ids in the normal format that no account has (`used` is sorted)."""
    cand = np.unique(rng.integers(0, 10**width, 2 * k + 16))
    hit = used[np.minimum(np.searchsorted(used, cand), len(used) - 1)] == cand
    return format_ids(rng.permutation(cand[~hit])[:k], width)


def _inject(
    rng: np.random.Generator,
    table: pl.DataFrame,
    rate: float,
    kinds: list[Callable[[pl.DataFrame, int], pl.DataFrame]],
) -> pl.DataFrame:
    """Add about rate*len dirty rows (cycling through `kinds`) in a few bad batches.

    The batches go in at random positions by zero-copy slicing, so even the largest tables are
    not rewritten.
    """
    if rate <= 0 or table.height == 0:
        return table
    k = max(1, round(rate * table.height))
    base = table[pl.Series(rng.integers(0, table.height, k))]
    kind = (np.arange(k) + int(rng.integers(0, len(kinds)))) % len(kinds)
    parts = [fn(base.filter(pl.Series(kind == i)), i) for i, fn in enumerate(kinds)]
    dirty = pl.concat([p for p in parts if p.height], how="vertical_relaxed")
    dirty = dirty.select(table.columns).cast(table.schema)
    dirty = dirty[pl.Series(rng.permutation(dirty.height))]
    batches = min(8, dirty.height)
    at = np.r_[0, np.sort(rng.integers(0, table.height + 1, batches)), table.height]
    cut = np.r_[
        0,
        np.sort(rng.choice(np.arange(1, dirty.height), batches - 1, replace=False))
        if batches > 1
        else np.zeros(0, np.int64),
        dirty.height,
    ]
    pieces = []
    for i in range(batches):
        pieces.append(table.slice(int(at[i]), int(at[i + 1] - at[i])))
        pieces.append(dirty.slice(int(cut[i]), int(cut[i + 1] - cut[i])))
    pieces.append(table.slice(int(at[-2]), int(at[-1] - at[-2])))
    return pl.concat(pieces, rechunk=False)


def inject_all(
    rng: np.random.Generator,
    tables: dict[str, pl.DataFrame],
    rate: float,
    used: np.ndarray,
    width: int,
) -> dict[str, pl.DataFrame]:
    """Dirty signups, sessions, payments and api_usage at `rate` of each table's rows."""

    def new_ids(frame: pl.DataFrame, column: str = "account_id") -> pl.DataFrame:
        return frame.with_columns(fresh_ids(rng, used, frame.height, width).alias(column))

    def bad_ip(frame: pl.DataFrame) -> pl.DataFrame:
        ips = rng.choice(np.array(_BAD_IPS, dtype=object), frame.height)
        return frame.with_columns(ip=pl.Series(ips, dtype=pl.String))

    def null(col: str) -> Callable[[pl.DataFrame, int], pl.DataFrame]:
        return lambda f, _: f.with_columns(pl.lit(None, dtype=f.schema[col]).alias(col))

    used = np.sort(used)
    out = dict(tables)
    out["signups"] = _inject(
        rng,
        tables["signups"],
        rate,
        [
            lambda f, _: f,  # exact duplicate of an existing account's row
            null("account_id"),
            lambda f, _: null("created_at")(new_ids(f), 0),
            lambda f, _: new_ids(f).with_columns(pl.col("email").str.replace("@", " at ")),
            lambda f, _: bad_ip(new_ids(f)),
        ],
    )
    out["sessions"] = _inject(
        rng,
        tables["sessions"],
        rate,
        [
            lambda f, _: bad_ip(f),
            lambda f, _: new_ids(f),
            null("ts"),
            null("account_id"),
        ],
    )
    out["payments"] = _inject(
        rng,
        tables["payments"],
        rate,
        [
            lambda f, _: f.with_columns(pl.col("amount_usd").abs().neg() - 1.0),
            lambda f, _: f.with_columns(amount_usd=pl.lit(float("nan"))),
            lambda f, _: new_ids(f),
            null("account_id"),
            lambda f, _: f,  # duplicate payment_id
        ],
    )
    out["api_usage"] = _inject(
        rng,
        tables["api_usage"],
        rate,
        [
            lambda f, _: new_ids(f),
            lambda f, _: f.with_columns(input_tokens=-pl.col("input_tokens") - 1),
            null("hour"),
            lambda f, _: f,  # exact duplicate row
        ],
    )
    return out
