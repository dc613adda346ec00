"""Shared fixtures: an in-memory DuckDB with the project's macros, and small generated worlds."""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import pytest

from pipelines.sql import load_macros, set_hmac_key

# Keyed hashes need a secret; tests share one fixed value so that runs compare byte for byte
# (subprocesses inherit it). Tests of the generated-secret fallback remove it with monkeypatch.
TEST_SECRET = "test-secret-not-for-production-0123456789"
os.environ.setdefault("SYBIL_HMAC_SECRET", TEST_SECRET)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    load_macros(connection)
    set_hmac_key(connection, TEST_SECRET.encode())
    yield connection
    connection.close()
