"""Snapshots of every panel in two themes, from answers recorded from a real Prometheus.

`tests/data/recorded/` holds what a real server answered (scripts/record-fixtures.py),
`tests/data/recorded-alertmanager/` what a real Alertmanager answered about the same
alerts (scripts/record-alertmanager.py); a small real HTTP server here serves those
bytes back. The clock is fixed at the
recording time and the time zone is UTC, so "3s ago" and the plot's time axis
come out the same on every run. The Stack panel shows service rows recorded
from a real local stack (tests/tui/data/stack_status.json, made by
tests/tui/record_stack_status.py).

Update after an intended change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from textual.widgets import Input

from promdash.config import Connection
from promdash.stack.runtime import ServiceStatus
from promdash.tui.app import PromdashApp, make_app
from promdash.tui.settings import DashSettings, PanelName
from tests.tui.helpers import SIZE, type_text, wait_for

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
AM_RECORDED = RECORDED.parent / "recorded-alertmanager"
SHOWN_AM_URL = "http://alertmanager.recorded:9093"
STACK_STATUS = Path(__file__).resolve().parent / "data" / "stack_status.json"
SHOWN_URL = "http://prometheus.recorded:9090"  # what the header shows; requests go to the server
GRAPH_QUERY = "sum by (instance, service) (rate(rpc_durations_seconds_count[1m]))"
THEMES = ("promdash-dark", "promdash-light")
PANELS: tuple[PanelName, ...] = ("targets", "graph", "alerts", "stack")

pytestmark = pytest.mark.skipif(
    not (RECORDED / "manifest.json").is_file(),
    reason="no recorded answers: run scripts/record-fixtures.py against a demo stack",
)


def _manifest(folder: Path = RECORDED) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())  # type: ignore[no-any-return]


class _Recorded(BaseHTTPRequestHandler):
    """Answers each API call with the recorded answer to the same call."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        folder = AM_RECORDED if url.path.startswith("/api/v2/") else RECORDED
        name, status = self._pick(folder, url.path, params)
        if name is None:
            body = b'{"status":"error","errorType":"not_found","error":"not recorded"}'
            status = 404
        else:
            body = (folder / f"{name}.json").read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _pick(self, folder: Path, path: str, params: dict[str, str]) -> tuple[str | None, int]:
        answers: dict[str, Any] = _manifest(folder)["answers"]
        for name, answer in answers.items():
            if answer["path"] != path:
                continue
            asked = answer["params"].get("query")
            if asked is None or asked == params.get("query"):
                return name, int(answer.get("status", 200))
        return None, 404

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ToRecorded(httpx.AsyncBaseTransport):
    """Sends the app's requests for SHOWN_URL to the local server of recorded answers."""

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
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def _stack_rows(name: str) -> list[ServiceStatus]:
    return [ServiceStatus(**row) for row in json.loads(STACK_STATUS.read_text())]


def snapshot_app(
    port: int, theme: str, panel: PanelName, folder: Path = RECORDED, **extra: Any
) -> PromdashApp:
    """The app on recorded answers, its clock at `folder`'s recording time."""
    recorded_at = float(_manifest(folder)["recordedAt"])
    settings = DashSettings(
        connection=Connection(url=SHOWN_URL),
        theme=theme,
        panel=panel,
        queries=(GRAPH_QUERY,),
        clock=lambda: recorded_at,
        catalog=False,
        stack_name="demo",
        stack_status=_stack_rows,
        transport=_ToRecorded(port),
        **extra,
    )
    app = make_app(settings)
    # The tab underline glides when a tab's label changes (counts arrive): without
    # animation a snapshot cannot catch it half-way.
    app.animation_level = "none"
    return app


async def _settled(pilot: Any, panel: PanelName) -> None:
    app: PromdashApp = pilot.app
    # `app.run(auto_pilot=...)` (how snapshots run) starts this before the screen is
    # composed; a Pilot pause then forces a layout mid-compose. Wait for it plainly.
    for _ in range(200):
        if app.started:
            break
        await asyncio.sleep(0.05)
    screen = app.dashboard
    await wait_for(pilot, lambda: screen.targets.targets is not None, what="targets")
    await wait_for(pilot, lambda: screen.alerts.groups is not None, what="rules")
    await wait_for(pilot, lambda: app.build_info is not None, what="build info")
    if panel == "graph":
        view = screen.graph.active_view()
        await wait_for(pilot, lambda: view is not None and view.plot.draws > 0, what="the plot")
    if panel == "overview":
        minis = screen.overview.minis()
        await wait_for(pilot, lambda: all(m.plot.draws > 0 for m in minis), what="the graphs")
    if panel == "stack":
        stack = screen.stack
        await wait_for(pilot, lambda: stack is not None and stack.rows is not None)
    if panel in ("targets", "alerts"):
        # Put the cursor on the first row that says most: a down target, a firing rule.
        table = screen.targets.table if panel == "targets" else screen.alerts.table
        keys = table.row_keys
        wanted = "|error" if panel == "targets" else "|RPCLatencyHigh"
        interesting = [i for i, key in enumerate(keys) if key.endswith(wanted)]
        if interesting:
            table.move_cursor(row=max(interesting[0] - (panel == "targets"), 0))
    await wait_for(pilot, lambda: _underline_settled(screen), what="the tab underline")
    await pilot.pause(0.3)


