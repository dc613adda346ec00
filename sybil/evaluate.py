"""Score a pipeline run against the generator's truth: `sybil evaluate`.

The question an evaluation answers is "would enforcing this ban list hurt real people, and how
many farm accounts does it miss?", so everything is measured on the ban list that enforcement
reads (``exports/ban_list.csv``), not on internal tables. Truth accounts the pipeline never saw
(quarantined at staging) still count, as not banned: rejecting a farm's rows must not look like
catching it.

A naive baseline (connected components over any shared identifier, no hub handling) is scored the
same way, so a reader can see what the pipeline's specificity weighting and community detection
buy over the first thing anyone would try.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from graph import merge_links
from sybil.warehouse import WarehouseUnavailable, missing_tables, open_published

TRUTH_COLUMNS: tuple[str, ...] = ("account_id", "farm_id", "archetype")
BAN_LIST_FILE = "ban_list.csv"
# A farm counts as detected when at least this share of its accounts is banned: enforcement on
# half a farm breaks the operator's economics even if stragglers survive.
DETECTED_SHARE = 0.5
BENIGN_LABEL = "benign"
# Cluster members absent from truth get their own label so they lower purity instead of
# silently passing as benign.
UNKNOWN_LABEL = "unknown"

_REQUIRED_TABLES: tuple[str, ...] = (
    "staging.signups",
    "staging.allowlist",
    "features.account_keys",
    "published.clusters",
    "published.cluster_members",
)


class EvaluationError(ValueError):
    """An input of the evaluation is missing or malformed; the message is one line for the CLI."""


@dataclass(frozen=True)
class Metrics:
    """Confusion counts over truth accounts (positive = has a farm_id) and the rates from them."""

    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    benign_fpr: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int, tn: int) -> Metrics:
        """Derive the rates, with 0.0 wherever a denominator is empty (no NaN in reports)."""
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, precision + recall)
        return cls(
            tp=tp,
            fp=fp,
            fn=fn,
            tn=tn,
            precision=precision,
            recall=recall,
            f1=f1,
            benign_fpr=_ratio(fp, fp + tn),
        )

    @property
    def banned(self) -> int:
        """Truth accounts predicted positive."""
        return self.tp + self.fp


@dataclass(frozen=True)
class EvaluationReport:
    """Everything `sybil evaluate` prints; `report_to_dict` makes it JSON."""

    overall: Metrics
    baseline: Metrics
    # One row per (archetype, is_farm): archetype, is_farm, accounts, banned, share_banned
    # (recall for farm styles, FPR for benign ones), baseline_banned, baseline_share, quarantined.
    by_archetype: pl.DataFrame
    farms_total: int
    farms_detected: int
    flagged_clusters: int
    flagged_cluster_purity: float
    allowlisted_banned: int
    quarantined_accounts: int
    truth_accounts: int = 0
    ban_list_size: int = 0
    # Ban-list ids that were not scored: not in truth, or quarantined (a stale export).
    ban_list_ignored: int = 0
    baseline_min_size: int = 2
    # Accounts weakly tied to a flagged cluster (pruned out of it: not banned) and how many of
    # them are farm accounts; and of those, the ones tied strongly enough for the review queue.
    weak_ties: int = 0
    weak_ties_farm: int = 0
    weak_ties_queued: int = 0
    weak_ties_queued_farm: int = 0


def evaluate(
    truth: Path, warehouse: Path, exports: Path, *, baseline_min_size: int = 2
) -> EvaluationReport:
    """Compare ``exports/ban_list.csv`` (and the naive baseline) with ``truth``.

    Raises `EvaluationError` naming the missing or malformed input.
    """
    if baseline_min_size < 1:
        raise EvaluationError(f"baseline_min_size must be at least 1, got {baseline_min_size}")
    truth_df = read_truth(Path(truth))
    ban_ids = read_ban_list(Path(exports) / BAN_LIST_FILE)
    tables = _read_warehouse(Path(warehouse), baseline_min_size)

    in_warehouse = pl.col("account_id").is_in(tables.signup_ids.implode())
    scored = truth_df.with_columns(
        is_farm=pl.col("farm_id").is_not_null(),
        in_warehouse=in_warehouse,
        # Quarantined accounts are never banned, whatever a stale ban list says.
        banned=in_warehouse & pl.col("account_id").is_in(ban_ids.implode()),
        baseline_banned=in_warehouse & pl.col("account_id").is_in(tables.baseline_ids.implode()),
    )
    scored_ban_ids = scored.filter(pl.col("banned"))["account_id"]
    weak = scored.join(tables.weak_ties, on="account_id", how="inner")
    queued = weak.filter(pl.col("review"))

    return EvaluationReport(
        overall=_metrics(scored, "banned"),
        baseline=_metrics(scored, "baseline_banned"),
        by_archetype=_by_archetype(scored),
        farms_total=scored["farm_id"].drop_nulls().n_unique(),
        farms_detected=_farms_detected(scored),
        flagged_clusters=tables.flagged_clusters,
        flagged_cluster_purity=_purity(tables.flagged_members, truth_df),
        allowlisted_banned=int(ban_ids.is_in(tables.allowlist_ids.implode()).sum()),
        quarantined_accounts=int((~scored["in_warehouse"]).sum()),
        truth_accounts=scored.height,
        ban_list_size=ban_ids.len(),
        ban_list_ignored=ban_ids.len() - scored_ban_ids.len(),
        baseline_min_size=baseline_min_size,
        weak_ties=weak.height,
        weak_ties_farm=int(weak["is_farm"].sum()),
        weak_ties_queued=queued.height,
        weak_ties_queued_farm=int(queued["is_farm"].sum()),
    )


def read_truth(path: Path) -> pl.DataFrame:
    """Truth as (account_id, farm_id, archetype) strings, one row per account."""
    if not path.is_file():
        raise EvaluationError(f"truth file not found: {path}")
    try:
        if path.suffix.lower() == ".csv":
            df = pl.read_csv(path, infer_schema=False)
        else:
            df = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise EvaluationError(f"cannot read truth file {path}: {_one_line(exc)}") from exc
    missing = [c for c in TRUTH_COLUMNS if c not in df.columns]
    if missing:
        raise EvaluationError(f"truth file {path} lacks column(s): {', '.join(missing)}")
    df = df.select(pl.col(c).cast(pl.String) for c in TRUTH_COLUMNS).with_columns(
        pl.col("archetype").fill_null(UNKNOWN_LABEL)
    )
    if df["account_id"].null_count():
        raise EvaluationError(f"truth file {path} has null account_id values")
    if df["account_id"].is_duplicated().any():
        # One account with two labels cannot be scored; better to stop than to guess.
        raise EvaluationError(f"truth file {path} has duplicate account_id values")
    return df


def read_ban_list(path: Path) -> pl.Series:
    """Distinct account ids on the ban list, read as text so ids like ``007`` stay intact."""
    if not path.is_file():
        raise EvaluationError(f"ban list not found: {path}")
    try:
        df = pl.read_csv(path, schema_overrides={"account_id": pl.String})
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise EvaluationError(f"cannot read ban list {path}: {_one_line(exc)}") from exc
    if "account_id" not in df.columns:
        raise EvaluationError(f"ban list {path} has no account_id column")
    return df["account_id"].cast(pl.String).drop_nulls().unique().sort()


@dataclass(frozen=True)
class _WarehouseView:
    """What the evaluation needs from the warehouse, read in one connection."""

    signup_ids: pl.Series
    allowlist_ids: pl.Series
    baseline_ids: pl.Series
    flagged_clusters: int
    flagged_members: pl.DataFrame  # cluster_id, account_id
    weak_ties: pl.DataFrame  # account_id, review: weakly tied to a flagged cluster


def warehouse_config() -> dict[str, Any]:
    """DuckDB settings of the evaluation's read-only connection (and the bench's baseline): the
    pipeline's memory limit (SYBIL_MEMORY_LIMIT), not DuckDB's default of 80% of the machine,
    because the baseline's components are computed beside the connection's buffers."""
    # Imported here: importing `pipelines` builds its Dagster definitions.
    from pipelines.settings import SettingsError, memory_limit_from_env

    try:
        return {"memory_limit": memory_limit_from_env()}
    except SettingsError as exc:
        raise EvaluationError(str(exc)) from None


def _read_warehouse(path: Path, baseline_min_size: int) -> _WarehouseView:
    if not path.is_file():
        raise EvaluationError(f"warehouse not found: {path}")
    try:
        con = open_published(path, config=warehouse_config())
    except (duckdb.Error, WarehouseUnavailable) as exc:
        raise EvaluationError(f"cannot open warehouse {path}: {_one_line(exc)}") from exc
    try:
        missing = missing_tables(con, _REQUIRED_TABLES)
        if missing:
            raise EvaluationError(f"warehouse {path} lacks table(s): {', '.join(missing)}")
        signups = con.sql(
            "select account_id::varchar as account_id, account_idx::bigint as account_idx "
            "from staging.signups"
        ).pl()
        allowlist = con.sql(
            "select distinct account_id::varchar as account_id from staging.allowlist "
            "where account_id is not null"
        ).pl()
        flagged_clusters = con.sql(
            "select count(*) from published.clusters where flagged"
        ).fetchall()[0][0]
        flagged_members = con.sql(
            """
            select distinct m.cluster_id::varchar as cluster_id, m.account_id::varchar as account_id
            from published.cluster_members as m
            inner join published.clusters as c on c.cluster_id = m.cluster_id
            where c.flagged
            """
        ).pl()
        weak_ties = _weak_ties(con)
        flagged = _baseline_flags(con, signups, baseline_min_size)
    except duckdb.Error as exc:
        raise EvaluationError(f"cannot read warehouse {path}: {_one_line(exc)}") from exc
    finally:
        con.close()
    return _WarehouseView(
        signup_ids=signups["account_id"],
        allowlist_ids=allowlist["account_id"],
        baseline_ids=signups.filter(pl.Series(flagged))["account_id"],
        flagged_clusters=int(flagged_clusters),
        flagged_members=flagged_members,
        weak_ties=weak_ties,
    )


def _weak_ties(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Accounts weakly tied to a flagged cluster, and whether the review queue lists them.
    Warehouses published before weak ties existed have none; before the review floor, every
    weak tie of a flagged cluster was listed."""
    if missing_tables(con, ["published.cluster_weak_ties"]):
        return pl.DataFrame(schema={"account_id": pl.String, "review": pl.Boolean})
    columns = {
        row[0]
        for row in con.sql(
            "select column_name from information_schema.columns "
            "where table_schema = 'published' and table_name = 'cluster_weak_ties'"
        ).fetchall()
    }
    review = "t.review" if "review" in columns else "true"
    return con.sql(
        f"select t.account_id::varchar as account_id, bool_or({review}) as review "
        "from published.cluster_weak_ties as t "
        "inner join published.clusters as c using (cluster_id) where c.flagged "
        "group by t.account_id"
    ).pl()


