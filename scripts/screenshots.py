#!/usr/bin/env python3
"""Screenshots of the real dashboard on a local demo stack: screenshots/<panel>-<theme>.svg|png.

The overview is shot at 120x40 and 160x50 (overview-<theme>-<size>), each panel at 120x40,
the demo's Grafana dashboard at 160x50 (grafana-<theme>) and the Graph panel's heatmap of
the demo histogram at 120x40 (heatmap-<theme>) and the backtest of RPCLatencyHigh with its
threshold edited at 120x40 (backtest-<theme>).

    python scripts/screenshots.py [--out screenshots] [--history 300] [--themes a,b]

Starts the demo stack on the local runtime (free ports, a private state
directory), lets it gather --history seconds of data, stops one exporter so a
target is down and InstanceDown goes pending, then drives the app with a Pilot
for each panel and theme. PNGs come from cairosvg or rsvg-convert.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STATE = tempfile.mkdtemp(prefix="promdash-screenshots-")
os.environ["PROMDASH_STATE_DIR"] = STATE
os.environ["PROMDASH_CONFIG"] = str(Path(STATE) / "config.yaml")

from promdash.config import Connection  # noqa: E402
from promdash.stack.local import LocalRuntime  # noqa: E402
from promdash.stack.model import parse_stack  # noqa: E402
from promdash.stack.state import StackState  # noqa: E402
from promdash.tui.app import PromdashApp, make_app  # noqa: E402
from promdash.tui.screens.backtest import BacktestScreen  # noqa: E402
from promdash.tui.screens.grafana import GrafanaScreen  # noqa: E402
from promdash.tui.settings import DashSettings, PanelName  # noqa: E402
from promdash.tui.widgets.grafana import GrafanaPanel, TextPanel  # noqa: E402
from tests.stackfiles import demo_stack_text, free_port  # noqa: E402

QUERY = "sum by (instance) (rate(rpc_durations_seconds_count[1m]))"
PANELS: tuple[PanelName, ...] = ("targets", "graph", "alerts", "stack")
HISTOGRAM_QUERY = "sum by (le) (rate(rpc_durations_histogram_seconds_bucket[1m]))"
GRAFANA_DASHBOARD = ROOT / "stacks" / "demo" / "grafana" / "dashboards" / "demo.json"


def save(app: PromdashApp, out: Path, name: str) -> None:
    svg = out / f"{name}.svg"
    app.save_screenshot(svg.name, path=str(out))
    to_png(svg, out / f"{name}.png")
    print(f"  {svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg} (+ .png)")


BRAILLE_RUN = re.compile(
    r'(<text [^>]*?x=")([\d.]+)("[^>]*?textLength=")([\d.]+)("[^>]*>)'
    r"([^<]*[\u2800-\u28ff][^<]*)</text>"
)


def _one_cell_each(found: re.Match[str]) -> str:
    start, x, middle, length, rest, chars = found.groups()
    each = html.unescape(chars)
    cell = float(length) / len(each)
    return "".join(
        f"{start}{float(x) + i * cell:g}{middle}{cell:g}{rest}{html.escape(char)}</text>"
        for i, char in enumerate(each)
    )


def to_png(svg: Path, png: Path) -> None:
    text = svg.read_text(encoding="utf-8")
    # Textual writes runs of spaces as no-break spaces, which rsvg's fallback font
    # draws with no width; plain spaces kept by xml:space="preserve" look the same.
    text = text.replace("&#160;", " ").replace("<svg ", '<svg xml:space="preserve" ', 1)
    text = re.sub(r'font-family: "?Fira Code"?(, monospace)?', "font-family: monospace", text)
    # Braille (the plots' dots) comes from a proportional fallback font whose glyphs are
    # wider than a cell, so a run of them drifted right past the panel's border: one
    # <text> per character of such a run, each at its own cell.
    text = re.sub(BRAILLE_RUN, _one_cell_each, text)
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", "-o", str(png)], input=text.encode(), check=True)
        return
    import cairosvg  # type: ignore[import-not-found]

    cairosvg.svg2png(bytestring=text.encode(), write_to=str(png))


async def wait_for(pilot: Any, condition: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {condition}")
        await pilot.pause(0.1)


async def shoot(
    url: str,
    stack: StackState,
    panel: PanelName,
    theme: str,
    out: Path,
    runtime: LocalRuntime,
    size: tuple[int, int] = (120, 40),
) -> None:
    stack_file = Path(stack.stack_file)
    graphs = parse_stack(stack_file.read_text(), stack_file).dashboard.graphs
    app: PromdashApp = make_app(
        DashSettings(
            connection=Connection(url=url),
            theme=theme,
            panel=panel,
            layout="overview" if panel == "overview" else "tabs",
            overview_graphs=tuple((g.title, g.query) for g in graphs),
            queries=(QUERY,),
            range_seconds=300,
            stack_name=stack.name,
            history_file=None,
            remember_theme=None,
        )
    )
    async with app.run_test(size=size) as pilot:
        screen = app.dashboard
        await wait_for(pilot, lambda: screen.targets.targets is not None)
        await wait_for(pilot, lambda: screen.alerts.groups is not None)
        await wait_for(pilot, lambda: app.build_info is not None)
        if panel == "graph":
            view = screen.graph.active_view()
            assert view is not None
            await wait_for(pilot, lambda: view.plot.draws > 0)
        if panel == "overview":
            minis = screen.overview.minis()
            await wait_for(pilot, lambda: all(m.plot.draws > 0 for m in minis))
        if panel == "stack":
            await wait_for(pilot, lambda: screen.stack is not None and screen.stack.rows)
        if panel == "targets":
            table = screen.targets.table
            down = [i for i, key in enumerate(table.row_keys) if key.endswith("|error")]
            if down:
                table.move_cursor(row=down[0] - 1)
        if panel == "alerts":
            table = screen.alerts.table
            rules = [i for i, key in enumerate(table.row_keys) if key.endswith("|InstanceDown")]
            if rules:
                table.move_cursor(row=rules[0])
            # Bring the exporter back while the panel is open: the timeline records
            # InstanceDown leaving pending, and the rule is highlighted.
            runtime.start_service(stack, "random-3")
            await wait_for(pilot, lambda: screen.alerts.tracker.timeline, timeout=60)
            await pilot.pause(1.0)
        await pilot.pause(0.5)
        if panel == "alerts":
            runtime.stop_service(stack, "random-3")
        name = f"{panel}-{theme}" + (f"-{size[0]}x{size[1]}" if panel == "overview" else "")
        save(app, out, name)


async def shoot_grafana(url: str, theme: str, out: Path, size: tuple[int, int] = (160, 50)) -> None:
    """The demo stack's provisioned Grafana dashboard, opened at start as `--dashboard` does,
    once every panel draws its data (the test's condition: an answer, and nothing said
    instead of a drawing)."""
    app: PromdashApp = make_app(
        DashSettings(
            connection=Connection(url=url),
            theme=theme,
            grafana_dashboards=(GRAFANA_DASHBOARD,),
            grafana_open=GRAFANA_DASHBOARD,
            history_file=None,
            remember_theme=None,
        )
    )
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen))
        screen = app.screen
        assert isinstance(screen, GrafanaScreen)
        await wait_for(pilot, lambda: screen.polls > 0)
        shown = [w for w in screen.widgets.values() if isinstance(w, GrafanaPanel) and w.display]

        def drawn(panel: GrafanaPanel) -> bool:
            return isinstance(panel, TextPanel) or (
                panel.data is not None and panel.status() is None
            )

        def all_drawn() -> bool:
            if all(drawn(p) for p in shown):
                return True
            if screen.polls > polls[0]:  # the last poll is done: ask again
                polls[0] = screen.polls
                screen.action_refresh()
            return False

        polls = [screen.polls]
        await wait_for(pilot, all_drawn, timeout=90)
        await pilot.pause(0.5)
        save(app, out, f"grafana-{theme}")


async def shoot_heatmap(url: str, theme: str, out: Path, size: tuple[int, int] = (120, 40)) -> None:
    """The Graph panel's heatmap (H) of the demo histogram, its cursor on a cell a few
    columns back from the latest, so the last line says that cell's count."""
    app: PromdashApp = make_app(
        DashSettings(
            connection=Connection(url=url),
            theme=theme,
            panel="graph",
            queries=(HISTOGRAM_QUERY,),
            range_seconds=300,
            history_file=None,
            remember_theme=None,
        )
    )
    async with app.run_test(size=size) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await wait_for(pilot, lambda: view.result is not None and view.plot.draws > 0)
        view.focus_graph()
        await pilot.pause()
        await pilot.press("H")
        await wait_for(pilot, lambda: view.heatmap.heatmap is not None)
        await pilot.pause()
        await pilot.press(*["left"] * 8)
        await wait_for(pilot, lambda: "count" in view.heatmap.selected_text())
        await pilot.pause(0.5)
        save(app, out, f"heatmap-{theme}")


