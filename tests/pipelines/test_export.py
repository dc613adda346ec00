"""Enforcement exports: dated copy, diff, review queue and the max_ban_share guard.

Unit tests build the few published and staging tables the exports read, by hand, in a DuckDB
file; one integration test holds a real run's ban list back through the CLI.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import export
from pipelines.publish.views import view_sql
from pipelines.sql import read_sql

# Ten active accounts (a0..a9) and two without any session or API use (i0, i1).
# Clusters: F1 flagged (a0 a1 a2), F2 flagged (a3 a4), R1 review (a5 a6 a7), R2 review (a8 a9),
# C1 clear (i0 i1). Accounts weakly tied to a cluster (pruned out of it): w0, w3 and w4 to F1,
# w1 to R1, w2 to C1; only a flagged cluster's weak ties are worth a review, and only those
# tied by more than the floor (w4 is not: review false).
CLUSTERS = [
    ("F1", 3, 0.99, True, False, ["identity", "payment"], "3 accounts; [identity] one mailbox"),
    ("F2", 2, 0.95, True, False, ["network", "timing"], "2 accounts; [network] one device"),
    ("R1", 3, 0.60, False, True, ["network"], "3 accounts; [network] one office IP"),
    ("R2", 2, 0.70, False, True, ["payment"], "2 accounts; [payment] one card"),
    ("C1", 2, 0.01, False, False, [], "2 accounts"),
]
MEMBERS = {
    "F1": ["a0", "a1", "a2"],
    "F2": ["a3", "a4"],
    "R1": ["a5", "a6", "a7"],
    "R2": ["a8", "a9"],
    "C1": ["i0", "i1"],
}
WEAK_TIES = [
    ("F1", "w0", 0.35, True),
    ("F1", "w3", 0.5, True),
    ("F1", "w4", 0.15, False),
    ("R1", "w1", 0.35, True),
    ("C1", "w2", 0.5, True),
]
ACTIVE = [f"a{i}" for i in range(10)]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    for schema in ("staging", "published"):
        connection.execute(f"create schema {schema}")
    accounts = [*ACTIVE, "i0", "i1"]
    connection.execute(
        "create table staging.signups as select i::integer as account_idx, a as account_id, "
        "timestamp '2026-03-01 10:00:00' + to_hours(i) as created_at "
        "from unnest($a) with ordinality as t(a, i)",
        {"a": accounts},
    )
    # The latest event is a session on 2026-03-07, after every sign-up and payment.
    connection.execute(
        "create table staging.sessions as select account_idx, "
        "timestamp '2026-03-02 00:00:00' + to_days(account_idx % 6) as ts "
        "from staging.signups where account_id like 'a%'"
    )
    connection.execute(
        "create table staging.api_usage as select account_idx, "
        "timestamp '2026-03-03 00:00:00' as hour from staging.signups where account_id = 'a0'"
    )
    connection.execute(
        "create table staging.payments as select account_idx, "
        "timestamp '2026-03-04 00:00:00' as created_at from staging.signups limit 1"
    )
    connection.execute("create table staging.allowlist (account_id varchar)")
    connection.execute(
        "create table published.clusters (cluster_id varchar, size bigint, risk_score double, "
        "flagged boolean, review boolean, families varchar[], evidence varchar)"
    )
    connection.executemany("insert into published.clusters values (?, ?, ?, ?, ?, ?, ?)", CLUSTERS)
    connection.execute(
        "create table published.cluster_members (cluster_id varchar, account_id varchar)"
    )
    connection.executemany(
        "insert into published.cluster_members values (?, ?)",
        [(cluster, account) for cluster, accounts in MEMBERS.items() for account in accounts],
    )
    connection.execute(
        "create table published.cluster_weak_ties "
        "(cluster_id varchar, account_id varchar, tie_strength double, review boolean)"
    )
    connection.executemany("insert into published.cluster_weak_ties values (?, ?, ?, ?)", WEAK_TIES)
    rebuild_ban_list(connection)
    connection.execute(
        f"create view published.review_queue as {read_sql(view_sql('review_queue'))}"
    )
    yield connection
    connection.close()


def rebuild_ban_list(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create or replace table published.ban_list as {read_sql('publish/ban_list')}")


def publish(con: duckdb.DuckDBPyConnection, exports: Path, share: float = 0.5):
    """Stage the exports and rename them into place, as the publish step does."""
    plan = export.stage_exports(con, exports, max_ban_share=share)
    for staged, final in plan.staged.items():
        os.replace(staged, final)
    plan.remove_obsolete()
    return plan


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_export_writes_the_list_its_dated_copy_and_an_all_added_diff(con, tmp_path):
    exports = tmp_path / "exports"
    plan = publish(con, exports)
    ban_list = exports / "ban_list.csv"
    assert ban_list.read_text().splitlines()[0] == "account_id,cluster_id,risk_score,reason"
    assert [r["account_id"] for r in rows(ban_list)] == ["a0", "a1", "a2", "a3", "a4"]
    # Named after the data's last event (a session on 2026-03-07), not today's date.
    dated = exports / "history" / "ban_list-2026-03-07.csv"
    assert plan.dated_copy == dated
    assert sha(dated) == sha(ban_list)
    diff = rows(exports / "ban_list_diff.csv")
    assert {(r["account_id"], r["change"]) for r in diff} == {
        (a, "added") for a in ["a0", "a1", "a2", "a3", "a4"]
    }
    assert sorted(p.name for p in exports.rglob("*")) == [
        "ban_list-2026-03-07.csv",
        "ban_list.csv",
        "ban_list_diff.csv",
        "history",
        "review_queue.csv",
    ]


def test_rerun_on_the_same_data_replaces_the_dated_copy_and_changes_nothing(con, tmp_path):
    exports = tmp_path / "exports"
    publish(con, exports)
    first = sha(exports / "ban_list.csv")
    plan = publish(con, exports)
    assert (plan.added, plan.removed) == (0, 0)
    assert sha(exports / "ban_list.csv") == first
    assert [p.name for p in (exports / "history").iterdir()] == ["ban_list-2026-03-07.csv"]
    assert rows(exports / "ban_list_diff.csv") == []


def test_diff_after_the_allowlist_and_the_clusters_change(con, tmp_path):
    exports = tmp_path / "exports"
    publish(con, exports)
    # a1 is verified now, F2 is no longer flagged, R2 is.
    con.execute("insert into staging.allowlist values ('a1')")
    con.execute(
        "update published.clusters set flagged = (cluster_id in ('F1', 'R2')), "
        "review = (cluster_id = 'R1')"
    )
    rebuild_ban_list(con)
    plan = publish(con, exports)
    diff = rows(exports / "ban_list_diff.csv")
    assert [(r["change"], r["cluster_id"], r["account_id"], r["risk_score"]) for r in diff] == [
        ("added", "R2", "a8", "0.7"),
        ("added", "R2", "a9", "0.7"),
        ("removed", "F1", "a1", "0.99"),
        ("removed", "F2", "a3", "0.95"),
        ("removed", "F2", "a4", "0.95"),
    ]
    assert (plan.added, plan.removed) == (2, 3)
    assert [r["account_id"] for r in rows(exports / "ban_list.csv")] == ["a0", "a2", "a8", "a9"]


def test_diff_against_a_tampered_previous_file(con, tmp_path):
    exports = tmp_path / "exports"
    publish(con, exports)
    ban_list = exports / "ban_list.csv"
    lines = ban_list.read_text().splitlines(keepends=True)
    # Someone removed a2 by hand and added an account of their own, with a quoted reason.
    tampered = [line for line in lines if not line.startswith("a2,")]
    tampered.append('zz9,F9,0.5,"hand-added, ""urgent"""\n')
    ban_list.write_text("".join(tampered))
    publish(con, exports)
    diff = rows(exports / "ban_list_diff.csv")
    assert [(r["change"], r["account_id"], r["cluster_id"]) for r in diff] == [
        ("added", "a2", "F1"),
        ("removed", "zz9", "F9"),
    ]


