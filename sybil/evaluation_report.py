"""The evaluation report behind `sybil evaluate --report DIR`.

One world, scored against its truth, and four questions a reviewer asks before trusting a ban
list built on this pipeline:

* by farm style and benign group: who is caught, who is hurt (recall, false positives), beside
  the naive baseline;
* ablation: the pipeline re-run with each signal family removed in turn (from the graph's links
  *and* from the model, refitted without it): does detection rest on one family?
* leave-one-style-out: the model refitted without one farm style's clusters, then scored on this
  world: does it catch a farm style it never saw?
* the precision-recall curve over the flag threshold, with the operating point and the baseline,
  and a calibration table: does a score of 0.9 mean 9 in 10?

Writes `report.md`, `report.json` and `pr_curve.png` into DIR.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from graph.model import RiskModel
from graph.scoring import FAMILIES, ScoringParams, load_model, score_clusters
from sybil.evaluate import EvaluationReport, Metrics, evaluate, format_report, report_to_dict
from sybil.train import fit, load_training

CALIBRATION_BINS = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0000001)


@dataclass(frozen=True)
class Members:
    """Every truth account with its cluster (null when in none), farm flag and allowlisting."""

    frame: pl.DataFrame  # account_id, archetype, is_farm, community, allowlisted
    features: pl.DataFrame  # scoring.cluster_features of the world

    @classmethod
    def read(cls, warehouse: Path, truth: Path) -> Members:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            clustered = con.sql(
                "select s.account_id, c.community from communities.account_communities as c "
                "inner join staging.signups as s using (account_idx)"
            ).pl()
            allow = con.sql("select account_id from staging.allowlist").pl()
            features = con.sql("select * from scoring.cluster_features order by community").pl()
        finally:
            con.close()
        frame = (
            pl.read_parquet(truth)
            .join(clustered, on="account_id", how="left")
            .with_columns(
                is_farm=pl.col("farm_id").is_not_null(),
                allowlisted=pl.col("account_id").is_in(allow["account_id"].implode()),
            )
            .select("account_id", "archetype", "is_farm", "community", "allowlisted")
        )
        return cls(frame, features)

    def banned(self, flagged: pl.Series) -> pl.DataFrame:
        """The frame with `banned`: in a flagged community and not allowlisted."""
        return self.frame.with_columns(
            banned=pl.col("community").is_in(flagged.implode()).fill_null(False)
            & ~pl.col("allowlisted")
        )

    def metrics(self, flagged: pl.Series) -> Metrics:
        b = self.banned(flagged)
        tp = int((b["banned"] & b["is_farm"]).sum())
        fp = int((b["banned"] & ~b["is_farm"]).sum())
        fn = int((~b["banned"] & b["is_farm"]).sum())
        tn = int((~b["banned"] & ~b["is_farm"]).sum())
        return Metrics.from_counts(tp, fp, fn, tn)

    def recall_of(self, flagged: pl.Series, archetype: str) -> float:
        b = self.banned(flagged).filter(pl.col("archetype") == archetype)
        return float(b["banned"].mean() or 0.0) if b.height else 0.0

    def flagged_by(self, model: RiskModel, params: ScoringParams | None = None) -> pl.Series:
        scores = score_clusters(self.features, params=params or ScoringParams(), model=model)
        return scores.filter(pl.col("flagged"))["community"]


def leave_one_style_out(members: Members, model: RiskModel) -> pl.DataFrame:
    """Per farm style of the training data: recall with the full model and with a model that
    never saw the style, plus that model's F1 and benign FPR on this world."""
    clusters, totals = load_training()
    full = members.flagged_by(model)
    rows = []
    styles = sorted(s for s in clusters["farm_style"].drop_nulls().unique().to_list())
    for style in styles:
        held_out = fit(clusters, totals, exclude_styles=(style,))
        flagged = members.flagged_by(held_out)
        m = members.metrics(flagged)
        rows.append(
            {
                "held_out_style": style,
                "recall_full_model": members.recall_of(full, style),
                "recall_held_out": members.recall_of(flagged, style),
                "f1": m.f1,
                "benign_fpr": m.benign_fpr,
                "flag_threshold": held_out.flag_threshold,
            }
        )
    return pl.DataFrame(rows)


