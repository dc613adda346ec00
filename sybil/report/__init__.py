"""Investigator reports: one self-contained HTML page per cluster, from the published warehouse.

`write_report` makes one (`sybil report CLUSTER_ID`), `write_top_reports` the top flagged
clusters with an index (the `reports/top_clusters` asset). Both open the warehouse read-only, so
they work while a run is going, and write each file under a temporary name and rename it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sybil.report.data import ReportError, load_reports, top_cluster_ids
from sybil.report.page import render_index, render_report
from sybil.warehouse import published

__all__ = ["ReportError", "write_report", "write_top_reports"]

INDEX = "index.html"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staged.write_text(text, encoding="utf-8")
        staged.replace(path)
    finally:
        staged.unlink(missing_ok=True)


def write_report(warehouse: Path, cluster_id: str, out: Path) -> Path:
    """The report of one cluster at `out`; ReportError when the cluster is not published."""
    with published(warehouse) as con:
        data = load_reports(con, [cluster_id])[cluster_id]
    _write(out, render_report(data, source=warehouse.name))
    return out


def write_top_reports(
    warehouse: Path, folder: Path, top_n: int, *, config: dict[str, Any] | None = None
) -> list[Path]:
    """Reports of the `top_n` riskiest flagged clusters in `folder`, with `index.html`.

    Reports of clusters no longer in the top (and temporary files of a killed run) are removed,
    so the folder always matches the warehouse it was made from. `config`: DuckDB settings of
    the reading connection (the pipeline's memory limit)."""
    if top_n < 0:
        raise ReportError(f"top_n must be 0 or more, not {top_n}")
    with published(warehouse, config=config) as con:
        ids = top_cluster_ids(con, top_n)
        datas = load_reports(con, ids) if ids else {}
    folder.mkdir(parents=True, exist_ok=True)
    ordered = [datas[i] for i in ids]
    paths = []
    for data in ordered:
        path = folder / f"{data.cluster.cluster_id}.html"
        _write(path, render_report(data, source=warehouse.name))
        paths.append(path)
    _write(folder / INDEX, render_index(ordered, source=warehouse.name))
    keep = {p.name for p in paths} | {INDEX}
    for stale in folder.iterdir():
        if stale.is_file() and stale.name not in keep and stale.suffix in {".html", ".tmp"}:
            stale.unlink(missing_ok=True)
    return paths