def _baseline_flags(
    con: duckdb.DuckDBPyConnection, signups: pl.DataFrame, min_size: int
) -> np.ndarray:
    """Naive baseline: one boolean per row of ``signups``, true when the account's connected
    component in the account–identifier graph holds at least ``min_size`` accounts.

    Every kind links, hubs included (a shared VPN IP joins thousands): that is the failure the
    real pipeline is built to avoid, and the reason this is the yardstick.

    The identifiers are not made nodes: each value links its holders to its smallest holder
    (same components). One kind at a time, its links are merged into a root per account
    (``graph.merge_links``): at 10M accounts the 481M keys did not fit in DuckDB's 4 GB as one
    window over every value, nor would their links as one graph in memory.
    """
    if signups.height == 0:
        return np.zeros(0, dtype=bool)
    account_idx = signups["account_idx"].to_numpy()
    top = con.sql("select max(account_idx) from features.account_keys").fetchall()[0][0]
    # Nodes are 0..n-1, sized to cover any idx, dense or not.
    root = np.arange(int(max(account_idx.max(), -1 if top is None else top) + 1), dtype=np.int64)
    kinds = con.sql(
        "select distinct kind from features.account_keys where kind is not null order by kind"
    ).fetchall()
    for (kind,) in kinds:
        links = con.sql(
            """
            select r.root::bigint as src, k.account_idx::bigint as dst
            from features.account_keys as k
            inner join (
                select key, min(account_idx) as root
                from features.account_keys
                where kind = $kind and account_idx is not null and key is not null
                group by key
                having count(*) > 1
            ) as r using (key)
            where k.kind = $kind and k.account_idx is not null and k.account_idx <> r.root
            """,
            params={"kind": kind},
        ).fetchnumpy()
        root = merge_links(root, links["src"], links["dst"])
        del links
    sizes = np.bincount(root[account_idx], minlength=root.size)
    return sizes[root[account_idx]] >= min_size


