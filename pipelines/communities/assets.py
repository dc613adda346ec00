"""Communities: seeded Leiden over the similarity graph, connected components first."""

from typing import Literal

import dagster as dg
import numpy as np
import polars as pl

from graph import detect_communities
from graph.pruning import prune_weak_members, weak_ties
from graph.splitting import split_at_chance_values
from pipelines.resources import Warehouse
from pipelines.sql import read_sql, row_count


class CommunityConfig(dg.Config):
    """Leiden settings; CPM's resolution is the least internal edge density a cluster keeps."""

    seed: int = 7
    objective: Literal["CPM", "modularity"] = "CPM"
    resolution: float = 0.005
    beta: float = 0.01
    # igraph's default; "until stable" (-1) cost 5x for the same result, and 1 banned 2-3x the
    # benign accounts at 50k (docs/architecture.md, "Communities").
    n_iterations: int = 2
    min_size: int = 2
    # Members tied to their community by less summed edge weight than this are left out of it.
    # Above 0.5, what one exact IP shared with one member gives: a single coincidence of a kind
    # that strangers share by chance never holds an account in a cluster (a flagged one is banned
    # whole), however many farm accounts there are to coincide with (docs/architecture.md).
    min_member_strength: float = 0.55
    # Cut communities at the values of chance kinds (strength below min_member_strength) that
    # part of them hangs on alone (graph/splitting.py): a household that shares its home IP
    # with one farm account is not the farm.
    cut_at_chance_values: bool = True
    # A flagged cluster's weak ties go to the review queue from this summed edge weight up: above
    # a /24 (0.15) or a template (0.2) shared with one member, which strangers share by the
    # thousand; from an exact IP or a BIN with a postcode on. At 1M accounts 13,550 ties became
    # 2,459, with 2,016 of the 2,109 farm accounts among them (docs/architecture.md).
    min_tie_strength_to_review: float = 0.25
    # The edges' families left out (ablation): their values neither link nor hold a part.
    exclude_families: list[str] = []  # noqa: RUF012 (pydantic copies defaults)


@dg.asset(
    key=["communities", "account_communities"],
    deps=[
        ["edges", "similarity_edges"],
        ["staging", "signups"],
        ["features", "account_keys"],
        ["features", "key_stats"],
        ["ref", "key_kinds"],
    ],
    group_name="communities",
    description=(
        "One row per account placed in a community of two or more: account_idx, community "
        "(0 = largest), component. Leiden runs on igraph, built from the edge arrays; weakly "
        "tied members are pruned and communities cut where part of them hangs on one value "
        "of a chance kind (an IP, a BIN and postcode: graph/splitting.py). Also "
        "communities.weak_ties: the accounts pruned out of a community that survived (too "
        "weakly tied to it to share its verdict), with that community and their summed edge "
        "weight to its members."
    ),
    kinds={"duckdb", "python"},
)
def account_communities(config: CommunityConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    # Read, then close: DuckDB's buffers (up to its memory limit) and the Arrow frame are freed
    # before the graph is built, which at 10M accounts is what peaks (igraph and Leiden).
    with warehouse.connect() as con:
        n_accounts = row_count(con, "staging.signups")
        # Sorted, so the graph (and with it Leiden's result) does not depend on scan order.
        edges = con.sql(
            "select src, dst, weight from edges.similarity_edges order by src, dst"
        ).pl()
    n_edges = edges.height
    src = edges["src"].to_numpy().astype(np.int64)
    dst = edges["dst"].to_numpy().astype(np.int64)
    weight = edges["weight"].to_numpy().astype(np.float64)
    del edges
    result = detect_communities(
        n_nodes=n_accounts,
        src=src,
        dst=dst,
        weight=weight,
        seed=config.seed,
        objective=config.objective,
        resolution=config.resolution,
        beta=config.beta,
        n_iterations=config.n_iterations,
        min_size=config.min_size,
    )
    membership = prune_weak_members(
        result.membership,
        src=src,
        dst=dst,
        weight=weight,
        min_strength=config.min_member_strength,
        min_size=config.min_size,
    )
    pruned_communities = int(membership.max(initial=-1)) + 1
    if config.cut_at_chance_values and pruned_communities:
        cut = _cut_at_chance_values(warehouse, membership, config)
        membership = prune_weak_members(
            cut,
            src=src,
            dst=dst,
            weight=weight,
            min_strength=config.min_member_strength,
            min_size=config.min_size,
        )
    kept = np.flatnonzero(membership >= 0)
    members = pl.DataFrame(  # noqa: F841 (read by the SQL below)
        {
            "account_idx": kept.astype(np.int32),
            "community": membership[kept],
            "component": result.component[kept],
        }
    )
    tied, tied_to, tie_strength = weak_ties(
        result.membership, membership, src=src, dst=dst, weight=weight
    )
    to_review = tie_strength >= config.min_tie_strength_to_review
    ties = pl.DataFrame(  # noqa: F841 (read by the SQL below)
        {
            "account_idx": tied.astype(np.int32),
            "community": tied_to,
            "strength": tie_strength,
            "review": to_review,
        }
    )
    with warehouse.connect() as con:
        con.execute("create schema if not exists communities")
        con.execute(
            "create or replace table communities.account_communities as "
            "select account_idx::integer as account_idx, community::integer as community, "
            "component::integer as component from members order by account_idx"
        )
        con.execute(
            "create or replace table communities.weak_ties as "
            "select account_idx::integer as account_idx, community::integer as community, "
            "strength::double as strength, review from ties order by account_idx"
        )
    sizes = np.bincount(membership[membership >= 0]) if kept.size else np.zeros(0, np.int64)
    return dg.MaterializeResult(
        metadata={
            "rows": int(kept.size),
            "accounts": n_accounts,
            "edges": n_edges,
            "communities": int(sizes.size),
            "leiden_communities": result.n_communities,
            "pruned_members": int((result.membership >= 0).sum() - kept.size),
            "communities_before_cuts": pruned_communities,
            "weak_ties": int(tied.size),
            "weak_ties_to_review": int(to_review.sum()),
            "accounts_in_communities": int(sizes.sum()) if sizes.size else 0,
            "modularity": float(result.modularity),
            "quality": float(result.quality),
            "size_p50": float(np.percentile(sizes, 50)) if sizes.size else 0.0,
            "size_p90": float(np.percentile(sizes, 90)) if sizes.size else 0.0,
            "size_max": int(sizes.max()) if sizes.size else 0,
            **config.model_dump(),
        }
    )


def _cut_at_chance_values(
    warehouse: Warehouse, membership: np.ndarray, config: CommunityConfig
) -> np.ndarray:
    """`split_at_chance_values` over the values the communities' members share (SQL)."""
    inside = np.flatnonzero(membership >= 0)
    community_members = pl.DataFrame(
        {"account_idx": inside.astype(np.int32), "community": membership[inside]}
    )
    with warehouse.connect() as con:
        con.register("community_members", community_members.to_arrow())
        rows = con.sql(
            read_sql("communities/member_values"),
            params={
                "min_strength": config.min_member_strength,
                "exclude_families": config.exclude_families,
            },
        ).fetchnumpy()
    value = rows["value_id"].astype(np.int64)
    chance = np.zeros(int(value.max()) + 1 if value.size else 0, dtype=bool)
    chance[value] = rows["chance"].astype(bool)
    return split_at_chance_values(
        membership,
        account=rows["account_idx"].astype(np.int64),
        value=value,
        chance=chance,
        min_size=config.min_size,
    )


assets = [account_communities]
