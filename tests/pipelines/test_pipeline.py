"""The whole path through Dagster on a small generated world."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import ALL_ASSETS, build_definitions
from pipelines.partitions import run_tags
from pipelines.publish.checks import CHECKS
from pipelines.resources import build_resources
from pipelines.settings import Settings
from sybil.generate import write_world
from sybil.runner import run_pipeline
from tests.conftest import publish_checks_after, run_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACCOUNTS = 3000
FIRST_RUN_CHECKS: list[dg.AssetCheckEvaluation] = []


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    write_world(raw, ACCOUNTS, seed=11, dirty_rate=0.005)
    return raw


def settings_for(raw: Path, root: Path) -> Settings:
    return run_settings(raw, root)


@pytest.fixture(scope="module")
def first_run(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = settings_for(world, tmp_path_factory.mktemp("run1"))
    result = dg.materialize(
        ALL_ASSETS,
        resources=build_resources(settings),
        selection=dg.AssetSelection.all(),
        raise_on_error=True,
        tags=run_tags(settings.raw_dir, settings.work),
    )
    assert result.success
    FIRST_RUN_CHECKS.extend(result.get_asset_check_evaluations())
    return settings


def query(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_definitions_load():
    defs = build_definitions(settings_for(Path("raw"), Path("/tmp/unused")))
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("sybil_job")
    keys = {key.to_user_string() for key in job.asset_layer.asset_graph.get_all_asset_keys()}
    assert {
        "raw/signups",
        "staging/signups",
        "edges/similarity_edges",
        "communities/account_communities",
        "published/clusters",
        "exports/ban_list_csv",
    } <= keys


def test_every_raw_row_is_staged_or_quarantined(first_run):
    accounting = query(
        first_run,
        "select table_name, rows_read, rows_loaded, rows_quarantined, adds_up "
        "from staging.accounting order by table_name",
    )
    assert [row[0] for row in accounting] == sorted(
        ("signups", "payments", "sessions", "api_usage", "allowlist")
    )
    for table, read, loaded, rejected, adds_up in accounting:
        staged, quarantined = query(
            first_run,
            f"select (select count(*) from staging.{table}), "
            f"(select count(*) from staging.quarantine where table_name = '{table}')",
        )[0]
        assert (staged, quarantined) == (loaded, rejected), table
        assert read == loaded + rejected, table
        assert adds_up, table
    reasons = dict(query(first_run, "select reason, count(*) from staging.quarantine group by 1"))
    assert reasons.get("duplicate account_id", 0) > 0
    assert reasons.get("unknown account_id", 0) > 0
    issues = dict(query(first_run, "select reason, count(*) from staging.field_issues group by 1"))
    assert issues.get("invalid ip", 0) > 0


def test_published_tables_and_ban_list(first_run):
    clusters = query(
        first_run,
        "select cluster_id, size, risk_score, flagged, evidence from published.clusters",
    )
    assert clusters
    assert len({c[0] for c in clusters}) == len(clusters)
    assert all(0.0 <= c[2] <= 1.0 for c in clusters)
    assert all(c[1] >= 2 for c in clusters)
    assert any(c[3] for c in clusters)
    sizes = dict(
        query(first_run, "select cluster_id, count(*) from published.cluster_members group by 1")
    )
    assert all(sizes[c[0]] == c[1] for c in clusters)

    path = first_run.exports / "ban_list.csv"
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["account_id", "cluster_id", "risk_score", "reason"]
        banned = {row["account_id"]: row for row in reader}
    expected = {
        account_id
        for (account_id,) in query(
            first_run,
            "select m.account_id from published.cluster_members m "
            "join published.clusters c using (cluster_id) where c.flagged "
            "and m.account_id not in (select account_id from staging.allowlist)",
        )
    }
    assert set(banned) == expected
    allowlisted = {a for (a,) in query(first_run, "select account_id from staging.allowlist")}
    assert not allowlisted & set(banned)


def test_account_keys_hold_every_kind_of_the_values_view(first_run):
    """account_keys is built a kind (or a few kinds) of ref.key_kinds at a time: a kind the
    values view yields but the reference does not list would be left out without a word, and
    the keys are exactly the view's distinct (account, kind, key), whichever kinds go together."""
    in_view, in_keys, listed = (
        {k for (k,) in query(first_run, f"select distinct kind from {source}")}
        for source in ("features.account_key_values", "features.account_keys", "ref.key_kinds")
    )
    assert in_view == in_keys
    assert in_keys <= listed
    [(duplicates,)] = query(
        first_run,
        "select count(*) - count(distinct (account_idx, kind, key)) from features.account_keys",
    )
    assert duplicates == 0
    [(missing, extra)] = query(
        first_run,
        """
        with
        viewed as (select distinct account_idx, kind, key from features.account_key_values),
        kept as (select account_idx, kind, key from features.account_keys)
        select
            (select count(*) from (from viewed except from kept)),
            (select count(*) from (from kept except from viewed))
        """,
    )
    assert (missing, extra) == (0, 0)


