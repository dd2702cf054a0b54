"""`promdash up --runtime local` for real: Debian's Prometheus and the demo exporters.

These run the CLI the way a user does and check the answers of the real
Prometheus API; nothing is mocked.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from promdash import cli
from promdash.stack.local import find_prometheus
from promdash.stack.procs import alive
from promdash.stack.state import StackState, stack_dir
from tests.conftest import (
    RunningStack,
    demo_stack_text,
    free_port,
    require_alertmanager,
    require_prometheus,
)

pytestmark = pytest.mark.prometheus


def _api(url: str, path: str, **params: str) -> dict:  # type: ignore[type-arg]
    answer = httpx.get(f"{url}/api/v1/{path}", params=params, timeout=5)
    answer.raise_for_status()
    body = answer.json()
    assert body["status"] == "success"
    return body["data"]  # type: ignore[no-any-return]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_up_status_down_as_a_user_runs_them(tmp_path: Path) -> None:
    require_prometheus()
    require_alertmanager()
    ports = (free_port(), free_port(), free_port())
    prom_port, am_port, webhook_port = free_port(), free_port(), free_port()
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(
        demo_stack_text(
            "it-cli",
            prometheus_port=prom_port,
            exporter_ports=ports,
            alertmanager_port=am_port,
            webhook_port=webhook_port,
        )
    )
    up = _run("up", "--runtime", "local", "--stack", str(stack_file), "--timeout", "60")
    assert up.returncode == 0, up.stderr
    assert "targets: 4/4 up" in up.stderr  # progress was shown
    assert "alertmanager: ready at" in up.stderr and "webhook: ready at" in up.stderr
    assert f"http://127.0.0.1:{prom_port}" in up.stdout
    assert f"alertmanager http://127.0.0.1:{am_port}" in up.stdout
    assert f"webhook      http://127.0.0.1:{webhook_port}" in up.stdout
    state = StackState.load("it-cli")
    assert state is not None
    try:
        url = state.prometheus_url
        targets = _api(url, "targets", state="active")["activeTargets"]
        random = [t for t in targets if t["labels"]["job"] == "example-random"]
        assert len(random) == 3
        assert all(t["health"] == "up" for t in random)
        groups = sorted((t["labels"]["group"], t["scrapeUrl"]) for t in random)
        assert [g for g, _ in groups] == ["canary", "production", "production"]
        assert f":{ports[2]}/" in groups[0][1]  # the third exporter is the canary

        # The summary and histogram of the exporters reach Prometheus.
        result = _api(url, "query", query="rpc_durations_seconds")["result"]
        services = {r["metric"]["service"] for r in result}
        assert services == {"uniform", "normal", "exponential"}
        assert {r["metric"]["quantile"] for r in result} == {"0.5", "0.9", "0.99"}

        # Prometheus listens on loopback only.
        flags = _api(url, "status/flags")
        assert flags["web.listen-address"] == f"127.0.0.1:{prom_port}"

        # A second `up` starts no second copy.
        pids = {name: record.pid for name, record in state.processes.items()}
        again = _run("up", "--runtime", "local", "--stack", str(stack_file), "--timeout", "60")
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stderr
        state_again = StackState.load("it-cli")
        assert state_again is not None
        assert {n: r.pid for n, r in state_again.processes.items()} == pids

        status = _run("status", "--name", "it-cli")
        assert status.returncode == 0, status.stderr
        rows = {line.split()[0]: line.split()[1:] for line in status.stdout.splitlines()[2:]}
        services = ["prometheus", "alertmanager", "webhook", "random-1", "random-2", "random-3"]
        assert list(rows) == services
        assert all(row[:2] == ["running", "healthy"] for row in rows.values()), status.stdout

        # Alertmanager's data is in the state directory; it runs alone (no cluster port).
        assert (stack_dir("it-cli") / "alertmanager").is_dir()
        am_status = httpx.get(f"http://127.0.0.1:{am_port}/api/v2/status", timeout=5).json()
        assert am_status["cluster"]["status"] == "disabled"

        # An exporter's log says where it serves from its first second on.
        log = _run("logs", "random-1", "--name", "it-cli")
        assert log.returncode == 0, log.stderr
        assert f"serving /metrics on 127.0.0.1:{ports[0]}" in log.stdout
    finally:
        down = _run("down", "--name", "it-cli")
    assert down.returncode == 0, down.stderr
    assert StackState.load("it-cli") is None
    for record in state.processes.values():
        assert not alive(record), record.command
    for port in (prom_port, am_port, webhook_port, *ports):
        assert not _listening(port), port


def test_without_an_alertmanager_binary_it_is_skipped_with_a_notice(tmp_path: Path) -> None:
    """As Grafana is: the rest of the stack runs, and Prometheus sends alerts nowhere."""
    require_prometheus()
    stack_file = tmp_path / "stack.yaml"
    ports = (free_port(), free_port(), free_port())
    stack_file.write_text(
        demo_stack_text("it-no-am", prometheus_port=free_port(), exporter_ports=ports)
    )
    env = {
        **os.environ,
        "PATH": str(tmp_path),  # no prometheus-alertmanager (nor anything else) here
        "PROMDASH_PROMETHEUS_BIN": str(find_prometheus()),
    }
    command = [sys.executable, "-m", "promdash.cli", "up", "--runtime", "local"]
    up = subprocess.run(
        [*command, "--stack", str(stack_file), "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    try:
        assert up.returncode == 0, up.stderr
        assert "alertmanager: skipped (no prometheus-alertmanager here; Debian: " in up.stderr
        state = StackState.load("it-no-am")
        assert state is not None and set(state.urls) == {
            "prometheus",
            "random-1",
            "random-2",
            "random-3",
        }
        assert _api(state.prometheus_url, "alertmanagers")["activeAlertmanagers"] == []
    finally:
        _run("down", "--name", "it-no-am")


def test_port_in_use_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    require_prometheus()
    ports = (free_port(), free_port(), free_port())
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(
        demo_stack_text("it-port", prometheus_port=free_port(), exporter_ports=ports)
    )
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[1]))
        holder.listen()
        result = _run("up", "--runtime", "local", "--stack", str(stack_file))
    assert result.returncode == cli.EXIT_PORT
    # The holder is named as the system tells it: this test's own process.
    me = f"{Path('/proc/self/comm').read_text().strip()} (pid {os.getpid()})"
    assert result.stderr.strip() == (
        f"promdash: port {ports[1]} is already in use (held by {me}); "
        "free it or change the port in the stack file"
    )
    assert StackState.load("it-port") is None
    for port in ports:
        if port != ports[1]:
            assert not _listening(port)


def test_timeout_stops_what_was_started(tmp_path: Path) -> None:
    """A readiness timeout exits 6, names what was not up, and leaves no process behind."""
    require_prometheus()
    ports = (free_port(), free_port(), free_port())
    prom_port = free_port()
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(
        demo_stack_text("it-timeout", prometheus_port=prom_port, exporter_ports=ports)
    )
    result = _run("up", "--runtime", "local", "--stack", str(stack_file), "--timeout", "0.5")
    assert result.returncode == cli.EXIT_TIMEOUT, result.stderr
    assert "Traceback" not in result.stderr
    assert StackState.load("it-timeout") is None
    time.sleep(0.2)
    for port in (prom_port, *ports):
        assert not _listening(port), port


def test_no_prometheus_and_no_docker_says_what_to_install(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "up", "--stack", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == cli.EXIT_STACK_FILE
    env = {
        "PATH": str(tmp_path),  # no prometheus here
        "DOCKER_HOST": f"unix://{tmp_path}/nobody.sock",
        "PROMDASH_STATE_DIR": str(tmp_path / "state"),
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "up"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == cli.EXIT_UNAVAILABLE, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line
    assert "apt-get install prometheus" in line and "--url" in line


def test_instance_down_goes_pending_when_an_exporter_stops(local_stack: RunningStack) -> None:
    """InstanceDown has `for: 5s` in the test's stack file, so it is pending first, then firing."""
    url = local_stack.url
    with local_stack.stopped("random-3"):
        states: set[str] = set()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and "firing" not in states:
            for alert in _api(url, "alerts")["alerts"]:
                if alert["labels"]["alertname"] == "InstanceDown":
                    assert alert["labels"]["group"] == "canary"
                    states.add(alert["state"])
            time.sleep(0.5)
        assert "pending" in states or "firing" in states
        targets = _api(url, "targets", state="active")["activeTargets"]
        canary = next(t for t in targets if t["labels"].get("group") == "canary")
        assert canary["health"] == "down"
        assert "connection refused" in canary["lastError"]
    assert "firing" in states
