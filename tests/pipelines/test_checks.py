"""The asset checks in Definitions: they pass on a real run and fail loudly on tampered data."""

import base64
import re
import shutil

import dagster as dg
import pytest

from pipelines.communities.checks import community_sizes
from pipelines.definitions import build_definitions
from pipelines.limits import CommunitySizeLimits
from pipelines.partitions import run_tags
from pipelines.resources import Warehouse
from pipelines.settings import Settings
from pipelines.sql import create_table
from pipelines.staging.accounting import accounting_problems
from pipelines.staging.checks import null_rates
from sybil.generate import write_world
from tests.conftest import publish_checks_after

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dg.ExecuteInProcessResult]:
    """One run of `sybil_job` (assets and every check) on a 2,000-account world."""
    root = tmp_path_factory.mktemp("checks")
    write_world(root / "raw", 2000, seed=5, dirty_rate=0.005)
    settings = Settings(
        raw_dir=root / "raw",
        warehouse=root / "warehouse.duckdb",
        exports=root / "exports",
        memory_limit="2GB",
        threads=2,
    )
    job = build_definitions(settings).resolve_job_def("sybil_job")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=True,
            tags=run_tags(settings.raw_dir, settings.work),
        )
    return settings, result


@pytest.fixture
def work_copy(run, tmp_path) -> Warehouse:
    """A writable copy of the run's work folder (work, raw and restricted databases)."""
    settings, _ = run
    shutil.copytree(settings.work, tmp_path / "work")
    return Warehouse(path=str(tmp_path / "warehouse.duckdb"), work_dir=str(tmp_path / "work"))


def test_every_check_runs_and_passes(run):
    _, result = run
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    expected = {
        *((f"staging/{t}", "null_rates") for t in ("signups", "sessions", "payments", "api_usage")),
        *((f"staging/{t}", "rows_reconcile") for t in ("signups", "sessions", "payments")),
        ("staging/accounting", "rows_add_up"),
        ("communities/account_communities", "community_sizes"),
        ("published/cluster_members", "one_cluster_per_account"),
        ("published/ban_list", "allowlist_never_banned"),
        ("published/ban_list", "ban_list_is_flagged_members"),
    }
    assert expected <= set(evaluations)
    failed = {key: e.metadata for key, e in evaluations.items() if not e.passed}
    assert failed == {}


def test_every_table_asset_reports_rows_and_clusters_show_a_histogram(run):
    _, result = run
    materialized = {
        m.materialization.asset_key.to_user_string(): m.materialization.metadata
        for m in result.get_asset_materialization_events()
    }
    # Views store a query, not rows: counting them would run the query.
    without_rows = {
        key for key, meta in materialized.items() if "rows" not in meta and "view" not in meta
    }
    assert not without_rows
    clusters = materialized["published/clusters"]
    image = clusters["cluster_size_histogram"].value
    match = re.fullmatch(r"!\[clusters by size\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", image)
    assert match
    png = base64.b64decode(match.group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) < 40_000
    table = clusters["cluster_sizes"].value
    counted = sum(int(line.split("|")[2].replace(",", "")) for line in table.splitlines()[2:])
    assert counted == clusters["rows"].value


def test_null_rates_fail_when_an_export_loses_most_session_ips(work_copy):
    with work_copy.connect() as con:
        assert null_rates(con, "sessions").passed
        con.execute("update staging.sessions set ip = null where _row % 3 <> 0")
        result = null_rates(con, "sessions")
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "sessions.ip" in result.metadata["problems"].value
    assert result.metadata["failures"].value == 1


def test_null_rates_warn_on_a_moderate_share_and_fail_on_a_null_timestamp(work_copy):
    with work_copy.connect() as con:
        con.execute("update staging.signups set device_id = null where _row % 4 = 0")
        warned = null_rates(con, "signups")
        con.execute("update staging.signups set created_at = null where _row = 1")
        failed = null_rates(con, "signups")
    assert not warned.passed
    assert warned.severity == dg.AssetCheckSeverity.WARN
    assert "signups.device_id" in warned.metadata["problems"].value
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    assert "signups.created_at" in failed.metadata["problems"].value


def test_null_rates_only_warn_for_a_column_absent_from_the_input(con):
    """The contract treats a missing optional column as null: the run goes on, with a warning."""
    con.execute("create schema staging")
    con.execute("create schema raw")
    # The input had no ip column: the reader made it all null, and so is the staged column.
    con.execute(
        "create table raw.sessions as "
        "select 'a' as account_id, null::varchar as ip, 'd1' as device_id"
    )
    con.execute(
        "create table staging.sessions as select 0 as account_idx, "
        "timestamp '2026-01-01' as ts, null::varchar as ip, 'd1' as device_id"
    )
    result = null_rates(con, "sessions")
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "absent from input" in result.metadata["problems"].value


def test_community_sizes_fail_on_a_giant_community(work_copy):
    # This world has 2,000 accounts, the default floor of the limit: lower it to 1,000.
    limits = CommunitySizeLimits(min_limit=1000)
    with work_copy.connect() as con:
        assert community_sizes(con).passed
        assert community_sizes(con, limits).passed
        small = community_sizes(con, CommunitySizeLimits(max_share=0.01, min_limit=10))
        con.execute(
            "create or replace table communities.account_communities as "
            "select account_idx, 0 as community, 0 as component from staging.signups"
        )
        giant = community_sizes(con, limits)
    assert not small.passed  # the farms of this world are above 10 members
    assert not giant.passed
    assert giant.severity == dg.AssetCheckSeverity.ERROR
    assert giant.metadata["largest"].value == giant.metadata["accounts"].value
    assert giant.metadata["communities_over_limit"].value == 1
    assert "nothing is published" in giant.description


def test_rows_add_up_fails_when_a_staged_row_disappears(work_copy):
    with work_copy.connect() as con:
        assert accounting_problems(con) == []
        con.execute(
            "delete from staging.payments where _row = (select min(_row) from staging.payments)"
        )
        create_table(con, "staging.accounting", "staging/accounting")
        problems = accounting_problems(con)
    assert len(problems) == 1
    assert problems[0].startswith("payments: ")


def test_ban_list_checks_catch_an_allowlisted_ban_and_a_missing_member(run, tmp_path):
    settings, _ = run
    allowlisted = publish_checks_after(
        settings.warehouse,
        tmp_path,
        "insert into publish_next.ban_list select a.account_id, b.cluster_id, b.risk_score, "
        "b.reason from (select account_id from staging.allowlist order by 1 limit 1) as a, "
        "(select * from publish_next.ban_list order by account_id limit 1) as b",
    )
    assert allowlisted["allowlist_never_banned"][0] == 1
    assert allowlisted["ban_list_is_flagged_members"][0] == 1
    missing = publish_checks_after(
        settings.warehouse,
        tmp_path / "second",
        "delete from publish_next.ban_list where account_id = "
        "(select min(account_id) from publish_next.ban_list)",
    )
    assert missing["ban_list_is_flagged_members"][0] == 1
    assert missing["allowlist_never_banned"][0] == 0
