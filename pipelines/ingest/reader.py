"""Find an input table on disk and make it `raw.<table>` as read, plus a `_row` number.

A Parquet input becomes a *view* over the file(s): copying tens of millions of rows into the
database cost more than everything staging does with them, and staging reads them once anyway
(see `card_checked_select`, which finds card numbers on that read). A CSV input is copied into a
table, because the CSV parser sorts lines into rows and rejects as it reads.

Nothing is parsed or dropped here, with three exceptions, each recorded:
- CSV lines the parser cannot split into the header's columns (too many or too few fields, a stray
  quote, bytes that are not UTF-8) go to `raw.<table>_malformed` with the parser's reason.
- Card numbers are never stored: a value holding one is nulled before any row is written (at this
  copy for CSV, in staging's read for Parquet) and the row's `_card_columns` names the column
  (staging then quarantines the row or nulls the field).
- Columns of a type staging cannot parse (a struct where a timestamp should be) become text.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.contract import NUMERIC_COLUMNS, TIMESTAMP_COLUMNS, InputTable
from pipelines.sql import REFERENCE_DIR, quote_ident, row_count, sql_string

REFERENCE_TABLES = ("email_domains", "asn_classes", "key_kinds")
# Columns derived on load. Each key kind gets a number (by name), the bit it sets in the edge
# table's kind_mask: masks are cheap to aggregate over millions of pairs, lists of text are not.
_DERIVED = {"key_kinds": ", (row_number() over (order by kind) - 1)::integer as kind_no"}
MAX_KEY_KINDS = 31  # kind_mask is a 32-bit integer
RESERVED_COLUMNS = ("_row", "_card_columns")
_REJECTS, _SCANS = "_csv_rejects", "_csv_scans"
_TIMESTAMP_TYPES = ("TIMESTAMP", "DATE")
_NUMERIC_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
)  # fmt: skip
_INTEGER_TYPES = _NUMERIC_TYPES[:10]
_NO_CARD_TYPES = ("TIMESTAMP", "DATE", "TIME", "BOOLEAN", "INTERVAL", "UUID", "NULL")


class InputError(ValueError):
    """Input that cannot be loaded at all; the message names the table and what is wrong."""


@dataclass(frozen=True)
class IngestCounts:
    """What one input table gave: rows loaded into raw, lines the CSV parser rejected, values
    that held a card number (nulled), and where the rows came from."""

    rows: int
    malformed: int
    card_values: int
    source: str
    fmt: str

    @property
    def read(self) -> int:
        return self.rows + self.malformed


def locate(raw_dir: Path, table: InputTable) -> tuple[str, str] | None:
    """(format, path or glob) of the table's file or folder, or None when it is absent."""
    candidates = [
        (raw_dir / f"{table.name}.parquet", "parquet"),
        (raw_dir / f"{table.name}.csv", "csv"),
    ]
    found = [(fmt, str(path)) for path, fmt in candidates if path.is_file()]
    folder = raw_dir / table.name
    if folder.is_dir():
        parts = sorted(folder.glob("*.parquet"))
        if not parts:
            raise InputError(f"{table.name}: folder {folder} holds no .parquet files")
        found.append(("parquet", str(folder / "*.parquet")))
    if len(found) > 1:
        names = ", ".join(path for _, path in found)
        raise InputError(f"{table.name}: more than one input found ({names}); keep one")
    return found[0] if found else None


def csv_header(table: str, path: str) -> list[str]:
    """The header row of a CSV file (BOM and surrounding blanks removed), [] when there is none."""
    try:
        # Undecodable bytes further down are the parser's business (those lines are quarantined);
        # only the header itself must be UTF-8.
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
            row = next(csv.reader(fh), [])
    except csv.Error as exc:
        raise InputError(f"{table}: {path}: cannot read the header row: {exc}") from None
    try:
        "".join(row).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{table}: {path}: the header row is not UTF-8 text") from None
    return [name.strip() for name in row]


def _csv_source(names: list[str]) -> tuple[str, dict[str, object]]:
    """A strict CSV read with the header's columns, all text; bad lines go to the rejects table.

    The dialect is fixed (comma, double quotes, RFC 4180 escaping) rather than sniffed: the sniffer
    can take a file with one over-wide row for a one-column file, and a lenient parser cuts
    over-wide rows or keeps doubled quotes. Line endings (LF, CRLF) are still recognised.
    """
    source = (
        "read_csv($path, header = true, auto_detect = false, columns = $columns, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
        f"store_rejects = true, rejects_table = '{_REJECTS}', rejects_scan = '{_SCANS}')"
    )
    return source, {"columns": dict.fromkeys(names, "VARCHAR")}


def _parquet_source() -> str:
    return "read_parquet($path, union_by_name = true)"


