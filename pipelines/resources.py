"""Resources: the DuckDB warehouse and the folders the pipeline reads and writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.settings import Settings
from pipelines.sql import load_macros


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file. Each asset opens its own connection, so readers can get in between."""

    path: str
    memory_limit: str = "8GB"
    threads: int = 0
    temp_directory: str = ""

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int] = {
            "memory_limit": self.memory_limit,
            # Everything the pipeline needs is compiled in; never reach for the network.
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if self.threads:
            config["threads"] = self.threads
        if self.temp_directory:
            config["temp_directory"] = self.temp_directory
        con = duckdb.connect(self.path, read_only=read_only, config=config)
        try:
            con.execute("set TimeZone = 'UTC'")
            load_macros(con)
            yield con
        finally:
            con.close()


class Folders(dg.ConfigurableResource):
    """Where raw input is read from and where exports are written."""

    raw_dir: str
    exports_dir: str

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def exports(self) -> Path:
        return Path(self.exports_dir)


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": Warehouse(
            path=str(settings.warehouse),
            memory_limit=settings.memory_limit,
            threads=settings.threads,
            temp_directory=str(settings.temp_directory or ""),
        ),
        "folders": Folders(raw_dir=str(settings.raw_dir), exports_dir=str(settings.exports)),
    }
