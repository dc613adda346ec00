"""Enforcement exports: the ban list, its dated copy, what changed, the review queue, a guard.

Every file is written here under a temporary name beside its final one; the publish step
renames them into place right after the warehouse (`snapshot.publish_file`), so a reader never
sees half a file and an export never appears before the tables that explain it.

- `ban_list.csv`: the contract's file, unchanged (flagged members minus the allowlist).
- `history/ban_list-<as-of>.csv`: the same bytes, named after the data's as-of day (the latest
  valid event in the input, not the wall clock): a rerun on the same data replaces it.
- `ban_list_diff.csv`: accounts added to and removed from the ban list since the ban_list.csv
  that was in place before this run (on the first run, every account is added).
- `review_queue.csv`: members of review-tier clusters and accounts weakly tied to flagged
  ones, riskiest cluster first, and a cluster's weak ties strongest first.
- The guard: a ban list that would ban more than `max_ban_share` of the active accounts is held
  back. The previous ban_list.csv (and its diff and history) stay as they were, the would-be
  list and diff go to `held/` for inspection, the warehouse is still published so analysts can
  see why, and the run fails with one line saying so.
"""

import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.sql import read_sql

BAN_LIST_FILE = "ban_list.csv"
DIFF_FILE = "ban_list_diff.csv"
REVIEW_FILE = "review_queue.csv"
HISTORY_DIR = "history"
HELD_DIR = "held"
HELD_PREFIX = "ban list held back"
BAN_LIST_HEADER = ("account_id", "cluster_id", "risk_score", "reason")

_BAN_LIST_SQL = (
    "select account_id, cluster_id, risk_score, reason from published.ban_list "
    "order by cluster_id, account_id"
)
_REVIEW_SQL = (
    "select cluster_id, account_id, risk_score, cluster_size, "
    "array_to_string(families, ';') as families, evidence, allowlisted, tie, tie_strength "
    "from published.review_queue "
    # A cluster's rows are all members (review tier) or all weak ties (flagged), these strongest
    # first.
    "order by risk_score desc, cluster_size desc, cluster_id, tie_strength desc nulls last, "
    "account_id"
)


