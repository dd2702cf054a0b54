"""Every line a graph draws can be told apart: in its legend at any width, and in the table
view (`v`), which has a column for each label that differs between the series."""

from __future__ import annotations

import pytest

from promdash.prom.types import QueryResult, Series
from promdash.tui.plot import MAX_LINES, graph_lines, legend
from promdash.tui.widgets.table import KeyedTable
from tests.conftest import RunningStack
from tests.tui.helpers import dash, type_text, wait_for

COLOURS = [(i * 20, 100, 200) for i in range(MAX_LINES)]


def _summary_series() -> QueryResult:
    """rpc_durations_seconds as the demo serves it: 3 instances x 3 quantiles x 3 services."""
    series = [
        Series(
            {
                "__name__": "rpc_durations_seconds",
                "job": "example-random",
                "instance": f"127.0.0.1:{port}",
                "quantile": quantile,
                "service": service,
            },
            [1.0, 2.0],
            [0.1, 0.2],
        )
        for port in (8080, 8081, 8082)
        for quantile in ("0.5", "0.9", "0.99")
        for service in ("exponential", "normal", "uniform")
    ]
    return QueryResult("matrix", matrix=series)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_every_drawn_line_is_in_the_legend_or_counted(width: int) -> None:
    drawn = graph_lines(_summary_series(), COLOURS)
    assert len(drawn.lines) == MAX_LINES and drawn.hidden == 17
    text = legend(drawn.lines, drawn.common, width, 6, drawn.hidden).plain
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    # The labels every series shares are said once, first, not in each entry.
    assert lines[0].startswith("all: rpc_durations_seconds") and 'job="example-random"' in lines[0]
    assert text.count("example-random") == 1
    entries = text.count("■")
    more = int(text.split("+")[1].split()[0]) if "+" in text else 0
    assert entries + more == MAX_LINES, text  # each drawn line is named or counted
    assert "17 series not drawn" in text
    # An entry is never split across two lines.
    for line in lines[1:]:
        for entry in line.split("■")[1:]:
            assert (entry.strip() and "…" not in entry) or width < 80, text


def test_at_200_columns_all_ten_lines_are_named_in_full() -> None:
    drawn = graph_lines(_summary_series(), COLOURS)
    text = legend(drawn.lines, drawn.common, 200, 6, drawn.hidden).plain
    assert text.count("■") == MAX_LINES
    assert 'instance="127.0.0.1:8080", quantile="0.5", service="exponential"' in text


@pytest.mark.prometheus
@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_table_view_has_a_column_for_each_label_that_differs(
    local_stack: RunningStack, size: tuple[int, int]
) -> None:
    app = dash(local_stack.url, panel="graph")
    async with app.run_test(size=size) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await wait_for(pilot, lambda: view.editor.input.has_focus, what="the PromQL input")
        await type_text(pilot, 'rpc_durations_seconds{quantile="0.9"}')
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.result is not None and view.plot.draws, what="a plot")
        await pilot.press("v")
        table = view.query_one("#latest", KeyedTable)
        await wait_for(pilot, lambda: len(table.row_keys) == 9, what="nine rows")
        labels = [c.label for c in table._columns]
        assert labels[:3] == ["group", "instance", "service"], labels
        # Rows that differ only in `service` read differently, whole.
        services = {table.cells_of(key)[2][0] for key in table.row_keys}  # type: ignore[index]
        assert services == {"exponential", "normal", "uniform"}
