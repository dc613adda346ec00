"""Views for analysts in the `published` schema, one SQL file each in `sql/publish/views/`.

They are created in the work database by the publish step, so they travel inside the warehouse
file that is renamed into place. A view stores its query, not rows: it costs nothing to publish
and reads the published tables (and the `features` and `staging` tables the warehouse carries)
when queried. Nothing here reads the private `raw` or `restricted` catalogs, which are not in the
warehouse.
"""

import duckdb

from pipelines.sql import describe_sql, read_sql

# Created in this order: a view may read one listed before it.
PUBLISHED_VIEWS = (
    "cluster_accounts",
    "account_clusters",
    "cluster_evidence_edges",
    "review_queue",
)


def create_views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Create every published view; returns name -> description (its file's first comment)."""
    for name in PUBLISHED_VIEWS:
        con.execute(f"create or replace view published.{name} as {read_sql(view_sql(name))}")
    return {name: describe_sql(view_sql(name)) for name in PUBLISHED_VIEWS}


def view_sql(name: str) -> str:
    return f"publish/views/{name}"