def load_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path, table: InputTable) -> IngestCounts:
    """Create `raw.<name>` (and `raw.<name>_malformed`) from the input; a missing optional table
    becomes an empty table."""
    target = f"raw.{table.name}"
    malformed = f"raw.{table.name}_malformed"
    # Fingerprints of the previous input's days (pipelines/staging/days.py) are not this one's.
    con.execute(f"drop table if exists raw.{table.name}_days")
    # The previous load's view first: it may read the table of files dropped next.
    _drop(con, target)
    con.execute(f"drop view if exists raw.{table.name}_parts")
    con.execute(f"drop table if exists raw.{table.name}_files")
    con.execute(
        f"create or replace table {malformed} (line bigint, column_name varchar, "
        "error_type varchar, csv_line varchar)"
    )
    located = locate(raw_dir, table)
    if located is None:
        if table.required_table:
            raise InputError(f"{table.name}: required table not found in {raw_dir}")
        cols = ", ".join(f"null::varchar as {c}" for c in table.columns)
        con.execute(
            f"create table {target} as select 0::bigint as _row, {cols}, "
            "null::varchar[] as _card_columns limit 0"
        )
        return _log(con, table.name, IngestCounts(0, 0, 0, "", "absent"))
    fmt, path = located
    path = str(Path(path).parent.resolve() / Path(path).name)  # a view outlives the working dir
    params: dict[str, object] = {"path": path}
    if fmt == "csv":
        if Path(path).stat().st_size == 0:
            raise InputError(f"{table.name}: {path} is empty (not even a header row)")
        header = csv_header(table.name, path)
        if not any(header):
            raise InputError(f"{table.name}: {path} is empty (not even a header row)")
        names = _unique_names(table.name, path, header)
        source, extra_params = _csv_source(names)
        params.update(extra_params)
        types = dict.fromkeys(names, "VARCHAR")
        con.execute(f"drop table if exists {_REJECTS}")
        con.execute(f"drop table if exists {_SCANS}")
    else:
        source = _parquet_source()
        try:
            described = con.execute(f"describe select * from {source}", params).fetchall()
        except duckdb.Error as exc:
            raise InputError(f"{table.name}: cannot read {path}: {_first_line(exc)}") from None
        types = {str(row[0]): str(row[1]) for row in described}
        _unique_names(table.name, path, list(types))
    present = {name.strip().lower(): name for name in types}
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        raise InputError(
            f"{table.name}: required column {', '.join(missing)} missing in {path} "
            f"(found: {', '.join(sorted(present)) or 'no columns'})"
        )
    reserved = [name for name in present if name in RESERVED_COLUMNS]
    if reserved:
        raise InputError(f"{table.name}: column name {reserved[0]} is reserved; rename it")
    # Contract columns by their contract name; absent optional ones as null; the rest kept as is.
    selected: list[tuple[str, str, str]] = []  # (output name, expression, type)
    for c in table.columns:
        if c not in present:
            selected.append((c, "null::varchar", "VARCHAR"))
            continue
        kind = types[present[c]].upper()
        expr = quote_ident(present[c])
        if not _keeps_type(c, kind):
            expr, kind = f"{expr}::varchar", "VARCHAR"
        selected.append((c, expr, kind))
    for low, orig in present.items():
        if low not in table.columns:
            selected.append((orig, quote_ident(orig), types[orig].upper()))
    if fmt == "parquet":
        columns = ", ".join(f"{expr} as {quote_ident(name)}" for name, expr, _ in selected)
        try:
            numbered = _numbered_parquet(con, table.name, path)
            con.execute(f"create view {target} as select _row, {columns} from ({numbered})")
            # The same rows with the file each comes from (a filter on it reads only those
            # files): the days' fingerprints are computed per file (pipelines.staging.days).
            con.execute(
                f"create view {target}_parts as "
                f"select _sybil_file, _row, {columns} from ({numbered})"
            )
            rows = row_count(con, target)
        except duckdb.Error as exc:
            raise InputError(f"{table.name}: cannot read {path}: {_first_line(exc)}") from None
        # Card numbers are looked for (and counted, see record_card_values) when staging reads it.
        return _log(con, table.name, IngestCounts(rows, 0, 0, path, fmt))
    sql, card_params = _load_sql(selected, source)
    params.update(card_params)
    try:
        con.execute(f"create table {target} as {sql}", params)
    except duckdb.Error as exc:
        raise InputError(f"{table.name}: cannot read {path}: {_first_line(exc)}") from None
    bad_lines = _keep_malformed(con, table.name, path, malformed)
    cards = con.sql(
        f"select coalesce(sum(len(_card_columns)), 0) from {target} where _card_columns is not null"
    ).fetchall()[0][0]
    return _log(
        con, table.name, IngestCounts(row_count(con, target), bad_lines, int(cards), path, fmt)
    )


