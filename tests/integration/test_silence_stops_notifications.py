"""A silence stops an alert's notifications; expiring it brings them back.

The whole way round, for real, on the local runtime: Debian's Prometheus and
Alertmanager, the demo exporters and promdash's webhook receiver, with the
silence added and expired by `promdash silence` as a user runs it. The stack's
route timings are short, so an alert still firing is notified again every few
seconds: only the silence can keep the receiver quiet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from promdash.stack.local import LocalRuntime
from promdash.stack.state import StackState
from tests.conftest import (
    demo_stack_text,
    free_port,
    require_alertmanager,
    require_prometheus,
    write_stack,
)
from tests.integration.alertmanager import wait_until

pytestmark = pytest.mark.prometheus

ROUTE = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "3s"}
# Alertmanager looks at a group every group_interval and sends it again once
# repeat_interval has passed since its last notification: an alert that keeps
# firing is notified at least every group_interval + repeat_interval seconds.
LONGEST_GAP = 2 + 3


def _get(url: str) -> Any:
    answer = httpx.get(url, timeout=5)
    answer.raise_for_status()
    return answer.json()


def _notifications(webhook: str, instance: str) -> list[dict[str, Any]]:
    """The receiver's notifications carrying InstanceDown for `instance`, oldest first."""
    wanted = {"alertname": "InstanceDown", "instance": instance}.items()
    return [
        n
        for n in _get(f"{webhook}/notifications")
        if any(wanted <= a["labels"].items() for a in n["alerts"])
    ]


def _later(notifications: list[dict[str, Any]], than: str) -> list[dict[str, Any]]:
    # receivedAt is the receiver's UTC time, ISO 8601 to the millisecond: ordered as text.
    return [n for n in notifications if n["receivedAt"] > than]


def _status(alertmanager: str, instance: str) -> dict[str, Any]:
    """Alertmanager's status of InstanceDown for `instance` (state, silencedBy, inhibitedBy)."""
    (alert,) = [
        a
        for a in _get(f"{alertmanager}/api/v2/alerts")
        if a["labels"]["alertname"] == "InstanceDown" and a["labels"]["instance"] == instance
    ]
    status: dict[str, Any] = alert["status"]
    return status


def _promdash(*args: str) -> subprocess.CompletedProcess[str]:
    ambient = ("PROMDASH_URL", "PROMDASH_TOKEN", "COLUMNS", "LINES", "NO_COLOR")
    return subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ambient},
    )


def test_a_silence_stops_the_notifications_and_expiring_it_brings_them_back(
    tmp_path: Path,
) -> None:
    require_prometheus()
    require_alertmanager()
    text = demo_stack_text(
        "it-silence",
        prometheus_port=free_port(),
        exporter_ports=(free_port(), free_port(), free_port()),
        instance_down_for="1s",
        route=ROUTE,
    )
    _, stack = write_stack(tmp_path, text)
    runtime = LocalRuntime()
    state = runtime.up(stack, without=[], timeout=60)
    try:
        alertmanager, webhook = state.urls["alertmanager"], state.urls["webhook"]
        instance = f"127.0.0.1:{stack.ports()['random-2']}"
        flags = ["--url", state.prometheus_url, "--alertmanager-url", alertmanager]

        # Alertmanager runs with the short timings (it accepted them).
        config = yaml.safe_load(_get(f"{alertmanager}/api/v2/status")["config"]["original"])
        assert {k: config["route"][k] for k in ROUTE} == ROUTE

        # An exporter stops: InstanceDown fires and the receiver is told, twice (the
        # second is the repeat, so a quiet receiver below is the silence's doing).
        runtime.stop_service(state, "random-2")
        wait_until(
            lambda: len(_notifications(webhook, instance)) >= 2,
            "two InstanceDown notifications in the webhook receiver",
            timeout=60,
        )
        first = _notifications(webhook, instance)[0]
        assert first["status"] == "firing" and first["receiver"] == "webhook"
        assert first["groupLabels"] == {"alertname": "InstanceDown", "instance": instance}
        [sent] = first["alerts"]
        assert sent["status"] == "firing"
        assert sent["labels"]["alertname"] == "InstanceDown"
        assert sent["labels"]["instance"] == instance
        assert sent["annotations"]["summary"] == f"Instance {instance} is down"

        added = _promdash(
            "silence", "add", "alertname=InstanceDown", f"instance={instance}",
            "--for", "10m", "--comment", "test", *flags,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        silence_id = added.stdout.strip()
        assert uuid.UUID(silence_id)
        assert _status(alertmanager, instance) == {
            "state": "suppressed",
            "silencedBy": [silence_id],
            "inhibitedBy": [],
        }

        # Taken once Alertmanager says the alert is silenced: a notification it was
        # already sending when the silence came would have arrived by then.
        last = _notifications(webhook, instance)[-1]["receivedAt"]
        # Nothing arriving can only be seen by waiting: three times the longest gap
        # between two notifications of an alert that is not silenced.
        time.sleep(3 * LONGEST_GAP)
        assert _later(_notifications(webhook, instance), last) == []
        # ... while the alert kept firing, silenced all along.
        assert _status(alertmanager, instance)["silencedBy"] == [silence_id]

        expired = _promdash("silence", "expire", silence_id, *flags)
        assert expired.returncode == 0, expired.stderr
        assert expired.stderr == f"promdash: silence {silence_id} expired\n"
        assert _status(alertmanager, instance) == {
            "state": "active",
            "silencedBy": [],
            "inhibitedBy": [],
        }
        wait_until(
            lambda: bool(_later(_notifications(webhook, instance), last)),
            "an InstanceDown notification after the silence expired",
            timeout=4 * LONGEST_GAP,
        )
        [again] = _later(_notifications(webhook, instance), last)[:1]
        assert again["status"] == "firing"
        assert again["alerts"][0]["fingerprint"] == sent["fingerprint"]
    finally:
        runtime.down(StackState.load(stack.name) or state, volumes=True)
