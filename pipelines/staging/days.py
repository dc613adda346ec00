"""The event tables by day: a store that keeps each day's typed rows from run to run.

Payments, sessions and API usage grow by a day at a time, and typing and normalizing their rows
(timestamps, IPs, fingerprints, card checks) is most of what staging costs. So their rows are typed
once per day, by the daily partitions of `store/<table>`, into `store.<table>` (the private
`store.duckdb` of the work folder, which outlives the run's work database). A run then stages
every stored day plus the rows that belong to no day (time missing, unparseable or out of range:
typed by every run from the input, and quarantined) with the checks that depend on the sign-ups
(`sql/staging/<table>_checked.sql`), which every drop may change. The staging tables come out the
same as if every row had been typed by this run.

Which days a run must (re)load is decided by content, not by dates: `store.partitions` keeps,
per table and day, the row count and a fingerprint (a hash over every column and row number of
that day's raw rows) and the version of the code that typed them. A day of the input whose
fingerprint or code differs from the stored one is stale, and so is a stored day the input no
longer has; `stale_days` lists them, `sybil run`, the schedule and the sensor load exactly those,
and the staging step refuses to run on a store that does not match its input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.ingest.contract import INPUT_TABLES
from pipelines.ingest.reader import InputError, card_checked_select
from pipelines.sql import SQL_DIR, quote_ident, read_sql, sql_string

# Each event table and the column that dates its rows.
EVENT_TABLES: dict[str, str] = {"payments": "created_at", "sessions": "ts", "api_usage": "hour"}
# The first daily partition: the earliest time `ts_plausible` accepts (sql/macros/time.sql).
FIRST_DAY = date(2000, 1, 1)
# Input columns whose values repeat across millions of rows and cost to normalize: before the
# typing, each distinct text of the rows being typed is normalized once into a temporary table
# (name, SQL) that `sql/staging/<table>_typed.sql` (for the sign-ups, `signups_checked.sql`)
# joins on the raw text.
VALUE_TABLES: dict[str, tuple[str, str]] = {
    # 1.3M distinct IPs among 13M sessions at 1M accounts.
    "ip": ("ip_values", "staging/ip_values"),
    # 8,000 distinct billing names among 2.6M payments: their keyed hash per row cost 1.7 s.
    "billing_name": ("billing_name_keys", "staging/billing_name_keys"),
}
# Bump when the Python side of typing changes what is stored (the SQL is fingerprinted itself).
STORE_VERSION = 1


class StoreStaleError(RuntimeError):
    """The store does not hold the input's days as they are now; the message says which."""


@dataclass(frozen=True)
class DaysLoaded:
    days: int  # days with rows
    rows: int


def last_day(today: date | None = None) -> date:
    """The last daily partition: today (UTC), whose partition fills up as the day goes on."""
    return today or datetime.now(UTC).date()