def test_staged_events_are_stored_by_account(first_run):
    """Every step after staging reads the event rows per account (and reports a few accounts'
    rows): they are stored in (account_idx, _row) order, which lets a scan skip row groups."""
    for table in ("sessions", "api_usage", "payments"):
        [(rows, out_of_order)] = query(
            first_run,
            f"""
            select count(*), count(*) filter (
                where prev_idx is not null and (account_idx, _row) < (prev_idx, prev_row)
            )
            from (
                select account_idx, _row,
                    lag(account_idx) over (order by rowid) as prev_idx,
                    lag(_row) over (order by rowid) as prev_row
                from staging.{table}
            )
            """,
        )
        assert rows > 0, table
        assert out_of_order == 0, table


def test_values_of_some_accounts_are_the_views_rows_of_them(first_run):
    """Reports read a few members' values through account_key_values_of(accounts), which filters
    every source before grouping; it must give exactly the view's rows of those accounts."""
    some = "(select list(account_idx) from staging.signups where account_idx % 7 = 3)"
    [(only_macro, only_view, rows)] = query(
        first_run,
        f"""
        with
        of_some as (from features.account_key_values_of(accounts := {some})),
        viewed as (
            from features.account_key_values
            where account_idx in (select unnest({some}))
        )
        select
            (select count(*) from (from of_some except all from viewed)),
            (select count(*) from (from viewed except all from of_some)),
            (select count(*) from of_some)
        """,
    )
    assert (only_macro, only_view) == (0, 0)
    assert rows > 0


def test_flagged_evidence_names_two_families(first_run):
    for (evidence,) in query(first_run, "select evidence from published.clusters where flagged"):
        families = {
            f
            for f in ("identity", "payment", "network", "timing", "behaviour")
            if f"[{f}]" in evidence
        }
        assert len(families) >= 2, evidence


def test_detection_on_the_small_world(first_run, world):
    from sybil.evaluate import evaluate

    report = evaluate(world / "truth.parquet", first_run.warehouse, first_run.exports)
    assert report.allowlisted_banned == 0
    assert report.overall.f1 >= 0.85
    assert report.overall.benign_fpr <= 0.01
    assert report.baseline.f1 < report.overall.f1