def _metrics(scored: pl.DataFrame, predicted: str) -> Metrics:
    counts = scored.select(
        tp=(pl.col("is_farm") & pl.col(predicted)).sum(),
        fp=(~pl.col("is_farm") & pl.col(predicted)).sum(),
        fn=(pl.col("is_farm") & ~pl.col(predicted)).sum(),
        tn=(~pl.col("is_farm") & ~pl.col(predicted)).sum(),
    ).row(0, named=True)
    return Metrics.from_counts(**{k: int(v or 0) for k, v in counts.items()})


def _by_archetype(scored: pl.DataFrame) -> pl.DataFrame:
    """Per archetype: share banned is recall for farm styles and FPR for benign ones."""
    return (
        scored.group_by("archetype", "is_farm")
        .agg(
            accounts=pl.len().cast(pl.Int64),
            banned=pl.col("banned").sum().cast(pl.Int64),
            baseline_banned=pl.col("baseline_banned").sum().cast(pl.Int64),
            quarantined=(~pl.col("in_warehouse")).sum().cast(pl.Int64),
        )
        .with_columns(
            share_banned=pl.col("banned") / pl.col("accounts"),
            baseline_share=pl.col("baseline_banned") / pl.col("accounts"),
        )
        .select(
            "archetype",
            "is_farm",
            "accounts",
            "banned",
            "share_banned",
            "baseline_banned",
            "baseline_share",
            "quarantined",
        )
        .sort(["is_farm", "archetype"], descending=[True, False])
    )