def _underline_settled(screen: Any) -> bool:
    """The panel tabs' underline sits under the active tab (it moves when a count arrives)."""
    from textual.widgets import Tabs
    from textual.widgets._tabs import Underline

    tabs = screen.query_one("#panel-tabs", Tabs)
    tab = tabs.active_tab
    if tab is None:
        return True
    start, end = tab.virtual_region.shrink(tab.styles.gutter).column_span
    underline = tabs.query_one(Underline)
    return (underline.highlight_start, underline.highlight_end) == (start, end)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("panel", PANELS)
def test_panel_snapshot(
    snap_compare: Any, recorded_port: int, panel: PanelName, theme: str
) -> None:
    app = snapshot_app(recorded_port, theme, panel)

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, panel)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# The overview's graphs: queries the recording holds (any range gets the recorded one).
OVERVIEW_GRAPHS = (("RPC calls per second", GRAPH_QUERY), ("targets up", "up"))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", [(120, 40), (160, 50)])
def test_overview_snapshot(
    snap_compare: Any, recorded_port: int, size: tuple[int, int], theme: str
) -> None:
    app = snapshot_app(
        recorded_port, theme, "targets", layout="auto", overview_graphs=OVERVIEW_GRAPHS
    )

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "overview")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_typed_query_snapshot(snap_compare: Any, recorded_port: int, size: tuple[int, int]) -> None:
    """The PromQL input shows what is typed while it has the focus."""
    app = snapshot_app(recorded_port, "promdash-dark", "graph")

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "graph")
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        # A blinking cursor would make the picture depend on the moment it is taken.
        pilot.app.focused.cursor_blink = False
        await type_text(pilot, "rate(up")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help_snapshot(snap_compare: Any, recorded_port: int) -> None:
    app = snapshot_app(recorded_port, "promdash-dark", "targets")

    async def run_before(pilot: Any) -> None:
        await _settled(pilot, "targets")
        await pilot.press("f1")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_an_alerts_filter_that_matches_nothing_says_so(recorded_port: int) -> None:
    """Recorded data has firing rules and none pending: the table is empty, and says why."""
    app = snapshot_app(recorded_port, "promdash-dark", "alerts")
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(pilot, "alerts")
        panel = app.dashboard.alerts
        panel.set_filter("pending")
        await pilot.pause()
        assert panel.table.row_keys == []
        assert "(no rule is pending)" in str(panel.query_one("#alerts-summary").render())


# ---------------------------------------------------------------- Alertmanager's side


def alertmanager_app(port: int, theme: str, panel: PanelName) -> PromdashApp:
    """With the recorded Alertmanager, at its recording's time: silences' remaining times
    are as it said them (the Prometheus answers, days older, show around them)."""
    return snapshot_app(
        port, theme, panel, AM_RECORDED, alertmanager=Connection(url=SHOWN_AM_URL), author="ana"
    )


async def _alertmanager_settled(pilot: Any) -> None:
    app: PromdashApp = pilot.app
    for _ in range(200):
        if app.started:
            break
        await asyncio.sleep(0.05)
    screen = app.dashboard
    await wait_for(pilot, lambda: screen.am.silences is not None, what="silences")
    await wait_for(pilot, lambda: screen.alerts.groups is not None, what="rules")
    await wait_for(pilot, lambda: app.build_info is not None, what="build info")


@pytest.mark.parametrize("theme", THEMES)
def test_silences_snapshot(snap_compare: Any, recorded_port: int, theme: str) -> None:
    """Active (one muting an alert, one none), pending and expired silences."""
    app = alertmanager_app(recorded_port, theme, "silences")

    async def run_before(pilot: Any) -> None:
        await _alertmanager_settled(pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_silence_form_snapshot(snap_compare: Any, recorded_port: int) -> None:
    """S on a firing alert: its labels (as Alertmanager holds them) and what it would mute."""
    from promdash.tui.screens.silence import SilenceScreen

    app = alertmanager_app(recorded_port, "promdash-dark", "alerts")

    async def run_before(pilot: Any) -> None:
        await _alertmanager_settled(pilot)
        table = app.dashboard.alerts.table
        key = next(k for k in table.row_keys if "|RPCLatencyHigh|" in k and "43523" in k)
        table.focus()
        table.move_cursor(row=table.row_keys.index(key))
        await pilot.pause(0.2)
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SilenceScreen), what="the form")
        # The focused field's cursor, shown or not by the blink's phase (CI once caught it off).
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
