"""One graph: its PromQL editor, range choices, the plot or a table of latest values,
its legend and info line. The Graph panel (graph.py) holds one per tab."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Static

from promdash.present.heatmap import has_histograms, heatmaps
from promdash.present.text import histogram_text, labels_text, series_name
from promdash.prom.types import QueryResult, Series
from promdash.timefmt import clock_text, short_duration, value_text
from promdash.tui.completion import Catalog
from promdash.tui.messages import (
    FetchGraph,
    GraphFailed,
    GraphFetched,
    GraphWanted,
    RangeRequested,
)
from promdash.tui.plot import GraphLines, graph_lines, legend
from promdash.tui.themes import plot_colours, rgb
from promdash.tui.widgets.heatmap import HeatmapView, theme_ramp
from promdash.tui.widgets.panel import show
from promdash.tui.widgets.plotview import PlotView
from promdash.tui.widgets.promql import History, PromQLEditor
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row

PRESETS: tuple[tuple[str, int], ...] = (("5m", 300), ("15m", 900), ("1h", 3600), ("6h", 21600))
LEGEND_ROWS = 6


def _latest(series: Series) -> tuple[float, str] | None:
    """When a series' last sample was and its value as a cell shows it: a float, or a
    native histogram by its count and sum (a histogram has no one value)."""
    latest: tuple[float, str] | None = None
    for t, v in zip(reversed(series.timestamps), reversed(series.values), strict=True):
        if math.isfinite(v):
            latest = t, value_text(v, compact=True)
            break
    if series.histograms:
        at, histogram = series.histograms[-1]
        if latest is None or at > latest[0]:
            latest = at, histogram_text(histogram, short=True)
    return latest


class RangeChoice(Static):
    """One of `5m 15m 1h 6h custom`; a click picks it."""

    DEFAULT_CSS = """
    RangeChoice { width: auto; padding: 0 1; color: $text-muted; }
    RangeChoice:hover { background: $boost; }
    RangeChoice.-active { background: $primary; color: $text; text-style: bold; }
    """

    def __init__(self, label: str, seconds: int | None) -> None:
        super().__init__(label)
        self.seconds = seconds

    def on_click(self) -> None:
        view = self.query_ancestor(GraphView)
        if self.seconds is None:
            view.action_custom_range()
        else:
            view.set_range(self.seconds)


class GraphView(Vertical):
    """One graph: its query, range, answer, and how it is shown (plot or table)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "plus,equals_sign",
            "longer",
            "Longer",
            group=Binding.Group("Range"),  # `+ - Range` in the footer (Groups are equal by value)
            id="graph.longer",
            tooltip="Show a longer range (5m → 15m → 1h → 6h)",
        ),
        Binding(
            "minus",
            "shorter",
            "Shorter",
            group=Binding.Group("Range"),
            id="graph.shorter",
            tooltip="Show a shorter range (6h → 1h → 15m → 5m)",
        ),
        Binding(
            "c",
            "custom_range",
            "Custom range",
            show=False,
            id="graph.custom",
            tooltip="Type any range, e.g. 2h or 3d",
        ),
        Binding(
            "v",
            "toggle_view",
            "Plot/table",
            show=False,  # the footer has no room at 80 columns; the legend and help say it
            id="graph.view",
            tooltip="Switch between the plot and a table of every series' latest value",
        ),
        Binding(
            "H",
            "toggle_heatmap",
            "Heatmap",
            id="graph.heatmap",
            tooltip="Buckets by time, coloured by count, for a query of histogram buckets (le) "
            "or native histograms; ←→↑↓ pick a cell, n the next histogram",
        ),
        Binding(
            "e",
            "edit",
            "Edit query",
            show=False,
            id="graph.edit",
            tooltip="Put the cursor in the PromQL input",
        ),
    ]

    DEFAULT_CSS = """
    GraphView { height: 1fr; }
    GraphView #graph-toolbar { height: 1; }
    GraphView #graph-info { width: 1fr; padding: 0 1; color: $text-muted; }
    GraphView #graph-info.-warn { color: $warning; }
    GraphView ContentSwitcher { height: 1fr; }
    GraphView #graph-legend { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(
        self,
        graph_id: str,
        *,
        query: str,
        range_seconds: int,
        catalog: Catalog,
        history: History,
    ) -> None:
        super().__init__(id=f"view-{graph_id}")
        self.graph_id = graph_id
        self.expr = query
        self.range_seconds = range_seconds
        self.catalog = catalog
        self.history = history
        self.mode = "plot"
        self.result: QueryResult | None = None
        self.window = (0.0, 0.0, 1.0)
        self.fetched_at: float | None = None
        self.error = ""
        self.hidden_series = 0
        self.waiting = False
        self.paused = False  # the dashboard fetches nothing: said in the info line

    def compose(self):  # type: ignore[no-untyped-def]
        yield PromQLEditor(self.catalog, self.history, self.expr)
        with Horizontal(id="graph-toolbar"):
            for label, seconds in PRESETS:
                yield RangeChoice(label, seconds)
            yield RangeChoice("custom", None)
            yield Static(id="graph-info")
        with ContentSwitcher(initial="plot"):
            yield PlotView(id="plot")
            yield KeyedTable(id="latest")
            yield HeatmapView(id="heatmap")
        yield Static(id="graph-legend")

    def on_mount(self) -> None:
        self._mark_range()
        self._show_info()

    @property
    def plot(self) -> PlotView:
        return self.query_one(PlotView)

    @property
    def editor(self) -> PromQLEditor:
        return self.query_one(PromQLEditor)

    def title(self) -> str:
        query = self.expr or "new graph"
        return query if len(query) <= 28 else query[:27] + "…"

    # ------------------------------------------------------------ asking

    def wanted(self) -> GraphWanted | None:
        if not self.expr:
            return None
        width = self.plot.size.width or self.app.size.width - 2
        return GraphWanted(self.graph_id, self.expr, self.range_seconds, width)

    def fetch(self) -> None:
        """Ask for this graph's data now (its parent retitles the tab, the poller fetches)."""
        wanted = self.wanted()
        if wanted is not None:
            # Sent as this view's own: parents calling `fetch` must not end its bubbling.
            self.post_message(FetchGraph(wanted).set_sender(self))

    def run_query(self, query: str) -> None:
        self.expr = query
        self.result = None
        self.error = ""
        self.editor.set_value(query)
        self.editor.clear_error()
        self.waiting = True
        self.plot.clear_data(f"Running {query} …")
        self._show_info()
        self.fetch()

    @on(PromQLEditor.Submitted)
    def _submitted(self, event: PromQLEditor.Submitted) -> None:
        event.stop()
        self.run_query(event.query)
        # The keys of the graph (range, view, pause) work once the plot has the focus;
        # a rejected query puts the cursor back in the input.
        self.focus_graph()

    @on(PromQLEditor.Left)
    def _left(self, event: PromQLEditor.Left) -> None:
        event.stop()
        self.focus_graph()

    # ------------------------------------------------------------ answers

    def show_result(self, message: GraphFetched, in_view: bool) -> None:
        """Keep the answer; draw it if on screen (else when its tab is next shown)."""
        if message.query != self.expr:
            return  # an answer to a query the user has since replaced
        self.result = message.result
        self.window = (message.start, message.end, message.step)
        self.fetched_at = message.at
        self.waiting = False
        if self.error:
            self.error = ""
            self.editor.clear_error()
        if in_view:
            self.apply()

    def show_error(self, message: GraphFailed, in_view: bool) -> None:
        if message.query != self.expr:
            return
        self.waiting = False
        self.error = message.error
        if message.bad_query:
            self.result = None
            self.editor.show_error(message.error, message.query)
            if in_view:
                self.editor.input.focus()
            self.plot.clear_data("The server rejected this query; fix it above.")
            show(self.query_one("#graph-legend", Static), "")
        self._show_info()

    @property
    def heatmap(self) -> HeatmapView:
        return self.query_one(HeatmapView)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Offered (footer, palette) only for an answer a heatmap can show.
        if action == "toggle_heatmap":
            return self.mode == "heatmap" or has_histograms(self.result)
        return True

    def apply(self) -> None:
        """Present the last answer (plot, table or heatmap), legend and info line."""
        result = self.result
        self.refresh_bindings()
        if result is None:
            self._show_info()
            return
        if self.mode == "heatmap":
            if has_histograms(result):
                self._show_heatmap(result)
                return
            self._switch("plot")  # a new query without histograms: back to its lines
        drawn = graph_lines(result, plot_colours(self.app.theme_variables))
        self.hidden_series = drawn.hidden
        lines = drawn.lines
        start, end, step = self.window
        if self.mode == "plot":
            if lines:
                axes = rgb(self.app.theme_variables, "plot-axes")
                self.plot.set_data(lines, start, end, step, axes)
            else:
                self.plot.clear_data("No series: the query matched nothing in this range.")
        else:
            self._fill_table(drawn)
        width = max((self.size.width or self.app.size.width) - 2, 20)
        text = legend(lines, drawn.common, width, LEGEND_ROWS, drawn.hidden)
        show(self.query_one("#graph-legend", Static), text)
        self._show_info()

    def _show_heatmap(self, result: QueryResult) -> None:
        maps = heatmaps(result, self.window)
        self.heatmap.set_data(maps, theme_ramp(self.app.theme_variables))
        self.hidden_series = 0  # a heatmap shows every bucket
        hint = "←→↑↓ or the mouse: a cell's count · H: back to lines"
        if len(maps) > 1:
            hint += f" · n: next of {len(maps)} histograms (or sum by (le) for one)"
        show(self.query_one("#graph-legend", Static), Text(hint, style="italic"))
        self._show_info()

    def _fill_table(self, drawn: GraphLines) -> None:
        """Every series' latest value, with a column for each label that tells them apart."""
        table = self.query_one("#latest", KeyedTable)
        width = table.size.width or self.app.size.width
        names = sorted({k for s in drawn.series for k in s.metric} - set(drawn.common))
        rows = []
        values: list[str] = []
        for s in drawn.series:
            latest = _latest(s)
            cells: list[Cell] = [(s.metric.get(name, ""), "") for name in names]
            if not names:
                cells.append((series_name(s.metric), ""))
            value = latest[1] if latest else "–"
            values.append(value)
            cells.append(Text(value, justify="right"))
            cells.append((clock_text(latest[0]) if latest else "", "dim"))
            rows.append(Row(labels_text(s.metric) or "{}", tuple(cells)))
        # A histogram's `count 10, sum 20` is wider than a float's 8 characters.
        value_width = max([14, *map(len, values)])
        spare = max(width - value_width - 9 - 6 * 2, 12)
        label_columns = [
            Column(
                name, name, max([len(name), *(len(s.metric.get(name, "")) for s in drawn.series)])
            )
            for name in names
        ] or [Column("series", "Series", spare)]
        # Columns wider than the room share it, the widest narrowed first.
        while (
            sum(c.width + 2 for c in label_columns) > spare
            and max(c.width for c in label_columns) > 8
        ):
            widest = max(label_columns, key=lambda c: c.width)
            label_columns[label_columns.index(widest)] = Column(
                widest.key, widest.label, widest.width - 1
            )
        columns = (
            *label_columns,
            Column("value", "Latest", value_width),
            Column("at", "At", 9),
        )
        with self.app.batch_update():
            table.sync(columns, rows)

    def _show_info(self) -> None:
        info = self.query_one("#graph-info", Static)
        parts = [f"range {short_duration(self.range_seconds)}"]
        if self.result is not None:
            parts.append(f"step {short_duration(self.window[2])}")
            count = len(self.result.matrix)
            parts.append(f"{count} series" if count != 1 else "1 series")
            histograms = sum(bool(s.histograms) for s in self.result.matrix)
            if histograms:
                parts.append(f"{histograms} native histogram{'s' if histograms > 1 else ''}")
            if self.hidden_series:
                parts.append(f"{self.hidden_series} not shown")
        if self.fetched_at is not None:
            parts.append(f"at {clock_text(self.fetched_at)}")
        if self.waiting:
            parts.append("loading…")
        if self.error and self.result is not None:
            parts.append(f"last refresh failed: {self.error}")
        if self.result is not None and self.result.warnings:
            parts.append("warning: " + "; ".join(self.result.warnings))
        if self.paused:
            parts.append("⏸ paused")
        show(info, " · ".join(parts))
        info.set_class(bool(self.hidden_series or self.error), "-warn")

    # ------------------------------------------------------------ range and view

    def _mark_range(self) -> None:
        preset = {seconds for _, seconds in PRESETS}
        for choice in self.query(RangeChoice):
            if choice.seconds is None:
                custom = self.range_seconds not in preset
                choice.set_class(custom, "-active")
                choice.update(
                    f"custom {short_duration(self.range_seconds)}" if custom else "custom"
                )
            else:
                choice.set_class(choice.seconds == self.range_seconds, "-active")

    def action_set_range(self, seconds: int) -> None:
        self.set_range(seconds)

    def set_range(self, seconds: int) -> None:
        self.range_seconds = max(60, int(seconds))
        self._mark_range()
        self._show_info()
        self.fetch()

    def action_longer(self) -> None:
        longer = [s for _, s in PRESETS if s > self.range_seconds]
        self.set_range(longer[0] if longer else self.range_seconds * 2)

    def action_shorter(self) -> None:
        shorter = [s for _, s in PRESETS if s < self.range_seconds]
        self.set_range(shorter[-1] if shorter else max(60, self.range_seconds // 2))

    def action_custom_range(self) -> None:
        self.post_message(RangeRequested(self.graph_id, self.range_seconds).set_sender(self))

    def focus_graph(self) -> None:
        """Give the keys to what shows the answer: the plot, or the heatmap's cursor."""
        (self.heatmap if self.mode == "heatmap" else self.plot).focus()

    def _switch(self, mode: str) -> None:
        self.mode = mode
        self.query_one(ContentSwitcher).current = {"table": "latest"}.get(mode, mode)
        focused = self.app.focused
        if focused is self.plot or focused is self.heatmap:
            self.focus_graph()

    def action_toggle_view(self) -> None:
        self._switch("plot" if self.mode == "table" else "table")
        self.apply()

    def action_toggle_heatmap(self) -> None:
        if self.mode != "heatmap" and not has_histograms(self.result):
            # Reached from the palette, which lists it for every graph.
            self.notify(
                "A heatmap needs histogram buckets (series with `le`) or native histograms.",
                title="no histograms",
            )
            return
        self._switch("plot" if self.mode == "heatmap" else "heatmap")
        self.apply()

    def action_edit(self) -> None:
        self.editor.input.focus()