def ablation(raw: Path, truth: Path, *, workdir: Path, seed: int | None = None) -> pl.DataFrame:
    """Re-run the pipeline without each family (links and model, refitted) and evaluate it."""
    from pipelines.settings import Settings
    from sybil.runner import run_pipeline

    clusters, totals = load_training()
    rows = []
    for family in FAMILIES:
        model = fit(clusters, totals, exclude_families=(family,))
        model_path = workdir / f"model-without-{family}.json"
        model_path.write_text(model.to_json(), encoding="utf-8")
        warehouse = workdir / f"without-{family}.duckdb"
        exports = workdir / f"without-{family}"
        settings = Settings.from_env().with_overrides(
            raw_dir=raw, warehouse=warehouse, exports=exports
        )
        run_config = {
            "ops": {
                "edges__similarity_edges": {"config": {"exclude_families": [family]}},
                "communities__account_communities": {"config": {"exclude_families": [family]}},
                "scoring__cluster_scores": {
                    "config": {"model_path": str(model_path), "exclude_families": [family]}
                },
            }
        }
        outcome = run_pipeline(settings, seed=seed, run_config=run_config)
        if not outcome.success:
            raise RuntimeError(f"ablation run without {family} failed: {outcome.reason}")
        report = evaluate(truth, warehouse, exports)
        rows.append(
            {
                "removed_family": family,
                "precision": report.overall.precision,
                "recall": report.overall.recall,
                "f1": report.overall.f1,
                "benign_fpr": report.overall.benign_fpr,
                "farms_detected": f"{report.farms_detected}/{report.farms_total}",
            }
        )
    return pl.DataFrame(rows)