def _farms_detected(scored: pl.DataFrame) -> int:
    per_farm = (
        scored.filter(pl.col("is_farm")).group_by("farm_id").agg(share=pl.col("banned").mean())
    )
    return int((per_farm["share"] >= DETECTED_SHARE).sum())


def _purity(members: pl.DataFrame, truth: pl.DataFrame) -> float:
    """Mean over flagged clusters of the share of members carrying the cluster's majority label.

    A cluster mixing two farms, or a farm and real customers, scores below 1 even if every
    member deserves a ban: the evidence shown to analysts would describe a mix.
    """
    if members.height == 0:
        return 0.0
    labelled = members.join(truth.select("account_id", "farm_id"), on="account_id", how="left")
    labelled = labelled.with_columns(
        label=pl.when(pl.col("account_id").is_in(truth["account_id"].implode()))
        .then(pl.col("farm_id").fill_null(BENIGN_LABEL))
        .otherwise(pl.lit(UNKNOWN_LABEL))
    )
    per_cluster = (
        labelled.group_by("cluster_id", "label")
        .len()
        .group_by("cluster_id")
        .agg(purity=pl.col("len").max() / pl.col("len").sum())
    )
    return float(per_cluster["purity"].mean())


def report_to_dict(report: EvaluationReport) -> dict[str, Any]:
    """The report as plain JSON types (for ``--json`` and dashboards)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(report):
        value = getattr(report, field.name)
        if isinstance(value, Metrics):
            out[field.name] = dataclasses.asdict(value)
        elif isinstance(value, pl.DataFrame):
            out[field.name] = value.to_dicts()
        else:
            out[field.name] = value
    return out


def format_report(report: EvaluationReport) -> str:
    """Plain-text tables for a terminal: headline metrics, then archetypes, then sanity counts."""
    lines = [
        f"Evaluation against truth: {report.truth_accounts:,} accounts, "
        f"{report.quarantined_accounts:,} quarantined (counted as not banned)",
        "",
    ]
    metric_rows = [
        [name, *_metric_cells(m)]
        for name, m in (
            ("pipeline (ban list)", report.overall),
            (f"baseline (components >= {report.baseline_min_size})", report.baseline),
        )
    ]
    lines += _table(
        ["", "banned", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "benign FPR"],
        metric_rows,
    )
    lines.append("")

    archetype_rows = [
        [
            str(r["archetype"]),
            "farm" if r["is_farm"] else "benign",
            f"{r['accounts']:,}",
            f"{r['banned']:,}",
            _pct(r["share_banned"]),
            f"{r['baseline_banned']:,}",
            _pct(r["baseline_share"]),
            f"{r['quarantined']:,}",
        ]
        for r in report.by_archetype.iter_rows(named=True)
    ]
    lines.append("By archetype (share banned = recall for farms, false-positive rate for benign)")
    lines += _table(
        [
            "archetype",
            "kind",
            "accounts",
            "banned",
            "share",
            "baseline",
            "baseline share",
            "quarantined",
        ],
        archetype_rows,
        left=2,
    )
    lines.append("")

    allowlist_note = "ok" if report.allowlisted_banned == 0 else "MUST BE 0"
    lines += _table(
        ["check", "value"],
        [
            [
                f"farms detected (>= {DETECTED_SHARE:.0%} of accounts banned)",
                f"{report.farms_detected:,} / {report.farms_total:,}",
            ],
            ["flagged clusters", f"{report.flagged_clusters:,}"],
            ["flagged cluster purity (mean)", f"{report.flagged_cluster_purity:.3f}"],
            [
                f"allowlisted accounts on the ban list ({allowlist_note})",
                f"{report.allowlisted_banned:,}",
            ],
            ["ban list rows not scored (unknown or quarantined)", f"{report.ban_list_ignored:,}"],
            [
                "weakly tied to a flagged cluster (not banned): farm / all",
                f"{report.weak_ties_farm:,} / {report.weak_ties:,}",
            ],
            [
                "  of them in the review queue (tie_strength >= floor): farm / all",
                f"{report.weak_ties_queued_farm:,} / {report.weak_ties_queued:,}",
            ],
        ],
        left=1,
    )
    return "\n".join(lines).rstrip() + "\n"


def _metric_cells(m: Metrics) -> list[str]:
    return [
        f"{m.banned:,}",
        f"{m.tp:,}",
        f"{m.fp:,}",
        f"{m.fn:,}",
        f"{m.tn:,}",
        f"{m.precision:.3f}",
        f"{m.recall:.3f}",
        f"{m.f1:.3f}",
        f"{m.benign_fpr:.4f}",
    ]


def _table(headers: list[str], rows: list[list[str]], *, left: int = 1) -> list[str]:
    """Aligned text columns: the first ``left`` columns flush left, the rest (numbers) right."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]

    def fmt(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [fmt(headers), rule, *(fmt(r) for r in rows)]


def _pct(share: float) -> str:
    return f"{share:.1%}"


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
