"""Grafana dashboards drawn live in the dashboard, against real Prometheus servers.

The demo dashboard (stacks/demo/grafana/dashboards/demo.json) on the demo stack of the
`local_stack` fixture, and our test dashboard (tests/data/grafana/node.json: every
panel type promdash draws, an open and a collapsed row, chained job -> instance
variables with All) on Debian's real node_exporter scraped by a real Prometheus. What
is asserted is what a person sees in each panel: lines, values, rows, messages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import OptionList, SelectionList

from promdash.errors import DashboardError
from promdash.grafana.model import load_dashboard
from promdash.tui.app import PromdashApp
from promdash.tui.screens.grafana import (
    DashboardsScreen,
    GrafanaScreen,
    VariablePicker,
    load_screen,
)
from promdash.tui.widgets.grafana import (
    GrafanaPanel,
    HeatmapPanel,
    NotDrawnPanel,
    RowHeader,
    StatPanel,
    TablePanel,
    TextPanel,
    TimeSeriesPanel,
)
from tests.conftest import RunningStack, require_prometheus
from tests.integration.test_dashboard_check import (
    DEMO_DASHBOARD,
    NODE_DASHBOARD,
    NodeServer,
    node_prometheus,
    require_node_exporter,
)
from tests.tui.helpers import dash, wait_for

pytestmark = pytest.mark.prometheus

BRAILLE = {chr(c) for c in range(0x2801, 0x2900)}


def shown_text(widget: Any) -> str:
    """What a widget shows on the screen, border and children and all, as plain lines:
    its region of the screen as the compositor draws it."""
    region = widget.region
    assert region.bottom <= widget.screen.size.height, (widget, region, widget.screen.size)
    strips = widget.screen._compositor.render_strips()
    return "\n".join(
        strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)
    )


def panels(screen: GrafanaScreen) -> list[GrafanaPanel]:
    return [w for w in screen.widgets.values() if isinstance(w, GrafanaPanel) and w.display]


def with_data(panel: GrafanaPanel) -> bool:
    """The panel draws its answer: not loading, no error, not "no data"."""
    if isinstance(panel, TextPanel):
        return True
    return panel.data is not None and panel.status() is None


def assert_drawn(panel: GrafanaPanel) -> None:
    """What the panel shows is its kind's drawing of real data."""
    text = shown_text(panel)
    title = panel.panel.title
    assert title[:10] in text, (title, text)
    if isinstance(panel, TimeSeriesPanel):
        assert BRAILLE & set(text), f"{title}: no line drawn\n{text}"
    elif isinstance(panel, StatPanel):
        assert any(ch.isdigit() for ch in text), f"{title}: no value\n{text}"
    elif isinstance(panel, TablePanel):
        assert len([ln for ln in text.splitlines() if ln.strip("│╭╮╰╯─ ")]) >= 2, text
    elif isinstance(panel, HeatmapPanel):
        assert "▀" in text or "█" in text or "▄" in text, f"{title}: no cells\n{text}"
    for word in ("loading", "no data", "error:"):
        assert word not in text, f"{title}: {word}\n{text}"


def overlapping(screen: GrafanaScreen) -> list[tuple[str, str]]:
    boxes = [(w.border_title or "", w.region) for w in panels(screen)]
    return [
        (a, b) for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1 :] if ra.overlaps(rb)
    ]


async def open_board(pilot: Pilot[Any], app: PromdashApp, path: Path) -> GrafanaScreen:
    await wait_for(pilot, lambda: app.started, what="the dashboard to start")
    screen = load_screen(path, app.client, interval=2.0)
    await app.push_screen(screen)
    await wait_for(pilot, lambda: screen.polls > 0, what="the first poll")
    return screen


# ---------------------------------------------------------------- the demo dashboard


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_the_demo_dashboard_draws_every_panel_with_data(
    local_stack: RunningStack, size: tuple[int, int]
) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=size) as pilot:
        screen = await open_board(pilot, app, DEMO_DASHBOARD)
        shown = panels(screen)
        assert [p.panel.title for p in shown] == [
            p.title for p in load_dashboard(DEMO_DASHBOARD).panels()
        ]

        def all_drawn() -> bool:
            if not all(with_data(p) for p in shown):
                screen.action_refresh()  # the rate windows fill as the stack scrapes
                return False
            return True

        await wait_for(pilot, all_drawn, timeout=90, what="every demo panel with data")
        await pilot.pause()
        for panel in shown:
            assert_drawn(panel)
            # On one screen, side by side as in Grafana: inside the screen, none overlapping.
            assert panel.region.right <= size[0] and panel.region.bottom <= size[1]
        assert overlapping(screen) == []
        title = shown_text(screen.query_one("#grafana-title"))
        assert "promdash demo" in title.lower() or load_dashboard(DEMO_DASHBOARD).title in title
        assert "last 15m" in title


# ---------------------------------------------------------------- the node dashboard


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    require_prometheus()
    require_node_exporter()
    with node_prometheus(tmp_path_factory.mktemp("node-tui")) as server:
        yield server