def test_a_previous_file_that_is_not_a_ban_list_stops_the_export(con, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "ban_list.csv").write_text("id;cluster\nx;y\n")
    with pytest.raises(export.ExportError, match="does not start with the header"):
        export.stage_exports(con, exports, max_ban_share=0.5)
    assert (exports / "ban_list.csv").read_text() == "id;cluster\nx;y\n"
    assert not list(exports.glob(".*.tmp"))


def test_review_queue_lists_review_members_and_weak_ties_riskiest_first(con, tmp_path):
    exports = tmp_path / "exports"
    con.execute("insert into staging.allowlist values ('a6')")
    plan = publish(con, exports)
    queue = rows(exports / "review_queue.csv")
    assert list(queue[0]) == [
        "cluster_id",
        "account_id",
        "risk_score",
        "cluster_size",
        "families",
        "evidence",
        "allowlisted",
        "tie",
        "tie_strength",
    ]
    # The weak ties of flagged F1 (0.99; its members are banned, not queued), strongest first,
    # but for w4 (below the floor); then R2 (0.70) before R1 (0.60); weak ties of review and
    # clear clusters are not in the queue, nor are clear clusters.
    assert [(r["cluster_id"], r["account_id"], r["allowlisted"], r["tie"]) for r in queue] == [
        ("F1", "w3", "false", "weak"),
        ("F1", "w0", "false", "weak"),
        ("R2", "a8", "false", "member"),
        ("R2", "a9", "false", "member"),
        ("R1", "a5", "false", "member"),
        ("R1", "a6", "true", "member"),
        ("R1", "a7", "false", "member"),
    ]
    assert [r["tie_strength"] for r in queue[:3]] == ["0.5", "0.35", ""]
    assert queue[2]["evidence"] == "2 accounts; [payment] one card"
    assert (plan.review_rows, plan.review_clusters) == (7, 3)


