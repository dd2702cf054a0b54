"""A snapshot of the demo Grafana dashboard at 120x40, on answers recorded from a real
demo stack (tests/data/grafana-recorded/, made by its record.py) and served back by a
small real HTTP server here.

The dashboard's clock is stopped at the recording's moment, as record.py stopped it,
and the time zone is UTC: the panels ask for the same 15 minutes, get the recorded
answers and draw the same axes on every run.

Update after an intended change: pytest tests/tui/test_grafana_snapshot.py --snapshot-update
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import promdash.tui.screens.grafana as grafana_screen
from promdash.config import Connection
from promdash.grafana.variables import time_range
from promdash.tui.app import PromdashApp, make_app
from promdash.tui.screens.grafana import GrafanaScreen
from promdash.tui.settings import DashSettings
from promdash.tui.widgets.grafana import GrafanaPanel, TextPanel
from tests.tui.helpers import wait_for

RECORDED = Path(__file__).resolve().parents[1] / "data" / "grafana-recorded"
DASHBOARD = Path(__file__).resolve().parents[2] / "stacks/demo/grafana/dashboards/demo.json"
SHOWN_URL = "http://prometheus.recorded:9090"
WHEN = frozenset({"start", "end", "time", "step"})  # as record.py: the moment is not matched


def _manifest() -> dict[str, Any]:
    return json.loads((RECORDED / "manifest.json").read_text())  # type: ignore[no-any-return]


def _key(path: str, params: list[tuple[str, str]]) -> str:
    return json.dumps([path, sorted((k, v) for k, v in params if k not in WHEN)])


class _Recorded(BaseHTTPRequestHandler):
    """Answers each question with the recorded answer to the same question, else 404."""

    answers: ClassVar[dict[str, tuple[str, int]]] = {}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        found = self.answers.get(_key(url.path, parse_qsl(url.query, keep_blank_values=True)))
        if found is None:
            body, status = b'{"status":"error","errorType":"not_found","error":"not recorded"}', 404
        else:
            body, status = (RECORDED / f"{found[0]}.json").read_bytes(), found[1]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ToRecorded(httpx.AsyncBaseTransport):
    """Sends the app's requests for SHOWN_URL (what the screen names) to the local server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def recorded_port() -> Iterator[int]:
    _Recorded.answers = {
        _key(a["path"], list(a["params"].items())): (name, int(a["status"]))
        for name, a in _manifest()["answers"].items()
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """The Grafana screen's clock at the recording's moment, in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    now = float(_manifest()["recordedAt"])
    monkeypatch.setattr(
        grafana_screen, "time_range", lambda start, end: time_range(start, end, now)
    )
    stopped = SimpleNamespace(strftime=lambda fmt: time.strftime(fmt, time.gmtime(now)))
    monkeypatch.setattr(grafana_screen, "time", stopped)
    return now


def grafana_app(port: int, now: float) -> PromdashApp:
    """The app as `promdash dash --dashboard demo.json` opens it, on the recorded answers."""
    app = make_app(
        DashSettings(
            connection=Connection(url=SHOWN_URL),
            theme="promdash-dark",
            clock=lambda: now,
            catalog=False,
            grafana_dashboards=(DASHBOARD,),
            grafana_open=DASHBOARD,
            history_file=None,
            remember_theme=None,
            transport=_ToRecorded(port),
        )
    )
    app.animation_level = "none"
    return app


async def _all_panels_drawn(pilot: Any) -> None:
    app: PromdashApp = pilot.app
    # `app.run(auto_pilot=...)` (how snapshots run) starts this before the screen is
    # composed; a Pilot pause then forces a layout mid-compose. Wait for it plainly.
    for _ in range(200):
        if isinstance(app.screen, GrafanaScreen):
            break
        await asyncio.sleep(0.05)
    screen = app.screen
    assert isinstance(screen, GrafanaScreen)
    await wait_for(pilot, lambda: screen.polls > 0, what="the first poll")
    panels = [w for w in screen.widgets.values() if isinstance(w, GrafanaPanel) and w.display]
    await wait_for(
        pilot,
        lambda: all(isinstance(p, TextPanel) or p.status() is None for p in panels),
        what="every panel drawn",
    )
    if app.focused is not None and hasattr(app.focused, "cursor_blink"):
        app.focused.cursor_blink = False
    await pilot.pause(0.3)


def test_demo_grafana_dashboard_snapshot(
    snap_compare: Any, recorded_port: int, stopped_clock: float
) -> None:
    app = grafana_app(recorded_port, stopped_clock)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_all_panels_drawn)