def code_version(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """What typed a table's stored rows: its typed SQL, the IP normalization, the macros, and
    the keyed-hash secret in use (a digest of it: billing names are stored as keyed hashes)."""
    digest = hashlib.sha256(str(STORE_VERSION).encode())
    secret = con.sql("select hash(getvariable('sybil_hmac_inner'))").fetchall()[0][0]
    digest.update(str(secret).encode())
    paths = [SQL_DIR / "staging" / f"{table}_typed.sql"]
    # Only the value tables of the table's own columns: a new one for payments does not make
    # every stored day of sessions stale.
    paths += [
        SQL_DIR / f"{sql}.sql"
        for column, (_, sql) in VALUE_TABLES.items()
        if column in INPUT_TABLES[table].columns
    ]
    paths += sorted((SQL_DIR / "macros").glob("*.sql"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def has_partitions(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the attached store has its `partitions` table (a store a run opened but never
    loaded has not)."""
    return _exists(con, "store", "partitions")


def _exists(con: duckdb.DuckDBPyConnection, database: str, name: str, views: bool = False) -> bool:
    """Whether `database` has a table (or, with `views`, a view) called `name`."""
    found = con.sql(
        "select count(*) from duckdb_tables() where database_name = $d and table_name = $n"
        + (
            " union all select count(*) from duckdb_views() where database_name = $d "
            "and view_name = $n"
            if views
            else ""
        ),
        params={"d": database, "n": name},
    ).fetchall()
    return any(int(r[0]) for r in found)


def ensure_store(con: duckdb.DuckDBPyConnection) -> None:
    """Create `store.partitions` when missing (a read-only store must have it already)."""
    if has_partitions(con):
        return
    con.execute(
        "create table if not exists store.partitions (table_name varchar, day date, rows bigint, "
        "fingerprint ubigint, code varchar, loaded_at timestamp, run_id varchar)"
    )


def _check(table: str) -> str:
    if table not in EVENT_TABLES:
        raise ValueError(f"not an event table: {table!r}")
    return EVENT_TABLES[table]


def _time_cast(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The SQL type of `raw.<table>`'s time column when it is a timestamp (Parquet), else None."""
    kind = con.sql(
        "select data_type from duckdb_columns() where database_name = 'raw' "
        "and table_name = $t and column_name = $c",
        params={"t": table, "c": _check(table)},
    ).fetchall()
    return {"TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz"}.get(
        str(kind[0][0]) if kind else ""
    )


def _dated(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL: the raw row's day is between $first and $last. On a timestamp column (Parquet) a
    plain range on the column comes first, so that files and row groups of other days are
    skipped by their min/max statistics (a drop of one file per day reads one file)."""
    column = _check(table)
    dated = f"event_day({column}) between $first and $last"
    cast = _time_cast(con, table)
    if cast is None:
        return dated
    return f"{_in_range(column, cast)} and {dated}"


def _in_range(column: str, cast: str) -> str:
    """SQL: a timestamp column within $first..$last, compared as it is (inside the plausible
    years, so every such row has a day)."""
    return f"{column} >= $first::{cast} and {column} < ($last + 1)::{cast}"


def _undated(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL: the raw row has no day between $first and $last (the complement of `_dated`). On a
    timestamp column that is exactly "null or outside the range" ($first..$last lies within
    the plausible years), which min/max statistics can answer for whole files."""
    column = _check(table)
    cast = _time_cast(con, table)
    if cast is None:
        return f"not coalesce({_dated(con, table)}, false)"
    return f"({column} is null or {column} < $first::{cast} or {column} >= ($last + 1)::{cast})"


def input_days(
    con: duckdb.DuckDBPyConnection, table: str, first: date, last: date
) -> list[tuple[date, int, int]]:
    """(day, rows, fingerprint) of each day of `raw.<table>` between first and last.

    Every day's fingerprint is computed in one pass over the input and kept in
    `raw.<table>_days`, which loading the input again drops: the partition step and the staging
    step of a run read the input for it once. A Parquet input (a file or a folder of files) is
    fingerprinted per file, and only the files not seen before are read (`_days_by_file`)."""
    _check(table)
    cache = f"raw.{table}_days"
    if not _exists(con, "raw", f"{table}_days"):
        column = EVENT_TABLES[table]
        bounds = {"first": FIRST_DAY, "last": last_day()}
        if _exists(con, "raw", f"{table}_parts", views=True):
            _days_by_file(con, table, bounds)
        else:
            con.execute(
                f"create table {cache} as select event_day({column}) as day, count(*) as rows, "
                f"bit_xor(hash(r)) as fingerprint from raw.{table} as r "
                f"where {_dated(con, table)} group by day",
                bounds,
            )
    rows = con.sql(
        f"select day, rows, fingerprint from {cache} where day between $first and $last "
        "order by day",
        params={"first": first, "last": last},
    ).fetchall()
    return [(d, int(n), int(f)) for d, n, f in rows]


def _days_by_file(con: duckdb.DuckDBPyConnection, table: str, bounds: dict[str, object]) -> None:
    """`raw.<table>_days` for a Parquet input, from the days of each of its files.

    A day's fingerprint is a `bit_xor` over its rows, so it is the `bit_xor` of its files' parts,
    and a file's part depends only on its content and where its numbering starts. Those parts are
    kept in `store.file_days`, keyed by path, size, modification time, first row and the input's
    columns: a daily run reads only the files that are new or changed (the day just dropped), not
    the whole history. A file rewritten in place with the same size and modification time to the
    nanosecond would be taken as unchanged; producers that rewrite files keep neither."""
    files = con.sql(f"select file, rows_before from raw.{table}_files order by file").fetchall()
    # Looked at before anything reads the input's view, which fails on a file gone.
    keys = []
    for file, rows_before in files:
        try:
            stat = Path(file).stat()
        except OSError as exc:
            raise InputError(
                f"{table}: {file} was read when the run started and is gone now ({exc.strerror}); "
                "leave the input in place until the run ends"
            ) from None
        keys.append((str(file), stat.st_size, stat.st_mtime_ns, int(rows_before)))
    columns = con.sql(f"describe raw.{table}").fetchall()
    signature = hashlib.sha256(repr([(c[0], c[1]) for c in columns]).encode()).hexdigest()[:16]
    con.execute(
        "create or replace temp table _file_keys "
        "(file varchar, size bigint, mtime_ns bigint, rows_before bigint)"
    )
    if keys:
        con.executemany("insert into _file_keys values (?, ?, ?, ?)", keys)
    writable = not con.sql(
        "select readonly from duckdb_databases() where database_name = 'store'"
    ).fetchall()[0][0]
    if writable:
        con.execute(
            "create table if not exists store.file_days (table_name varchar, file varchar, "
            "size bigint, mtime_ns bigint, rows_before bigint, columns varchar, day date, "
            "rows bigint, fingerprint ubigint)"
        )
    con.execute(
        "create or replace temp table _file_days "
        "(file varchar, day date, rows bigint, fingerprint ubigint)"
    )
    if _exists(con, "store", "file_days"):  # a read-only store may predate it
        con.execute(
            "insert into _file_days select c.file, c.day, c.rows, c.fingerprint "
            "from store.file_days as c "
            "inner join _file_keys as k using (file, size, mtime_ns, rows_before) "
            "where c.table_name = $t and c.columns = $sig",
            {"t": table, "sig": signature},
        )
    # Files read now: one row per (file, day), and a row without a day for a file with no dated
    # row, so that it is not read again either. The files are named as constants, which is what
    # lets the scan skip the others.
    cached = {str(r[0]) for r in con.sql("select distinct file from _file_days").fetchall()}
    missing = [k[0] for k in keys if k[0] not in cached]
    if missing:
        only = (
            "_sybil_file in (" + ", ".join(sql_string(f) for f in missing) + ") and "
            if cached
            else ""
        )
        names = ", ".join(quote_ident(str(c[0])) for c in columns)
        con.execute(
            "insert into _file_days "
            "select k.file, d.day, coalesce(d.rows, 0), d.fingerprint from _file_keys as k "
            "left join (select _sybil_file as file, event_day("
            f"{EVENT_TABLES[table]}) as day, count(*) as rows, bit_xor(hash(row({names}))) "
            f"as fingerprint from raw.{table}_parts where {only}{_dated(con, table)} "
            "group by all) as d using (file) "
            "where k.file in (select unnest($missing::varchar[]))",
            {**bounds, "missing": missing},
        )
    if writable:
        con.execute("delete from store.file_days where table_name = $t", {"t": table})
        con.execute(
            "insert into store.file_days select $t, file, k.size, k.mtime_ns, k.rows_before, $sig, "
            "day, rows, fingerprint from _file_days inner join _file_keys as k using (file)",
            {"t": table, "sig": signature},
        )
    con.execute(
        f"create table raw.{table}_days as select day, sum(rows)::bigint as rows, "
        "bit_xor(fingerprint) as fingerprint from _file_days where day is not null group by day"
    )
    con.execute("drop table _file_days")
    con.execute("drop table _file_keys")


def stale_days(
    con: duckdb.DuckDBPyConnection, table: str, first: date = FIRST_DAY, last: date | None = None
) -> list[date]:
    """The days to (re)load so that the store holds the input as it is: days whose rows, or the
    code that types them, differ from what is stored, and stored days the input no longer has."""
    last = last_day(last)
    ensure_store(con)
    code = code_version(con, table)
    stored = {
        d: (int(n), int(f), str(c))
        for d, n, f, c in con.sql(
            "select day, rows, fingerprint, code from store.partitions "
            "where table_name = $t and day between $first and $last",
            params={"t": table, "first": first, "last": last},
        ).fetchall()
    }
    if not any(c == code for _, _, c in stored.values()):
        # Nothing stored that this code typed (a first run, or new typing code): every day
        # is stale, so the days are listed from the time column alone. Hashing every column
        # of every row for the fingerprints was 5 s at 1M accounts; the load computes them.
        return sorted(set(stored) | set(_days_of(con, table, first, last)))
    now = {d: (n, f, code) for d, n, f in input_days(con, table, first, last)}
    return sorted(d for d in set(stored) | set(now) if stored.get(d) != now.get(d))


def _days_of(con: duckdb.DuckDBPyConnection, table: str, first: date, last: date) -> list[date]:
    """The days of `raw.<table>` between first and last that have rows: the days of
    `input_days`, read from the time column only."""
    if _exists(con, "raw", f"{table}_days"):
        return [d for d, _, _ in input_days(con, table, first, last)]
    column = EVENT_TABLES[table]
    day, where = f"event_day({column})", _dated(con, table)
    cast = _time_cast(con, table)
    utc = con.sql("select current_setting('TimeZone')").fetchall()[0][0] == "UTC"
    if cast is not None and utc:
        # A timestamp column within the plain range: its day is the cast, as event_day's is on
        # a session in UTC (the pipeline's and the plan's connections are); 6 s instead of 13
        # for the sessions at 10M accounts. On another time zone, event_day per row.
        day, where = f"{column}::date", _in_range(column, cast)
    rows = con.sql(
        f"select distinct {day} from raw.{table} where {where}",
        params={"first": first, "last": last},
    ).fetchall()
    return [r[0] for r in rows]


def _typed_select(
    con: duckdb.DuckDBPyConnection, table: str, where: str, params: dict[str, object]
) -> tuple[str, dict[str, object]]:
    """The typed select (`sql/staging/<table>_typed.sql`) over the raw rows matching `where`,
    card numbers nulled, and its parameters. The columns of `VALUE_TABLES` are normalized first,
    once per distinct text, into their temporary tables (`drop_value_tables` drops them).

    The raw rows stream from the input through the card test and the typing into whatever the
    caller writes: no copy of them is kept. At 10M accounts a temporary copy of 130M sessions
    spilled to disk and cost more than the typing (189 s of the 517 s of store/sessions)."""
    carded, card_params = card_checked_select(con, table, where)
    columns = {str(r[0]) for r in con.sql(f"describe raw.{table}").fetchall()}
    build_value_tables(con, columns, f"raw.{table} where {where}", params)
    typed = f"with raw_rows as ({carded}) select * from ({read_sql(f'staging/{table}_typed')})"
    return typed, {**card_params, **params}


def build_value_tables(
    con: duckdb.DuckDBPyConnection,
    columns: set[str],
    rows: str,
    params: dict[str, object] | None = None,
) -> None:
    """The temporary table of each `VALUE_TABLES` column among `columns`: the column's distinct
    texts in `rows` (SQL after `from`, from the code, never from input), each normalized once.
    `drop_value_tables` drops them."""
    for column, (name, sql) in VALUE_TABLES.items():
        if column in columns:
            con.execute(
                f"create or replace temp table {name} as "
                f"with raw_rows as (select {quote_ident(column)} from {rows}) "
                f"select * from ({read_sql(sql)})",
                params or {},
            )


def drop_value_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, _ in VALUE_TABLES.values():
        con.execute(f"drop table if exists {name}")


def load_days(
    con: duckdb.DuckDBPyConnection, table: str, start: date, end: date, run_id: str = ""
) -> DaysLoaded:
    """Type the input's rows dated start..end (inclusive) and replace those days in
    `store.<table>` and `store.partitions`, in one transaction: a crash leaves the old days."""
    _check(table)
    params = {"first": start, "last": end}
    ensure_store(con)
    fingerprints = input_days(con, table, start, end)
    typed, typed_params = _typed_select(con, table, _dated(con, table), params)
    code = code_version(con, table)
    con.execute(
        f"create or replace temp table _typed_shape as select * from ({typed}) limit 0",
        typed_params,
    )
    typed_columns = [str(r[0]) for r in con.sql("describe _typed_shape").fetchall()]
    stored_columns = [
        str(r[0])
        for r in con.sql(
            "select column_name from duckdb_columns() where database_name = 'store' "
            "and table_name = $t order by column_index",
            params={"t": table},
        ).fetchall()
    ]
    con.execute("begin transaction")
    try:
        if stored_columns and stored_columns != typed_columns:
            # The typing code changed its columns: every stored day is stale (its code version
            # differs too), so the old rows go and the days are loaded again.
            con.execute(f"drop table store.{table}")
            con.execute("delete from store.partitions where table_name = $t", {"t": table})
            stored_columns = []
        if not stored_columns:
            con.execute(f"create table store.{table} as from _typed_shape")
        con.execute(f"delete from store.{table} where day between $first and $last", params)
        rows = int(con.execute(f"insert into store.{table} {typed}", typed_params).fetchall()[0][0])
        con.execute(
            "delete from store.partitions where table_name = $t and day between $first and $last",
            {"t": table, **params},
        )
        if fingerprints:
            con.executemany(
                "insert into store.partitions values ($t, $d, $n, $f, $c, now()::timestamp, $run)",
                [
                    {"t": table, "d": d, "n": n, "f": f, "c": code, "run": run_id}
                    for d, n, f in fingerprints
                ],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _typed_shape")
        drop_value_tables(con)
    return DaysLoaded(len(fingerprints), rows)


def typed_rows(
    con: duckdb.DuckDBPyConnection, table: str, first: date = FIRST_DAY, last: date | None = None
) -> int:
    """The temporary view `typed_rows`: every row of `raw.<table>` typed, the dated ones from the
    store and the undated ones typed now (`drop_typed_rows` drops it). Raises StoreStaleError
    when the store does not hold the input's days as they are."""
    _check(table)
    last = last_day(last)
    stale = stale_days(con, table, first, last)
    if stale:
        shown = ", ".join(d.isoformat() for d in stale[:5]) + (", ..." if len(stale) > 5 else "")
        raise StoreStaleError(
            f"store/{table} does not match the input for {len(stale)} day(s) ({shown}): "
            f"materialize those partitions of store/{table} first (sybil run, the schedule and "
            "the sensor do it)"
        )
    params = {"first": first, "last": last}
    typed, typed_params = _typed_select(con, table, _undated(con, table), params)
    con.execute(f"create or replace temp table _undated as {typed}", typed_params)
    drop_value_tables(con)
    con.execute(f"create table if not exists store.{table} as select * from _undated limit 0")
    # A view: the stored rows are read once, by the checked SQL, not copied again.
    con.execute(
        "create or replace temp view typed_rows as "
        f"select * from store.{table} where day between '{first.isoformat()}'::date "
        f"and '{last.isoformat()}'::date "
        "union all by name select * from _undated"
    )
    return int(con.sql("select count(*) from typed_rows").fetchall()[0][0])


def drop_typed_rows(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop view if exists typed_rows")
    con.execute("drop table if exists _undated")
