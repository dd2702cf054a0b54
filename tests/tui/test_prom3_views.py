"""The dashboard on what Prometheus 3 answers and 2.x did not.

No Prometheus 3 runs here: a real HTTP server (tests/integration/prom3_server.py)
serves answers built by hand from the upstream API documentation (not recorded;
tests/data/prom3/README.md), their range answers moved onto the window the graph
asks for. They hold UTF-8 metric and label names, native histograms beside float
samples, and classic bucket bounds written the 3.x way (`le="1.0"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from promdash.tui.app import PromdashApp
from promdash.tui.themes import plot_colours
from promdash.tui.widgets.graphview import GraphView
from promdash.tui.widgets.promql import PromQLEditor
from promdash.tui.widgets.table import KeyedTable
from tests.integration.prom3_server import Prom3Server
from tests.tui.helpers import SIZE, dash, row_text, text_of, type_text, wait_for

DURATION = '{"http.server.request.duration_seconds"}'  # native histograms (and floats)
BUCKETS = 'http_request_duration_seconds_bucket{job="api"}'  # classic, le="1.0"


@pytest.fixture
def prom3() -> Iterator[Prom3Server]:
    with Prom3Server(follow_clock=True) as server:
        yield server


def graph(app: PromdashApp) -> GraphView:
    view = app.dashboard.graph.active_view()
    assert view is not None
    return view


async def answered(pilot: Pilot[Any], app: PromdashApp) -> GraphView:
    await wait_for(pilot, lambda: graph(app).result is not None, what="the graph's answer")
    await pilot.pause()
    return graph(app)


def legend_text(view: GraphView) -> str:
    return text_of(view.query_one("#graph-legend"))


def table_rows(view: GraphView) -> list[str]:
    table = view.query_one("#latest", KeyedTable)
    return [row_text(table, key) for key in table.row_keys]


# ---------------------------------------------------------------- completion


async def shown_completions(pilot: Pilot[Any], editor: PromQLEditor) -> list[str]:
    dropdown = editor.dropdown

    def names() -> list[str]:
        if not dropdown.has_class("-shown"):
            return []
        return [
            str(dropdown.get_option_at_index(i).prompt).split("  ")[0]
            for i in range(dropdown.option_count)
        ]

    await wait_for(pilot, names, what="completions")
    return names()


async def test_utf8_names_complete_quoted_from_the_servers_names(prom3: Prom3Server) -> None:
    app = dash(prom3.url, panel="graph")
    async with app.run_test(size=SIZE) as pilot:
        editor = graph(app).editor
        field = editor.input
        field.focus()
        await wait_for(pilot, lambda: app.catalog.metrics, what="the server's metric names")

        # Typed bare, a UTF-8 metric name goes in inside braces and quotes.
        await type_text(pilot, "http.server.req")
        assert await shown_completions(pilot, editor) == ["http.server.request.duration_seconds"]
        await pilot.press("tab")
        assert field.value == DURATION
        assert field.cursor_position == len(DURATION)

        # Inside the braces, a UTF-8 label name typed in its quotes completes, quoted,
        # and then its values (asked for by the label's escaped name).
        await pilot.press("left")
        await type_text(pilot, ', "serv')
        assert await shown_completions(pilot, editor) == ["service.name"]
        await pilot.press("tab")
        selector = '{"http.server.request.duration_seconds", "service.name"="'
        assert field.value == selector + "}"
        assert await shown_completions(pilot, editor) == ["checkout"]
        await pilot.press("tab")
        assert field.value == selector + 'checkout"}'
        assert (
            "/api/v1/label/U__service_2e_name/values",
            (("match[]", DURATION),),
        ) in prom3.requests

        # Typed inside its quotes, a metric name is completed and its quote closed.
        field.value = ""
        await type_text(pilot, '{"http.server.act')
        assert await shown_completions(pilot, editor) == ["http.server.active_requests"]
        await pilot.press("tab")
        assert field.value == '{"http.server.active_requests"'

        # A legacy name is inserted as it always was.
        field.value = ""
        await type_text(pilot, "http_req")
        assert await shown_completions(pilot, editor) == ["http_request_duration_seconds_bucket"]
        await pilot.press("tab")
        assert field.value == "http_request_duration_seconds_bucket"


# ---------------------------------------------------------------- graphs


async def test_a_graph_of_native_histograms_draws_their_count_and_says_so(
    prom3: Prom3Server,
) -> None:
    app = dash(prom3.url, panel="graph", queries=(DURATION,))
    async with app.run_test(size=SIZE) as pilot:
        view = await answered(pilot, app)
        await wait_for(pilot, lambda: view.plot.has_data, what="the plot")

        # Both series are drawn: /cart has only histogram samples, /pay floats then one.
        plot = view.plot.render()
        assert not isinstance(plot, str)
        drawn = {str(span.style) for span in getattr(plot, "spans", [])}
        colours = plot_colours(app.theme_variables)[:2]
        for r, g, b in colours:
            assert any(f"#{r:02x}{g:02x}{b:02x}" in style for style in drawn)
        assert "no data" not in text_of(view.plot)

        legend = legend_text(view)
        assert 'all: {"http.server.request.duration_seconds", "service.name"="checkout"}' in legend
        assert '◆ "http.route"="/cart"' in legend and '◆ "http.route"="/pay"' in legend
        assert "native histogram: its count is drawn (as histogram_count)" in legend
        assert "histogram_quantile(0.9, rate(" in legend
        assert "2 native histograms" in text_of(view.query_one("#graph-info"))

        # The table of latest values: a histogram by its count and sum, never NaN or –.
        await pilot.press("v")
        await wait_for(pilot, lambda: len(table_rows(view)) == 2, what="the table")
        rows = table_rows(view)
        assert [row.split()[0] for row in rows] == ["/cart", "/pay"]
        assert all("count 10, sum 20" in row for row in rows), rows
        assert not any("NaN" in row or "–" in row for row in rows)


async def test_bucket_bounds_written_the_3x_way_are_in_numeric_order(prom3: Prom3Server) -> None:
    app = dash(prom3.url, panel="graph", queries=(BUCKETS,))
    async with app.run_test(size=SIZE) as pilot:
        view = await answered(pilot, app)
        order = ["0.1", "0.25", "1.0", "2.5", "10.0", "+Inf"]
        legend = legend_text(view)
        places = [legend.find(f'le="{le}"') for le in order]
        assert -1 not in places, legend
        assert places == sorted(places), legend
        await pilot.press("v")
        await wait_for(pilot, lambda: len(table_rows(view)) == 6, what="the table")
        assert [row.split()[0] for row in table_rows(view)] == order


# ---------------------------------------------------------------- alert rules


async def test_the_alerts_panel_lists_prometheus_3s_alerts_asked_without_then_by_name(
    prom3: Prom3Server,
) -> None:
    """Prometheus 3 honours exclude_alerts: the dashboard counts the alerts from ALERTS and
    asks the rules it lists by group and name; the documented alerts must be listed."""
    app = dash(prom3.url, panel="alerts", refresh=60.0)
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.alerts.table

        def listed() -> str:
            return "\n".join(row_text(table, key) for key in table.row_keys)

        await wait_for(pilot, lambda: "127.0.0.1:9092" in listed(), what="InstanceDown's alert")
        text = listed()
        assert "HighRequestLatency" in text and "DiskAlmostFull" in text
        assert "firing" in text and "inactive" in text
        asked = [dict(params) for path, params in prom3.requests if path == "/api/v1/rules"]
        assert {"type": "alert", "exclude_alerts": "true"} in asked
        assert any("rule_name[]" in p for p in asked)
