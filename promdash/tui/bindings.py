"""The keys that work everywhere in the dashboard.

The app binds them; the help screen lists them. They live here, below both, so
the help screen reads them without importing the app.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

# Help and Quit come first: the footer shows the focused widget's keys, then these in
# this order, and cuts what does not fit at its right end. Keys that are not shown
# are in the help screen (and the command palette).
APP_BINDINGS: list[BindingType] = [
    Binding(
        "question_mark,f1", "help", "Help", id="app.help", tooltip="Every key and what it does"
    ),
    Binding(
        "q",
        "quit",
        "Quit",
        id="app.quit",
        tooltip="Leave promdash; a stack it started keeps running",
    ),
    Binding(
        "1",
        "show_panel('targets')",
        "Targets",
        show=False,
        id="app.targets",
        tooltip="Show the Targets panel",
    ),
    Binding(
        "2",
        "show_panel('graph')",
        "Graph",
        show=False,
        id="app.graph",
        tooltip="Show the Graph panel",
    ),
    Binding(
        "3",
        "show_panel('alerts')",
        "Alerts",
        show=False,
        id="app.alerts",
        tooltip="Show the Alerts panel",
    ),
    Binding(
        "4",
        "show_panel('stack')",
        "Stack",
        show=False,
        id="app.stack",
        tooltip="Show the Stack panel (when promdash started the stack)",
    ),
    Binding(
        "5",
        "show_panel('silences')",
        "Silences",
        show=False,
        id="app.silences",
        tooltip="Show Alertmanager's silences (when an Alertmanager is known)",
    ),
    Binding(
        "g",
        "toggle_layout",
        "Layout",
        show=False,
        id="app.layout",
        tooltip="The overview, or back to the panel shown before it",
    ),
    Binding(
        "p",
        "toggle_pause",
        "Pause",
        id="app.pause",
        tooltip="Stop or resume refreshing; the graph stops tailing",
    ),
    Binding(
        "r",
        "refresh_now",
        "Refresh",
        show=False,
        id="app.refresh",
        tooltip="Ask the server again now (it refreshes by itself anyway)",
    ),
    Binding(
        "D",
        "grafana_dashboards",
        "Grafana",
        show=False,
        id="app.grafana",
        tooltip="Grafana dashboards: the one given with --dashboard, else a list of those found",
    ),
    Binding(
        "t",
        "pick_theme",
        "Theme",
        show=False,
        id="app.theme",
        tooltip="Choose a colour theme (remembered in the state directory)",
    ),
]
