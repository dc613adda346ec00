"""Run the SQL files under `sql/`: one statement per file, values bound, identifiers checked."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z_]+(/[a-z_]+)*$")


@cache
def read_sql(name: str) -> str:
    """The text of `sql/<name>.sql` (name like 'staging/signups')."""
    if not _NAME.match(name):
        raise ValueError(f"not a SQL file name: {name!r}")
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def describe_sql(name: str) -> str:
    """The file's leading comment: what the table is and its grain (shown in the Dagster UI)."""
    lines = []
    for line in read_sql(name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def check_table_name(table: str) -> str:
    """Identifiers are never bound parameters in SQL; accept only plain `schema.table` names."""
    if not _TABLE.match(table):
        raise ValueError(f"not a schema-qualified table name: {table!r}")
    return table


def quote_ident(name: str) -> str:
    """A column name taken from input (a CSV header can say anything) as a quoted identifier."""
    if "\x00" in name:
        raise ValueError(f"identifier with a NUL character: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """A text constant as a quoted SQL string literal, for what cannot be a bound parameter (a
    view's definition; a filter on file names the scan must see as a constant to skip files)."""
    if "\x00" in value:
        raise ValueError(f"string with a NUL character: {value!r}")
    return "'" + value.replace("'", "''") + "'"


def set_hmac_key(con: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """Give this connection the key of `keyed_hash()` (HMAC-SHA256, RFC 2104).

    The key's inner and outer pads are computed here and set as session variables (bound, never
    pasted into SQL, never stored in the database file); the macro then needs only sha256.
    """
    if not secret:
        raise ValueError("empty HMAC secret")
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\x00")
    con.execute("set variable sybil_hmac_inner = $v", {"v": bytes(b ^ 0x36 for b in key)})
    con.execute("set variable sybil_hmac_outer = $v", {"v": bytes(b ^ 0x5C for b in key)})


def attach_private(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path] | None = None,
    *,
    read_only: bool = False,
) -> None:
    """Attach the catalogs `raw` and `restricted` (input as read, personal data): the given files,
    or in-memory databases (tests). They are separate databases so that publishing the work
    database can never carry them along."""
    for name in ("raw", "restricted", "store"):
        if files is None:
            con.execute(f"attach ':memory:' as {name}")
        else:
            mode = " (read_only)" if read_only else ""
            con.execute(f"attach $path as {name}{mode}", {"path": str(files[name])})


def load_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the macros of `sql/macros/` on this connection (temporary: the file keeps none)."""
    for path in sorted((SQL_DIR / "macros").glob("*.sql")):
        text = path.read_text(encoding="utf-8").replace(
            "create or replace macro", "create or replace temp macro"
        )
        con.execute(text)


def create_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    sql_name: str,
    params: dict[str, Any] | None = None,
) -> int:
    """(Re)build `table` from the select in `sql/<sql_name>.sql`; returns its row count."""
    check_table_name(table)
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    con.execute(f"create or replace table {table} as {read_sql(sql_name)}", params or {})
    return row_count(con, table)


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    check_table_name(table)
    return int(con.sql(f"select count(*) from {table}").fetchall()[0][0])
