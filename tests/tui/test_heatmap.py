"""Heatmaps of histograms on screen: the widget in a small host app, and the Graph panel's
heatmap mode (`H`) on Prometheus 3 answers built from the API documentation (native
histograms and `le="1.0"` buckets; not recorded, see tests/data/prom3/README.md)
served by a real HTTP server."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from promdash.present.heatmap import Bounds, Heatmap, heatmaps
from promdash.prom import wire
from promdash.tui.themes import DEFAULT_THEME, load_themes, rgb, theme_defaults
from promdash.tui.widgets.graphview import GraphView
from promdash.tui.widgets.heatmap import HeatmapView, level, theme_ramp
from tests.integration.prom3_server import Prom3Server
from tests.tui.helpers import SIZE, dash, text_of, wait_for

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded-histogram"
DURATION = '{"http.server.request.duration_seconds"}'  # native histograms (and floats)
BUCKETS = 'http_request_duration_seconds_bucket{job="api"}'  # classic, le="1.0"
GAUGE = '{"http.server.active_requests"}'  # no histogram


def _constructed() -> list[Heatmap]:
    """Two histograms over four minutes: a peak at the top right of the first."""
    rows = [Bounds(-math.inf, 0.1), Bounds(0.1, 0.5), Bounds(0.5, 1), Bounds(1, math.inf)]
    starts = [1_800_000_000.0 + 60 * i for i in range(4)]
    first = [[1.0, 2, 0, 0], [1, 2, 3, 0], [0, 1, 3, 5], [0, 0, 1, 40]]
    second = [[4.0, 0, 0, 0]] * 4
    return [
        Heatmap({"job": "api"}, starts, list(starts), rows, [list(map(float, c)) for c in first]),
        Heatmap({"job": "web"}, starts, list(starts), rows, [list(c) for c in second]),
    ]


class Host(App[None]):
    """The widget alone, in promdash's themes with their variables made as the app makes them."""

    def __init__(self, maps: list[Heatmap], theme: str = DEFAULT_THEME) -> None:
        super().__init__()
        self.maps = maps
        for loaded in load_themes().themes:
            self.register_theme(loaded)
        self.theme = theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield HeatmapView()

    def on_mount(self) -> None:
        view = self.query_one(HeatmapView)
        view.set_data(self.maps, theme_ramp(self.theme_variables))
        view.focus()


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _lines(view: HeatmapView) -> list[str]:
    return text_of(view).splitlines()


def _status(view: HeatmapView) -> str:
    """The last line, what the cursor's cell holds, without the colour scale at its right."""
    return _lines(view)[-1].split("  0 █")[0].rstrip()


def _colours(view: HeatmapView) -> set[str]:
    rendered = view.render()
    assert isinstance(rendered, Text)
    return {str(span.style).lower() for span in rendered.spans}


async def test_the_widget_draws_buckets_by_time_with_a_cursor_on_a_cell() -> None:
    app = Host(_constructed())
    async with app.run_test(size=(60, 14)) as pilot:
        view = app.query_one(HeatmapView)
        lines = _lines(view)
        # Which histogram, of how many, and the bucket bounds up the side.
        assert lines[0].startswith('histogram 1 of 2 (n: next) job="api"')
        axis = [line.split("┤")[0].strip() for line in lines if "┤" in line]
        assert axis == ["+Inf", "1", "0.5", "0.1"]
        # The cursor starts on the latest column's fullest bucket.
        assert lines[-1].startswith("08:03:00 · (1, +Inf] · count 40 ")
        assert lines[-1].endswith(" 0 ████████████████ 40")  # the colour scale
        # The peak is the ramp's hottest colour (plot-6), the smallest counts the faintest.
        ramp = theme_ramp(app.theme_variables)
        await pilot.press("down")  # off the peak, which the cursor covers
        colours = _colours(view)
        r, g, b = rgb(app.theme_variables, "plot-6")
        hottest = f"#{r:02x}{g:02x}{b:02x}"
        assert ramp.levels[-1].lower() == hottest
        assert any(hottest in style for style in colours), colours
        # A count of 1 beside a peak of 40 still shows, in a fainter colour (square-root scale).
        assert 0 < level(1.0, 40.0) < level(5.0, 40.0) < level(40.0, 40.0) == len(ramp.levels) - 1
        assert any(ramp.levels[level(1.0, 40.0)].lower() in style for style in colours)
        assert _status(view) == "08:03:00 · (0.5, 1] · count 1"
        await pilot.press("left", "left", "down")
        assert _status(view) == "08:01:00 · (0.1, 0.5] · count 2"
        # The cursor stops at the edges.
        for _ in range(6):
            await pilot.press("left", "down")
        assert _status(view) == "08:00:00 · (-Inf, 0.1] · count 1"
        # Time along the bottom.
        assert "08:00" in _lines(view)[-2]
        # The next histogram, named by its labels.
        await pilot.press("n")
        assert _lines(view)[0].endswith('job="web"')
        assert _status(view) == "08:03:00 · (-Inf, 0.1] · count 4"


