"""Alertmanager in the demo stack, for real: Debian's Alertmanager and Prometheus, the
demo exporters and promdash's webhook receiver on the local runtime (the session's
`local_stack`, whose InstanceDown has `for: 5s`). Nothing is mocked."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest

from tests.conftest import RunningStack, require_alertmanager

pytestmark = pytest.mark.prometheus

T = TypeVar("T")


def _wait(what: str, found: Callable[[], T | None], timeout: float = 90) -> T:
    """What `found` returns once it is something; a failure naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen in {timeout:g}s")
        time.sleep(0.5)
    return value


def _get(url: str) -> Any:
    answer = httpx.get(url, timeout=5)
    answer.raise_for_status()
    return answer.json()


def _alert(alerts: list[dict[str, Any]], name: str, instance: str) -> dict[str, Any] | None:
    return next(
        (
            a
            for a in alerts
            if a["labels"].get("alertname") == name and a["labels"].get("instance") == instance
        ),
        None,
    )


def test_instance_down_reaches_alertmanager_and_the_webhook_and_inhibits_the_warning(
    local_stack: RunningStack,
) -> None:
    require_alertmanager()
    urls = local_stack.state.urls
    alertmanager, webhook = urls["alertmanager"], urls["webhook"]
    instance = f"127.0.0.1:{local_stack.stack.ports()['random-2']}"
    prometheus_alerts = f"{local_stack.url}/api/v1/alerts"

    # Prometheus sends its alerts to the stack's Alertmanager, which runs alone.
    active = _get(f"{local_stack.url}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert [a["url"] for a in active] == [f"{alertmanager}/api/v2/alerts"]
    assert _get(f"{alertmanager}/api/v2/status")["cluster"]["status"] == "disabled"

    with local_stack.stopped("random-2"):
        _wait(
            "InstanceDown firing in Prometheus",
            lambda: next(
                (
                    a
                    for a in _get(prometheus_alerts)["data"]["alerts"]
                    if a["labels"]["alertname"] == "InstanceDown"
                    and a["labels"]["instance"] == instance
                    and a["state"] == "firing"
                ),
                None,
            ),
        )
        down = _wait(
            "InstanceDown in Alertmanager",
            lambda: _alert(_get(f"{alertmanager}/api/v2/alerts"), "InstanceDown", instance),
        )
        assert down["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
        assert down["receivers"] == [{"name": "webhook"}]
        assert down["labels"]["severity"] == "critical"

        # The warning of the same instance is inhibited by the critical InstanceDown.
        missed = _wait(
            "ScrapesMissed inhibited in Alertmanager",
            lambda: next(
                (
                    a
                    for a in _get(f"{alertmanager}/api/v2/alerts")
                    if a["labels"]["alertname"] == "ScrapesMissed"
                    and a["labels"]["instance"] == instance
                    and a["status"]["state"] == "suppressed"
                ),
                None,
            ),
        )
        assert missed["labels"]["severity"] == "warning"
        assert missed["status"]["inhibitedBy"] == [down["fingerprint"]]
        assert missed["status"]["silencedBy"] == []

        # The webhook receiver got the notification: one line per alert in its log ...
        def logged() -> str | None:
            lines = local_stack.runtime.logs(local_stack.state, "webhook", tail=1000)
            return next(
                (
                    line
                    for line in lines
                    if f' firing InstanceDown {{group="production", instance="{instance}"' in line
                ),
                None,
            )

        line = _wait("InstanceDown in the webhook receiver's log", logged)
        received, status, name, rest = line.split(" ", 3)
        assert (status, name) == ("firing", "InstanceDown")
        assert 'job="example-random"' in rest and 'severity="critical"' in rest
        group_key = f'{{}}:{{alertname="InstanceDown", instance="{instance}"}}'
        assert f" receiver=webhook groupKey={group_key} " in rest
        assert rest.endswith(f" fingerprint={down['fingerprint']}")

        # ... and the payload as Alertmanager sent it.
        notification = next(
            n
            for n in _get(f"{webhook}/notifications")
            if n["groupKey"] == group_key and n["receivedAt"] == received
        )
        assert notification["status"] == "firing"
        assert notification["receiver"] == "webhook"
        assert notification["groupLabels"] == {"alertname": "InstanceDown", "instance": instance}
        [sent] = notification["alerts"]
        assert sent["status"] == "firing" and sent["fingerprint"] == down["fingerprint"]
        assert sent["labels"]["alertname"] == "InstanceDown"
        assert sent["labels"]["instance"] == instance
        assert sent["annotations"]["summary"] == f"Instance {instance} is down"

    # `promdash logs webhook` shows it, as a user reads it.
    shown = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "logs", "webhook", "--name", local_stack.stack.name],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert line in shown.stdout.splitlines()
    assert shown.stdout.startswith("webhook receiver: listening on 127.0.0.1:")
