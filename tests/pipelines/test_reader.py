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
