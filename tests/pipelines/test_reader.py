"""The CSV reader, property-tested: whatever an RFC 4180 writer writes, raw.* holds exactly."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.contract import INPUT_TABLES
from pipelines.ingest.reader import load_raw
from pipelines.sql import attach_private, load_macros

# Any text a user can type, quotes, commas and line breaks included; short enough never to hold
# the 13 digits of a card number (those are removed on the way in, tested elsewhere).
_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
_rows = st.lists(st.tuples(_cell, _cell, _cell), min_size=0, max_size=8)


def _field(value: str) -> str:
    """RFC 4180: a field holding a comma, a quote or a line break character is quoted, quotes
    doubled. (Python's csv module leaves a lone CR unquoted when lines end in LF, which no reader
    can tell from a line break.)"""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    attach_private(con)
    load_macros(con)
    return con


@settings(max_examples=40, deadline=None)
@given(rows=_rows, crlf=st.booleans(), bom=st.booleans())
def test_csv_round_trip(rows, crlf, bom):
    end = "\r\n" if crlf else "\n"
    lines = [
        ",".join(_field(v) for v in row) + end for row in [("account_id", "name", "extra"), *rows]
    ]
    data = ("\ufeff" if bom else "") + "".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "allowlist.csv").write_text(data, encoding="utf-8", newline="")
        con = _connection()
        counts = load_raw(con, Path(tmp), INPUT_TABLES["allowlist"])
        got = con.sql("select account_id, name, extra from raw.allowlist order by _row").fetchall()
        con.close()
    assert counts.malformed == 0
    # An empty field is read as null (CSV cannot tell the two apart), nothing else changes.
    expected = [tuple(v if v != "" else None for v in row) for row in rows]
    assert got == expected
    assert counts.rows == len(got)


def _write_parts(folder: Path, parts: dict[str, list[tuple[str, str]]]) -> None:
    folder.mkdir(parents=True)
    con = duckdb.connect()
    for name, rows in parts.items():
        values = ", ".join(f"('{a}', '{n}')" for a, n in rows) or "('x', 'x')"
        limit = "" if rows else " limit 0"
        con.execute(
            f"copy (select * from (values {values}) as t(account_id, name){limit}) "
            f"to '{folder / name}' (format parquet)"
        )
    con.close()


def test_parquet_folder_rows_numbered_in_file_order_across_files(tmp_path):
    """Each file's rows continue the numbering of the file before it (files in sorted order),
    as one scan of the folder would number them; an empty file takes no numbers."""
    parts = {
        "b.parquet": [("a3", "n3"), ("a4", "n4")],
        "a.parquet": [("a1", "n1"), ("a2", "n2")],
        "b0.parquet": [],
        "c.parquet": [("a5", "n5")],
    }
    _write_parts(tmp_path / "allowlist", parts)
    con = _connection()
    counts = load_raw(con, tmp_path, INPUT_TABLES["allowlist"])
    got = con.sql("select _row, account_id from raw.allowlist order by _row").fetchall()
    # A filter reads only the rows it keeps, with the numbers they have in the whole folder.
    filtered = con.sql("select _row from raw.allowlist where account_id = 'a5'").fetchall()
    con.close()
    assert got == [(1, "a1"), (2, "a2"), (3, "a3"), (4, "a4"), (5, "a5")]
    assert filtered == [(5,)]
    assert counts.rows == 5


def test_parquet_folder_view_reads_the_files_listed_at_ingest(tmp_path):
    """A file dropped into the folder during a run is not half-read by it: the run's view keeps
    the files it was loaded with (the next run reads the new one)."""
    folder = tmp_path / "allowlist"
    _write_parts(folder, {"a.parquet": [("a1", "n1")]})
    con = _connection()
    load_raw(con, tmp_path, INPUT_TABLES["allowlist"])
    _write_parts(tmp_path / "late", {"b.parquet": [("a2", "n2")]})
    (tmp_path / "late" / "b.parquet").rename(folder / "b.parquet")
    during = con.sql("select _row, account_id from raw.allowlist order by _row").fetchall()
    load_raw(con, tmp_path, INPUT_TABLES["allowlist"])
    after = con.sql("select _row, account_id from raw.allowlist order by _row").fetchall()
    con.close()
    assert during == [(1, "a1")]
    assert after == [(1, "a1"), (2, "a2")]