async def shoot_backtest(
    url: str, theme: str, out: Path, size: tuple[int, int] = (120, 40)
) -> None:
    """b on RPCLatencyHigh in the Alerts panel, then its threshold raised from 100 µs to
    270 µs (near the 90th percentile the demo draws) and the edit backtested beside it."""
    app: PromdashApp = make_app(
        DashSettings(
            connection=Connection(url=url),
            theme=theme,
            panel="alerts",
            layout="tabs",
            history_file=None,
            remember_theme=None,
        )
    )
    async with app.run_test(size=size) as pilot:
        table = app.dashboard.alerts.table
        await wait_for(pilot, lambda: any(k.endswith("|RPCLatencyHigh") for k in table.row_keys))
        table.focus()
        while not (table.cursor_key or "").endswith("|RPCLatencyHigh"):
            await pilot.press("down")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BacktestScreen))
        screen = app.screen
        assert isinstance(screen, BacktestScreen)
        await wait_for(pilot, lambda: screen.runs >= 1)
        await pilot.press("e", *["backspace"] * len("0.0001"), *"0.00027", "enter")
        await wait_for(pilot, lambda: screen.runs >= 2)
        await pilot.pause(0.5)
        save(app, out, f"backtest-{theme}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--history", type=float, default=300.0, help="seconds of data first")
    parser.add_argument("--themes", default="promdash-dark,promdash-light")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    ports = (free_port(), free_port(), free_port())
    text = demo_stack_text(
        "shots", prometheus_port=free_port(), exporter_ports=ports, instance_down_for="2m"
    )
    path = Path(STATE) / "stack.yaml"
    path.write_text(text)
    runtime = LocalRuntime()
    print("starting the demo stack on the local runtime…")
    state = runtime.up(parse_stack(text, path), without=[], timeout=60)
    try:
        print(f"gathering {args.history:g}s of data…")
        time.sleep(args.history)
        runtime.stop_service(state, "random-3")  # a down target and a pending alert
        time.sleep(15)
        for theme in args.themes.split(","):
            for size in ((120, 40), (160, 50)):
                asyncio.run(
                    shoot(state.prometheus_url, state, "overview", theme, args.out, runtime, size)
                )
            for panel in PANELS:
                asyncio.run(shoot(state.prometheus_url, state, panel, theme, args.out, runtime))
                if panel == "alerts":
                    time.sleep(15)  # random-3 is down again: let Prometheus see it
            asyncio.run(shoot_grafana(state.prometheus_url, theme, args.out))
            asyncio.run(shoot_heatmap(state.prometheus_url, theme, args.out))
            asyncio.run(shoot_backtest(state.prometheus_url, theme, args.out))
    finally:
        runtime.down(state, volumes=True)
        shutil.rmtree(STATE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
