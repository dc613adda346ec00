"""The cluster-size histogram shown on `published.clusters` in the Dagster UI.

Sizes are binned in SQL (powers of two: 2, 3-4, 5-8, ...), so a million accounts cost one small
group-by; only the dozen bins reach Python. The picture is a small PNG embedded in markdown as a
data URI (how Dagster shows images in metadata), with the counts as a markdown table beside it
for screen readers and copy-paste.
"""

import base64
import io

import dagster as dg
import duckdb
from matplotlib.figure import Figure

Bin = tuple[str, int, int, int]  # label, clusters, flagged clusters, accounts


def size_bins(con: duckdb.DuckDBPyConnection, table: str = "published.clusters") -> list[Bin]:
    """(label, clusters, flagged clusters, accounts) per power-of-two size bin, smallest first."""
    if table not in {"published.clusters"}:
        raise ValueError(f"not a clusters table: {table!r}")
    rows = con.sql(
        f"""
        with binned as (
            select ceil(log2(size))::integer as b, size, flagged from {table} where size >= 2
        )
        select b, count(*), count(*) filter (where flagged), sum(size)
        from binned group by b order by b
        """
    ).fetchall()
    return [
        (_label(int(b)), int(n), int(flagged), int(accounts)) for b, n, flagged, accounts in rows
    ]


def _label(b: int) -> str:
    low, high = 2 ** (b - 1) + 1, 2**b
    return str(high) if low == high else f"{low}-{high}"


def histogram_png(bins: list[Bin]) -> bytes:
    """Clusters per size bin beside the flagged ones, on a log scale; about 10-20 KB."""
    fig = Figure(figsize=(6, 2.8), dpi=80)
    ax = fig.subplots()
    x = list(range(len(bins)))
    ax.bar([i - 0.2 for i in x], [b[1] for b in bins], width=0.4, color="#8da0cb", label="all")
    ax.bar([i + 0.2 for i in x], [b[2] for b in bins], width=0.4, color="#e41a1c", label="flagged")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xticks(x, [b[0] for b in bins], rotation=30, fontsize=8)
    ax.set_xlabel("cluster size (members)")
    ax.set_ylabel("clusters")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def size_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    """`cluster_size_histogram` (image) and `cluster_sizes` (the same counts as a table)."""
    bins = size_bins(con)
    lines = [
        "| size | clusters | flagged | accounts |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {label} | {n:,} | {f:,} | {a:,} |" for label, n, f, a in bins),
    ]
    if not bins:
        return {"cluster_sizes": dg.MetadataValue.md("no clusters")}
    image = base64.b64encode(histogram_png(bins)).decode("ascii")
    return {
        "cluster_size_histogram": dg.MetadataValue.md(
            f"![clusters by size](data:image/png;base64,{image})"
        ),
        "cluster_sizes": dg.MetadataValue.md("\n".join(lines)),
    }
