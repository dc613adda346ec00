"""Community-size sanity: no community larger than the limit (see `pipelines/limits.py`)."""

import dagster as dg
import duckdb

from pipelines.limits import CommunitySizeLimits
from pipelines.resources import Warehouse

_DEFAULTS = CommunitySizeLimits()


class CommunitySizeConfig(dg.Config):
    """The largest community allowed: max_share of all accounts, within [min_limit, max_size]."""

    max_share: float = _DEFAULTS.max_share
    min_limit: int = _DEFAULTS.min_limit
    max_size: int = _DEFAULTS.max_size


def community_sizes(
    con: duckdb.DuckDBPyConnection, limits: CommunitySizeLimits = _DEFAULTS
) -> dg.AssetCheckResult:
    """Fails (ERROR) when any community of `communities.account_communities` has more members
    than `limits.limit(accounts)`; the metadata names the largest few."""
    accounts = con.sql("select count(*) from staging.signups").fetchall()[0][0]
    limit = limits.limit(accounts)
    largest = con.sql(
        "select community, count(*) as members from communities.account_communities "
        "group by community order by members desc, community limit 5"
    ).fetchall()
    over = con.sql(
        "select count(*), coalesce(sum(members), 0) from (select count(*) as members "
        "from communities.account_communities group by community having count(*) > $limit)",
        params={"limit": limit},
    ).fetchall()[0]
    biggest = int(largest[0][1]) if largest else 0
    problem = (
        f"{over[0]:,} communities above {limit:,} members ({int(over[1]):,} accounts, largest "
        f"{biggest:,} = {biggest / accounts:.1%} of {accounts:,} accounts): a hub value is "
        "probably linking strangers; nothing is published"
        if over[0]
        else ""
    )
    return dg.AssetCheckResult(
        asset_key=["communities", "account_communities"],
        check_name="community_sizes",
        passed=not over[0],
        severity=dg.AssetCheckSeverity.ERROR,
        description=problem or None,
        metadata={
            "accounts": accounts,
            "limit": limit,
            "largest": biggest,
            "largest_share": round(biggest / accounts, 6) if accounts else 0.0,
            "communities_over_limit": int(over[0]),
            "largest_five": ", ".join(f"{c}: {n:,}" for c, n in largest) or "none",
            "max_share": limits.max_share,
            "min_limit": limits.min_limit,
            "max_size": limits.max_size,
        },
    )


@dg.asset_check(
    asset=["communities", "account_communities"],
    name="community_sizes",
    blocking=True,
    description=(
        "No community above max(min_limit, max_share x accounts) members (capped at max_size): "
        "a giant community means strangers were linked; ERROR, nothing is published."
    ),
)
def community_size_check(config: CommunitySizeConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
    limits = CommunitySizeLimits(config.max_share, config.min_limit, config.max_size)
    with warehouse.connect(read_only=True) as con:
        return community_sizes(con, limits)


checks = [community_size_check]
