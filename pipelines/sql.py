"""Run the SQL files under `sql/`: one statement per file, values bound, identifiers checked."""

from __future__ import annotations

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
