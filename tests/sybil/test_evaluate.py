"""sybil.evaluate: hand-computed metrics on tiny warehouses, the naive baseline, errors, output."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import igraph
import numpy as np
import polars as pl
import pytest

from sybil.evaluate import (
    EvaluationError,
    EvaluationReport,
    Metrics,
    _baseline_flags,
    evaluate,
    format_report,
    report_to_dict,
)

# Truth: three farms and two benign archetypes, 14 accounts.
#   F1 (burst): a1 a2 a3 a4     F2 (slow): b1 b2     F3 (slow): c1 c2
#   benign (regular): u1 u2 u3 u4                    benign (team): v1 v2 (allowlisted)
# c2 and u4 were quarantined: they are in truth but not in staging.signups.
TRUTH = [
    ("a1", "F1", "burst"),
    ("a2", "F1", "burst"),
    ("a3", "F1", "burst"),
    ("a4", "F1", "burst"),
    ("b1", "F2", "slow"),
    ("b2", "F2", "slow"),
    ("c1", "F3", "slow"),
    ("c2", "F3", "slow"),
    ("u1", None, "regular"),
    ("u2", None, "regular"),
    ("u3", None, "regular"),
    ("u4", None, "regular"),
    ("v1", None, "team"),
    ("v2", None, "team"),
]
QUARANTINED = {"c2", "u4"}
ALLOWLIST = ["v1", "v2"]

# Published: K1, K2, K3 flagged (purity 1, 1/2, 1), K4 not flagged.
CLUSTERS = [("K1", 3, 0.9, True), ("K2", 2, 0.8, True), ("K3", 2, 0.7, True), ("K4", 2, 0.1, False)]
MEMBERS = [
    ("K1", "a1"),
    ("K1", "a2"),
    ("K1", "a3"),
    ("K2", "b1"),
    ("K2", "u1"),
    ("K3", "v1"),
    ("K3", "v2"),
    ("K4", "a4"),
    ("K4", "c1"),
]
# Pruned out of a cluster: b2 (farm) and u2 (benign) tied to flagged ones, u3 to K4 (not);
# u2's tie is below the review floor (review false).
WEAK_TIES = [("K1", "b2", True), ("K2", "u2", False), ("K4", "u3", True)]
# Ban list: v1 is allowlisted (a pipeline bug the report must surface); c2 is quarantined and
# x9 unknown to truth, so neither is scored.
BAN_LIST = [
    ("a1", "K1"),
    ("a2", "K1"),
    ("a3", "K1"),
    ("b1", "K2"),
    ("u1", "K2"),
    ("v1", "K3"),
    ("c2", "K9"),
    ("x9", "K9"),
]


def unique_emails() -> list[tuple[str, str, str]]:
    return [(acc, "email", f"{acc}@example.com") for acc, _, _ in TRUTH if acc not in QUARANTINED]


def shared(accounts: list[str], kind: str, key: str) -> list[tuple[str, str, str]]:
    return [(acc, kind, key) for acc in accounts]


WAREHOUSE_IDS = [acc for acc, _, _ in TRUTH if acc not in QUARANTINED]
# Baseline keys for the main fixture: farm F1 shares a device, F2 a phone; the rest are unique.
DEFAULT_KEYS = [
    *unique_emails(),
    *shared(["a1", "a2", "a3", "a4"], "device", "d-1"),
    *shared(["b1", "b2"], "phone", "+15550001"),
]


def write_world(
    root: Path,
    *,
    keys: list[tuple[str, str, str]] | None = None,
    ban_list: list[tuple[str, str]] | None = None,
    skip_tables: frozenset[str] = frozenset(),
) -> tuple[Path, Path, Path]:
    """Write truth.parquet, warehouse.duckdb (only the tables evaluate reads) and ban_list.csv."""
    truth_path = root / "truth.parquet"
    pl.DataFrame(
        TRUTH,
        schema={"account_id": pl.String, "farm_id": pl.String, "archetype": pl.String},
        orient="row",
    ).write_parquet(truth_path)

    signups = pl.DataFrame(
        {"account_id": sorted(WAREHOUSE_IDS), "account_idx": range(len(WAREHOUSE_IDS))},
        schema={"account_id": pl.String, "account_idx": pl.Int32},
    )
    idx = dict(zip(signups["account_id"], signups["account_idx"], strict=True))
    account_keys = pl.DataFrame(
        [(idx[acc], kind, key) for acc, kind, key in (DEFAULT_KEYS if keys is None else keys)],
        schema={"account_idx": pl.Int32, "kind": pl.String, "key": pl.String},
        orient="row",
    )
    allowlist = pl.DataFrame({"account_id": ALLOWLIST})
    clusters = pl.DataFrame(
        CLUSTERS,
        schema={
            "cluster_id": pl.String,
            "size": pl.Int64,
            "risk_score": pl.Float64,
            "flagged": pl.Boolean,
        },
        orient="row",
    )
    members = pl.DataFrame(
        MEMBERS, schema={"cluster_id": pl.String, "account_id": pl.String}, orient="row"
    )
    weak_ties = pl.DataFrame(
        WEAK_TIES,
        schema={"cluster_id": pl.String, "account_id": pl.String, "review": pl.Boolean},
        orient="row",
    )
    frames = {
        "published.cluster_weak_ties": weak_ties,
        "staging.signups": signups,
        "staging.allowlist": allowlist,
        "features.account_keys": account_keys,
        "published.clusters": clusters,
        "published.cluster_members": members,
    }
    warehouse_path = root / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse_path))
    for schema in ("staging", "features", "published"):
        con.sql(f"create schema {schema}")
    for table, frame in frames.items():
        if table not in skip_tables:
            con.register("frame", frame)
            con.sql(f"create table {table} as select * from frame")
            con.unregister("frame")
    con.close()

    exports = root / "exports"
    exports.mkdir()
    rows = BAN_LIST if ban_list is None else ban_list
    pl.DataFrame(
        {
            "account_id": [acc for acc, _ in rows],
            "cluster_id": [cid for _, cid in rows],
            "risk_score": [0.9] * len(rows),
            "reason": ["shares a device"] * len(rows),
        },
        schema={
            "account_id": pl.String,
            "cluster_id": pl.String,
            "risk_score": pl.Float64,
            "reason": pl.String,
        },
    ).write_csv(exports / "ban_list.csv")
    return truth_path, warehouse_path, exports


@pytest.fixture
def report(tmp_path: Path) -> EvaluationReport:
    return evaluate(*write_world(tmp_path))


def test_overall_metrics_match_hand_computation(report: EvaluationReport) -> None:
    # Scored bans: a1 a2 a3 b1 (farm) and u1 v1 (benign); c2 quarantined, x9 not in truth.
    assert (report.overall.tp, report.overall.fp, report.overall.fn, report.overall.tn) == (
        4,
        2,
        4,
        4,
    )
    assert report.overall.precision == pytest.approx(4 / 6)
    assert report.overall.recall == pytest.approx(4 / 8)
    assert report.overall.f1 == pytest.approx(4 / 7)
    assert report.overall.benign_fpr == pytest.approx(2 / 6)
    assert report.truth_accounts == 14
    assert report.ban_list_size == 8
    assert report.ban_list_ignored == 2


def test_by_archetype_table(report: EvaluationReport) -> None:
    table = report.by_archetype
    assert table.columns[:7] == [
        "archetype",
        "is_farm",
        "accounts",
        "banned",
        "share_banned",
        "baseline_banned",
        "baseline_share",
    ]
    rows = {
        r["archetype"]: (r["is_farm"], r["accounts"], r["banned"], r["share_banned"])
        for r in table.iter_rows(named=True)
    }
    assert rows == {
        "burst": (True, 4, 3, pytest.approx(0.75)),
        "slow": (True, 4, 1, pytest.approx(0.25)),
        "regular": (False, 4, 1, pytest.approx(0.25)),
        "team": (False, 2, 1, pytest.approx(0.5)),
    }
    # Farm styles first, then benign, alphabetical within each.
    assert table["archetype"].to_list() == ["burst", "slow", "regular", "team"]
    baseline = dict(zip(table["archetype"], table["baseline_banned"], strict=True))
    assert baseline == {"burst": 4, "slow": 2, "regular": 0, "team": 0}
    quarantined = dict(zip(table["archetype"], table["quarantined"], strict=True))
    assert quarantined == {"burst": 0, "slow": 1, "regular": 1, "team": 0}


def test_farms_detected_at_half_banned(report: EvaluationReport) -> None:
    # F1 3/4 and F2 1/2 reach 50%; F3 0/2 does not.
    assert (report.farms_detected, report.farms_total) == (2, 3)


def test_flagged_clusters_and_purity(report: EvaluationReport) -> None:
    assert report.flagged_clusters == 3
    assert report.flagged_cluster_purity == pytest.approx((1 + 0.5 + 1) / 3)


def test_weak_ties_of_flagged_clusters_counted_with_their_farm_accounts(
    report: EvaluationReport, tmp_path: Path
) -> None:
    assert (report.weak_ties, report.weak_ties_farm) == (2, 1)
    assert (report.weak_ties_queued, report.weak_ties_queued_farm) == (1, 1)
    lines = format_report(report).splitlines()
    assert any("weakly tied" in line and line.endswith("1 / 2") for line in lines)
    assert any("review queue" in line and line.endswith("1 / 1") for line in lines)
    # A warehouse published before weak ties existed has none.
    (tmp_path / "older").mkdir()
    older = evaluate(
        *write_world(tmp_path / "older", skip_tables=frozenset({"published.cluster_weak_ties"}))
    )
    assert (older.weak_ties, older.weak_ties_farm, older.weak_ties_queued) == (0, 0, 0)
    # One published before the review floor listed every weak tie of a flagged cluster.
    (tmp_path / "floorless").mkdir()
    truth, warehouse, exports = write_world(tmp_path / "floorless")
    con = duckdb.connect(str(warehouse))
    con.execute("alter table published.cluster_weak_ties drop column review")
    con.close()
    floorless = evaluate(truth, warehouse, exports)
    assert (floorless.weak_ties, floorless.weak_ties_queued) == (2, 2)


def test_allowlisted_and_quarantined_counts(report: EvaluationReport) -> None:
    assert report.allowlisted_banned == 1
    assert report.quarantined_accounts == 2


def test_quarantined_accounts_count_as_not_banned(tmp_path: Path) -> None:
    # Even a stale ban list naming every truth account cannot ban the quarantined c2 and u4.
    everyone = [(acc, "K1") for acc, _, _ in TRUTH]
    r = evaluate(*write_world(tmp_path, ban_list=everyone))
    assert (r.overall.tp, r.overall.fp, r.overall.fn, r.overall.tn) == (7, 5, 1, 1)
    assert r.ban_list_ignored == 2


def test_baseline_on_default_keys(report: EvaluationReport) -> None:
    # Device links a1..a4 (a4 is banned by the baseline but not by the pipeline), phone b1 b2.
    assert report.baseline == Metrics.from_counts(tp=6, fp=0, fn=2, tn=6)
    assert report.baseline.recall == pytest.approx(0.75)
    assert report.baseline_min_size == 2


def test_baseline_hub_links_everyone(tmp_path: Path) -> None:
    hub = [*unique_emails(), *shared(WAREHOUSE_IDS, "ip", "10.0.0.1")]
    r = evaluate(*write_world(tmp_path, keys=hub))
    # All 12 warehouse accounts flagged; quarantined c2 (farm) and u4 (benign) are not.
    b = r.baseline
    assert (b.tp, b.fp, b.fn, b.tn) == (7, 5, 1, 1)
    assert b.precision == pytest.approx(7 / 12)
    assert b.recall == pytest.approx(7 / 8)
    assert b.f1 == pytest.approx(2 * (7 / 12) * (7 / 8) / (7 / 12 + 7 / 8))
    assert b.benign_fpr == pytest.approx(5 / 6)
    # The pipeline's own numbers do not depend on the keys.
    assert (r.overall.tp, r.overall.fp) == (4, 2)


def test_baseline_only_a_pair_shares_a_key(tmp_path: Path) -> None:
    pair = [*unique_emails(), *shared(["a1", "a2"], "card", "fp-1")]
    r = evaluate(*write_world(tmp_path, keys=pair))
    assert r.baseline == Metrics.from_counts(tp=2, fp=0, fn=6, tn=6)
    assert (r.baseline.precision, r.baseline.recall) == (1.0, 0.25)


def test_baseline_min_size_above_pair_flags_nothing(tmp_path: Path) -> None:
    pair = [*unique_emails(), *shared(["a1", "a2"], "card", "fp-1")]
    r = evaluate(*write_world(tmp_path, keys=pair), baseline_min_size=3)
    assert r.baseline == Metrics(
        tp=0, fp=0, fn=8, tn=6, precision=0.0, recall=0.0, f1=0.0, benign_fpr=0.0
    )


def test_baseline_same_key_text_under_different_kinds_does_not_link(tmp_path: Path) -> None:
    keys = [*unique_emails(), ("a1", "name", "alex"), ("u1", "prompt", "alex")]
    r = evaluate(*write_world(tmp_path, keys=keys))
    assert r.baseline.banned == 0


def test_baseline_chains_through_keys(tmp_path: Path) -> None:
    # a1-a2 share a phone, a2-u1 share an IP: one component of three, no hub handling.
    keys = [
        *unique_emails(),
        *shared(["a1", "a2"], "phone", "p"),
        *shared(["a2", "u1"], "ip", "1.2.3.4"),
    ]
    r = evaluate(*write_world(tmp_path, keys=keys), baseline_min_size=3)
    assert (r.baseline.tp, r.baseline.fp) == (2, 1)


def test_baseline_components_match_the_account_value_graph() -> None:
    # Oracle: components of the graph with a node per account and per value (igraph), the
    # baseline's definition, on random keys: shared values, chains, a hub, lone accounts.
    rng = np.random.default_rng(3)
    n = 300
    rows = {
        (int(a), str(kind), f"v{int(v)}")
        for a, kind, v in zip(
            rng.integers(0, n, 420),
            rng.choice(["ip", "card", "device"], 420),
            rng.integers(0, 260, 420),
            strict=True,
        )
    }
    rows |= {(int(a), "ip", "hub") for a in range(200, 240)}
    con = duckdb.connect()
    con.sql("create schema features")
    keys_frame = pl.DataFrame(  # noqa: F841 (read by the SQL below)
        sorted(rows),
        schema={"account_idx": pl.Int32, "kind": pl.String, "key": pl.String},
        orient="row",
    )
    con.sql("create table features.account_keys as select * from keys_frame")
    signups = pl.DataFrame({"account_id": [f"a{i}" for i in range(n)], "account_idx": range(n)})

    values = {kv: n + i for i, kv in enumerate(sorted({(k, v) for _, k, v in rows}))}
    graph = igraph.Graph(n + len(values), [(a, values[(k, v)]) for a, k, v in sorted(rows)])
    membership = np.asarray(graph.connected_components().membership)[:n]
    sizes = np.bincount(membership)
    assert len(set(sizes[membership])) > 3  # components of several sizes, not one or none
    for min_size in (2, 3, 6, 40):
        expected = sizes[membership] >= min_size
        assert np.array_equal(_baseline_flags(con, signups, min_size), expected), min_size
    con.close()


def test_the_warehouse_is_read_within_the_pipelines_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYBIL_MEMORY_LIMIT", "1.5GB")
    seen: list[str] = []
    connect = duckdb.connect

    def spy(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)
        seen.append(con.sql("select current_setting('memory_limit')").fetchall()[0][0])
        return con

    monkeypatch.setattr(duckdb, "connect", spy)
    paths = write_world(tmp_path)
    seen.clear()
    evaluate(*paths)
    assert seen == ["1.3 GiB"]


def test_a_memory_limit_that_is_not_a_size_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked as the pipeline checks it, not passed on to DuckDB as "cannot open warehouse".
    paths = write_world(tmp_path)
    monkeypatch.setenv("SYBIL_MEMORY_LIMIT", "lots")
    with pytest.raises(EvaluationError, match="SYBIL_MEMORY_LIMIT 'lots' is not a size"):
        evaluate(*paths)


def test_missing_ban_list_is_a_clear_error(tmp_path: Path) -> None:
    truth, warehouse, exports = write_world(tmp_path)
    (exports / "ban_list.csv").unlink()
    with pytest.raises(EvaluationError, match=r"ban list not found: .*ban_list\.csv"):
        evaluate(truth, warehouse, exports)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda t, w, e: t.unlink(), "truth file not found"),
        (lambda t, w, e: w.unlink(), "warehouse not found"),
        (
            lambda t, w, e: pl.DataFrame({"account_id": ["a1"]}).write_parquet(t),
            "lacks column.*farm_id, archetype",
        ),
        (lambda t, w, e: w.write_bytes(b"not a duckdb file"), "cannot open warehouse"),
    ],
)
def test_bad_inputs_raise_evaluation_error(
    tmp_path: Path, break_it: Callable[[Path, Path, Path], object], message: str
) -> None:
    paths = write_world(tmp_path)
    break_it(*paths)
    with pytest.raises(EvaluationError, match=message) as excinfo:
        evaluate(*paths)
    assert "\n" not in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_missing_published_table_is_named(tmp_path: Path) -> None:
    paths = write_world(tmp_path, skip_tables=frozenset({"published.cluster_members"}))
    with pytest.raises(EvaluationError, match=r"lacks table\(s\): published\.cluster_members"):
        evaluate(*paths)


def test_empty_ban_list_scores_zero_without_dividing_by_zero(tmp_path: Path) -> None:
    r = evaluate(*write_world(tmp_path, ban_list=[]))
    assert r.overall == Metrics.from_counts(tp=0, fp=0, fn=8, tn=6)
    assert r.overall.precision == 0.0
    assert r.overall.f1 == 0.0
    assert r.allowlisted_banned == 0


def test_account_ids_are_read_as_text(tmp_path: Path) -> None:
    # A numeric-looking id with a leading zero must match truth exactly, not as the integer 7.
    truth, warehouse, exports = write_world(tmp_path)
    (exports / "ban_list.csv").write_text("account_id,cluster_id,risk_score,reason\n007,K1,1,x\n")
    r = evaluate(truth, warehouse, exports)
    assert r.ban_list_size == 1
    assert r.ban_list_ignored == 1
    assert r.overall.banned == 0


def test_report_to_dict_is_json_serialisable(report: EvaluationReport) -> None:
    data = json.loads(json.dumps(report_to_dict(report)))
    assert data["overall"]["tp"] == 4
    assert data["overall"]["f1"] == pytest.approx(4 / 7)
    assert data["baseline"]["tp"] == 6
    assert data["farms_detected"] == 2
    assert data["allowlisted_banned"] == 1
    assert data["quarantined_accounts"] == 2
    assert {r["archetype"] for r in data["by_archetype"]} == {"burst", "slow", "regular", "team"}


def test_format_report_shows_headline_numbers(report: EvaluationReport) -> None:
    text = format_report(report)
    assert "0.667" in text  # precision
    assert "0.500" in text  # recall
    assert "0.571" in text  # F1
    assert "0.3333" in text  # benign FPR
    assert "2 / 3" in text  # farms detected
    assert "MUST BE 0" in text  # one allowlisted account banned
    assert "2 quarantined" in text
    for archetype in ("burst", "slow", "regular", "team"):
        assert archetype in text
    assert "75.0%" in text
