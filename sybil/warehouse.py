"""Reading the warehouse while runs publish: `open_published` and `read_published`.

A run never writes into the warehouse file: it writes a new file and renames it over the old one
(see pipelines/publish/snapshot.py). So a read-only connection always sees one run's complete
result, and keeps seeing it until it is closed, even if a newer run publishes meanwhile: open a
connection per question (or per report) to see the latest result.

The only thing that can lock a reader out is a process holding the file open for writing (DuckDB
allows one writer or many readers), e.g. a `duckdb` shell started without `-readonly`: the
helpers wait for it up to `timeout` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class WarehouseUnavailable(RuntimeError):
    """The warehouse could not be opened for reading in time."""


def open_published(
    path: str | Path,
    *,
    timeout: float = 30.0,
    poll: float = 0.1,
    config: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse (TimeZone UTC); close it when done.

    Waits up to `timeout` seconds while another process holds the file for writing. Raises
    FileNotFoundError when no run has published yet. `config` adds DuckDB settings (a pipeline
    step passes its memory limit, threads and spill folder: DuckDB's default memory limit is
    80% of the machine).
    """
    path = Path(path)
    deadline = time.monotonic() + timeout
    while True:
        if not path.is_file():
            raise FileNotFoundError(f"warehouse not found: {path} (has a run published yet?)")
        try:
            con = duckdb.connect(str(path), read_only=True, config={**_CONFIG, **(config or {})})
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise WarehouseUnavailable(
                    f"warehouse {path} stayed locked for {timeout:g} s: {exc}"
                ) from None
            time.sleep(poll)
            continue
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")  # never drawn over a command's output
        return con


@contextmanager
def published(
    path: str | Path, *, timeout: float = 30.0, config: dict[str, Any] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """`with published(path) as con:` - a read-only connection, closed on exit."""
    con = open_published(path, timeout=timeout, config=config)
    try:
        yield con
    finally:
        con.close()


def read_published(
    path: str | Path, sql: str, params: dict[str, Any] | None = None, *, timeout: float = 30.0
) -> list[tuple[Any, ...]]:
    """Run one query (values as bound parameters) on one run's complete result."""
    with published(path, timeout=timeout) as con:
        return con.execute(sql, params or {}).fetchall()


def missing_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> list[str]:
    """Those of `names` (`schema.table`, tables or views) that the open database lacks, in order:
    a command reading a warehouse names what is missing instead of failing on the first query."""
    present = {
        f"{schema}.{table}"
        for schema, table in con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }
    return [name for name in names if name not in present]


def table_checksums(
    con: duckdb.DuckDBPyConnection, *, stored_order: tuple[str, ...] = ("published", "staging")
) -> dict[str, tuple[int, str]]:
    """table -> (rows, md5 of its rows as text) for every table of the open database.

    Tables of the `stored_order` schemas are hashed in the order they are stored in (the
    published tables are written sorted, so a rerun must give the very same sequence); the rest
    as sets of rows (their order depends on how DuckDB's threads met the data)."""
    tables = con.sql(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_catalog = current_database() order by all"
    ).fetchall()
    out: dict[str, tuple[int, str]] = {}
    for schema, table in tables:
        name = ".".join('"' + str(part).replace('"', '""') + '"' for part in (schema, table))
        order = "t.rowid" if schema in stored_order else "t::varchar"
        rows, digest = con.sql(
            f"select count(*), md5(coalesce(string_agg(t::varchar, chr(10) order by {order}), ''))"
            f" from {name} as t"
        ).fetchall()[0]
        out[f"{schema}.{table}"] = (int(rows), str(digest))
    return out
