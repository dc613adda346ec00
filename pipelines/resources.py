"""Resources: the DuckDB databases and the folders the pipeline reads and writes.

The steps of a run read and write the *work database* (`<work folder>/work.duckdb`, with the
private catalogs `raw` and `restricted` attached; see `pipelines/workdir.py`). The *warehouse*
(`--warehouse`) is what readers open: the publish step links the closed work database beside it
and renames the link over the old file, so readers never wait for a run, and whoever opens the
warehouse gets the previous run or the new one whole (see `pipelines/publish/snapshot.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipelines import workdir
from pipelines.publish.snapshot import own_work_db
from pipelines.settings import DEFAULT_MAX_BAN_SHARE, DEFAULT_MEMORY_LIMIT, Settings
from pipelines.sql import attach_private, load_macros, set_hmac_key


class Warehouse(dg.ConfigurableResource):
    """The warehouse file readers open, and the work database every step connects to."""

    path: str
    work_dir: str = ""
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 0
    temp_directory: str = ""
    _locked: bool = PrivateAttr(default=False)

    @property
    def work(self) -> Path:
        if self.work_dir:
            return Path(self.work_dir)
        warehouse = Path(self.path)
        return warehouse.with_name(f"{warehouse.stem}.work")

    @property
    def work_db(self) -> Path:
        return workdir.work_db(self.work)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # One run at a time per work folder: two runs interleaving their steps would mix tables.
        workdir.acquire(self.work)
        self._locked = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._locked:
            workdir.release(self.work)
            self._locked = False

    def duckdb_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "memory_limit": self.memory_limit,
            # Spill files hold raw rows too: by default they go to the private work folder.
            "temp_directory": self.temp_directory or str(self.work / workdir.SPILL_DIR),
            # Everything the pipeline needs is compiled in; never reach for the network.
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if self.threads:
            config["threads"] = self.threads
        return config

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the work database, with the private catalogs attached and the macros
        and the HMAC key set on it."""
        workdir.ensure_work_dir(self.work)
        if not read_only:
            # After a publish the work database is the warehouse's file: never write to that.
            own_work_db(self.work_db, Path(self.path))
        con = duckdb.connect(str(self.work_db), read_only=read_only, config=self.duckdb_config())
        try:
            attach_private(con, workdir.private_dbs(self.work), read_only=read_only)
            con.execute("set TimeZone = 'UTC'")
            con.execute("set enable_progress_bar = false")  # steps report their own progress
            load_macros(con)
            set_hmac_key(con, workdir.hmac_secret(self.work))
            yield con
        finally:
            con.close()


class Folders(dg.ConfigurableResource):
    """Where raw input is read from and where exports are written, and the exports' guard: a ban
    list naming more than `max_ban_share` of the active accounts is held back."""

    raw_dir: str
    exports_dir: str
    max_ban_share: float = DEFAULT_MAX_BAN_SHARE

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
            work_dir=str(settings.work),
            memory_limit=settings.memory_limit,
            threads=settings.threads,
            temp_directory=str(settings.temp_directory or ""),
        ),
        "folders": Folders(
            raw_dir=str(settings.raw_dir),
            exports_dir=str(settings.exports),
            max_ban_share=settings.max_ban_share,
        ),
    }
