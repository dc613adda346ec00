"""One configuration for the CLI and scheduled Dagster runs: flags win, then `SYBIL_*` variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_RAW_DIR = "data/generated/demo"
DEFAULT_WAREHOUSE = "data/warehouse/sybil.duckdb"
DEFAULT_EXPORTS = "data/exports"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    exports: Path
    memory_limit: str = "8GB"
    threads: int = 0  # 0: DuckDB's default, one per core
    temp_directory: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        settings = cls(
            raw_dir=Path(env.get("SYBIL_RAW_DIR", DEFAULT_RAW_DIR)),
            warehouse=Path(env.get("SYBIL_WAREHOUSE", DEFAULT_WAREHOUSE)),
            exports=Path(env.get("SYBIL_EXPORTS", DEFAULT_EXPORTS)),
            memory_limit=env.get("SYBIL_MEMORY_LIMIT", "8GB"),
            threads=_int(env, "SYBIL_THREADS", 0),
            temp_directory=Path(env["SYBIL_TEMP_DIR"]) if env.get("SYBIL_TEMP_DIR") else None,
        )
        settings.validate()
        return settings

    def with_overrides(self, **values: object) -> Settings:
        """Flags given on the command line replace what the environment said."""
        settings = replace(self, **{k: v for k, v in values.items() if v is not None})
        settings.validate()
        return settings

    def validate(self) -> None:
        if not _MEMORY.match(self.memory_limit.strip()):
            raise SettingsError(
                f"SYBIL_MEMORY_LIMIT {self.memory_limit!r} is not a size such as '8GB' or '512MB'"
            )
        if self.threads < 0:
            raise SettingsError(f"SYBIL_THREADS must be 0 (all cores) or more, not {self.threads}")
        if self.warehouse.suffix not in {".duckdb", ".db"}:
            raise SettingsError(
                f"warehouse {str(self.warehouse)!r} should be a .duckdb file, not a directory"
            )


def _int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
