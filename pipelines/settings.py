"""One configuration for the CLI and scheduled Dagster runs: flags win, then `SYBIL_*` variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_RAW_DIR = "data/generated/demo"
DEFAULT_WAREHOUSE = "data/warehouse/sybil.duckdb"
DEFAULT_EXPORTS = "data/exports"
# DuckDB's share of the machine. Past the limit DuckDB spills to the temp directory instead of
# failing. At 1M accounts a run measured 4.5 GB peak RSS in all with 4GB (DuckDB plus the graph
# in Python, which is never alive at the same time as a big query), inside the 6 GB the
# benchmark allows; raise it on a bigger machine to spill less.
DEFAULT_MEMORY_LIMIT = "4GB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
# Characters no path of ours should hold: they break logs, CSV and the SQL a person copies out.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MIN_SECRET_LENGTH = 16
# When the daily schedule fires (UTC), and whether the schedule and the raw-drop sensor start
# running when the definitions load. Stopped by default: a laptop's `dagster dev` should not start
# an 8 GB run unasked; a deployment sets SYBIL_AUTOMATION=running (or turns them on in the UI).
DEFAULT_SCHEDULE_CRON = "0 3 * * *"
AUTOMATION_STATES = ("stopped", "running")
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")
# The export guard: a ban list naming more than this share of the active accounts is held back.
# The synthetic worlds put about 20% of accounts in farms, so 0.30 lets them through; production
# should set it a little above the rate it expects, so that a broken run cannot ban a crowd.
DEFAULT_MAX_BAN_SHARE = 0.30


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it."""


def memory_limit_from_env(env: dict[str, str] | None = None) -> str:
    """DuckDB's memory limit from SYBIL_MEMORY_LIMIT (default DEFAULT_MEMORY_LIMIT), checked;
    for readers that need this one setting and not the rest (`sybil evaluate`)."""
    return _check_memory_limit(_memory_limit(dict(os.environ if env is None else env)))


def _memory_limit(env: dict[str, str]) -> str:
    return env.get("SYBIL_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def _check_memory_limit(limit: str) -> str:
    if not _MEMORY.match(limit.strip()):
        raise SettingsError(f"SYBIL_MEMORY_LIMIT {limit!r} is not a size such as '8GB' or '512MB'")
    return limit


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    exports: Path
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 0  # 0: DuckDB's default, one per core
    temp_directory: Path | None = None
    # Where a run works: the work database (raw input, personal data, intermediate tables), DuckDB's
    # spill files and the generated HMAC secret. Default: `<warehouse stem>.work/` beside it.
    work_dir: Path | None = None
    schedule_cron: str = DEFAULT_SCHEDULE_CRON
    automation: str = "stopped"
    max_ban_share: float = DEFAULT_MAX_BAN_SHARE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        settings = cls(
            raw_dir=Path(env.get("SYBIL_RAW_DIR", DEFAULT_RAW_DIR)),
            warehouse=Path(env.get("SYBIL_WAREHOUSE", DEFAULT_WAREHOUSE)),
            exports=Path(env.get("SYBIL_EXPORTS", DEFAULT_EXPORTS)),
            memory_limit=_memory_limit(env),
            threads=_int(env, "SYBIL_THREADS", 0),
            temp_directory=Path(env["SYBIL_TEMP_DIR"]) if env.get("SYBIL_TEMP_DIR") else None,
            work_dir=Path(env["SYBIL_WORK_DIR"]) if env.get("SYBIL_WORK_DIR") else None,
            schedule_cron=env.get("SYBIL_SCHEDULE_CRON") or DEFAULT_SCHEDULE_CRON,
            automation=(env.get("SYBIL_AUTOMATION") or "stopped").strip().lower(),
            max_ban_share=_float(env, "SYBIL_MAX_BAN_SHARE", DEFAULT_MAX_BAN_SHARE),
        )
        settings.validate()
        validate_secret_env(env)
        return settings

    def with_overrides(self, **values: object) -> Settings:
        """Flags given on the command line replace what the environment said."""
        settings = replace(self, **{k: v for k, v in values.items() if v is not None})
        settings.validate()
        return settings

    @property
    def work(self) -> Path:
        """The work folder (see `work_dir`)."""
        if self.work_dir is not None:
            return self.work_dir
        return self.warehouse.with_name(f"{self.warehouse.stem}.work")

    def validate(self) -> None:
        _check_memory_limit(self.memory_limit)
        if self.threads < 0:
            raise SettingsError(f"SYBIL_THREADS must be 0 (all cores) or more, not {self.threads}")
        if self.threads > 1024:
            raise SettingsError(f"SYBIL_THREADS {self.threads} is more than any machine has")
        fields = self.schedule_cron.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise SettingsError(
                f"SYBIL_SCHEDULE_CRON {self.schedule_cron!r} is not a five-field cron string "
                "such as '0 3 * * *'"
            )
        if self.automation not in AUTOMATION_STATES:
            raise SettingsError(
                f"SYBIL_AUTOMATION must be one of {', '.join(AUTOMATION_STATES)}, "
                f"not {self.automation!r}"
            )
        if not 0 < self.max_ban_share <= 1:
            raise SettingsError(
                f"SYBIL_MAX_BAN_SHARE must be a share of active accounts above 0 and at most 1, "
                f"not {self.max_ban_share}"
            )
        if self.warehouse.suffix not in {".duckdb", ".db"}:
            raise SettingsError(
                f"warehouse {str(self.warehouse)!r} should be a .duckdb file, not a directory"
            )
        named = {
            "raw folder (SYBIL_RAW_DIR)": self.raw_dir,
            "warehouse (SYBIL_WAREHOUSE)": self.warehouse,
            "exports folder (SYBIL_EXPORTS)": self.exports,
            "work folder (SYBIL_WORK_DIR)": self.work,
        }
        if self.temp_directory is not None:
            named["temp folder (SYBIL_TEMP_DIR)"] = self.temp_directory
        for name, path in named.items():
            if _CONTROL.search(str(path)) or not str(path).strip():
                raise SettingsError(f"{name} {str(path)!r} is empty or holds control characters")
        if self.warehouse.is_dir():
            raise SettingsError(f"warehouse {str(self.warehouse)!r} is a directory, not a file")
        for name, path in named.items():
            if path != self.warehouse and path.is_file():
                raise SettingsError(f"{name} {str(path)!r} is a file, not a folder")
        folders = {
            "raw folder": self.raw_dir,
            "exports folder": self.exports,
            "work folder": self.work,
        }
        resolved = {name: path.resolve() for name, path in folders.items()}
        for name, path in resolved.items():
            for other, other_path in resolved.items():
                if name < other and path == other_path:
                    raise SettingsError(f"{name} and {other} must differ (both {path})")
        if self.warehouse.resolve().is_relative_to(resolved["raw folder"]):
            raise SettingsError("the warehouse must not be inside the raw folder")


def validate_secret_env(env: dict[str, str]) -> None:
    """SYBIL_HMAC_SECRET, when set, must be long enough to be a secret."""
    secret = env.get("SYBIL_HMAC_SECRET")
    if secret is not None and len(secret.strip()) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"SYBIL_HMAC_SECRET is too short: use at least {MIN_SECRET_LENGTH} random characters"
        )
    secret_file = env.get("SYBIL_HMAC_SECRET_FILE")
    if secret_file and not Path(secret_file).is_file():
        raise SettingsError(f"SYBIL_HMAC_SECRET_FILE {secret_file!r} is not a file")


def _int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None


def _float(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number such as 0.3, not {value!r}") from None
