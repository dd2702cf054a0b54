"""The dashboard screen: header, stale banner, panel tabs, the panels and the footer.

Two layouts: `tabs` shows one panel at a time; `grid` shows the graph above the
targets and the alerts, for watching everything at once. Hidden panels keep
receiving data but draw it only when shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from promdash.tui.settings import PANELS, Layout
from promdash.tui.widgets.alerts import AlertsPanel
from promdash.tui.widgets.graph import GraphPanel
from promdash.tui.widgets.panel import Panel
from promdash.tui.widgets.stack import StackPanel
from promdash.tui.widgets.status import Banner, StatusBar
from promdash.tui.widgets.targets import TargetsPanel

if TYPE_CHECKING:
    from promdash.tui.app import PromdashApp

GRID_PANELS = ("graph", "targets", "alerts")


class DashboardScreen(Screen[None]):
    DEFAULT_CSS = """
    DashboardScreen #panel-tabs { height: 2; }
    DashboardScreen #panels { height: 1fr; }
    DashboardScreen #panels > .panel { height: 1fr; display: none; }
    DashboardScreen #panels > .panel.-shown { display: block; }
    DashboardScreen #panels.-grid {
        layout: grid;
        grid-size: 2 2;
        grid-rows: 3fr 2fr;
    }
    DashboardScreen #panels.-grid > .panel {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    DashboardScreen #panels.-grid > .panel:focus-within {
        border: round $primary;
        border-title-color: $text;
    }
    DashboardScreen #panels.-grid > #graph { column-span: 2; }
    DashboardScreen #panels.-grid #target-detail { display: none; }
    DashboardScreen #panels.-grid #alert-detail { display: none; }
    DashboardScreen #panels.-grid #alerts-timeline-box { height: 4; }
    DashboardScreen #panels > .panel.-stale { opacity: 75%; }
    """

    def __init__(self, dash: PromdashApp) -> None:
        super().__init__()
        self.dash = dash
        self.layout_mode: Layout = dash.settings.layout
        self.active: str = dash.settings.panel
        self.has_stack = dash.settings.stack_name is not None
        if self.active == "stack" and not self.has_stack:
            self.active = "targets"

    def compose(self):  # type: ignore[no-untyped-def]
        yield StatusBar(self.dash.settings.connection.url, id="status")
        yield Banner(id="banner")
        tabs = [
            Tab(f"{i} {name.capitalize()}", id=f"tab-{name}")
            for i, name in enumerate(self.panel_names(), start=1)
        ]
        yield Tabs(*tabs, id="panel-tabs", active=f"tab-{self.active}")
        with Container(id="panels"):
            # The graph comes first: the grid layout puts it across the top row.
            yield GraphPanel(id="graph")
            yield TargetsPanel(id="targets")
            yield AlertsPanel(id="alerts")
            if self.has_stack:
                yield StackPanel(id="stack")
        yield Footer()

    def panel_names(self) -> list[str]:
        return [p for p in PANELS if p != "stack" or self.has_stack]

    def on_mount(self) -> None:
        for panel in self.panels():
            panel.border_title = panel.title
        self.apply_layout()
        self.dash.dashboard_ready()

    # ------------------------------------------------------------ access

    def panels(self) -> list[Panel]:
        return list(self.query(Panel))

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def banner(self) -> Banner:
        return self.query_one(Banner)

    @property
    def targets(self) -> TargetsPanel:
        return self.query_one(TargetsPanel)

    @property
    def graph(self) -> GraphPanel:
        return self.query_one(GraphPanel)

    @property
    def alerts(self) -> AlertsPanel:
        return self.query_one(AlertsPanel)

    @property
    def stack(self) -> StackPanel | None:
        found = self.query(StackPanel)
        return found.first() if found else None

    def panel_visible(self, name: str) -> bool:
        if self.layout_mode == "grid":
            return name in GRID_PANELS
        return name == self.active

    # ------------------------------------------------------------ switching

    def show_panel(self, name: str) -> None:
        if name not in self.panel_names():
            self.app.notify(
                "No Stack panel: promdash did not start the stack of this server "
                "(`promdash up` starts one).",
                severity="warning",
            )
            return
        if self.layout_mode == "grid" and name not in GRID_PANELS:
            self.layout_mode = "tabs"
        self.query_one(Tabs).active = f"tab-{name}"
        self.active = name
        self.apply_layout()
        self._focus_panel(name)

    def toggle_layout(self) -> None:
        self.layout_mode = "tabs" if self.layout_mode == "grid" else "grid"
        if self.layout_mode == "grid" and self.active not in GRID_PANELS:
            self.active = "graph"
            self.query_one(Tabs).active = "tab-graph"
        self.apply_layout()

    def apply_layout(self) -> None:
        container = self.query_one("#panels")
        container.set_class(self.layout_mode == "grid", "-grid")
        with self.app.batch_update():
            for panel in self.panels():
                shown = self.panel_visible(panel.panel_name)
                panel.set_class(shown, "-shown")
                panel.set_shown(shown)
        focused = self.focused
        if focused is None or not self._in_shown_panel(focused):
            self.call_after_refresh(self._focus_panel, self.active)
        self.dash.panels_changed()

    def _in_shown_panel(self, widget: object) -> bool:
        return any(panel.shown and widget in panel.walk_children() for panel in self.panels())

    def _focus_panel(self, name: str) -> None:
        panel = self.query_one(f"#{name}", Panel)
        if name == "graph":
            view = self.graph.active_view()
            if view is not None:
                (view.plot if view.expr else view.editor.input).focus()
                return
        for widget in panel.query("KeyedTable"):
            widget.focus()
            return

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        name = (event.tab.id or "").removeprefix("tab-")
        if name and name != self.active:
            self.show_panel(name)

    def mark_tab(self, name: str, label: str) -> None:
        tabs = self.query_one(Tabs)
        for tab in tabs.query(f"#tab-{name}").results(Tab):
            if tab.label_text != label:
                tab.label = label
                # Textual 8 moves the underline when a tab is relabelled, before the
                # tab's new width is laid out: move it again once it is.
                tabs.call_after_refresh(tabs._highlight_active, False)

    def set_stale(self, stale: bool) -> None:
        for panel in self.panels():
            if panel.panel_name != "stack":
                panel.set_stale(stale)
                panel.border_subtitle = "stale" if stale else ""
