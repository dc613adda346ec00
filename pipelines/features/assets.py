"""Features: the identifiers accounts share, how specific each is, and per-account behaviour."""

import dagster as dg

from pipelines.resources import Warehouse
from pipelines.sql import create_table, describe_sql, read_sql
from pipelines.sql_asset import sql_table_asset

_KINDS = "select kind from ref.key_kinds order by kind_no"
# Kinds of keys built by one statement: they come from the same classification of the IPs.
_BUILT_TOGETHER = (frozenset({"ip", "shared_ip", "prefix"}),)


def kind_batches(kinds: list[str]) -> list[list[str]]:
    """The statements `account_keys` runs: each kind alone, except those built together, which
    go in one statement at the place of the first of them (the order of `kinds` kept inside)."""
    batches: list[list[str]] = []
    placed: dict[frozenset[str], list[str]] = {}
    for kind in kinds:
        group = next((g for g in _BUILT_TOGETHER if kind in g), None)
        if group is None:
            batches.append([kind])
        elif group in placed:
            placed[group].append(kind)
        else:
            placed[group] = [kind]
            batches.append(placed[group])
    return batches


_STAGED = [["staging", t] for t in ("signups", "payments", "sessions", "api_usage")]


class SketchConfig(dg.Config):
    """MinHash/LSH of template sets (see sql/features/template_sketches.sql).

    16 hashes in 8 bands of 2: a pair with Jaccard 0.5 shares a band with probability 0.9, a
    pair with Jaccard 0.1 with probability 0.08, and the number of shared bands grows with J.
    """

    n_hashes: int = 16
    rows_per_band: int = 2
    min_templates: int = 2
    max_template_share: float = 0.01


@dg.asset(
    key=["features", "template_sketches"],
    deps=[["staging", "api_usage"]],
    group_name="features",
    description=describe_sql("features/template_sketches"),
    kinds={"duckdb"},
)
def template_sketches(config: SketchConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    if config.n_hashes < 1 or config.rows_per_band < 1 or config.n_hashes % config.rows_per_band:
        raise dg.Failure(description="SketchConfig: rows_per_band must divide n_hashes")
    with warehouse.connect() as con:
        rows = create_table(
            con, "features.template_sketches", "features/template_sketches", config.model_dump()
        )
    return dg.MaterializeResult(metadata={"rows": rows, **config.model_dump()})


@dg.asset(
    key=["features", "account_keys"],
    deps=[
        *_STAGED,
        ["features", "template_sketches"],
        ["ref", "asn_classes"],
        ["ref", "key_kinds"],
    ],
    group_name="features",
    description=describe_sql("features/account_keys"),
    kinds={"duckdb"},
)
def account_keys(warehouse: Warehouse) -> dg.MaterializeResult:
    """The view of readable values first (reports and analysts look keys up in it; its macro
    `account_key_values_of(accounts)` reads a few accounts' rows only), then the table of hashed
    keys the graph is built from, a kind or a few at a time (see the SQL files)."""
    with warehouse.connect() as con:
        con.execute("create schema if not exists features")
        con.execute(
            "create or replace macro features.account_key_values_of(accounts := null) as table "
            + read_sql("features/account_key_values")
        )
        con.execute(
            "create or replace view features.account_key_values as "
            "from features.account_key_values_of()"
        )
        kinds = [k for (k,) in con.sql(_KINDS).fetchall()]
        if not kinds:
            raise dg.Failure(description="ref.key_kinds is empty: no kind of key to build")
        select = read_sql("features/account_keys")
        con.execute(
            f"create or replace table features.account_keys as select * from ({select}) limit 0",
            {"kinds": kinds[:1]},
        )
        by_kind = dict.fromkeys(kinds, 0)
        for batch in kind_batches(kinds):
            inserted = con.execute(f"insert into features.account_keys {select}", {"kinds": batch})
            if len(batch) == 1:
                by_kind[batch[0]] = int(inserted.fetchall()[0][0])
                continue
            inserted.fetchall()
            by_kind |= dict(
                con.sql(
                    "select kind, count(*)::bigint from features.account_keys "
                    "where list_contains($kinds, kind) group by kind",
                    params={"kinds": batch},
                ).fetchall()
            )
    return dg.MaterializeResult(
        metadata={"rows": sum(by_kind.values()), "rows_by_kind": dg.MetadataValue.json(by_kind)}
    )


key_stats = sql_table_asset(
    "features",
    "key_stats",
    deps=[["features", "account_keys"], ["ref", "key_kinds"], ["staging", "signups"]],
    group_name="features",
)
# Behaviour per account, one table per source and then their join: at 10M accounts the aggregates
# chained as joins in one statement ran out of DuckDB's memory limit, each alone fits.
account_session_stats = sql_table_asset(
    "features",
    "account_session_stats",
    deps=[["staging", "sessions"], ["ref", "asn_classes"]],
    group_name="features",
)
account_payment_stats = sql_table_asset(
    "features", "account_payment_stats", deps=[["staging", "payments"]], group_name="features"
)
account_api_stats = sql_table_asset(
    "features", "account_api_stats", deps=[["staging", "api_usage"]], group_name="features"
)
account_features = sql_table_asset(
    "features",
    "account_features",
    deps=[
        ["staging", "signups"],
        ["features", "account_session_stats"],
        ["features", "account_payment_stats"],
        ["features", "account_api_stats"],
    ],
    group_name="features",
)

assets = [
    template_sketches,
    account_keys,
    key_stats,
    account_session_stats,
    account_payment_stats,
    account_api_stats,
    account_features,
]
