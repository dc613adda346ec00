"""What a cluster report shows, read from the published warehouse in one pass for many clusters.

The queries are `sql/reports/*.sql`; each takes the list of cluster ids, so the top-N asset scans
the large tables (`features.account_keys`, `staging.api_usage`) once, not once per cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from pipelines.sql import read_sql
from sybil.warehouse import missing_tables


class ReportError(ValueError):
    """A report cannot be made (unknown cluster, a warehouse without the tables it needs)."""


# Tables a report reads; a warehouse from an older or partial run may lack some.
VALUES_MACRO = "features.account_key_values_of"  # readable values of a few accounts
NEEDED_TABLES = (
    "published.clusters",
    "published.cluster_members",
    "published.similarity_edges",
    "published.account_features",
    "published.ban_list",
    "staging.signups",
    "staging.allowlist",
    "staging.api_usage",
    "features.account_keys",
    "features.key_stats",
)


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    size: int
    risk_score: float
    flagged: bool
    review: bool
    tier: str
    families: tuple[str, ...]
    evidence: str
    first_signup: datetime | None
    last_signup: datetime | None
    n_edges: int
    weighted_density: float
    n_banned: int


@dataclass(frozen=True)
class Member:
    account_id: str
    created_at: datetime | None
    email_domain: str | None
    email_domain_class: str | None
    country: str | None
    banned: bool
    allowlisted: bool
    links: int
    sessions: int
    ips: int
    payments: int
    cards: int
    requests: int
    active_hours: int
    templates: int


@dataclass(frozen=True)
class Identifier:
    """A linking value two or more members hold: `holders` here, `n_accounts` in all the data."""

    kind: str
    key: str
    family: str
    strength: float
    holders: int
    n_accounts: int

    @property
    def node_id(self) -> str:
        return f"{self.kind}\x1f{self.key}"

    @property
    def importance(self) -> float:
        """How much it ties the cluster together: holders times its per-pair strength."""
        return self.holders * self.strength


@dataclass(frozen=True)
class ReportData:
    cluster: Cluster
    members: tuple[Member, ...]  # by sign-up time
    identifiers: tuple[Identifier, ...]  # most important first
    holdings: tuple[tuple[str, str], ...]  # (account_id, Identifier.node_id)
    activity: tuple[tuple[datetime, int], ...]  # (hour, requests of all members)


def check_tables(con: duckdb.DuckDBPyConnection) -> None:
    missing = missing_tables(con, NEEDED_TABLES)
    macro = con.sql(
        "select count(*) from duckdb_functions() where database_name = current_database() "
        "and schema_name = 'features' and function_name = $name",
        params={"name": VALUES_MACRO.split(".")[1]},
    ).fetchall()[0][0]
    if not macro:
        missing.append(VALUES_MACRO)
    if missing:
        raise ReportError(
            f"the warehouse lacks {', '.join(missing)} (not a complete sybil run's warehouse?)"
        )


def top_cluster_ids(con: duckdb.DuckDBPyConnection, limit: int) -> list[str]:
    """The flagged clusters a reviewer looks at first: riskiest, then largest."""
    rows = con.sql(
        "select cluster_id from published.clusters where flagged "
        "order by risk_score desc, size desc, cluster_id limit $n",
        params={"n": limit},
    ).fetchall()
    return [str(r[0]) for r in rows]


def load_reports(con: duckdb.DuckDBPyConnection, cluster_ids: list[str]) -> dict[str, ReportData]:
    """Report data for each cluster id; an id missing from `published.clusters` is an error."""
    check_tables(con)
    ids = sorted(set(cluster_ids))
    params = {"cluster_ids": ids}

    def rows(name: str) -> list[dict[str, Any]]:
        return con.sql(read_sql(f"reports/{name}"), params=params).pl().to_dicts()

    clusters = {r["cluster_id"]: r for r in rows("clusters")}
    unknown = [i for i in ids if i not in clusters]
    if unknown:
        raise ReportError(f"no cluster {unknown[0]!r} in published.clusters")
    members: dict[str, list[Member]] = {i: [] for i in ids}
    for r in rows("members"):
        members[r.pop("cluster_id")].append(Member(**r))
    identifiers: dict[str, dict[str, Identifier]] = {i: {} for i in ids}
    holdings: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    for r in rows("shared_identifiers"):
        ident = Identifier(
            r["kind"], r["key"], r["family"], r["strength"], r["holders"], r["n_accounts"]
        )
        identifiers[r["cluster_id"]].setdefault(ident.node_id, ident)
        holdings[r["cluster_id"]].append((r["account_id"], ident.node_id))
    activity: dict[str, list[tuple[datetime, int]]] = {i: [] for i in ids}
    for r in rows("activity"):
        activity[r["cluster_id"]].append((r["hour"], int(r["requests"])))
    out = {}
    for cid in ids:
        c = clusters[cid]
        c["families"] = tuple(c["families"] or ())
        ranked = sorted(identifiers[cid].values(), key=lambda i: (-i.importance, i.kind, i.key))
        out[cid] = ReportData(
            cluster=Cluster(**c),
            members=tuple(members[cid]),
            identifiers=tuple(ranked),
            holdings=tuple(holdings[cid]),
            activity=tuple(activity[cid]),
        )
    return out
