#!/usr/bin/env python3
"""Record what a real Prometheus answers the demo Grafana dashboard, for its snapshot test
(tests/tui/test_grafana_snapshot.py).

    PROMDASH_STATE_DIR=$(mktemp -d) promdash up --runtime local --detach   # the demo stack
    # ... let it run 15 minutes or more: the dashboard shows the last 15
    python tests/data/grafana-recorded/record.py --url http://127.0.0.1:9090

Opens stacks/demo/grafana/dashboards/demo.json as `promdash dash --dashboard` does, at
120x40, with the dashboard's clock stopped at the moment the recording starts (as the
test stops it), and once every panel draws its data stores every answer the app got,
byte for byte, beside this script. `manifest.json` says what was asked (path and
parameters), when (`recordedAt`, the clock the test uses) and of which server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
DASHBOARD = ROOT / "stacks" / "demo" / "grafana" / "dashboards" / "demo.json"
SIZE = (120, 40)
# Parameters that only say when: the test asks at its own moment and gets the same answer.
WHEN = frozenset({"start", "end", "time", "step"})


def key(path: str, params: list[tuple[str, str]]) -> str:
    """What identifies a question whatever its moment: its path and its other parameters."""
    return json.dumps([path, sorted((k, v) for k, v in params if k not in WHEN)])


class Recorder(httpx.AsyncBaseTransport):
    """Passes the app's requests to the server and keeps the first answer to each question."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.answers: dict[str, tuple[str, dict[str, str], int, bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()  # decoded: the test serves it plain
        params = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        found = key(request.url.path, params)
        if found not in self.answers:
            self.answers[found] = (request.url.path, dict(params), response.status_code, body)
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def record(url: str, now: float) -> dict[str, Any]:
    import promdash.tui.screens.grafana as screen_module
    from promdash.config import Connection
    from promdash.grafana.variables import time_range
    from promdash.tui.app import make_app
    from promdash.tui.screens.grafana import GrafanaScreen
    from promdash.tui.settings import DashSettings
    from promdash.tui.widgets.grafana import GrafanaPanel, TextPanel

    # The clock the test stops at `now`: the panels ask for the 15 minutes before it.
    def stopped(start: str, end: str) -> tuple[float, float]:
        return time_range(start, end, now)

    setattr(screen_module, "time_range", stopped)  # noqa: B010 (as the test's monkeypatch)
    recorder = Recorder()
    app = make_app(
        DashSettings(
            connection=Connection(url=url),
            theme="promdash-dark",
            clock=lambda: now,
            catalog=False,
            grafana_dashboards=(DASHBOARD,),
            grafana_open=DASHBOARD,
            history_file=None,
            remember_theme=None,
            transport=recorder,
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 60
        while not (isinstance(app.screen, GrafanaScreen) and app.screen.polls > 0):
            assert time.monotonic() < deadline, "the Grafana screen did not poll"
            await pilot.pause(0.1)
        screen = app.screen
        panels = [w for w in screen.widgets.values() if isinstance(w, GrafanaPanel) and w.display]
        while not all(isinstance(p, TextPanel) or p.status() is None for p in panels):
            said = {p.panel.title: p.status() for p in panels if p.status()}
            assert time.monotonic() < deadline, f"panels without data: {said}"
            await pilot.pause(0.2)
        await pilot.pause(1.0)  # the dashboard underneath has polled too
    info = next((a[3] for a in recorder.answers.values() if a[0].endswith("buildinfo")), b"{}")
    server = json.loads(info).get("data")
    answers: dict[str, Any] = {}
    for path, params, status, body in recorder.answers.values():
        name = f"{len(answers):02d}_" + re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
        (HERE / f"{name}.json").write_bytes(body)
        answers[name] = {"path": path, "params": params, "status": status}
        print(f"{name:<40} {status} {len(body):>8} bytes  {params.get('query', '')[:60]}")
    return {"recordedAt": now, "size": list(SIZE), "server": server, "answers": answers}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the demo stack's Prometheus base URL")
    args = parser.parse_args()
    for old in HERE.glob("*.json"):
        old.unlink()
    manifest = asyncio.run(record(args.url.rstrip("/"), round(time.time(), 3)))
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
