"""A real Alertmanager (Debian's 0.25) and a real Prometheus that sends it alerts, for tests.

`own_alertmanager` starts `prometheus-alertmanager` on a free 127.0.0.1 port with
its data in a temporary directory, clustering off, one webhook receiver (at a
closed port: notifications fail, which Alertmanager only logs) and one
inhibition rule: a critical alert inhibits the warnings of its instance.
`prometheus_alerting_to` starts Prometheus with `alerting:` pointed at it and
an `InstanceDown` rule that fires at once for a closed port.

Without the binary a test is skipped on a developer's machine and fails in CI.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI
from tests.integration.test_client import binary, free_port
from tests.stackfiles import stop

ALERTMANAGER = "prometheus-alertmanager"
RECEIVER = "hook"

ALERTMANAGER_CONFIG = """\
route:
  receiver: {receiver}
  group_by: [alertname, instance]
receivers:
  - name: {receiver}
    webhook_configs:
      - url: http://127.0.0.1:{closed}/hook
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [instance]
"""

PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{{targets: {alertmanagers}}}]
scrape_configs:
  - job_name: closed
    static_configs: [{{targets: ["127.0.0.1:{closed}"]}}]
"""

RULES = """\
groups:
  - name: test
    rules:
      - alert: InstanceDown
        expr: up == 0
        labels: {severity: critical}
        annotations: {summary: "Instance {{ $labels.instance }} is down"}
"""


def require_alertmanager() -> str:
    path = shutil.which(ALERTMANAGER) or shutil.which(ALERTMANAGER, path="/usr/bin")
    if path is None:
        message = f"no {ALERTMANAGER} binary (Debian: apt-get install prometheus-alertmanager)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class OwnAlertmanager:
    url: str
    process: subprocess.Popen[bytes]
    directory: Path

    def get(self, path: str, **params: str) -> Any:
        return httpx.get(f"{self.url}/api/v2/{path}", params=params, timeout=5).json()

    def post_alerts(self, *alerts: dict[str, Any]) -> None:
        """Alerts as Prometheus would send them (firing until they time out, 5 m)."""
        httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=5).raise_for_status()

    def silences(self) -> list[dict[str, Any]]:
        silences: list[dict[str, Any]] = self.get("silences")
        return silences

    def alert(self, **labels: str) -> dict[str, Any]:
        """The one alert whose labels include `labels`."""
        found = [
            a for a in self.get("alerts") if all(a["labels"].get(k) == v for k, v in labels.items())
        ]
        assert len(found) == 1, (labels, found)
        return found[0]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError, AssertionError):
            if check():
                return
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.2)


@contextlib.contextmanager
def own_alertmanager(directory: Path) -> Iterator[OwnAlertmanager]:
    """A real Alertmanager, ready (its API answers) when yielded; stopped after."""
    path = require_alertmanager()
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG.format(receiver=RECEIVER, closed=free_port()))
    with (directory / "alertmanager.log").open("wb") as log:
        process = subprocess.Popen(
            [
                path,
                f"--config.file={config}",
                f"--storage.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    server = OwnAlertmanager(f"http://127.0.0.1:{port}", process, directory)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited: {(directory / 'alertmanager.log').read_text()}")
            return bool(server.get("status")["versionInfo"]["version"])

        wait_until(ready, "Alertmanager answering")
        yield server
    finally:
        stop(process)


@dataclass
class AlertingPrometheus:
    url: str
    closed: str  # host:port of the down target whose InstanceDown fires


@contextlib.contextmanager
def prometheus_alerting_to(
    directory: Path, alertmanagers: Sequence[str], rules: str = RULES
) -> Iterator[AlertingPrometheus]:
    """A real Prometheus sending alerts to `alertmanagers` (host:port), InstanceDown firing
    (and whatever else `rules` has fire for the closed port)."""
    port, closed = free_port(), free_port()
    directory.mkdir(parents=True, exist_ok=True)
    targets = "[" + ", ".join(f'"{a}"' for a in alertmanagers) + "]"
    (directory / "prometheus.yml").write_text(
        PROMETHEUS_CONFIG.format(alertmanagers=targets, closed=closed)
    )
    (directory / "rules.yml").write_text(rules)
    with (directory / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary("prometheus", "prometheus"),
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                # Alerts are sent again each second, not each minute: the first sends
                # may come before the Alertmanager list is loaded.
                "--rules.alert.resend-delay=1s",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def firing() -> bool:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited: {(directory / 'prometheus.log').read_text()}")
            answer = httpx.get(f"{url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
            return any(a["state"] == "firing" for a in answer)

        wait_until(firing, "Prometheus firing InstanceDown")
        yield AlertingPrometheus(url, f"127.0.0.1:{closed}")
    finally:
        stop(process)
