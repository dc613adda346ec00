"""The analyst views and every example query in sql/queries/, on a small published warehouse
opened read-only, as an analyst would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import workdir
from pipelines.publish.views import BY_CLUSTER, PUBLISHED_VIEWS
from pipelines.settings import Settings
from pipelines.sql import SQL_DIR, load_macros
from sybil.generate import write_world
from sybil.runner import run_pipeline
from sybil.warehouse import open_published, published

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUERIES = sorted((SQL_DIR / "queries").glob("*.sql"))
_PARAM = re.compile(r"\$([a-z_]+)")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("queries")
    raw = root / "raw"
    # Seed 8 at 2,000 accounts has flagged clusters, a review-tier cluster and cross-cluster
    # edges: every query has something to show.
    write_world(raw, 2000, seed=8, dirty_rate=0.002)
    settings = Settings(
        raw_dir=raw,
        warehouse=root / "warehouse.duckdb",
        exports=root / "exports",
        memory_limit="1GB",
        threads=2,
    )
    outcome = run_pipeline(settings)
    assert outcome.success, outcome.reason
    return settings


@pytest.fixture(scope="module")
def params(run: Settings) -> dict[str, object]:
    """A value for every parameter the queries use, picked from the warehouse."""
    with published(run.warehouse) as con:
        cluster_id = con.sql(
            "select cluster_id from published.clusters where flagged "
            "order by size desc, cluster_id limit 1"
        ).fetchall()[0][0]
        # An account in a cluster with edges into at least one other cluster.
        account_id = con.sql(
            "select account_id from published.account_clusters group by account_id "
            "having count(*) > 1 and bool_or(is_member) order by account_id limit 1"
        ).fetchall()[0][0]
    return {
        "cluster_id": cluster_id,
        "account_id": account_id,
        "limit": 5,
        "diff_csv": str(run.exports / "ban_list_diff.csv"),
    }


def run_query(warehouse: Path, path: Path, params: dict[str, object]) -> tuple[list[str], list]:
    sql = path.read_text(encoding="utf-8")
    names = sorted(set(_PARAM.findall(sql)))
    with published(warehouse) as con:
        rel = con.sql(sql, params={name: params[name] for name in names})
        return rel.columns, rel.fetchall()


def test_queries_exist_and_say_what_they_are():
    assert 5 <= len(QUERIES) <= 8
    for path in QUERIES:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("-- "), path.name
        header = [line for line in lines if line.startswith("--")]
        assert any(line.startswith("-- Parameters:") for line in header), path.name
        declared = re.findall(r"\$([a-z_]+)", " ".join(header))
        used = _PARAM.findall("\n".join(line for line in lines if not line.startswith("--")))
        assert set(declared) == set(used), f"{path.name}: header names {declared}, uses {used}"


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_query_returns_rows(run, params, path):
    columns, rows = run_query(run.warehouse, path, params)
    assert rows, f"{path.name} returned nothing"
    assert len(set(columns)) == len(columns)


def test_query_results_agree_with_the_tables(run, params):
    q = {path.stem: path for path in QUERIES}
    with published(run.warehouse) as con:
        size, banned_total = con.sql(
            "select size, (select count(*) from published.ban_list) from published.clusters "
            "where cluster_id = $c",
            params={"c": params["cluster_id"]},
        ).fetchall()[0]
        review_clusters = con.sql(
            "select count(*) from published.clusters where review or (flagged and cluster_id "
            "in (select cluster_id from published.cluster_weak_ties where review))"
        ).fetchall()[0][0]
    _, members = run_query(run.warehouse, q["cluster_members_shared"], params)
    assert len(members) == size
    _, touching = run_query(run.warehouse, q["clusters_touching_account"], params)
    assert [row[1] for row in touching].count(True) == 1  # is_member: exactly one own cluster
    assert touching[0][1] is True
    _, top = run_query(run.warehouse, q["top_flagged_clusters"], params)
    assert len(top) <= 5
    assert [r[2] for r in top] == sorted((r[2] for r in top), reverse=True)
    # First export: every banned account is "added", and the families tally covers them all.
    cols, changes = run_query(run.warehouse, q["ban_list_changes"], params)
    assert {r[cols.index("change")] for r in changes} == {"added"}
    assert sum(r[cols.index("accounts")] for r in changes) == banned_total
    cols, styles = run_query(run.warehouse, q["accounts_by_evidence_families"], params)
    assert sum(r[cols.index("banned_accounts")] for r in styles) == banned_total
    _, queue = run_query(run.warehouse, q["review_queue"], params)
    assert len(queue) == review_clusters


def test_cluster_accounts_shared_identifiers(run):
    with published(run.warehouse) as con:
        assert con.sql("select count(*) from published.cluster_accounts").fetchall() == (
            con.sql("select count(*) from published.cluster_members").fetchall()
        )
        # Oracle: the `email` keys a member shares are its cluster_members.email_key, and the
        # number of members sharing it is a plain count over cluster_members.
        got = con.sql(
            "select a.cluster_id, k.key, any_value(k.members) from published.cluster_accounts a, "
            "unnest(a.shared_keys) as u(k) where k.kind = 'email' group by all order by all"
        ).fetchall()
        want = con.sql(
            "select cluster_id, email_key, count(*) from published.cluster_members "
            "where email_key is not null group by all having count(*) >= 2 order by all"
        ).fetchall()
        assert got == want
        assert got  # the world has farms sharing mailboxes
        # Every listed key is held by 2+ members, and the count column agrees with the list.
        bad = con.sql(
            "select count(*) from published.cluster_accounts "
            "where n_shared_keys != len(shared_keys) "
            "or len(list_filter(shared_keys, lambda k: k.members < 2 or k.holders < k.members))"
            " > 0"
        ).fetchall()[0][0]
        assert bad == 0
        # No raw email address anywhere in the shared values.
        assert con.sql(
            "select count(*) from published.cluster_accounts, unnest(shared_keys) as u(k) "
            "where k.key::varchar like '%@%'"
        ).fetchall() == [(0,)]


def test_account_clusters_matches_the_edges(run, params):
    with published(run.warehouse) as con:
        # Every member has its own cluster, and only one.
        assert (
            con.sql("select count(*) from published.account_clusters where is_member").fetchall()
            == con.sql("select count(*) from published.cluster_members").fetchall()
        )
        # Oracle for one account: its edges, counted per cluster of the other end.
        got = con.sql(
            "select cluster_id, edges from published.account_clusters "
            "where account_id = $a and edges > 0 order by all",
            params={"a": params["account_id"]},
        ).fetchall()
        want = con.sql(
            "select m.cluster_id, count(*) from published.similarity_edges e "
            "inner join published.cluster_members m on m.account_id = case "
            "when e.account_a = $a then e.account_b else e.account_a end "
            "where $a in (e.account_a, e.account_b) group by all order by all",
            params={"a": params["account_id"]},
        ).fetchall()
        assert got == want
        assert len(got) >= 2


def test_published_edges_count_what_they_share_by_kind(run):
    # The kind -> count map names the edge's kinds and adds up to its shared values.
    with published(run.warehouse) as con:
        n, wrong = con.sql(
            "select count(*), count(*) filter (where map_keys(kind_counts) <> kinds "
            "or list_sum(map_values(kind_counts)) <> n_shared "
            "or list_min(map_values(kind_counts)) < 1) from published.similarity_edges"
        ).fetchall()[0]
        several = con.sql(
            "select count(*) from published.similarity_edges where len(kinds) > 1"
        ).fetchall()[0][0]
    assert n > 0
    assert several > 0
    assert wrong == 0


def test_published_edges_decode_the_packed_rows_as_the_pipeline_does(run):
    # Oracle: the view's kinds, families and counts, against the edge words decoded by the
    # pipeline's own macro (sql/macros/edges.sql) and the kinds' families in ref.key_kinds.
    with published(run.warehouse) as con:
        load_macros(con)
        con.execute(
            "create temp table want as select p.account_a, p.account_b, k.kind, k.family, "
            "k.kind_no, edge_kind_count(p.kind_counts_0, p.kind_counts_1, p.kind_counts_2, "
            "p.kind_counts_3, k.kind_no) as n "
            "from published.similarity_edges_packed as p inner join ref.key_kinds as k "
            "on p.kind_mask & (1 << k.kind_no) <> 0"
        )
        con.execute(
            "create temp table got as select account_a, account_b, kinds, families, "
            "unnest(map_entries(kind_counts)) as e from published.similarity_edges"
        )
        counts = "select account_a, account_b, e.key, e.value from got"
        assert con.sql(
            f"select count(*) from ({counts} except all "
            "select account_a, account_b, kind, n from want)"
        ).fetchall() == [(0,)]
        assert con.sql(
            "select count(*) from (select account_a, account_b, kind, n from want "
            f"except all {counts})"
        ).fetchall() == [(0,)]
        lists = (
            "select account_a, account_b, list(kind order by kind), "
            "list(distinct family order by family) from want group by all"
        )
        assert con.sql(
            f"select count(*) from ((select distinct account_a, account_b, kinds, families "
            f"from got) except all ({lists}))"
        ).fetchall() == [(0,)]
        # Kinds of the second packed word are among them (the shift across words is exercised).
        assert con.sql("select count(*) from want where kind_no >= 8").fetchall()[0][0] > 0
        assert (
            con.sql("select count(*) from published.similarity_edges_packed").fetchall()
            == con.sql("select count(*) from published.similarity_edges").fetchall()
        )


def test_cluster_evidence_edges_are_inside_clusters_with_their_values(run):
    with published(run.warehouse) as con:
        n_view, n_empty = con.sql(
            "select count(*), count(*) filter (where len(shared_keys) = 0) "
            "from published.cluster_evidence_edges"
        ).fetchall()[0]
        n_inside = con.sql(
            "select count(*) from published.similarity_edges where cluster_id is not null"
        ).fetchall()[0][0]
        # Every edge was built from values both accounts hold, so none has an empty list.
        assert (n_view, n_empty) == (n_inside, 0)
        outside = con.sql(
            "select count(*) from published.cluster_evidence_edges e "
            "left join published.cluster_members a on a.account_id = e.account_a "
            "left join published.cluster_members b on b.account_id = e.account_b "
            "where a.cluster_id is distinct from e.cluster_id "
            "or b.cluster_id is distinct from e.cluster_id"
        ).fetchall()[0][0]
        assert outside == 0


@pytest.mark.parametrize("view", BY_CLUSTER)
def test_by_cluster_macro_gives_the_views_rows_of_those_clusters(run, view):
    """`published.<view>_of(clusters)` reads only the named clusters' values (the view cannot
    push its filter that far), and must give exactly the view's rows of those clusters: every
    shared value included, none of another cluster's."""
    with published(run.warehouse) as con:
        some = [
            r[0]
            for r in con.sql(
                "(select cluster_id from published.clusters order by size desc, cluster_id "
                "limit 2) union all (select cluster_id from published.clusters where not "
                "flagged order by cluster_id limit 1)"
            ).fetchall()
        ]
        of_some = f"from published.{view}_of(clusters := $c::varchar[])"
        in_view = f"from published.{view} where cluster_id in (select unnest($c::varchar[]))"
        for one, other in ((of_some, in_view), (in_view, of_some)):
            extra = con.sql(
                f"select count(*) from (({one}) except all ({other}))", params={"c": some}
            ).fetchall()[0][0]
            assert extra == 0
        # The same rows when the ids come from a query (the list is then tested as a scalar
        # subquery inside the macro, not as a constant).
        queried = (
            f"from published.{view}_of(clusters := (select list(cluster_id) from "
            "published.clusters where list_contains($c::varchar[], cluster_id)))"
        )
        for one, other in ((of_some, queried), (queried, of_some)):
            extra = con.sql(
                f"select count(*) from (({one}) except all ({other}))", params={"c": some}
            ).fetchall()[0][0]
            assert extra == 0
        rows = con.sql(
            f"select count(*), count(distinct cluster_id), "
            f"count(*) filter (where len(shared_keys) > 0) from ({of_some})",
            params={"c": some},
        ).fetchall()[0]
        assert rows[1] == len(some)
        assert rows[2] > 0
        # No cluster named, no rows; an unknown id is no cluster.
        for ids in ([], ["C-no-such-cluster"]):
            assert con.sql(
                f"select count(*) from published.{view}_of(clusters := $c::varchar[])",
                params={"c": ids},
            ).fetchall() == [(0,)]


