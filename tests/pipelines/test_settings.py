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
        ({"SYBIL_MAX_BAN_SHARE": "a third"}, "SYBIL_MAX_BAN_SHARE"),
        ({"SYBIL_MAX_BAN_SHARE": "0"}, "SYBIL_MAX_BAN_SHARE"),
        ({"SYBIL_MAX_BAN_SHARE": "1.5"}, "SYBIL_MAX_BAN_SHARE"),
        ({"SYBIL_MAX_BAN_SHARE": "nan"}, "SYBIL_MAX_BAN_SHARE"),
    ],
)
def test_bad_values_are_named(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_max_ban_share_from_environment_then_flag():
    from pipelines.resources import build_resources
    from pipelines.settings import DEFAULT_MAX_BAN_SHARE

    assert Settings.from_env({}).max_ban_share == DEFAULT_MAX_BAN_SHARE
    settings = Settings.from_env({"SYBIL_MAX_BAN_SHARE": "0.02"})
    assert settings.max_ban_share == 0.02
    assert settings.with_overrides(max_ban_share=None).max_ban_share == 0.02
    flagged = settings.with_overrides(max_ban_share=0.4)
    assert build_resources(flagged)["folders"].max_ban_share == 0.4
    with pytest.raises(SettingsError, match="SYBIL_MAX_BAN_SHARE"):
        settings.with_overrides(max_ban_share=-0.1)


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


def test_bad_environment_is_one_line_not_a_traceback(tmp_path):
    """The pipeline package reads SYBIL_* when it loads; the CLI must still answer in one line."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SYBIL_MEMORY_LIMIT": "lots"}
    done = subprocess.run(
        [sys.executable, "-m", "sybil.cli", "run", "--raw", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sybil run: SYBIL_MEMORY_LIMIT 'lots' is not a size such as '8GB' or '512MB'"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYBIL_WAREHOUSE": "/tmp/w\n.duckdb"}, "control characters"),
        ({"SYBIL_EXPORTS": "/same", "SYBIL_RAW_DIR": "/same"}, "must differ"),
        ({"SYBIL_RAW_DIR": "/data", "SYBIL_WAREHOUSE": "/data/w.duckdb"}, "inside the raw folder"),
        ({"SYBIL_HMAC_SECRET": "short"}, "SYBIL_HMAC_SECRET is too short"),
        ({"SYBIL_HMAC_SECRET_FILE": "/nonexistent/secret"}, "SYBIL_HMAC_SECRET_FILE"),
        ({"SYBIL_THREADS": "100000"}, "SYBIL_THREADS"),
    ],
)
def test_paths_and_secrets_are_validated(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_work_folder_defaults_beside_the_warehouse():
    settings = Settings.from_env({"SYBIL_WAREHOUSE": "/w/demo.duckdb"})
    assert settings.work == Path("/w/demo.work")
    assert Settings.from_env({"SYBIL_WORK_DIR": "/private"}).work == Path("/private")


def test_generated_secret_is_private_and_reused(tmp_path, monkeypatch):
    from pipelines import workdir

    monkeypatch.delenv("SYBIL_HMAC_SECRET", raising=False)
    monkeypatch.delenv("SYBIL_HMAC_SECRET_FILE", raising=False)
    work = tmp_path / "w.work"
    first = workdir.hmac_secret(work)
    assert len(first) == 64
    assert (work / "hmac_secret").stat().st_mode & 0o777 == 0o600
    assert work.stat().st_mode & 0o777 == 0o700
    assert workdir.hmac_secret(work) == first
    monkeypatch.setenv("SYBIL_HMAC_SECRET", "from-the-environment-0123")
    assert workdir.hmac_secret(work) == b"from-the-environment-0123"


def test_a_second_run_on_the_same_work_folder_is_refused(tmp_path):
    """The run lock is a flock: another process is told who holds it; a killed holder frees it."""
    import subprocess
    import sys
    import textwrap

    from pipelines import workdir

    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from pipelines import workdir
        try:
            workdir.acquire(Path({str(tmp_path)!r}))
        except workdir.RunLockedError as exc:
            print(exc)
        else:
            print("acquired")
        """
    )
    with workdir.run_lock(tmp_path):
        held = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert held.stdout.startswith("another run (pid ")
    free = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert free.stdout.strip() == "acquired"
