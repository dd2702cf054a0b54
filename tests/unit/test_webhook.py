"""The webhook receiver as a real process on a real socket: what it logs and answers.

The notification posted here has the shape of Alertmanager's webhook payload
(version 4); tests/integration/test_alertmanager.py has a real Alertmanager
send one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stackfiles import free_port

ROOT = Path(__file__).resolve().parents[2]

NOTIFICATION = {
    "version": "4",
    "groupKey": '{}:{alertname="InstanceDown", instance="127.0.0.1:8081"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "webhook",
    "groupLabels": {"alertname": "InstanceDown", "instance": "127.0.0.1:8081"},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://127.0.0.1:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "InstanceDown",
                "instance": "127.0.0.1:8081",
                "job": "example-random",
                "severity": "critical",
                "note": 'say "hi"',
            },
            "annotations": {"summary": "Instance 127.0.0.1:8081 is down"},
            "startsAt": "2025-01-31T10:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": "0123456789abcdef",
        }
    ],
}


class Receiver:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@contextlib.contextmanager
def receiver(tmp_path: Path, *args: str) -> Iterator[Receiver]:
    port = free_port()
    log = tmp_path / "webhook.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "promdash.exporters.webhook",
                f"--listen-address=127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Receiver(process, port, log)
    try:
        deadline = time.monotonic() + 15
        while process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{running.url}/-/ready", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, running.lines()
            time.sleep(0.05)
        assert process.poll() is None, running.lines()
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def test_each_alert_is_one_line_with_its_status_name_labels_receiver_and_group(
    tmp_path: Path,
) -> None:
    with receiver(tmp_path) as running:
        answer = httpx.post(running.url + "/", json=NOTIFICATION, timeout=5)
        assert answer.status_code == 200
        kept = httpx.get(running.url + "/notifications", timeout=5).json()
        first, line = running.lines()
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) == 0
    listening = f"listening on 127.0.0.1:{running.port} for Alertmanager's notifications"
    assert first == f"webhook receiver: {listening}"
    received, status, name, rest = line.split(" ", 3)
    assert received.endswith("Z") and received.startswith("20")
    assert (status, name) == ("firing", "InstanceDown")
    assert rest == (
        '{instance="127.0.0.1:8081", job="example-random", note="say \\"hi\\"", '
        'severity="critical"} receiver=webhook '
        'groupKey={}:{alertname="InstanceDown", instance="127.0.0.1:8081"} '
        "startsAt=2025-01-31T10:00:00.000Z fingerprint=0123456789abcdef"
    )
    # The notification is kept as received, for the dashboard.
    assert kept == [{"receivedAt": received, **NOTIFICATION}]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "Expecting value: line 1 column 1 (char 0)"),
        (b'{"alerts": "none"}', "not an Alertmanager notification (no `alerts` list)"),
        (b'{"alerts": [{"status": "firing"}]}', "an alert without labels"),
        (b"[" * 100_000 + b"]" * 100_000, "maximum recursion depth exceeded"),
        (b"\xff\xfe\x00", "codec can't decode"),
    ],
    ids=["not-json", "no-alerts", "no-labels", "deep", "not-text"],
)
def test_a_post_that_is_not_a_notification_is_refused_in_one_line(
    tmp_path: Path, body: bytes, why: str
) -> None:
    with receiver(tmp_path) as running:
        answer = httpx.post(running.url + "/hook", content=body, timeout=5)
        assert answer.status_code == 400
        # ... and it goes on receiving.
        assert httpx.post(running.url, json=NOTIFICATION, timeout=5).status_code == 200
        lines = running.lines()
    assert len(lines) == 3 and "Traceback" not in "\n".join(lines)
    assert " refused a POST from 127.0.0.1: " in lines[1] and why in lines[1], lines[1]
    assert " firing InstanceDown " in lines[2]


def test_port_in_use_exits_3_with_one_line() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "promdash.exporters.webhook",
                f"--listen-address=127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 3
    assert result.stderr == f"webhook receiver: port {port} is already in use\n"


def test_a_bad_address_exits_2_with_one_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promdash.exporters.webhook", "--listen-address=nowhere"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("missing port in address")
    assert "Traceback" not in result.stderr