def test_evaluation_report_with_ablation_and_held_out_styles(first_run, world, tmp_path):
    import json

    from graph.scoring import FAMILIES
    from sybil.evaluation_report import write_report
    from sybil.train import load_training

    out = tmp_path / "report"
    write_report(
        out,
        raw=world,
        truth=world / "truth.parquet",
        warehouse=first_run.warehouse,
        exports=first_run.exports,
    )
    body = json.loads((out / "report.json").read_text())
    assert [r["removed_family"] for r in body["ablation"]] == list(FAMILIES)
    trained_styles = set(load_training()[0]["farm_style"].drop_nulls().to_list())
    assert {r["held_out_style"] for r in body["leave_one_style_out"]} == trained_styles
    assert (out / "pr_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (out / "report.md").read_text()
    for section in ("Leave one farm style out", "Ablation", "Calibration", "pr_curve.png"):
        assert section in text


def test_weak_ties_are_the_pruned_accounts_with_their_summed_weight(first_run):
    """Oracle from the published edges: a weak tie is no member of any cluster, its tie_strength
    is its summed edge weight to the cluster's members, and below what membership needs; the
    review queue lists those of flagged clusters (and only those) as 'weak', from the review
    floor up."""
    from pipelines.communities.assets import CommunityConfig

    ties = query(
        first_run,
        "select t.cluster_id, t.account_id, t.tie_strength, round(sum(e.weight), 4) "
        "from published.cluster_weak_ties t "
        "join published.cluster_members m on m.cluster_id = t.cluster_id "
        "join published.similarity_edges e on (e.account_a = t.account_id "
        "and e.account_b = m.account_id) or (e.account_b = t.account_id "
        "and e.account_a = m.account_id) group by all order by all",
    )
    assert ties  # the small world has accounts pruned out of a surviving cluster
    assert len(ties) == query(first_run, "select count(*) from published.cluster_weak_ties")[0][0]
    below = 0
    for cluster, account, strength, summed in ties:
        assert strength == pytest.approx(summed, abs=2e-4), (cluster, account)
        assert strength > 0
        below += strength < CommunityConfig().min_member_strength
    # Most were pruned (below what a member needs); the rest were cut off at one chance value
    # held by several members, whose edges from that one value may sum to more.
    assert below > len(ties) / 2
    assert query(
        first_run,
        "select count(*) from published.cluster_weak_ties "
        "join published.cluster_members using (account_id)",
    ) == [(0,)]
    queued = query(
        first_run,
        "select cluster_id, account_id from published.review_queue where tie = 'weak' order by all",
    )
    floor = CommunityConfig().min_tie_strength_to_review
    assert queued == query(
        first_run,
        "select cluster_id, account_id from published.cluster_weak_ties "
        "join published.clusters using (cluster_id) "
        f"where flagged and tie_strength >= {floor} order by all",
    )
    assert queued
    # The review flag is the floor, on every tie (those of unflagged clusters too).
    assert query(
        first_run,
        "select count(*) from published.cluster_weak_ties "
        f"where review <> (tie_strength >= {floor})",
    ) == [(0,)]


def test_a_check_catches_a_weak_tie_that_is_a_member(first_run, tmp_path):
    found = violations_after(
        first_run,
        tmp_path,
        "insert into publish_next.cluster_weak_ties "
        "select cluster_id, account_id, 0.1, false from publish_next.cluster_members limit 1",
    )
    assert found["weak_ties_are_not_members"][0] == 1


def test_checks_pass_on_published_tables(first_run):
    names = [e.check_name for e in FIRST_RUN_CHECKS]
    assert set(CHECKS) <= set(names)
    assert names.count("rows_reconcile") == 5  # one per staged input table
    assert all(e.passed for e in FIRST_RUN_CHECKS)


def violations_after(first_run: Settings, tmp_path: Path, tamper: str) -> dict:
    """The publish checks run on a copy of the published tables after one tampering statement."""
    return publish_checks_after(first_run.warehouse, tmp_path, tamper)


def test_a_check_catches_an_account_in_two_clusters(first_run, tmp_path):
    """The publish checks can fail: a duplicated membership row is found and sampled."""
    found = violations_after(
        first_run,
        tmp_path,
        "insert into publish_next.cluster_members "
        "select * replace ('Cother' as cluster_id) from publish_next.cluster_members limit 1",
    )
    count, sample = found["one_cluster_per_account"]
    assert count == 1
    assert sample[0][1] == 2
    assert found["ban_list_is_flagged_members"][0] == 0
    assert found["flagged_names_two_families"][0] == 0


def test_a_check_catches_a_ban_resting_on_one_family(first_run, tmp_path):
    found = violations_after(
        first_run,
        tmp_path,
        "update publish_next.clusters set evidence = '3 accounts; [identity] one mailbox' "
        "where cluster_id = (select min(cluster_id) from publish_next.clusters where flagged)",
    )
    assert found["flagged_names_two_families"][0] == 1


def test_a_check_catches_a_fresh_id_taken_from_the_history(first_run, tmp_path):
    """A cluster first seen now under an id that history rows from an earlier run already used
    (ids are never handed to a second farm), and a repeated id, are both caught."""
    found = violations_after(
        first_run,
        tmp_path,
        "insert into publish_next.cluster_history (cluster_id, as_of, event, size) "
        "select cluster_id, first_seen - interval 1 day, 'dissolved', 0 "
        "from publish_next.clusters order by cluster_id limit 1; "
        "insert into publish_next.clusters select * from publish_next.clusters "
        "order by cluster_id desc limit 1",
    )
    count, sample = found["cluster_ids_unique_and_fresh"]
    assert count == 2
    assert {row[1] for row in sample} == {
        "history from before the cluster was first seen",
        "null or repeated cluster_id",
    }


def test_same_input_gives_identical_tables_and_files(world, first_run, tmp_path):
    """Idempotence and determinism: a second run on the same input gives the same checksum for
    every table of the warehouse (published and staging tables row for row, in stored order) and
    byte-identical exports."""
    import hashlib

    from sybil.warehouse import published, table_checksums

    settings = settings_for(world, tmp_path)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.reason
    with published(first_run.warehouse) as con:
        first = table_checksums(con)
    with published(settings.warehouse) as con:
        second = table_checksums(con)
    assert {t for t in first if t.startswith("published.")} == {
        f"published.{t}"
        for t in (
            "clusters",
            "cluster_members",
            "cluster_weak_ties",
            "cluster_history",
            "similarity_edges_packed",
            "edge_kind_masks",
            "account_features",
            "ban_list",
        )
    }
    assert second == first

    def files(folder: Path) -> dict[str, str]:
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    assert files(settings.exports) == files(first_run.exports)
    names = list(files(settings.exports))
    # The exports, the ban list's dated copy, the cluster reports, no temporary file left behind.
    reports = [n for n in names if n.startswith("reports/")]
    assert [n.split("-")[0] for n in names if n not in reports] == [
        "ban_list.csv",
        "ban_list_diff.csv",
        "history/ban_list",
        "review_queue.csv",
    ]
    assert reports[-1] == "reports/index.html"
    assert all(n.startswith("reports/C") and n.endswith(".html") for n in reports[:-1]), reports


def test_missing_required_column_fails_with_one_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "signups.csv").write_text("account_id,email\na1,a@b.com\n")
    outcome = run_pipeline(settings_for(raw, tmp_path))
    assert not outcome.success
    assert outcome.failed_step == "raw__signups"
    assert outcome.reason.startswith("signups: required column created_at missing")