def test_active_accounts_are_signups_with_sessions_or_api_use(con, tmp_path):
    plan = publish(con, tmp_path / "exports")
    assert (plan.active_accounts, plan.banned) == (10, 5)
    assert plan.ban_share == pytest.approx(0.5)
    # An input without sessions or API usage says nothing about activity: every sign-up counts.
    con.execute("delete from staging.sessions")
    con.execute("delete from staging.api_usage")
    plan = publish(con, tmp_path / "exports")
    assert plan.active_accounts == 12


def test_guard_holds_a_list_that_bans_too_many(con, tmp_path):
    exports = tmp_path / "exports"
    publish(con, exports)  # 5 of 10 active accounts: allowed at 0.5
    before = {p.name: sha(p) for p in exports.rglob("*.csv")}
    # Now R1 and R2 are flagged too: 10 of 10 active accounts.
    con.execute(
        "update published.clusters set flagged = true, review = false where cluster_id like 'R%'"
    )
    rebuild_ban_list(con)
    plan = publish(con, exports, share=0.5)
    assert plan.held
    assert plan.held_message() == (
        "ban list held back: it would ban 10 accounts, 100.0% of 10 active accounts, above "
        "max_ban_share 0.5; the previous ban_list.csv is unchanged; see "
        f"{exports / 'held' / 'ban_list.csv'}; raise SYBIL_MAX_BAN_SHARE (or --max-ban-share) "
        "to release it"
    )
    after = {p.name: sha(p) for p in exports.rglob("*.csv") if p.parent.name != "held"}
    # The list in force, its diff and its history are untouched; the review queue is new.
    assert {k: v for k, v in after.items() if k != "review_queue.csv"} == {
        k: v for k, v in before.items() if k != "review_queue.csv"
    }
    held = rows(exports / "held" / "ban_list.csv")
    assert len(held) == 10
    assert {r["change"] for r in rows(exports / "held" / "ban_list_diff.csv")} == {"added"}
    # Every cluster but C1 is flagged now: the queue holds their weak ties only.
    assert [r["account_id"] for r in rows(exports / "review_queue.csv")] == ["w3", "w0", "w1"]
    # Raised limit: the list goes out, its diff is against the list that was in force, and
    # the held files go away.
    plan = publish(con, exports, share=1.0)
    assert not plan.held
    assert len(rows(exports / "ban_list.csv")) == 10
    assert (plan.added, plan.removed) == (5, 0)
    assert not (exports / "held").exists()


def test_guard_on_the_first_run_says_no_list_was_written(con, tmp_path):
    exports = tmp_path / "exports"
    plan = publish(con, exports, share=0.2)
    assert plan.held
    assert "no ban_list.csv was written" in plan.held_message()
    assert not (exports / "ban_list.csv").exists()
    assert not (exports / "history").exists()
    assert len(rows(exports / "held" / "ban_list.csv")) == 5


def test_stale_temporary_files_are_removed(con, tmp_path):
    exports = tmp_path / "exports"
    (exports / "history").mkdir(parents=True)
    stale = [exports / ".ban_list.csv.123.tmp", exports / "history" / ".ban_list-x.csv.9.tmp"]
    for path in stale:
        path.write_text("half")
    publish(con, exports)
    assert not any(path.exists() for path in stale)
    assert not list(exports.rglob(".*.tmp"))


@pytest.mark.integration
@pytest.mark.slow
def test_a_held_run_publishes_the_warehouse_keeps_the_ban_list_and_says_why(tmp_path, capsys):
    from sybil.cli import main
    from sybil.generate import write_world
    from sybil.warehouse import published

    raw, warehouse, exports = tmp_path / "raw", tmp_path / "w.duckdb", tmp_path / "exports"
    write_world(raw, 2000, seed=8, dirty_rate=0.002)
    args = ["run", "--raw", str(raw), "--warehouse", str(warehouse), "--exports", str(exports)]
    assert main([*args, "--quiet", "--threads", "2"]) == 0
    ban_list = exports / "ban_list.csv"
    before, inode = sha(ban_list), warehouse.stat().st_ino
    capsys.readouterr()

    assert main([*args, "--quiet", "--threads", "2", "--max-ban-share", "0.05"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("sybil run: failed at published: ban list held back: it would ban ")
    assert "active accounts, above max_ban_share 0.05; the previous ban_list.csv is unchanged" in (
        err
    )
    assert "(the warehouse and exports are unchanged)" not in err
    # The list in force is untouched; the would-be list (same data, so the same rows) is held.
    assert sha(ban_list) == before
    assert sha(exports / "held" / "ban_list.csv") == before
    # The warehouse was replaced and shows the list that was held back.
    assert warehouse.stat().st_ino != inode
    with published(warehouse) as con:
        held_rows = con.sql("select count(*) from published.ban_list").fetchall()[0][0]
    assert held_rows == len(rows(ban_list)) > 0