class ExportError(ValueError):
    """An export cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ExportPlan:
    """The staged exports (temporary name -> final name, in rename order) and the figures that
    explain them; `held` says the guard kept the new ban list back."""

    staged: dict[Path, Path]
    exports: Path
    as_of: date | None
    active_accounts: int
    banned: int
    max_ban_share: float
    added: int
    removed: int
    had_previous: bool
    review_rows: int
    review_clusters: int
    obsolete: list[Path] = field(default_factory=list)

    @property
    def ban_share(self) -> float:
        if self.active_accounts:
            return self.banned / self.active_accounts
        return float("inf") if self.banned else 0.0

    @property
    def held(self) -> bool:
        return self.ban_share > self.max_ban_share

    @property
    def dated_copy(self) -> Path:
        return self.exports / HISTORY_DIR / f"ban_list-{self.as_of or 'undated'}.csv"

    def held_message(self) -> str:
        held = self.exports / HELD_DIR / BAN_LIST_FILE
        previous = (
            f"the previous {BAN_LIST_FILE} is unchanged"
            if self.had_previous
            else f"no {BAN_LIST_FILE} was written"
        )
        return (
            f"{HELD_PREFIX}: it would ban {self.banned:,} accounts, {_percent(self.ban_share)} "
            f"of {self.active_accounts:,} active accounts, above max_ban_share "
            f"{self.max_ban_share:g}; {previous}; see {held}; raise SYBIL_MAX_BAN_SHARE "
            "(or --max-ban-share) to release it"
        )

    def remove_obsolete(self) -> None:
        """After the renames: a held list from an earlier run no longer applies."""
        for path in self.obsolete:
            path.unlink(missing_ok=True)
        held = self.exports / HELD_DIR
        if held.is_dir() and not any(held.iterdir()):
            held.rmdir()


def stage_exports(
    con: duckdb.DuckDBPyConnection, exports: Path, *, max_ban_share: float
) -> ExportPlan:
    """Write every export of this run under a temporary name, from `published.*` in `con`.

    Reads the ban_list.csv in place first (the diff's base). Nothing final is touched here: the
    caller renames `plan.staged` into place after the warehouse.
    """
    clear_stale(exports)
    exports.mkdir(parents=True, exist_ok=True)
    previous = exports / BAN_LIST_FILE
    had_previous = previous.is_file()
    _load_previous(con, previous if had_previous else None)
    as_of, active, banned = con.sql(read_sql("exports/ban_guard")).fetchall()[0]
    diff = read_sql("exports/ban_list_diff")
    added, removed = con.sql(
        "select count(*) filter (where change = 'added'), "
        f"count(*) filter (where change = 'removed') from ({diff})"
    ).fetchall()[0]
    review_rows, review_clusters = con.sql(
        "select count(*), count(distinct cluster_id) from published.review_queue"
    ).fetchall()[0]
    plan = ExportPlan(
        staged={},
        exports=exports,
        as_of=as_of,
        active_accounts=int(active),
        banned=int(banned),
        max_ban_share=max_ban_share,
        added=int(added),
        removed=int(removed),
        had_previous=had_previous,
        review_rows=int(review_rows),
        review_clusters=int(review_clusters),
    )
    held_dir = exports / HELD_DIR
    if plan.held:
        held_dir.mkdir(exist_ok=True)
        plan.staged[_copy(con, _BAN_LIST_SQL, held_dir / BAN_LIST_FILE)] = held_dir / BAN_LIST_FILE
        plan.staged[_copy(con, diff, held_dir / DIFF_FILE)] = held_dir / DIFF_FILE
    else:
        ban_list = _copy(con, _BAN_LIST_SQL, previous)
        plan.staged[ban_list] = previous
        plan.staged[_copy(con, diff, exports / DIFF_FILE)] = exports / DIFF_FILE
        plan.dated_copy.parent.mkdir(exist_ok=True)
        dated = _temp_name(plan.dated_copy)
        shutil.copyfile(ban_list, dated)
        plan.staged[dated] = plan.dated_copy
        plan.obsolete.extend([held_dir / BAN_LIST_FILE, held_dir / DIFF_FILE])
    plan.staged[_copy(con, _REVIEW_SQL, exports / REVIEW_FILE)] = exports / REVIEW_FILE
    con.execute("drop table if exists temp.main.previous_ban_list")
    return plan


def materializations(plan: ExportPlan) -> list[dg.MaterializeResult]:
    """What the UI shows for each export; a held ban list and its diff are not materialized
    (the files in force did not change)."""
    results = []
    guard: dict[str, object] = {
        "as_of": str(plan.as_of),
        "active_accounts": plan.active_accounts,
        "max_ban_share": plan.max_ban_share,
    }
    if plan.active_accounts:
        guard["ban_share"] = round(plan.ban_share, 4)
    if not plan.held:
        results += [
            dg.MaterializeResult(
                asset_key=["exports", "ban_list_csv"],
                metadata={
                    "rows": plan.banned,
                    "path": str((plan.exports / BAN_LIST_FILE).resolve()),
                    "dated_copy": str(plan.dated_copy.resolve()),
                    **guard,
                },
            ),
            dg.MaterializeResult(
                asset_key=["exports", "ban_list_diff_csv"],
                metadata={
                    "rows": plan.added + plan.removed,
                    "added": plan.added,
                    "removed": plan.removed,
                    "first_export": not plan.had_previous,
                    "path": str((plan.exports / DIFF_FILE).resolve()),
                },
            ),
        ]
    results.append(
        dg.MaterializeResult(
            asset_key=["exports", "review_queue_csv"],
            metadata={
                "rows": plan.review_rows,
                "clusters": plan.review_clusters,
                "path": str((plan.exports / REVIEW_FILE).resolve()),
            },
        )
    )
    return results


def clear_stale(exports: Path) -> None:
    """Remove the temporary files a killed run left (the caller holds the run lock)."""
    for folder in (exports, exports / HISTORY_DIR, exports / HELD_DIR):
        if folder.is_dir():
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)


def _load_previous(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """The previous ban list as the temporary table `previous_ban_list` (text columns), empty
    on the first run. A file that is not a ban list stops the run: a diff against it would
    miss the accounts to unban."""
    columns = ", ".join(f"{name} varchar" for name in BAN_LIST_HEADER)
    con.execute(f"create or replace temp table previous_ban_list ({columns})")
    if path is None:
        return
    try:
        with path.open(encoding="utf-8") as f:
            header = f.readline().strip().lstrip("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"previous ban list {path} cannot be read: {exc}") from None
    if tuple(header.split(",")) != BAN_LIST_HEADER:
        raise ExportError(
            f"previous ban list {path} does not start with the header "
            f"{','.join(BAN_LIST_HEADER)} (found {header[:80]!r}); the diff needs it: "
            "restore it or move it aside (then every account counts as added)"
        )
    try:
        con.execute(
            f"insert into previous_ban_list select {', '.join(BAN_LIST_HEADER)} "
            "from read_csv($path, header = true, all_varchar = true, delimiter = ',', "
            "quote = '\"', escape = '\"')",
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0]
        raise ExportError(f"previous ban list {path} cannot be parsed: {message}") from None


def _copy(con: duckdb.DuckDBPyConnection, sql: str, final: Path) -> Path:
    """Write the rows of `sql` as CSV under a temporary name beside `final`; return that name."""
    staged = _temp_name(final)
    con.execute(
        f"copy ({sql}) to $path (header true, delimiter ',')",
        {"path": str(staged)},
    )
    return staged


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def _percent(share: float) -> str:
    return f"{share:.1%}" if share != float("inf") else "all"
