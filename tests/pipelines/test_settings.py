"""Settings: flags win over SYBIL_* variables, and bad values are named."""

from pathlib import Path

import pytest

from pipelines.settings import Settings, SettingsError
from sybil.cli import main


def test_environment_then_flags():
    env = {
        "SYBIL_RAW_DIR": "/in",
        "SYBIL_WAREHOUSE": "/w/x.duckdb",
        "SYBIL_EXPORTS": "/out",
        "SYBIL_MEMORY_LIMIT": "4GB",
        "SYBIL_THREADS": "2",
    }
    settings = Settings.from_env(env)
    assert (settings.raw_dir, settings.warehouse, settings.exports) == (
        Path("/in"),
        Path("/w/x.duckdb"),
        Path("/out"),
    )
    assert (settings.memory_limit, settings.threads) == ("4GB", 2)
    overridden = settings.with_overrides(raw_dir=Path("/other"), exports=None)
    assert overridden.raw_dir == Path("/other")
    assert overridden.exports == Path("/out")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYBIL_MEMORY_LIMIT": "lots"}, "SYBIL_MEMORY_LIMIT"),
        ({"SYBIL_THREADS": "two"}, "SYBIL_THREADS"),
        ({"SYBIL_THREADS": "-1"}, "SYBIL_THREADS"),
        ({"SYBIL_WAREHOUSE": "/tmp/dir/"}, "warehouse"),
    ],
)
def test_bad_values_are_named(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_cli_reports_a_missing_raw_folder_in_one_line(tmp_path, capsys):
    code = main(
        [
            "run",
            "--raw",
            str(tmp_path / "nope"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--exports",
            str(tmp_path / "e"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sybil run: raw folder not found")
    assert len(err.splitlines()) == 1
