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

from promdash.present.text import clip, common_labels, labels_text, series_name
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
from promdash.tui.plot import PlotLine
from promdash.tui.themes import plot_colours, rgb
from promdash.tui.widgets.panel import show
from promdash.tui.widgets.plotview import PlotView
from promdash.tui.widgets.promql import History, PromQLEditor
from promdash.tui.widgets.table import Column, KeyedTable, Row

PRESETS: tuple[tuple[str, int], ...] = (("5m", 300), ("15m", 900), ("1h", 3600), ("6h", 21600))
MAX_SERIES = 10


def _latest(series: Series) -> tuple[float, float] | None:
    for t, v in zip(reversed(series.timestamps), reversed(series.values), strict=True):
        if math.isfinite(v):
            return t, v
    return None


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
            id="graph.longer",
            tooltip="Show a longer range (5m → 15m → 1h → 6h)",
        ),
        Binding(
            "minus",
            "shorter",
            "Shorter",
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
            id="graph.view",
            tooltip="Switch between the plot and a table of every series' latest value",
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
    GraphView #graph-legend { height: auto; max-height: 6; padding: 0 1; }
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
        self.plot.focus()

    @on(PromQLEditor.Left)
    def _left(self, event: PromQLEditor.Left) -> None:
        event.stop()
        self.plot.focus()

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

    def apply(self) -> None:
        """Present the last answer (plot or table), legend and info line."""
        result = self.result
        if result is None:
            self._show_info()
            return
        series = list(result.matrix)
        if result.result_type == "scalar" and result.scalar is not None:
            series = [Series({}, [result.scalar[0]], [result.scalar[1]])]
        ordered = sorted(series, key=lambda s: series_name(s.metric))
        common = common_labels([s.metric for s in ordered])
        shown = ordered[:MAX_SERIES]
        self.hidden_series = len(ordered) - len(shown)
        variables = self.app.theme_variables
        colours = plot_colours(variables)
        lines = [
            PlotLine(
                series_name(s.metric, common), s.timestamps, s.values, colours[i % len(colours)]
            )
            for i, s in enumerate(shown)
        ]
        start, end, step = self.window
        if self.mode == "plot":
            if lines:
                self.plot.set_data(lines, start, end, step, rgb(variables, "plot-axes"))
            else:
                self.plot.clear_data("No series: the query matched nothing in this range.")
        else:
            self._fill_table(ordered, common)
        self._show_legend(lines, common)
        self._show_info()

    def _fill_table(self, ordered: list[Series], common: dict[str, str]) -> None:
        table = self.query_one("#latest", KeyedTable)
        width = table.size.width or self.app.size.width
        rows = []
        for s in ordered:
            latest = _latest(s)
            name = series_name(s.metric, common)
            rows.append(
                Row(
                    labels_text(s.metric) or name,
                    (
                        (name, ""),
                        Text(
                            value_text(latest[1], compact=True) if latest else "–", justify="right"
                        ),
                        (clock_text(latest[0]) if latest else "", "dim"),
                    ),
                )
            )
        columns = (
            Column("series", f"Series ({len(ordered)})", max(20, width - 36)),
            Column("value", "Latest", 14),
            Column("at", "At", 9),
        )
        with self.app.batch_update():
            table.sync(columns, rows)

    def _show_legend(self, lines: list[PlotLine], common: dict[str, str]) -> None:
        """Entries laid out by hand, so none is split across two lines."""
        width = max((self.size.width or self.app.size.width) - 2, 20)
        text = Text()
        if common:
            text.append("all: ", style="dim")
            text.append(clip(labels_text(common)), style="dim")
            text.append("\n")
        used = 0
        for line in lines:
            name = line.name if len(line.name) + 2 <= width else line.name[: width - 3] + "…"
            size = len(name) + 2
            if used and used + 3 + size > width:
                text.append("\n")
                used = 0
            elif used:
                text.append("   ")
                used += 3
            r, g, b = line.colour
            text.append("■ ", style=f"#{r:02x}{g:02x}{b:02x}")
            text.append(name)
            used += size
        if self.hidden_series:
            text.append(
                f"\n{self.hidden_series} series not shown (plot limit {MAX_SERIES}; "
                "press v for the table of all)",
                style="bold",
            )
        show(self.query_one("#graph-legend", Static), text)

    def _show_info(self) -> None:
        info = self.query_one("#graph-info", Static)
        parts = [f"range {short_duration(self.range_seconds)}"]
        if self.result is not None:
            parts.append(f"step {short_duration(self.window[2])}")
            count = len(self.result.matrix)
            parts.append(f"{count} series" if count != 1 else "1 series")
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

    def action_toggle_view(self) -> None:
        self.mode = "table" if self.mode == "plot" else "plot"
        self.query_one(ContentSwitcher).current = "latest" if self.mode == "table" else "plot"
        self.apply()

    def action_edit(self) -> None:
        self.editor.input.focus()
