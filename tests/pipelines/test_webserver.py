"""`dagster dev` loads cleanly: the definitions validate, and the webserver serves every asset,
check, the schedule and the sensor over its GraphQL API."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipelines.definitions import build_definitions
from pipelines.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 60.0
QUERY = """
{
  assetNodes {
    assetKey { path }
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        schedules { name cronSchedule executionTimezone scheduleState { status } }
        sensors { name minIntervalSeconds sensorState { status } }
      }
    }
  }
}
"""


def env_for(tmp_path: Path) -> dict[str, str]:
    """A private DAGSTER_HOME and SYBIL_* paths under tmp_path: nothing of the user's is touched."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    inherited = {
        k: v for k, v in os.environ.items() if k not in {"SYBIL_SCHEDULE_CRON", "SYBIL_AUTOMATION"}
    }
    return {
        **inherited,
        "DAGSTER_HOME": str(home),
        "SYBIL_RAW_DIR": str(tmp_path / "raw"),
        "SYBIL_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "SYBIL_EXPORTS": str(tmp_path / "exports"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_definitions_validate_from_the_command_line(tmp_path):
    done = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful" in done.stderr + done.stdout


def test_webserver_serves_the_asset_graph(tmp_path):
    env = env_for(tmp_path)
    port = free_port()
    log = (tmp_path / "webserver.log").open("w")
    command = [str(BIN / "dagster-webserver"), "-m", "pipelines.definitions"]
    server = subprocess.Popen(
        [*command, "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its code server too is ours to stop
    )
    try:
        data = _wait_for_graph(server, port, tmp_path / "webserver.log")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    assert server.returncode is not None

    settings = Settings.from_env(env)
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    expected_assets = {key.to_user_string() for key in graph.get_all_asset_keys()}
    served_assets = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    assert served_assets == expected_assets

    expected_checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    served_checks = {
        ("/".join(n["assetKey"]["path"]), c["name"])
        for n in data["assetNodes"]
        for c in n["assetChecksOrError"]["checks"]
    }
    assert served_checks == expected_checks
    assert ("communities/account_communities", "community_sizes") in served_checks

    [repository] = data["repositoriesOrError"]["nodes"]
    assert repository["schedules"] == [
        {
            "name": "daily_sybil_run",
            "cronSchedule": "0 3 * * *",
            "executionTimezone": "UTC",
            "scheduleState": {"status": "STOPPED"},
        }
    ]
    assert repository["sensors"] == [
        {"name": "raw_drop_sensor", "minIntervalSeconds": 60, "sensorState": {"status": "STOPPED"}}
    ]


def _wait_for_graph(server: subprocess.Popen, port: int, log: Path) -> dict:
    """Poll until the server answers the query with the code location loaded."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"webserver exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            data = graphql(port, QUERY)
            if data["assetNodes"]:
                return data
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(1)
    pytest.fail(
        f"webserver not ready in {STARTUP_TIMEOUT:.0f} s ({last}): {log.read_text()[-2000:]}"
    )
