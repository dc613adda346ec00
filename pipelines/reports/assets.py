"""Reports: an HTML page per top flagged cluster for investigators, made from the warehouse."""

from pathlib import Path

import dagster as dg

from pipelines.resources import Folders, Warehouse

REPORTS_DIR = "reports"


class ReportsConfig(dg.Config):
    """How many flagged clusters get a report (riskiest first, then largest)."""

    top_n: int = 20


@dg.asset(
    key=["reports", "top_clusters"],
    deps=[
        ["published", "clusters"],
        ["published", "cluster_members"],
        ["published", "similarity_edges"],
        ["published", "account_features"],
        ["published", "ban_list"],
    ],
    group_name="reports",
    kinds={"html"},
)
def top_clusters(
    config: ReportsConfig, warehouse: Warehouse, folders: Folders
) -> dg.MaterializeResult:
    """exports/reports/: one self-contained HTML page per top flagged cluster (its graph of shared
    identifiers, sign-up timeline, evidence and members) and an index.html. Read from the
    published warehouse, opened read-only; each file is written under a temporary name and
    renamed, and pages of clusters no longer in the top are removed."""
    # Imported here: sybil.report reads its SQL through pipelines.sql, and importing `pipelines`
    # builds these definitions, so a module-level import would be circular.
    from sybil.report import write_top_reports

    folder = folders.exports / REPORTS_DIR
    try:
        paths = write_top_reports(
            Path(warehouse.path), folder, config.top_n, config=warehouse.duckdb_config()
        )
    except Exception as exc:
        text = str(exc).strip().splitlines()
        reason = text[0] if text else type(exc).__name__
        raise dg.Failure(description=f"reports not written: {reason}") from None
    return dg.MaterializeResult(
        metadata={
            "reports": len(paths),
            "rows": len(paths),  # every asset reports rows; here, pages written
            "path": str(folder.resolve()),
            "top_n": config.top_n,
        }
    )


assets = [top_clusters]
