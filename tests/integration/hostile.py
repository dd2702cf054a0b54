"""A hostile (or just odd) Prometheus-compatible server: real HTTP, answers a test picks.

`HostileServer` listens on a real socket and answers every API endpoint in the
shape named by its `shape` attribute, which a test may change while it runs:

- "good": the answers recorded from a real Prometheus (tests/data/recorded);
- each key of `BAD_SHAPES`: valid JSON of the wrong shape, put to every endpoint
  in that endpoint's own terms (issue 8's reproduced crashes);
- "huge label": good answers, except one target and one series carry a 5 MB label;
- "garbled gzip": a body that says it is gzip and is not;
- "slow": the connection is accepted and the request read, but no answer comes
  until the server is closed (a query Prometheus needs minutes for).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"

# Which recorded answer stands for each endpoint in the "good" shape.
_GOOD_FILES = {
    "targets": "targets",
    "rules": "rules",
    "alerts": "alerts",
    "metadata": "metadata",
    "labels": "labels",
    "label_values": "label_job_values",
    "query": "query_up",
    "query_range": "query_range_up",
    "buildinfo": "buildinfo",
}
KINDS = (*_GOOD_FILES, "series")

ENDPOINTS = {
    "targets": "/api/v1/targets",
    "rules": "/api/v1/rules",
    "alerts": "/api/v1/alerts",
    "metadata": "/api/v1/metadata",
    "labels": "/api/v1/labels",
    "series": "/api/v1/series",
    "query": "/api/v1/query",
    "query_range": "/api/v1/query_range",
    "buildinfo": "/api/v1/status/buildinfo",
}

_TARGET = {"scrapeUrl": "http://127.0.0.1:1/metrics", "health": "up", "labels": {}}

BAD_SHAPES: dict[str, dict[str, Any]] = {
    "a string where a list belongs": {
        "targets": {"activeTargets": "abc"},
        "query": {"resultType": "vector", "result": "abc"},
        "query_range": {"resultType": "matrix", "result": "abc"},
        "rules": {"groups": "abc"},
        "alerts": {"alerts": "abc"},
        "metadata": {"up": "abc"},
        "labels": "abc",
        "label_values": "abc",
        "series": "abc",
        "buildinfo": {"version": ["abc"]},
    },
    "null data": dict.fromkeys(KINDS),
    "an array for data": {kind: [1, 2, 3] for kind in KINDS},
    "a sample cut short": {
        "targets": {"activeTargets": [{**_TARGET, "labels": {"job": 1}}]},
        "query": {"resultType": "vector", "result": [{"value": [1]}]},
        "query_range": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1]]}]},
        "rules": {
            "groups": [
                {
                    "name": "g",
                    "rules": [
                        {"name": "r", "type": "alerting", "alerts": [{"labels": {}, "value": []}]}
                    ],
                }
            ]
        },
        "alerts": {"alerts": [{"labels": {}, "value": []}]},
        "metadata": {"up": [{"type": 1}]},
        "labels": [1],
        "label_values": [1],
        "series": [{"job": 1}],
        "buildinfo": {"version": 2},
    },
    "a series without its metric": {
        "targets": {"activeTargets": [{"health": "up", "labels": {}}]},
        "query": {"resultType": "vector", "result": [{"value": [1, "1"]}]},
        "query_range": {"resultType": "matrix", "result": [{"values": [[1, "1"]]}]},
        "rules": {"groups": [{"rules": []}]},
        "alerts": {"alerts": [{"state": "firing"}]},
        "metadata": {"up": [{"help": ["x"]}]},
        "labels": [None],
        "label_values": [None],
        "series": [None],
        "buildinfo": {"goVersion": None},
    },
    "a value that is not a number": {
        "targets": {"activeTargets": [{**_TARGET, "lastScrapeDuration": "abc"}]},
        "query": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "abc"]}]},
        "query_range": {
            "resultType": "matrix",
            "result": [{"metric": {}, "values": [[1, "1"], [2, "+Inf"], [3, "abc"]]}],
        },
        "rules": {"groups": [{"name": "g", "interval": "abc"}]},
        "alerts": {"alerts": [{"labels": {}, "value": True}]},
        "metadata": {"up": [{"unit": 5}]},
        "labels": [True],
        "label_values": [True],
        "series": [True],
        "buildinfo": {"version": 1.5},
    },
}

# Another endpoint's answer: valid JSON, the wrong object (a query answer where
# targets belong, and so on round). Missing fields must not read as "none".
_QUERY_ANSWER = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "1"]}]}
BAD_SHAPES["another endpoint's answer"] = {
    kind: ({"activeTargets": []} if kind.startswith("query") else _QUERY_ANSWER) for kind in KINDS
}

HUGE = "x" * (5 * 1024 * 1024)  # a 5 MB label value


def endpoint_kind(path: str) -> str | None:
    """The endpoint a request path asks for (`label_values` for /api/v1/label/NAME/values)."""
    path = urlsplit(path).path
    if path.startswith("/api/v1/label/") and path.endswith("/values"):
        return "label_values"
    return next((kind for kind, known in ENDPOINTS.items() if known == path), None)


def envelope(data: object) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()


def _huge(kind: str) -> bytes | None:
    if kind == "targets":
        target = {**_TARGET, "scrapePool": "big", "labels": {"job": "big", "big": HUGE}}
        return envelope({"activeTargets": [target], "droppedTargets": []})
    if kind == "query":
        sample = {"metric": {"__name__": "up", "big": HUGE}, "value": [1700000000.0, "1"]}
        return envelope({"resultType": "vector", "result": [sample]})
    return None


class HostileServer:
    """Use as `with HostileServer() as server:`; set `server.shape` to change its answers."""

    def __init__(self, shape: str = "good") -> None:
        self.shape = shape
        self.url = ""
        self.requests: list[str] = []
        self.encodings: list[str] = []  # each request's Accept-Encoding
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, path: str) -> tuple[int, bytes]:
        kind = endpoint_kind(path)
        if kind is None:
            return 404, b"404 page not found\n"
        shape = self.shape
        if shape == "garbled gzip":
            return 200, b"not gzip at all"
        if shape == "slow":
            self._closing.wait(120)
            return 503, b""
        if shape == "huge label":
            body = _huge(kind)
            if body is not None:
                return 200, body
            shape = "good"
        if shape == "good":
            name = _GOOD_FILES.get(kind)
            return (200, (RECORDED / f"{name}.json").read_bytes()) if name else (200, envelope([]))
        return 200, envelope(BAD_SHAPES[shape][kind])

    def __enter__(self) -> HostileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                owner.requests.append(self.path)
                owner.encodings.append(self.headers.get("Accept-Encoding", ""))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, body = owner.answer(self.path)
                if owner._closing.is_set():
                    return  # the client gave up long ago
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if owner.shape == "garbled gzip":
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that timed out and hung up is what the slow shape is for

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