def panel_titled(screen: GrafanaScreen, title: str) -> GrafanaPanel:
    return next(
        p for p in screen.widgets.values() if isinstance(p, GrafanaPanel) and p.panel.title == title
    )


def row_titled(screen: GrafanaScreen, title: str) -> RowHeader:
    return next(
        w for w in screen.widgets.values() if isinstance(w, RowHeader) and w.row.title == title
    )


async def test_every_node_panel_draws_data_and_the_collapsed_row_opens(node: NodeServer) -> None:
    app = dash(node.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_board(pilot, app, NODE_DASHBOARD)
        row = row_titled(screen, "Storage and network details")
        hidden = [
            p for p in screen.widgets.values() if isinstance(p, GrafanaPanel) and not p.display
        ]
        assert sorted(p.panel.title for p in hidden) == sorted(
            ["Filesystem available", "Filesystems", "Prometheus /metrics durations (buckets)",
             "Network errors and drops"]
        )  # fmt: skip
        assert "▸ Storage and network details  (4 panels)" in shown_text(row)
        # The variables bar: both chained variables at All.
        bar = shown_text(screen.query_one("#grafana-variables"))
        assert "Job: All" in bar and "Host: All" in bar
        # The row opens with Enter on it: its four panels are drawn under it.
        row.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "▾ Storage and network details" in shown_text(row)
        assert all(p.display for p in hidden)
        # Every panel, scrolled to as a person would, draws its data.
        for panel in panels(screen):
            panel.focus()  # Tab or the arrows, as a person goes from panel to panel
            await pilot.pause()
            await wait_for(pilot, partial(with_data, panel), what=f"{panel.panel.title} data")
            await pilot.pause()
            assert_drawn(panel)
        assert overlapping(screen) == []
        kinds = {type(p) for p in panels(screen)}
        assert {TimeSeriesPanel, TablePanel, HeatmapPanel, TextPanel} <= kinds
        table = shown_text(panel_titled(screen, "Filesystems"))
        assert "Mounted on" in table and "Used" in table and "__name__" not in table
        # Closed again, the row hides them.
        row.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not any(p.display for p in hidden)


async def test_changing_the_instance_variable_redraws(node: NodeServer) -> None:
    port = node.node.rsplit(":", 1)[1]
    app = dash(node.url)
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_board(pilot, app, NODE_DASHBOARD)
        load = panel_titled(screen, "Load (1m)")
        await wait_for(pilot, lambda: with_data(load), what="the load panel")
        await pilot.pause()
        before = shown_text(load)
        assert f"127.0.0.1:{port}" in before and f"localhost:{port}" in before
        screen.query_one("#var-instance").focus()
        await pilot.press("enter")
        picker = app.screen
        assert isinstance(picker, VariablePicker)
        choices = picker.query_one(SelectionList)
        values = [choices.get_option_at_index(i).value for i in range(choices.option_count)]
        assert values[0] == "$__all" and choices.selected == ["$__all"]
        for _ in range(values.index(f"localhost:{port}")):
            await pilot.press("down")
        await pilot.press("space", "enter")  # ticked while All is: that one alone, as Grafana
        assert app.screen is screen
        assert f"Host: localhost:{port}" in shown_text(screen.query_one("#grafana-variables"))

        def one_instance() -> bool:
            data = load.data
            return data is not None and all(f'"localhost:{port}"' in a.expr for a in data.answers)

        await wait_for(pilot, one_instance, what="the load panel asked for one instance")
        await pilot.pause()
        # One value, drawn alone (as Grafana, a single series is not named).
        after = shown_text(load)
        assert "127.0.0.1" not in after and "localhost" not in after
        assert any(ch.isdigit() for ch in after), after


async def test_keys_move_open_full_screen_and_change_the_time_range(node: NodeServer) -> None:
    app = dash(node.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_board(pilot, app, NODE_DASHBOARD)
        cpu = panel_titled(screen, "CPU busy")
        cpu.focus()
        await pilot.press("right")
        assert screen.focused is panel_titled(screen, "Load (1m)")
        await pilot.press("down")
        assert screen.focused is row_titled(screen, "Basic CPU / Mem / Net")
        await pilot.press("down", "down")
        assert screen.focused is panel_titled(screen, "Network traffic (legacy graph)")
        await pilot.press("down")
        assert screen.focused is row_titled(screen, "Storage and network details")
        await pilot.press("enter", "down")  # opened, then into it, scrolled to
        storage = panel_titled(screen, "Filesystem available")
        assert screen.focused is storage
        await pilot.pause()
        board = screen.query_one("#grafana-board")
        assert board.region.contains_region(storage.region)
        memory = panel_titled(screen, "Memory")
        memory.focus()
        await pilot.press("f")
        await pilot.pause()
        assert screen.maximized is memory
        assert memory.outer_size.width >= 118
        await wait_for(pilot, lambda: with_data(memory), what="memory full screen")
        await pilot.press("escape")
        await pilot.pause()
        assert screen.maximized is None and app.screen is screen
        polls = screen.polls
        await pilot.press("t")
        assert "last 1h" in shown_text(screen.query_one("#grafana-title"))
        await wait_for(pilot, lambda: screen.polls > polls, what="a poll over the last hour")
        assert memory.data is not None and memory.data.end - memory.data.start == pytest.approx(
            3600, abs=2
        )
        await pilot.press("escape")
        assert app.screen is not screen


async def test_a_panel_type_promdash_does_not_draw_is_named(
    node: NodeServer, tmp_path: Path
) -> None:
    document = json.loads(NODE_DASHBOARD.read_text())
    piechart = {"type": "piechart", "title": "Pie", "targets": [{"expr": "up"}],
           "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4}}  # fmt: skip
    document["panels"].insert(0, piechart)
    path = tmp_path / "pie.json"
    path.write_text(json.dumps(document))
    app = dash(node.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_board(pilot, app, path)
        pie = next(p for p in panels(screen) if isinstance(p, NotDrawnPanel))
        assert "piechart: not drawn here" in shown_text(pie)


async def test_brackets_in_a_dashboards_words_are_shown_as_written(
    node: NodeServer, tmp_path: Path
) -> None:
    """Titles are not Textual markup: `[/dev/sda]` once ended the dashboard (MarkupError)."""
    document = json.loads(NODE_DASHBOARD.read_text())
    document["title"] = "Disk [/dev/sda]"
    document["panels"][1]["title"] = "Stat [/s] [b]"  # [0] is a row
    path = tmp_path / "brackets.json"
    path.write_text(json.dumps(document))
    app = dash(node.url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_board(pilot, app, path)
        assert "Disk [/dev/sda]" in shown_text(screen.query_one("#grafana-title"))
        titles = [Content.from_markup(str(p.border_title)).plain for p in panels(screen)]
        assert "Stat [/s] [b]" in titles
        assert app.is_running


async def test_a_bad_dashboard_file_is_a_message(node: NodeServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x", "panels": [{"type": "graph", "gridPos": {"h": "tall"}}]}')
    with pytest.raises(DashboardError, match=r"bad.json: panels\[0\]\.gridPos\.h"):
        load_screen(bad, None, interval=1.0)  # type: ignore[arg-type]
    app = dash(node.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.started, what="the dashboard to start")
        listing = DashboardsScreen([bad, NODE_DASHBOARD], app.client, interval=1.0)
        await app.push_screen(listing)
        await pilot.press("enter")  # the bad one first
        await pilot.pause()
        assert app.screen is listing
        problem = shown_text(listing.query_one("#grafana-list-problem"))
        assert "panels[0].gridPos.h: expected a number" in problem
        options = listing.query_one(OptionList)
        assert "Node (promdash test)" in str(options.get_option_at_index(1).prompt)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GrafanaScreen)


# ---------------------------------------------------------------- drawing, on constructed lines


def test_the_axis_is_in_the_panels_unit_between_its_min_and_max() -> None:
    from promdash.grafana.model import GridPos, Panel
    from promdash.tui.plot import PlotLine
    from promdash.tui.widgets.grafana import graph_text

    panel = Panel("timeseries", "CPU", GridPos(0, 0, 12, 8), unit="percentunit", min=0, max=1)
    line = PlotLine("idle", [0.0, 60.0, 120.0], [0.01, 0.02, 0.03], (200, 0, 0))
    axis = [
        row.split("┤")[0].strip()
        for row in graph_text(
            [line], width=40, height=9, start=0, end=120, step=60, panel=panel, theme={}
        ).plain.splitlines()
        if "┤" in row
    ]
    # The panel's 0..1 in percent, ticks spaced for that range (not for the data's 0.01..0.03).
    assert axis == ["100%", "50%", "0%"]


def test_stacked_series_are_drawn_on_top_of_each_other() -> None:
    from promdash.tui.widgets.grafana import _stack

    a, b = ([0.0, 1.0], [1.0, 2.0]), ([0.0, 1.0], [3.0, 4.0])
    assert [vs for _, vs in _stack([a, b], "normal")] == [[1.0, 2.0], [4.0, 6.0]]
    assert [vs for _, vs in _stack([a, b], "percent")] == [[0.25, 1 / 3], [1.0, 1.0]]
    assert [vs for _, vs in _stack([a, b], "none")] == [[1.0, 2.0], [3.0, 4.0]]


def test_not_null_reducers_keep_infinities_and_leave_nan_out() -> None:
    """A stat of `1/0` says +Inf (it said NaN): only NaN (a null sample) is left out."""
    from promdash.tui.widgets.grafana import REDUCERS

    assert REDUCERS["lastNotNull"]([1.0, math.inf]) == math.inf
    assert REDUCERS["lastNotNull"]([1.0, -math.inf, math.nan]) == -math.inf
    assert REDUCERS["firstNotNull"]([math.nan, math.inf, 2.0]) == math.inf
    assert math.isnan(REDUCERS["lastNotNull"]([math.nan]))
