"""Command palette (Ctrl+P): every action of the dashboard, by name.

Each command runs an action by its string, on the widget whose bindings offer
it, so the palette, the keys and the help screen all reach the same code.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from promdash.tui.screens.backtest import BacktestScreen
from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.widgets.alerts import AM_FILTERS, STATE_FILTERS
from promdash.tui.widgets.graphview import PRESETS
from promdash.tui.widgets.silences import SILENCE_FILTERS
from promdash.tui.widgets.targets import HEALTH_FILTERS


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    title: str
    help: str
    action: str  # the action string a Binding would carry, e.g. "show_panel('graph')"
    target: DOMNode | None = None  # None: the app


def backtest_commands(screen: BacktestScreen) -> list[PaletteCommand]:
    """The Backtest screen's keys, while it shows."""
    return [
        PaletteCommand("Backtest: close", "Back to the dashboard", "close", screen),
        PaletteCommand(
            "Backtest: edit the expression",
            "Tab: its for; Enter backtests the edit",
            "edit",
            screen,
        ),
        PaletteCommand(
            "Backtest: longer range", "15m → 1h → 6h → 24h → 2d → 7d", "range(1)", screen
        ),
        PaletteCommand(
            "Backtest: shorter range", "7d → 2d → 24h → 6h → 1h → 15m", "range(-1)", screen
        ),
        PaletteCommand("Backtest: again, up to now", "The rule and the edit", "again", screen),
        PaletteCommand(
            "Backtest: the rule as it is", "Its own expression and for back", "original", screen
        ),
    ]


