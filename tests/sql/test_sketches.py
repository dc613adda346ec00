"""MinHash/LSH template-set sketches: similar sets share buckets, public templates are ignored."""

from __future__ import annotations

import duckdb

from pipelines.sql import create_table

PARAMS = {"n_hashes": 16, "rows_per_band": 2, "min_templates": 2, "max_template_share": 0.5}


def sketch(con: duckdb.DuckDBPyConnection, usage: list[tuple[int, str]], **params: object):
    con.execute("create schema if not exists staging")
    con.execute(
        "create or replace table staging.api_usage (account_idx integer, prompt_hash varchar)"
    )
    con.executemany("insert into staging.api_usage values (?, ?)", usage)
    create_table(
        con, "features.template_sketches", "features/template_sketches", {**PARAMS, **params}
    )
    rows = con.sql("select account_idx, band, bucket from features.template_sketches").fetchall()
    buckets: dict[int, set[str]] = {}
    for account, _, bucket in rows:
        buckets.setdefault(account, set()).add(bucket)
    return buckets


def usage_of(sets: dict[int, list[str]]) -> list[tuple[int, str]]:
    return [(a, t) for a, templates in sets.items() for t in templates for _ in range(2)]


# Ten bystanders with their own templates keep every template under the 50% "public" share.
BYSTANDERS = {100 + i: [f"own{i}a", f"own{i}b"] for i in range(10)}


def test_identical_sets_share_every_band_and_disjoint_sets_none(con):
    b = sketch(
        con, usage_of({1: ["t1", "t2", "t3"], 2: ["t3", "t2", "t1"], 3: ["x", "y"], **BYSTANDERS})
    )
    assert len(b[1]) == 8
    assert b[1] == b[2]
    assert not b[1] & b[3]


def test_more_similar_sets_share_more_bands(con):
    base = [f"t{i}" for i in range(10)]
    b = sketch(
        con,
        usage_of(
            {
                1: base,
                2: [*base[:9], "u9"],
                3: [*base[:3], "v3", "v4", "v5", "v6", "v7", "v8", "v9"],
                **BYSTANDERS,
            }
        ),
        n_hashes=64,
    )
    assert len(b[1] & b[2]) > len(b[1] & b[3])


def test_public_templates_and_small_sets_are_not_sketched(con):
    everyone = {a: ["public", f"own{a}"] for a in range(20)}
    b = sketch(con, usage_of({**everyone, 50: ["solo"]}))
    # "public" is used by 20 of 21 accounts (> 50%): left out, so each set shrinks to one template
    assert b == {}


def test_sketches_are_deterministic(con):
    sets = usage_of({1: ["a", "b", "c"], 2: ["b", "c", "d"], **BYSTANDERS})
    assert sketch(con, sets) == sketch(con, sets)
