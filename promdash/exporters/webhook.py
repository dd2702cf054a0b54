"""The demo stack's webhook receiver: where its Alertmanager sends notifications.

    python -m promdash.exporters.webhook [--listen-address=127.0.0.1:5001]

It answers Alertmanager's webhook POSTs (payload version 4, any path) and
writes one line per alert of each notification, so `promdash logs webhook`
shows what was sent, to whom and why:

    2025-01-31T10:00:05.123Z firing InstanceDown {instance="127.0.0.1:8081", job="example-random",
    severity="critical"} receiver=webhook groupKey={}:{alertname="InstanceDown",
    instance="127.0.0.1:8081"} startsAt=2025-01-31T10:00:00.000Z fingerprint=0123456789abcdef

(one line; the labels leave out `alertname`, which comes before them). GET
/notifications answers the last 100 notifications as JSON (oldest first, each
with its `receivedAt`); GET /-/healthy and /-/ready answer 200.

Exit codes as the random exporter's: 0 stopped by SIGTERM or SIGINT, 1 cannot
listen, 2 bad flags, 3 the port is already in use.

Only the standard library and the random exporter's listener: it runs in the
exporter's image too.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from promdash.exporters.random import (
    EXIT_CANNOT_LISTEN,
    EXIT_OK,
    EXIT_PORT_IN_USE,
    bind,
    parse_listen_address,
)

KEPT_NOTIFICATIONS = 100
# Alertmanager sends a group's alerts in one body; far below this even for thousands.
MAX_BODY_BYTES = 16 * 1024 * 1024


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _labels(labels: dict[str, Any]) -> str:
    pairs = (
        f"{name}={json.dumps(str(value), ensure_ascii=False)}" for name, value in labels.items()
    )
    return "{" + ", ".join(sorted(pairs)) + "}"


def alert_lines(payload: object, received: str) -> list[str]:
    """One line per alert of an Alertmanager notification; ValueError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValueError("not an Alertmanager notification (no `alerts` list)")
    receiver = payload.get("receiver", "?")
    group_key = payload.get("groupKey", "?")
    lines = []
    for alert in payload["alerts"]:
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            raise ValueError("an alert without labels")
        labels = dict(alert["labels"])
        name = labels.pop("alertname", "?")
        lines.append(
            f"{received} {alert.get('status', '?')} {name} {_labels(labels)} "
            f"receiver={receiver} groupKey={group_key} startsAt={alert.get('startsAt', '?')} "
            f"fingerprint={alert.get('fingerprint', '?')}"
        )
    return lines


class Receiver:
    """The WSGI app: logs each notification and keeps the last few for GET /notifications."""

    def __init__(self, log: Any = sys.stderr) -> None:
        self.log = log
        self.kept: deque[dict[str, Any]] = deque(maxlen=KEPT_NOTIFICATIONS)
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if method == "GET" and path in ("/-/healthy", "/-/ready"):
            return _answer(start_response, "200 OK", "OK\n")
        if method == "GET" and path == "/notifications":
            with self._lock:
                body = json.dumps(list(self.kept), ensure_ascii=False)
            return _answer(start_response, "200 OK", body, "application/json")
        if method != "POST":
            return _answer(start_response, "405 Method Not Allowed", "POST a notification\n")
        return self._receive(environ, start_response)

    def _receive(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        received = _now()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            return self._refuse(start_response, environ, received, "no usable Content-Length")
        try:
            payload = json.loads(environ["wsgi.input"].read(length))
            lines = alert_lines(payload, received)
        except (ValueError, RecursionError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return self._refuse(start_response, environ, received, why)
        with self._lock:
            self.kept.append({"receivedAt": received, **payload})
            for line in lines:
                print(line, file=self.log, flush=True)
        return _answer(start_response, "200 OK", "OK\n")

    def _refuse(
        self, start_response: StartResponse, environ: WSGIEnvironment, received: str, why: str
    ) -> Iterable[bytes]:
        sender = environ.get("REMOTE_ADDR", "?")
        print(f"{received} refused a POST from {sender}: {why}", file=self.log, flush=True)
        return _answer(start_response, "400 Bad Request", f"{why}\n")


def _answer(
    start_response: StartResponse, status: str, body: str, kind: str = "text/plain"
) -> Iterable[bytes]:
    data = body.encode("utf-8")
    start_response(
        status, [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, str, int]:
    """(listen address, host, port); bad flags end the process with exit code 2."""
    parser = argparse.ArgumentParser(
        prog="python -m promdash.exporters.webhook",
        description="Receive Alertmanager's webhook notifications and log one line per alert.",
        allow_abbrev=False,
    )
    parser.add_argument("-listen-address", "--listen-address", default="127.0.0.1:5001")
    address = parser.parse_args(argv).listen_address
    try:
        host, port = parse_listen_address(address)
    except ValueError as exc:
        parser.error(str(exc))
    return address, host, port


def main(argv: Sequence[str] | None = None) -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    address, host, port = parse_args(argv)
    try:
        server = bind(host, port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"webhook receiver: port {port} is already in use", file=sys.stderr)
            return EXIT_PORT_IN_USE
        reason = error.strerror or str(error)
        print(f"webhook receiver: cannot listen on {address}: {reason}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    server.set_app(Receiver())
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    print(
        f"webhook receiver: listening on {address} for Alertmanager's notifications",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    server.shutdown()
    server.server_close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