def palette_commands(app: App[Any]) -> list[PaletteCommand]:
    """What the palette offers now: built from the dashboard as it is (its graphs, services),
    or the Backtest screen's when it shows."""
    if isinstance(app.screen, BacktestScreen):
        return backtest_commands(app.screen)
    screens = [s for s in app.screen_stack if isinstance(s, DashboardScreen)]
    if not screens:
        return []
    screen = screens[0]
    commands = [
        PaletteCommand(
            "Show Overview", "Targets, alerts and live graphs together", "show_panel('overview')"
        ),
        PaletteCommand("Show Targets", "Scrape targets grouped by pool", "show_panel('targets')"),
        PaletteCommand(
            "Toggle overview", "The overview, or back to the panel before it", "toggle_layout"
        ),
        PaletteCommand("Show Graph", "PromQL range graphs", "show_panel('graph')"),
        PaletteCommand(
            "Show Alerts", "Alerting rules, alerts and the timeline", "show_panel('alerts')"
        ),
        PaletteCommand(
            "Resume refreshing" if screen.paused else "Pause refreshing",
            "Stop or resume polling the server",
            "toggle_pause",
        ),
        PaletteCommand("Refresh now", "Ask the server again now", "refresh_now"),
        PaletteCommand("Help: keys", "Every key and what it does", "help"),
        PaletteCommand("Change theme…", "Pick a colour theme (remembered)", "pick_theme"),
        PaletteCommand(
            "Grafana dashboards…",
            "Draw a Grafana dashboard (--dashboard, the stack's)",
            "grafana_dashboards",
        ),
        PaletteCommand("Quit", "Leave promdash", "quit"),
    ]
    if screen.stack is not None:
        commands.insert(
            3, PaletteCommand("Show Stack", "The stack's services", "show_panel('stack')")
        )
    if screen.am.known:
        commands.insert(
            3,
            PaletteCommand(
                "Show Silences", "Alertmanager's silences: expire, extend", "show_panel('silences')"
            ),
        )
    for name in sorted(app.available_themes):
        commands.append(PaletteCommand(f"Theme: {name}", "Use this theme", f"set_theme('{name}')"))

    overview = screen.overview
    commands += [
        PaletteCommand(
            "Overview: add a graph", "Remembered for this server", "add_graph", overview
        ),
        PaletteCommand(
            "Overview: replace the graph's query",
            "The graph with the focus",
            "edit_graph",
            overview,
        ),
        PaletteCommand(
            "Overview: remove the graph", "The graph with the focus", "remove_graph", overview
        ),
        PaletteCommand(
            "Overview: open the selection",
            "In its full panel (Escape comes back)",
            "open",
            overview,
        ),
        PaletteCommand("Back to the overview", "After opening something from it", "back", screen),
        PaletteCommand(
            "Overview: backtest the selected alert's rule",
            "When would it have fired over the last hours? Edit it and see",
            "backtest",
            overview,
        ),
    ]
    if screen.am.known:
        commands.append(
            PaletteCommand(
                "Overview: silence the selected alert…",
                "The alert under the cursor in the Alerts box",
                "silence",
                overview,
            )
        )

    targets = screen.targets
    for health in HEALTH_FILTERS:
        commands.append(
            PaletteCommand(
                f"Targets: show {health}",
                "Filter targets by health",
                f"set_health_filter('{health}')",
                targets,
            )
        )
    commands.append(
        PaletteCommand("Targets: filter by text", "Type words to match", "focus_filter", targets)
    )
    commands.append(
        PaletteCommand(
            "Targets: graph the selected target",
            "up and scrape_duration_seconds",
            "open_selected",
            targets,
        )
    )
    commands.append(
        PaletteCommand(
            "Targets: cycle health filter", "all → up → down → unknown", "cycle_health", targets
        )
    )

    graph = screen.graph
    commands.append(
        PaletteCommand("Graph: new graph", "Open a graph in a new tab", "new_graph", graph)
    )
    commands.append(
        PaletteCommand("Graph: close graph", "Close the graph shown", "close_graph", graph)
    )
    commands += [
        PaletteCommand(
            "Graph: previous tab", "The graph of the tab on the left", "step_graph(-1)", graph
        ),
        PaletteCommand(
            "Graph: next tab", "The graph of the tab on the right", "step_graph(1)", graph
        ),
    ]
    view = graph.active_view()
    if view is not None:
        for label, seconds in PRESETS:
            commands.append(
                PaletteCommand(
                    f"Graph: range {label}",
                    "Range of the graph shown",
                    f"set_range({seconds})",
                    view,
                )
            )
        commands += [
            PaletteCommand("Graph: longer range", "5m → 15m → 1h → 6h", "longer", view),
            PaletteCommand("Graph: shorter range", "6h → 1h → 15m → 5m", "shorter", view),
            PaletteCommand("Graph: custom range…", "Any duration, e.g. 2h", "custom_range", view),
            PaletteCommand(
                "Graph: plot / table of latest values", "Switch the view", "toggle_view", view
            ),
            PaletteCommand("Graph: edit query", "Focus the PromQL input", "edit", view),
            PaletteCommand(
                "Graph: heatmap / plot of histograms",
                "Buckets by time, coloured by count (le buckets or native histograms)",
                "toggle_heatmap",
                view,
            ),
            PaletteCommand(
                "Graph: next histogram", "In the heatmap of several", "next_heatmap", view.heatmap
            ),
        ]

    alerts = screen.alerts
    for state in STATE_FILTERS:
        commands.append(
            PaletteCommand(
                f"Alerts: show {state}",
                "Filter rules by state",
                f"set_state_filter('{state}')",
                alerts,
            )
        )
    if screen.am.known:
        for state in AM_FILTERS:
            commands.append(
                PaletteCommand(
                    f"Alerts: show {state}",
                    f"Only the alerts Alertmanager has {state}",
                    f"set_state_filter('{state}')",
                    alerts,
                )
            )
    commands.append(
        PaletteCommand(
            "Alerts: cycle state filter", "all → firing → pending → inactive", "cycle_state", alerts
        )
    )
    commands.append(
        PaletteCommand(
            "Alerts: backtest the selected rule",
            "When would it have fired over the last hours? Edit it and see",
            "backtest",
            alerts,
        )
    )
    if screen.am.known:
        commands.append(
            PaletteCommand(
                "Alerts: silence the selected alert…",
                "A form with its labels as matchers, a duration and a comment",
                "silence",
                alerts,
            )
        )
    commands.append(
        PaletteCommand(
            "Alerts: graph the selected rule's expression",
            "Open it in the graph",
            "open_selected",
            alerts,
        )
    )

    if screen.am.known:
        silences = screen.silences
        for state in SILENCE_FILTERS:
            commands.append(
                PaletteCommand(
                    f"Silences: show {state}",
                    "Filter silences by state",
                    f"set_state_filter('{state}')",
                    silences,
                )
            )
        commands += [
            PaletteCommand(
                "Silences: cycle state filter",
                "all → active → pending → expired",
                "cycle_state",
                silences,
            ),
            PaletteCommand(
                "Silences: expire the selected silence",
                "Asks first; its alerts are active again",
                "expire",
                silences,
            ),
            PaletteCommand(
                "Silences: extend the selected silence…",
                "Asks how much longer, then to confirm",
                "extend",
                silences,
            ),
        ]

    stack = screen.stack
    if stack is not None and stack.rows:
        for row in stack.rows:
            for verb, action in (("Stop", "stop"), ("Start", "start"), ("Restart", "restart")):
                commands.append(
                    PaletteCommand(
                        f"Stack: {verb} {row.name}",
                        f"{verb} this service",
                        f"service('{action}', '{row.name}')",
                        stack,
                    )
                )
            commands.append(
                PaletteCommand(
                    f"Stack: logs of {row.name}",
                    "Follow its log",
                    f"service('logs', '{row.name}')",
                    stack,
                )
            )
        for verb, action in (
            ("Stop", "stop"),
            ("Start", "start"),
            ("Restart", "restart"),
            ("Logs of", "logs"),
        ):
            commands.append(
                PaletteCommand(
                    f"Stack: {verb} the selected service", "The row under the cursor", action, stack
                )
            )
    return commands


class PromdashCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.app)

    def _run(self, command: PaletteCommand) -> partial[Coroutine[Any, Any, bool]]:
        return partial(self.app.run_action, command.action, command.target)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, self._run(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._iter():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(command.title), self._run(command), help=command.help
                )

    def _iter(self) -> Iterator[PaletteCommand]:
        yield from self._commands()