def test_views_are_in_the_published_warehouse(run):
    with published(run.warehouse) as con:
        views = {
            row[0]
            for row in con.sql(
                "select view_name from duckdb_views() where schema_name = 'published' "
                "and not internal"
            ).fetchall()
        }
        macros = {
            row[0]
            for row in con.sql(
                "select function_name from duckdb_functions() where schema_name = 'published' "
                "and function_type = 'table_macro'"
            ).fetchall()
        }
    # Ours, and the history stage's view of newly flagged clusters.
    assert views == {*PUBLISHED_VIEWS, "new_flagged_clusters"}
    assert macros == {*(f"{view}_of" for view in BY_CLUSTER), "flagged_since"}


def test_reader_works_while_a_writer_holds_the_work_database(run):
    """The run's writer holds work.duckdb; readers open the warehouse, a different file.

    The publish left the two as one file (a link); the writer connects as every step does, through
    the Warehouse resource, which gives the work database its own copy before writing."""
    work_db = workdir.work_db(run.work)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pipelines.resources import Warehouse; "
            "w = Warehouse(path=sys.argv[1], work_dir=sys.argv[2], threads=1); "
            "cm = w.connect(); con = cm.__enter__(); "
            "con.execute('create or replace table main.held as select 1 as x'); "
            "print('ready', flush=True); sys.stdin.read()",
            str(run.warehouse),
            str(run.work),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        # The work database is locked: even a read-only connection is refused...
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(work_db), read_only=True)
        # ...while the warehouse opens at once, read-only, and answers.
        con = open_published(run.warehouse, timeout=0)
        try:
            flagged = con.sql("select count(*) from published.clusters where flagged")
            assert flagged.fetchall()[0][0] > 0
        finally:
            con.close()
    finally:
        for stream in (holder.stdin, holder.stdout):
            if stream:
                stream.close()
        holder.wait(timeout=30)
