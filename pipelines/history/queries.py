"""Saved queries over the history, created in the `published` schema with its tables (they are
part of the published result, and go with it when the schema is replaced)."""

import duckdb

from pipelines.sql import read_sql


def create_queries(con: duckdb.DuckDBPyConnection) -> None:
    """`published.flagged_since(since)`, a table macro: clusters flagged now whose first flagged
    run is on or after `since`; `published.new_flagged_clusters`, a view: those first flagged in
    the latest run."""
    con.execute(
        "create or replace macro published.flagged_since(since) as table "
        + read_sql("publish/flagged_since")
    )
    con.execute(
        "create or replace view published.new_flagged_clusters as "
        "select * from published.flagged_since("
        "(select max(as_of) from published.cluster_history))"
    )