def _drop(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Drop `raw.<name>` whether a previous load made it a table or a view."""
    schema, name = target.split(".")
    found = con.sql(
        "select 'view' from duckdb_views() where database_name = $s and view_name = $n "
        "union all "
        "select 'table' from duckdb_tables() where database_name = $s and table_name = $n",
        params={"s": schema, "n": name},
    ).fetchall()
    for (kind,) in found:
        con.execute(f"drop {kind} {target}")


def _numbered_parquet(con: duckdb.DuckDBPyConnection, name: str, path: str) -> str:
    """The select of a Parquet input's rows with `_row` and `_sybil_file` (the file each row is
    from), numbered in file order: a folder's files in sorted order, each from the row after the
    last of the file before (offsets from the files' metadata, kept in `raw.<name>_files`).

    Numbering each row in its file, rather than with a window over the whole scan, lets a filter
    on a column skip the files and row groups it excludes by their statistics (a day's partition
    of a folder with a file per day reads one file) and lets both cores read. The view reads the
    files listed at ingest: a file added during the run waits for the next run."""
    files = f"raw.{name}_files"
    con.execute(
        f"create or replace table {files} as "
        "select file_name as file, num_rows::bigint as rows, "
        "coalesce(sum(num_rows) over (order by file_name rows between unbounded preceding "
        "and 1 preceding), 0)::bigint as rows_before "
        "from parquet_file_metadata($path) order by file_name",
        {"path": path},
    )
    listed = [str(r[0]) for r in con.sql(f"select file from {files} order by file").fetchall()]
    paths = "[" + ", ".join(sql_string(f) for f in listed) + "]"
    return (
        "select (p.file_row_number + 1 + f.rows_before)::bigint as _row, "
        "p.* exclude (file_row_number) "
        f"from read_parquet({paths}, union_by_name = true, file_row_number = true, "
        f"filename = '_sybil_file') as p inner join {files} as f on f.file = p._sybil_file"
    )


def card_checked_select(
    con: duckdb.DuckDBPyConnection, table: str, where: str = ""
) -> tuple[str, dict[str, object]]:
    """The select staging reads `raw.<table>` through: its rows with `_card_columns` and every
    card number nulled. A CSV input was checked when it was copied in; a Parquet view is checked
    here, on the one read that keeps its rows. `where` (SQL over the raw columns, from the code,
    never from input) keeps only some rows, and is applied before the card test."""
    described = con.sql(f"describe raw.{table}").fetchall()
    names = [str(r[0]) for r in described]
    source = f"(select * from raw.{table} where {where})" if where else f"raw.{table}"
    if "_card_columns" in names:
        return f"select * from {source}", {}
    selected = [(n, quote_ident(n), str(t).upper()) for n, t, *_ in described if n != "_row"]
    return _load_sql(selected, source, row="_row")


def record_card_values(con: duckdb.DuckDBPyConnection, table: str, source: str) -> int:
    """Count the card numbers found in `source` (rows with `_card_columns`) into raw.ingest_log
    for the accounting; returns the count."""
    cards = int(
        con.sql(
            f"select coalesce(sum(len(_card_columns)), 0) from {source} "
            "where _card_columns is not null"
        ).fetchall()[0][0]
    )
    con.execute(
        "update raw.ingest_log set card_values = $n where table_name = $t", {"n": cards, "t": table}
    )
    return cards


def _log(con: duckdb.DuckDBPyConnection, table: str, counts: IngestCounts) -> IngestCounts:
    """Record what was read in `raw.ingest_log` (one row per input table), for the accounting."""
    con.execute(
        "create table if not exists raw.ingest_log (table_name varchar, source varchar, "
        "format varchar, rows_read bigint, rows_loaded bigint, malformed_lines bigint, "
        "card_values bigint)"
    )
    con.execute("delete from raw.ingest_log where table_name = $t", {"t": table})
    con.execute(
        "insert into raw.ingest_log values ($t, $source, $fmt, $read, $rows, $bad, $cards)",
        {
            "t": table,
            "source": counts.source,
            "fmt": counts.fmt,
            "read": counts.read,
            "rows": counts.rows,
            "bad": counts.malformed,
            "cards": counts.card_values,
        },
    )
    return counts


def _keeps_type(column: str, kind: str) -> bool:
    if kind == "VARCHAR":
        return True
    if column in TIMESTAMP_COLUMNS:
        return kind.startswith(_TIMESTAMP_TYPES)
    if column in NUMERIC_COLUMNS:
        return kind.startswith(_NUMERIC_TYPES)
    return False


def _card_test(expr: str, kind: str) -> str | None:
    """SQL that is true when the value holds a card number; None for types that cannot."""
    if kind.startswith(_NO_CARD_TYPES):
        return None
    if kind.startswith(_NUMERIC_TYPES):
        # A number below 10^12 has fewer than 13 digits: only bigger ones are looked at as text.
        bound = "" if kind.startswith(_INTEGER_TYPES) else " and isfinite(" + expr + ")"
        return (
            f"case when {expr} is not null{bound} and abs({expr}) >= 1000000000000 "
            f"then has_card_number({expr}::varchar) else false end"
        )
    if kind == "VARCHAR":
        return f"has_card_number({expr})"
    return f"has_card_number({expr}::varchar)"


def _load_sql(
    selected: list[tuple[str, str, str]], source: str, *, row: str = "row_number() over ()"
) -> tuple[str, dict[str, object]]:
    """The select that loads raw rows: `_row`, the columns, `_card_columns` (the columns that held
    a card number, null when none), with those values nulled."""
    params: dict[str, object] = {}
    inner = [f"{row} as _row"]
    tests: list[str] = []
    nulled: list[str] = []
    for i, (name, expr, kind) in enumerate(selected):
        ident = quote_ident(name)
        inner.append(f"{expr} as {ident}")
        test = _card_test(ident, kind)
        if test is None:
            continue
        params[f"col{i}"] = name
        tests.append(f"case when {test} then $col{i} end")
        nulled.append(
            f"case when list_contains(_card_columns, $col{i}) then null else {ident} end as {ident}"
        )
    listed = "[" + ", ".join(tests) + "]" if tests else "[]::varchar[]"
    found = f"list_filter({listed}, lambda c: c is not null)"
    card_columns = f"case when len({found}) > 0 then {found} end as _card_columns"
    scan = f"select {', '.join(inner)} from {source}"
    with_cards = f"select *, {card_columns} from ({scan})"
    if not nulled:
        return with_cards, params
    # The card test runs once per value (in with_cards); the outer select only reads the list.
    return f"select * replace ({', '.join(nulled)}) from ({with_cards})", params


def _keep_malformed(con: duckdb.DuckDBPyConnection, table: str, path: str, target: str) -> int:
    """Copy the CSV parser's rejected lines into `target`, card numbers redacted; return how many
    lines. A quote never closed swallows the rest of the file: that is an error, not a row."""
    con.execute(
        f"insert into {target} "
        "select line, any_value(column_name), lower(string_agg(distinct error_type, ', ')), "
        "redact_card_numbers(trim(any_value(csv_line), chr(10) || chr(13))) "
        f"from {_REJECTS} group by line order by line"
    )
    runaway = con.sql(
        f"select line, column_name, length(csv_line) - length(replace(csv_line, chr(10), '')) "
        f"from {target} where error_type like '%unquoted value%' and contains(csv_line, chr(10)) "
        "order by line limit 1"
    ).fetchall()
    if runaway:
        line, column, lines = runaway[0]
        raise InputError(
            f"{table}: {path} line {line}: a quote opened in column {column or '?'} is never "
            f"closed, so the {int(lines)} line(s) after it cannot be read; fix the file"
        )
    return row_count(con, target)


def _unique_names(table: str, path: str, names: list[str]) -> list[str]:
    """Header names made usable: blanks named by position; a contract column given twice is an
    error (which one would be meant?); other repeats get a suffix."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw_name in enumerate(names, start=1):
        name = raw_name or f"column{i}"
        low = name.lower()
        if low in seen:
            if raw_name and raw_name.lower() in _contract_names():
                raise InputError(f"{table}: column {raw_name} appears twice in {path}")
            n = 2
            while f"{low}_{n}" in seen:
                n += 1
            name, low = f"{name}_{n}", f"{low}_{n}"
        seen.add(low)
        out.append(name)
    return out


def _contract_names() -> set[str]:
    from pipelines.ingest.contract import INPUT_TABLES

    return {c for t in INPUT_TABLES.values() for c in t.columns}


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def load_reference(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Create `ref.<name>` from `data/reference/<name>.csv`, shipped with the code."""
    if name not in REFERENCE_TABLES:
        raise ValueError(f"not a reference table: {name!r}")
    con.execute("create schema if not exists ref")
    con.execute(
        f"create or replace table ref.{name} as "
        f"select *{_DERIVED.get(name, '')} from read_csv($path, header = true, auto_detect = true)",
        {"path": str(REFERENCE_DIR / f"{name}.csv")},
    )
    rows = row_count(con, f"ref.{name}")
    if name == "key_kinds" and rows > MAX_KEY_KINDS:
        raise InputError(f"key_kinds: {rows} kinds, at most {MAX_KEY_KINDS} fit in kind_mask")
    return rows
