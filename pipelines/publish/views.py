"""Views for analysts in the `published` schema, one SQL file each in `sql/publish/views/`.

They are created in the work database by the publish step, so they travel inside the warehouse
file that is renamed into place. A view stores its query, not rows: it costs nothing to publish
and reads the published tables (and the `features` and `staging` tables the warehouse carries)
when queried. Nothing here reads the private `raw` or `restricted` catalogs, which are not in the
warehouse.

A view that reads identifier values (`cluster_accounts`, `cluster_evidence_edges`) is a table
macro first, `published.<view>_of(clusters := null)`, and the view is the macro over every
cluster. A filter on such a view does not reach the values it reads (DuckDB does not push it
into the branches of `features.account_key_values`): at 10M accounts one cluster's rows took
133 s through the view, and 20 s through the macro given its id, which reads only its members'
values.
"""

import duckdb

from pipelines.sql import describe_sql, read_sql

# Created in this order: a view may read one listed before it.
PUBLISHED_VIEWS = (
    "similarity_edges",
    "cluster_accounts",
    "account_clusters",
    "cluster_evidence_edges",
    "review_queue",
)
# Views that are a table macro over a list of cluster ids first (see the module docstring).
BY_CLUSTER = ("cluster_accounts", "cluster_evidence_edges")


def create_views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Create every published view; returns name -> description (its file's first comment)."""
    for name in PUBLISHED_VIEWS:
        body = read_sql(view_sql(name))
        if name in BY_CLUSTER:
            con.execute(
                f"create or replace macro published.{name}_of(clusters := null) as table {body}"
            )
            body = f"from published.{name}_of()"
        con.execute(f"create or replace view published.{name} as {body}")
    return {name: describe_sql(view_sql(name)) for name in PUBLISHED_VIEWS}


def view_sql(name: str) -> str:
    return f"publish/views/{name}"
