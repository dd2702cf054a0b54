"""The Graph panel: tabs of live-tailing PromQL range graphs (graphview.py), each with a
table of latest values."""

from __future__ import annotations

import math
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import TabbedContent, TabPane

from promdash.timefmt import auto_step
from promdash.tui.completion import Catalog
from promdash.tui.messages import FetchGraph, GraphFailed, GraphFetched, GraphWanted
from promdash.tui.plot import plot_columns
from promdash.tui.widgets.graphview import GraphView
from promdash.tui.widgets.panel import Panel, relabel
from promdash.tui.widgets.promql import History

# GraphView is named through here too (tests; the panel and its views are one family).
__all__ = ["GraphPanel", "GraphView", "graph_window"]


def graph_window(now: float, range_seconds: float, width: int) -> tuple[float, float, float]:
    """(start, end, step): about one point per plot column, aligned to the step.

    Aligning `end` to a multiple of the step makes two polls within one step ask
    for the same points, so the answer is the same and the plot is not redrawn.
    """
    step = auto_step(range_seconds, plot_columns(width))
    end = math.floor(now / step) * step
    return end - range_seconds, end, step


# `[ ]` show as one entry of the footer.
_TABS = Binding.Group("Tabs")


class GraphPanel(Panel):
    panel_name = "graph"
    title = "Graph"

    # Few keys in the footer, so Help and Quit still fit at 80 columns; every one is in help.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+n",
            "new_graph",
            "New",
            id="graph.new",
            tooltip="Open another graph in a new tab",
        ),
        Binding(
            "left_square_bracket",
            "step_graph(-1)",
            "Previous graph",
            group=_TABS,
            id="graph.previous",
            tooltip="Show the graph of the tab on the left (outside the query input)",
        ),
        Binding(
            "right_square_bracket",
            "step_graph(1)",
            "Next graph",
            group=_TABS,
            id="graph.next",
            tooltip="Show the graph of the tab on the right (outside the query input)",
        ),
        Binding(
            "ctrl+w",
            "close_graph",
            "Close graph",
            show=False,
            id="graph.close",
            tooltip="Close the graph shown (outside the query input)",
        ),
    ]

    DEFAULT_CSS = """
    GraphPanel TabbedContent { height: 1fr; }
    GraphPanel TabPane { padding: 0; height: 1fr; }
    GraphPanel ContentSwitcher { height: 1fr; }
    """

    def __init__(
        self,
        *,
        queries: tuple[str, ...],
        range_seconds: int,
        catalog: Catalog,
        history: History,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._queries = queries
        self.range_seconds = range_seconds  # of every new graph
        self.catalog = catalog
        self.history = history
        self.paused = False
        self._serial = 0  # graph ids are never reused: a late answer finds no graph
        # The number each graph's tab shows: the lowest free one, so after closing
        # tab 2 the next graph is 2 again and the numbers stay short.
        self._numbers: dict[str, int] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        with TabbedContent(id="graph-tabs"):
            for query in self._queries or ("",):
                yield self._pane(query)

    def _pane(self, query: str) -> TabPane:
        self._serial += 1
        graph_id = f"g{self._serial}"
        taken = set(self._numbers.values())
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
        self._numbers[graph_id] = number
        view = GraphView(
            graph_id,
            query=query,
            range_seconds=self.range_seconds,
            catalog=self.catalog,
            history=self.history,
        )
        view.paused = self.paused
        return TabPane(f"{number}: {view.title()}", view, id=f"pane-{graph_id}")

    async def _add_pane(self, pane: TabPane) -> None:
        """Add a tab where its number puts it: the tabs read 1, 2, 3 left to right."""
        graph_id = (pane.id or "").removeprefix("pane-")
        number = self._numbers[graph_id]
        later = [g for g in self._ordered() if self._numbers[g] > number]
        await self.tabs.add_pane(pane, before=f"pane-{later[0]}" if later else None)

    def _ordered(self) -> list[str]:
        """Graph ids in the order of their tabs."""
        return sorted(self._numbers, key=self._numbers.__getitem__)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#graph-tabs", TabbedContent)

    def views(self) -> list[GraphView]:
        return list(self.query(GraphView))

    def active_view(self) -> GraphView | None:
        pane = self.tabs.active_pane
        if pane is None:
            return None
        found = pane.query(GraphView)
        return found.first() if found else None

    def view(self, graph_id: str) -> GraphView | None:
        found = self.query(f"#view-{graph_id}")
        return found.first(GraphView) if found else None

    def wanted(self) -> GraphWanted | None:
        """What the graph on screen shows, for the poll (None: nothing to ask)."""
        view = self.active_view()
        return view.wanted() if view is not None else None

    def redraw(self) -> None:
        view = self.active_view()
        if view is not None:
            view.apply()

    # ------------------------------------------------------------ answers

    def _in_view(self, view: GraphView) -> bool:
        return self.shown and self.active_view() is view

    def show_result(self, message: GraphFetched) -> None:
        view = self.view(message.graph_id)
        if view is not None:
            view.show_result(message, self._in_view(view))

    def show_error(self, message: GraphFailed) -> None:
        view = self.view(message.graph_id)
        if view is not None:
            view.show_error(message, self._in_view(view))

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        for view in self.views():
            view.paused = paused
        self.redraw()

    # ------------------------------------------------------------ tabs

    @on(FetchGraph)
    def _retitle(self, message: FetchGraph) -> None:
        """A graph asks for data because its query or range changed: its tab names the query.

        The message goes on up to the poller.
        """
        view = self.view(message.wanted.graph_id)
        if view is not None:
            self._retitle_tab(view)

    def _retitle_tab(self, view: GraphView) -> None:
        number = self._numbers.get(view.graph_id, 0)
        relabel(self.tabs.get_tab(f"pane-{view.graph_id}"), f"{number}: {view.title()}")

    async def open_queries(self, queries: list[str]) -> None:
        """Graph these: a query already graphed shows its tab again; the first new one
        goes in the empty graph shown, if any; the others in new tabs."""
        first: GraphView | None = None
        for query in queries:
            active = self.active_view()
            shown = next((v for v in self.views() if v.expr == query), None)
            if shown is not None:
                first = first or shown
                continue
            if first is None and active is not None and not active.expr:
                target = active
            else:
                pane = self._pane(query)
                await self._add_pane(pane)
                target = pane.query_one(GraphView)
            target.run_query(query)
            first = first or target
        if first is not None:
            self.tabs.active = f"pane-{first.graph_id}"
            first.focus_graph()

    async def action_new_graph(self) -> None:
        pane = self._pane("")
        await self._add_pane(pane)
        self.tabs.active = pane.id or ""
        pane.query_one(GraphView).editor.input.focus()

    async def action_close_graph(self) -> None:
        pane = self.tabs.active_pane
        if pane is None:
            return
        if len(self.query(GraphView)) == 1:
            # Keep one graph: closing the last one empties it instead.
            view = pane.query_one(GraphView)
            view.expr = ""
            view.result = None
            view.editor.set_value("")
            view.plot.clear_data(view.plot.placeholder)
            view.apply()
            self._retitle_tab(view)
            return
        await self.tabs.remove_pane(pane.id or "")
        self._numbers.pop((pane.id or "").removeprefix("pane-"), None)

    def action_step_graph(self, step: int) -> None:
        """Show the graph of the next (1) or previous (-1) tab, round the ends."""
        view = self.active_view()
        order = self._ordered()
        if view is None or len(order) < 2:
            return
        graph_id = order[(order.index(view.graph_id) + step) % len(order)]
        self.tabs.active = f"pane-{graph_id}"
        # The keys of the graph work on the one now shown.
        shown = self.view(graph_id)
        if shown is not None:
            shown.focus_graph()

    @on(TabbedContent.TabActivated, "#graph-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        view = self.active_view()
        if view is not None and self.shown:
            view.apply()
            view.fetch()