def test_committed_csv_sample_runs_end_to_end(tmp_path):
    """data/sample is CSV (text timestamps with offsets, quoted user agents): the CSV path works."""
    from sybil.evaluate import evaluate

    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    settings = settings_for(sample, tmp_path)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.reason
    raw, staged = query(
        settings,
        "select rows_read, rows_loaded from staging.accounting where table_name = 'signups'",
    )[0]
    assert raw > staged > 0.95 * raw
    report = evaluate(sample / "truth.csv", settings.warehouse, settings.exports)
    assert report.allowlisted_banned == 0
    assert report.overall.recall > 0.5
    assert report.overall.benign_fpr <= 0.02


def test_world_where_nobody_shares_anything(tmp_path):
    """No edges, no clusters: the run still succeeds and publishes empty tables and export."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "signups.csv").write_text(
        "account_id,created_at,email\n"
        "a1,2026-01-01T00:00:00Z,one@example.org\n"
        "a2,2026-01-02T00:00:00Z,two@example.com\n"
        "a3,2026-01-03T00:00:00Z,three@example.net\n"
    )
    settings = settings_for(raw, tmp_path)
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.reason
    assert query(settings, "select count(*) from published.clusters") == [(0,)]
    lines = (settings.exports / "ban_list.csv").read_text().splitlines()
    assert lines == ["account_id,cluster_id,risk_score,reason"]
