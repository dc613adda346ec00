"""Shared fixtures: an in-memory DuckDB with the project's macros, and small generated worlds."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pipelines.sql import load_macros


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    load_macros(connection)
    yield connection
    connection.close()