async def test_the_mouse_points_at_a_cell() -> None:
    one = _constructed()[0]
    app = Host([Heatmap({}, one.starts, one.ends, one.rows, one.counts)])
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(HeatmapView)
        # One histogram: no title line; 4 rows in 9 lines (18 halves), 4 columns.
        lines = _lines(view)
        assert "┤" in lines[0] and "histogram" not in lines[0]
        axis = lines[0].index("┤") + 1
        width = view.size.width - axis
        await pilot.hover(view, offset=(axis + width // 8, 8))  # first column, lowest row
        assert _status(view) == "08:00:00 · (-Inf, 0.1] · count 1"
        await pilot.hover(view, offset=(axis + width * 5 // 8, 0))  # third column, top row
        assert _status(view) == "08:02:00 · (1, +Inf] · count 5"


async def test_a_narrow_heatmap_merges_columns_and_says_the_sum() -> None:
    result = wire.decode_query(
        (RECORDED / "query_range_histogram_sum_by_le.json").read_bytes(), "/api/v1/query_range"
    )
    [heatmap] = heatmaps(result)
    app = Host([heatmap])
    async with app.run_test(size=(20, 12)) as pilot:
        await pilot.pause()
        view = app.query_one(HeatmapView)
        shown = view.shown()
        assert shown is not None and shown.columns < heatmap.columns
        total = sum(c for col in heatmap.counts for c in col if math.isfinite(c))
        assert sum(c for col in shown.counts for c in col if math.isfinite(c)) == pytest.approx(
            total
        )
        # A merged cell says the span of time it holds.
        assert "–" in _lines(view)[-1]


@pytest.mark.parametrize("theme", ["promdash-dark", "promdash-light"])
def test_heatmap_snapshot(snap_compare: Any, theme: str) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press("left", "down")

    assert snap_compare(Host(_constructed(), theme), terminal_size=(60, 14), run_before=run_before)


# ---------------------------------------------------------------- the Graph panel


@pytest.fixture
def prom3() -> Iterator[Prom3Server]:
    with Prom3Server(follow_clock=True) as server:
        yield server


def _offered(app: App[Any]) -> bool:
    return any(b.binding.action == "toggle_heatmap" for b in app.screen.active_bindings.values())


async def _answered(pilot: Pilot[Any], view: GraphView) -> None:
    await wait_for(pilot, lambda: view.result is not None, what="the graph's answer")
    await pilot.pause()


@pytest.mark.parametrize("query", [DURATION, BUCKETS])
async def test_h_shows_a_histogram_query_as_a_heatmap_and_back(
    prom3: Prom3Server, query: str
) -> None:
    app = dash(prom3.url, panel="graph", queries=(query,))
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await _answered(pilot, view)
        view.focus_graph()
        await pilot.pause()
        assert _offered(app)
        await pilot.press("H")
        await wait_for(pilot, lambda: view.heatmap.heatmap is not None, what="a heatmap")
        assert view.mode == "heatmap" and view.heatmap.has_focus
        lines = _lines(view.heatmap)
        axis = [line.split("┤")[0].strip() for line in lines if "┤" in line]
        if query == BUCKETS:
            # le="1.0", "10.0" as 3.x writes them, in numeric order, +Inf at the top.
            assert axis == ["+Inf", "10", "2.5", "1", "0.25", "0.1"]
            # The cursor starts on the latest column's fullest bucket: 920 of 1070.
            assert _status(view.heatmap).endswith(" · (-Inf, 0.1] · count 920"), lines[-1]
        else:
            # One heatmap per native histogram series, named by its route.
            assert "histogram 1 of 2 (n: next)" in lines[0] and '"/cart"' in lines[0]
            assert axis[0] == "4" and "0.001" in axis  # the zero bucket's top
            assert _status(view.heatmap).endswith(" · [-1.414, -1.189) · count 2"), lines[-1]
            await pilot.press("n")
            assert '"/pay"' in _lines(view.heatmap)[0]
        assert "H: back to lines" in text_of(view.query_one("#graph-legend"))
        assert "0 ████████████████ " in lines[-1]  # the colour scale
        await pilot.press("H")
        assert view.mode == "plot" and view.plot.has_focus


async def test_heatmap_is_not_offered_for_a_query_without_histograms(prom3: Prom3Server) -> None:
    app = dash(prom3.url, panel="graph", queries=(GAUGE,))
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await _answered(pilot, view)
        view.focus_graph()
        await pilot.pause()
        assert not _offered(app)
        await pilot.press("H")
        assert view.mode == "plot"
