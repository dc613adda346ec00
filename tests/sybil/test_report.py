"""Investigator reports and live run progress, on one small generated world run once."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import datetime
from types import SimpleNamespace as NS

import dagster as dg
import duckdb
import numpy as np
import pytest
from matplotlib import image

from pipelines.reports.assets import ReportsConfig, top_clusters
from pipelines.resources import Folders, Warehouse
from pipelines.settings import Settings
from sybil.cli import main
from sybil.generate import write_world
from sybil.progress import StepProgress, produced
from sybil.report import ReportError, write_report, write_top_reports
from sybil.report import chromium as browser
from sybil.report.data import Cluster, Identifier, Member, ReportData
from sybil.report.graph_svg import MAX_IDENTIFIERS, MAX_MEMBERS
from sybil.report.page import evidence_items, render_report
from sybil.runner import run_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACCOUNTS = 2500
LINE = re.compile(r"^\[\s*(\d+)/(\d+)\]\s+[\d.]+ s  (\S+)\s+[\d.]+ s(?:  (.*))?$")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[tuple[str, bool]]]:
    """One run; each progress line is kept with whether the warehouse existed when it came."""
    raw = tmp_path_factory.mktemp("raw")
    write_world(raw, ACCOUNTS, seed=11)
    root = tmp_path_factory.mktemp("run")
    settings = Settings(
        raw_dir=raw,
        warehouse=root / "w.duckdb",
        exports=root / "exports",
        memory_limit="2GB",
        threads=2,
    )
    lines: list[tuple[str, bool]] = []
    outcome = run_pipeline(
        settings, progress=lambda line: lines.append((line, settings.warehouse.exists()))
    )
    assert outcome.success, outcome.reason
    return settings, lines


def query(settings: Settings, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def flagged(settings: Settings, *, small: bool) -> str:
    op = "<=" if small else ">"
    rows = query(
        settings,
        f"select cluster_id from published.clusters where flagged and size {op} {MAX_MEMBERS} "
        "order by risk_score desc, size desc, cluster_id limit 1",
    )
    assert rows, f"the world has no flagged cluster with size {op} {MAX_MEMBERS}"
    return rows[0][0]


def shared_identifiers(settings: Settings, cluster_id: str) -> int:
    """Linking identifiers held by 2+ members, counted straight from the feature tables."""
    return query(
        settings,
        "select count(*) from (select k.kind, k.key from features.account_keys k "
        "join staging.signups s using (account_idx) "
        "join published.cluster_members m using (account_id) "
        "join features.key_stats ks using (kind, key) "
        "where m.cluster_id = $c and ks.linked group by all having count(*) >= 2)",
        {"c": cluster_id},
    )[0][0]


# --- progress ---------------------------------------------------------------------------------


def test_progress_has_one_line_per_step_as_it_ends(run):
    settings, lines = run
    parsed = [LINE.match(line) for line, _ in lines]
    assert all(parsed), [line for line, _ in lines]
    steps = [m.group(3) for m in parsed if m]
    assert len(steps) == len(set(steps)) == int(parsed[0].group(2))  # type: ignore[union-attr]
    assert [int(m.group(1)) for m in parsed if m] == list(range(1, len(steps) + 1))
    # Emitted during the run: every step before publish spoke while no warehouse existed yet.
    before = steps.index("published")
    assert not any(exists for _, exists in lines[:before])
    assert all(exists for _, exists in lines[before:])
    what = {m.group(3): m.group(4) or "" for m in parsed if m}
    edges = query(settings, "select count(*) from edges.similarity_edges")[0][0]
    clusters = query(settings, "select count(*) from published.clusters")[0][0]
    signups = query(settings, "select count(*) from staging.signups")[0][0]
    assert what["edges__similarity_edges"] == f"{edges:,} edges"
    assert what["communities__account_communities"].startswith(f"{clusters:,} clusters")
    assert what["scoring__cluster_scores"].startswith(f"{clusters:,} clusters")
    assert what["staging__signups"].startswith(f"{signups:,} rows")
    reports = len(list((settings.exports / "reports").glob("C*.html")))
    assert what["reports__top_clusters"] == f"{reports:,} reports"


def test_produced_names_what_a_step_made():
    assert produced("edges/similarity_edges", {"rows": 1200}) == "1,200 edges"
    assert produced("staging/x", {"rows": 10, "quarantined": 2}) == "10 rows (2 quarantined)"
    assert produced("c/c", {"communities": 3, "accounts_in_communities": 9}) == (
        "3 clusters (9 accounts)"
    )
    assert produced("x/y", {"source": "file"}) == ""


def test_a_check_only_step_says_how_its_checks_went():
    lines: list[str] = []
    progress = StepProgress(lines.append, total_steps=2)

    def event(kind: str, data: object = None, ts: float = 100.0) -> NS:
        return NS(
            step_key="x__checks",
            timestamp=ts,
            dagster_event=NS(event_type_value=kind, event_specific_data=data),
        )

    progress(event("STEP_START"))
    progress(event("ASSET_CHECK_EVALUATION", NS(check_name="null_rates", passed=False)))
    progress(event("STEP_SUCCESS", ts=101.5))
    assert lines[0].startswith("[1/2]")
    assert lines[0].endswith(
        "x__checks                             1.50 s  check null_rates FAILED"
    )


def test_cli_run_quiet_prints_no_progress(run, tmp_path, capsys):
    settings, _ = run
    code = main(
        [
            "run",
            "--quiet",
            "--raw",
            str(settings.raw_dir),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--exports",
            str(tmp_path / "e"),
            "--threads",
            "2",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    assert out.startswith("sybil run finished")


# --- the reports asset --------------------------------------------------------------------------


def test_top_reports_and_index_match_the_flagged_clusters(run):
    settings, _ = run
    folder = settings.exports / "reports"
    expected = [
        r[0]
        for r in query(
            settings,
            "select cluster_id from published.clusters where flagged "
            "order by risk_score desc, size desc, cluster_id limit 20",
        )
    ]
    assert expected
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{c}.html" for c in expected] + ["index.html"]
    )
    index = (folder / "index.html").read_text()
    assert re.findall(r'href="(C[0-9a-f]+)\.html"', index) == expected


def test_fewer_reports_remove_the_stale_pages(run, tmp_path):
    settings, _ = run
    folder = tmp_path / "reports"
    write_top_reports(settings.warehouse, folder, 3)
    (folder / ".Cdead.html.99.tmp").write_text("left by a killed run")
    paths = write_top_reports(settings.warehouse, folder, 1)
    assert sorted(p.name for p in folder.iterdir()) == sorted([paths[0].name, "index.html"])


def test_reports_step_fails_in_one_line(tmp_path):
    with pytest.raises(dg.Failure) as failure:
        top_clusters(
            config=ReportsConfig(),
            warehouse=Warehouse(path=str(tmp_path / "none.duckdb")),
            folders=Folders(raw_dir=str(tmp_path), exports_dir=str(tmp_path / "e")),
        )
    description = failure.value.description or ""
    assert description.startswith("reports not written: warehouse not found")
    assert "\n" not in description


# --- one report --------------------------------------------------------------------------------


def test_report_holds_header_evidence_graph_timeline_and_members(run, tmp_path):
    settings, _ = run
    cluster_id = flagged(settings, small=True)
    size, risk, evidence = query(
        settings,
        "select size, risk_score, evidence from published.clusters where cluster_id = $c",
        {"c": cluster_id},
    )[0]
    before = hashlib.sha256(settings.warehouse.read_bytes()).hexdigest()
    html = write_report(settings.warehouse, cluster_id, tmp_path / "r.html").read_text()
    assert hashlib.sha256(settings.warehouse.read_bytes()).hexdigest() == before
    assert f"<h1>Cluster {cluster_id}</h1>" in html
    assert f"<dd>{size:,}</dd>" in html
    assert f"<dd>{risk:.3f}</dd>" in html
    assert html.count("<li>") == len(evidence_items(evidence)) > 2
    assert html.count('class="node account') == size
    assert html.count('class="node identifier') == min(
        shared_identifiers(settings, cluster_id), MAX_IDENTIFIERS
    )
    assert html.count('<circle class="signup"') == size
    assert html.count("<tr class=") == size
    # Self-contained: no script, no link or image from anywhere; the SVG namespace is no fetch.
    assert "<script" not in html.lower()
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


def test_big_cluster_is_capped_and_says_so(run, tmp_path):
    settings, _ = run
    cluster_id = flagged(settings, small=False)
    size = query(
        settings, "select size from published.clusters where cluster_id = $c", {"c": cluster_id}
    )[0][0]
    html = write_report(settings.warehouse, cluster_id, tmp_path / "r.html").read_text()
    assert html.count('class="node account') == MAX_MEMBERS
    assert f"{MAX_MEMBERS} of {size} members" in html
    assert html.count("<tr class=") == size


def test_cli_report_writes_the_page_and_rejects_unknown_ids(run, tmp_path, capsys):
    settings, _ = run
    cluster_id = flagged(settings, small=True)
    out = tmp_path / "page.html"
    assert (
        main(["report", cluster_id, "--warehouse", str(settings.warehouse), "--out", str(out)]) == 0
    )
    assert cluster_id in out.read_text()
    capsys.readouterr()
    assert main(["report", "Cnope", "--warehouse", str(settings.warehouse)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "sybil report: no cluster 'Cnope' in published.clusters"


def hostile_report() -> ReportData:
    evil = '<script>alert("x")</script>'
    when = datetime(2026, 1, 1, 12)
    members = tuple(
        Member(
            f"{evil}{i}",
            when,
            '"><img src=x onerror=alert(1)>',
            "free",
            "<b>",
            i == 0,
            False,
            1,
            2,
            3,
            1,
            1,
            10,
            2,
            1,
        )
        for i in range(3)
    )
    ident = Identifier("user_agent", f"Mozilla {evil}", "network", 0.05, 3, 3)
    cluster = Cluster(
        "C<x>",
        3,
        0.99,
        True,
        False,
        "flagged",
        ("identity", "<i>"),
        f"3 accounts; [identity] {evil}; shared: 1 user agent",
        when,
        when,
        3,
        1.0,
        1,
    )
    holdings = tuple((m.account_id, ident.node_id) for m in members)
    return ReportData(cluster, members, (ident,), holdings, ((when, 5),))


def test_every_value_is_escaped():
    html = render_report(hostile_report(), source="<w>.duckdb")
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "<i>" not in html.replace("<i class=", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;0" in html


def test_unknown_cluster_and_missing_tables_are_report_errors(run, tmp_path):
    settings, _ = run
    with pytest.raises(ReportError, match="no cluster 'C000'"):
        write_report(settings.warehouse, "C000", tmp_path / "x.html")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ReportError, match=r"lacks published\.clusters"):
        write_report(empty, "C000", tmp_path / "x.html")
    # A warehouse of an older version: every table, but not the macro that reads values.
    older = tmp_path / "older.duckdb"
    shutil.copy(settings.warehouse, older)
    con = duckdb.connect(str(older))
    con.execute("drop view features.account_key_values")
    con.execute("drop macro table features.account_key_values_of")
    con.close()
    with pytest.raises(ReportError, match=r"lacks features\.account_key_values_of"):
        write_report(older, "C000", tmp_path / "x.html")


# --- rendered in a browser ---------------------------------------------------------------------


@pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed (CI installs it)")
def test_report_renders_in_headless_chromium(run, tmp_path):
    settings, _ = run
    cluster_id = flagged(settings, small=True)
    size = query(
        settings, "select size from published.clusters where cluster_id = $c", {"c": cluster_id}
    )[0][0]
    page = write_report(settings.warehouse, cluster_id, tmp_path / "r.html")
    png = browser.screenshot(page, tmp_path / "r.png", width=1400, height=2200)
    pixels = image.imread(png)
    assert pixels.shape[:2] == (2200, 1400)
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200, "the screenshot is (nearly) blank"
    dom = browser.dump_dom(page)
    svg = re.search(r'<svg id="cluster-graph".*?</svg>', dom, re.DOTALL)
    assert svg is not None
    assert svg.group(0).count('class="node account') == size
    assert svg.group(0).count('class="node identifier') == min(
        shared_identifiers(settings, cluster_id), MAX_IDENTIFIERS
    )