def pr_curve(members: Members, warehouse: Path) -> pl.DataFrame:
    """Account-level precision and recall as the flag threshold sweeps the published scores
    (the two-family and minimum-size rules held fixed), allowlisted accounts never banned."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        clusters = con.sql(
            "select community, risk_score, size, len(families) as n_families "
            "from published.clusters"
        ).pl()
    finally:
        con.close()
    params = ScoringParams()
    gated = clusters.filter(
        (pl.col("n_families") >= params.min_families) & (pl.col("size") >= params.min_size)
    )
    counts = (
        members.frame.filter(~pl.col("allowlisted") & pl.col("community").is_not_null())
        .group_by("community")
        .agg(farm=pl.col("is_farm").sum(), benign=(~pl.col("is_farm")).sum())
    )
    per_cluster = (
        gated.join(counts, on="community", how="left")
        .fill_null(0)
        .group_by("risk_score")
        .agg(pl.col("farm").sum(), pl.col("benign").sum())
        .sort("risk_score", descending=True)
    )
    farms = int(members.frame["is_farm"].sum())
    benign = members.frame.height - farms
    tp = per_cluster["farm"].cum_sum()
    fp = per_cluster["benign"].cum_sum()
    return pl.DataFrame(
        {
            "threshold": per_cluster["risk_score"],
            "precision": tp / (tp + fp).clip(lower_bound=1),
            "recall": tp / max(farms, 1),
            "benign_fpr": fp / max(benign, 1),
            "banned": tp + fp,
        }
    )


def calibration(members: Members, model: RiskModel) -> pl.DataFrame:
    """Predicted probability against the observed share of farm accounts, by score band."""
    scores = score_clusters(members.features, params=ScoringParams(), model=model)
    counts = (
        members.frame.filter(pl.col("community").is_not_null())
        .group_by("community")
        .agg(accounts=pl.len(), farm=pl.col("is_farm").sum())
    )
    frame = scores.select("community", "risk_score").join(counts, on="community")
    rows = []
    for lo, hi in itertools.pairwise(CALIBRATION_BINS):
        label = f"{lo:.2f}-{min(hi, 1.0):.2f}"
        band = frame.filter((pl.col("risk_score") >= lo) & (pl.col("risk_score") < hi))
        accounts = int(band["accounts"].sum())
        rows.append(
            {
                "score_band": label,
                "clusters": band.height,
                "accounts": accounts,
                "mean_score": float(band["risk_score"].mean() or 0.0),
                "farm_share": float(band["farm"].sum()) / accounts if accounts else 0.0,
            }
        )
    return pl.DataFrame(rows)


def plot_pr(
    curve: pl.DataFrame, operating: Metrics, baseline: Metrics, flag_at: float, path: Path
) -> None:
    """Left: precision against recall (zoomed where the curve lives). Right: recall and benign
    FPR against the threshold, with the operating threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recall = [0.0, *curve["recall"].to_list()]
    precision = [1.0, *curve["precision"].to_list()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    left.step(recall, precision, where="post", label="pipeline, threshold swept")
    left.scatter(
        [operating.recall],
        [operating.precision],
        color="C3",
        zorder=3,
        label=f"operating point (F1 {operating.f1:.3f})",
    )
    left.scatter(
        [baseline.recall],
        [baseline.precision],
        color="C7",
        marker="s",
        zorder=3,
        label=f"naive baseline (F1 {baseline.f1:.3f})",
    )
    low = min(0.8, min(recall[1:] or [0.8]) - 0.02, baseline.recall - 0.02)
    left.set_xlim(max(low, 0.0), 1.005)
    left.set_ylim(0, 1.02)
    left.set_xlabel("recall (farm accounts banned)")
    left.set_ylabel("precision (banned accounts that are farms)")
    left.grid(alpha=0.3)
    left.legend(loc="lower left")
    left.set_title("Precision and recall of the ban list")
    right.plot(curve["threshold"], curve["recall"], label="recall", color="C0")
    right.set_xlabel("flag threshold (cluster risk score)")
    right.set_ylabel("recall")
    right.set_ylim(0, 1.02)
    twin = right.twinx()
    fpr = curve["benign_fpr"].clip(lower_bound=1e-6)
    twin.plot(curve["threshold"], fpr, color="C1", label="benign FPR")
    twin.set_yscale("log")
    twin.set_ylabel("benign false-positive rate (log)")
    right.axvline(flag_at, color="C3", linestyle="--", label=f"flag threshold {flag_at}")
    lines = right.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    labels = right.get_legend_handles_labels()[1] + twin.get_legend_handles_labels()[1]
    right.legend(lines, labels, loc="lower left")
    right.grid(alpha=0.3)
    right.set_title("Recall and benign FPR by threshold")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def _md(frame: pl.DataFrame, floats: int = 3) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    lines = [head, rule]
    for row in frame.iter_rows():
        cells = [f"{v:.{floats}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    out: Path,
    *,
    raw: Path,
    truth: Path,
    warehouse: Path,
    exports: Path,
    seed: int | None = None,
    with_ablation: bool = True,
) -> dict[str, Any]:
    """Evaluate one world and write report.md, report.json and pr_curve.png into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    main: EvaluationReport = evaluate(truth, warehouse, exports)
    members = Members.read(warehouse, truth)
    model = load_model()
    curve = pr_curve(members, warehouse)
    plot_pr(curve, main.overall, main.baseline, model.flag_threshold, out / "pr_curve.png")
    loso = leave_one_style_out(members, model)
    calib = calibration(members, model)
    if with_ablation:
        with tempfile.TemporaryDirectory() as tmp:
            ablated = ablation(raw, truth, workdir=Path(tmp), seed=seed)
    else:
        ablated = pl.DataFrame()
    terms = pl.DataFrame(
        {"feature": model.features, "family": model.families, "coefficient": model.coef}
    ).sort(pl.col("coefficient").abs(), descending=True)
    body = {
        "world": str(raw),
        "evaluation": report_to_dict(main),
        "leave_one_style_out": loso.to_dicts(),
        "ablation": ablated.to_dicts(),
        "calibration": calib.to_dicts(),
        "model": {
            "flag_threshold": model.flag_threshold,
            "review_threshold": model.review_threshold,
            "fire_margin": model.fire_margin,
            "trained_on": model.trained_on,
        },
    }
    (out / "report.json").write_text(json.dumps(body, indent=2, default=str) + "\n")
    sections = [
        "# Evaluation report",
        "",
        f"World: `{raw}` ({main.truth_accounts:,} accounts). Model: flag at "
        f"{model.flag_threshold}, review at {model.review_threshold}, a family fires at "
        f"+{model.fire_margin} log-odds, trained on {', '.join(model.trained_on.get('worlds', []))}"
        " "
        f"for a benign FPR of {model.trained_on.get('target_benign_fpr')}.",
        "",
        "## Ban list against truth",
        "",
        "```",
        format_report(main),
        "```",
        "",
        "## Precision and recall by flag threshold",
        "",
        "![precision-recall curve](pr_curve.png)",
        "",
        "## Leave one farm style out",
        "",
        "The model refitted without one style's farm clusters, then scored on this world.",
        "",
        _md(loso),
        "",
    ]
    if with_ablation:
        sections += [
            "## Ablation: each signal family removed in turn",
            "",
            "Removed from the graph's links and from the model (refitted without its features).",
            "",
            _md(
                pl.concat(
                    [
                        pl.DataFrame(
                            [
                                {
                                    "removed_family": "(none)",
                                    "precision": main.overall.precision,
                                    "recall": main.overall.recall,
                                    "f1": main.overall.f1,
                                    "benign_fpr": main.overall.benign_fpr,
                                    "farms_detected": f"{main.farms_detected}/{main.farms_total}",
                                }
                            ]
                        ),
                        ablated,
                    ]
                ),
                4,
            ),
            "",
        ]
    sections += [
        "## Calibration",
        "",
        "Clusters by score band: the mean score against the share of their accounts that are "
        "farm accounts.",
        "",
        _md(calib),
        "",
        "## Model terms",
        "",
        "Coefficients on features standardised against the median benign cluster.",
        "",
        _md(terms),
        "",
    ]
    (out / "report.md").write_text("\n".join(sections), encoding="utf-8")
    return body


def summary_line(body: dict[str, Any]) -> str:
    overall = body["evaluation"]["overall"]
    worst_loso = min((r["recall_held_out"] for r in body["leave_one_style_out"]), default=0.0)
    worst_ablation = min((r["f1"] for r in body["ablation"]), default=float("nan"))
    return (
        f"F1 {overall['f1']:.3f}, benign FPR {overall['benign_fpr']:.4f}, "
        f"worst held-out style recall {worst_loso:.3f}, worst ablation F1 {worst_ablation:.3f}"
    )
