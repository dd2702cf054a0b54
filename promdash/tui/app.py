"""PromdashApp: the dashboard's keys, screens and themes.

The work is done elsewhere. The poller (poller.py) owns the refresh loop, every
worker and the one policy for their failures; the dashboard screen hands the
poller's answers to its panels. The app makes both, starts the poller once the
screen is composed, and passes on the requests the panels post (they bubble up
to it as messages: fetch a graph, act on a service, follow a log). It never
reaches into a panel, and no widget imports it.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker

from promdash.errors import PromdashError
from promdash.prom.client import PromClient
from promdash.prom.types import BuildInfo, Targets
from promdash.tui.bindings import APP_BINDINGS
from promdash.tui.completion import Catalog
from promdash.tui.messages import (
    BacktestWanted,
    CatalogWanted,
    DashboardReady,
    FetchAlertmanager,
    FetchGraph,
    FetchRules,
    FetchStackStatus,
    LogsRequested,
    StackActionRequested,
    WriteSilence,
)
from promdash.tui.poller import Poller
from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.settings import DashSettings
from promdash.tui.themes import DEFAULT_THEME, load_themes, theme_defaults
from promdash.tui.widgets.promql import History, PromQLEditor

if TYPE_CHECKING:
    from textual.command import Provider


def _palette_commands() -> type[Provider]:
    from promdash.tui.commands import PromdashCommands

    return PromdashCommands


class PromdashApp(App[None]):
    TITLE = "promdash"
    # A callable, as textual's own system commands: the palette's module loads when the
    # palette opens, not at start-up.
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {_palette_commands}
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self, settings: DashSettings, first_targets: Future[Targets] | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        loaded = load_themes(settings.themes_dir)
        for theme in loaded.themes:
            self.register_theme(theme)
        self.theme_problems = loaded.problems
        wanted = settings.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.theme_problems.append(f"theme {wanted!r} not found; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        self._remembered_theme = wanted
        self.client = PromClient(settings.connection, transport=settings.transport)
        self.catalog = Catalog()
        self.history = History(settings.history_file)
        self.poller = Poller(self, settings, self.client, self.catalog, first_targets)
        self._dashboard: DashboardScreen | None = None

    # ------------------------------------------------------------ set-up

    def get_default_screen(self) -> Screen[Any]:
        if self._dashboard is None:
            self._dashboard = DashboardScreen(self.settings, self.catalog, self.history)
        return self._dashboard

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Made from the current theme's own colours: a theme without promdash's (textual's
        # built-in ones) keeps health and state readable on its backgrounds.
        return theme_defaults(self.current_theme)

    @property
    def dashboard(self) -> DashboardScreen:
        assert self._dashboard is not None, "the dashboard screen is made at start-up"
        return self._dashboard

    @property
    def started(self) -> bool:
        """The dashboard screen is composed and polling has begun."""
        return self.poller.started

    @property
    def build_info(self) -> BuildInfo | None:
        """The server's version, once a poll has asked for it."""
        return self.poller.build_info

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for problem in self.theme_problems:
            self.notify(problem, title="themes", severity="warning")

    async def on_unmount(self) -> None:
        await self.client.aclose()
        await self.poller.aclose()

    # ------------------------------------------------------------ requests, to the poller

    @on(DashboardReady)
    def _dashboard_ready(self, message: DashboardReady) -> None:
        self.poller.start(self.dashboard)
        if self.settings.grafana_open is not None:
            self._open_grafana(self.settings.grafana_open)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        self.poller.worker_changed(event)

    @on(FetchGraph)
    def _fetch_graph(self, message: FetchGraph) -> None:
        self.poller.fetch_graph(message.wanted)

    @on(FetchRules)
    def _fetch_rules(self, message: FetchRules) -> None:
        self.poller.rules_shown(now=message.now)

    @on(FetchStackStatus)
    def _fetch_stack_status(self, message: FetchStackStatus) -> None:
        self.poller.fetch_stack_status()

    @on(StackActionRequested)
    def _stack_action(self, message: StackActionRequested) -> None:
        self.poller.stack_action(message.stack, message.service, message.action)

    @on(FetchAlertmanager)
    def _fetch_alertmanager(self, message: FetchAlertmanager) -> None:
        self.poller.fetch_alertmanager()

    @on(WriteSilence)
    def _write_silence(self, message: WriteSilence) -> None:
        self.poller.write_silence(message)

    @on(CatalogWanted)
    def _catalog_wanted(self, message: CatalogWanted) -> None:
        self.poller.want_catalog()

    @on(PromQLEditor.NeedNames)
    def _need_names(self, message: PromQLEditor.NeedNames) -> None:
        self.poller.need_names(message.need)

    @on(BacktestWanted)
    def _backtest(self, message: BacktestWanted) -> None:
        from promdash.tui.screens.backtest import BacktestScreen

        screen = BacktestScreen(message.name, message.group, self.client)
        # Back from it, the dashboard (which does not poll under it) is asked at once.
        self.push_screen(screen, callback=lambda _: self.poller.refresh_now())

    @on(LogsRequested)
    def _show_logs(self, message: LogsRequested) -> None:
        from promdash.tui.screens.logs import LogScreen

        screen = LogScreen(message.stack, message.service)
        worker = self.poller.follow_logs(screen, message.stack, message.service)

        def closed(_: None) -> None:
            if worker is not None:
                worker.cancel()

        self.push_screen(screen, closed)

    # ------------------------------------------------------------ actions

    def action_refresh_now(self) -> None:
        self.poller.refresh_now()

    def action_toggle_pause(self) -> None:
        paused = self.poller.toggle_pause()
        self.notify("Paused: nothing is refreshed." if paused else "Refreshing again.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The panel keys change the dashboard: under another screen (a backtest, a
        # Grafana dashboard, help) they would change what the person cannot see.
        return action not in ("show_panel", "toggle_layout") or self.screen is self.dashboard

    def action_show_panel(self, name: str) -> None:
        self.dashboard.show_panel(name)

    def action_toggle_layout(self) -> None:
        self.dashboard.toggle_layout()

    def action_grafana_dashboards(self) -> None:
        """D: the one dashboard found, drawn; several, a list to pick from."""
        from promdash.tui.screens.grafana import DashboardsScreen, GrafanaScreen

        if isinstance(self.screen, GrafanaScreen | DashboardsScreen):
            return
        found = self.settings.grafana_dashboards
        if len(found) == 1:
            self._open_grafana(found[0])
        else:
            self.push_screen(DashboardsScreen(found, self.client, interval=self._interval()))

    def _open_grafana(self, path: Path) -> None:
        from promdash.tui.screens.grafana import load_screen

        try:
            screen = load_screen(path, self.client, interval=self._interval())
        except PromdashError as exc:  # the file changed since start: one line, not a crash
            self.notify(str(exc), title="Grafana dashboard", severity="error", markup=False)
            return
        # Back from it, the dashboard (which does not poll under it) is asked at once.
        self.push_screen(screen, callback=lambda _: self.poller.refresh_now())

    def _interval(self) -> float:
        """Grafana panels refresh at the dashboard's own interval, else at promdash's."""
        return self.poller.refresh_interval()

    def action_help(self) -> None:
        from promdash.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_pick_theme(self) -> None:
        self.search_themes()

    def action_set_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name

    def _theme_changed(self, theme: Theme) -> None:
        """A theme the user picked is remembered (the one given at start-up already is)."""
        if self.settings.remember_theme is not None and theme.name != self._remembered_theme:
            self._remembered_theme = theme.name
            try:
                self.settings.remember_theme(theme.name)
            except (OSError, PromdashError) as exc:
                self.notify(f"could not remember the theme: {exc}", severity="warning")


def make_app(settings: DashSettings, first_targets: Future[Targets] | None = None) -> PromdashApp:
    """The one way to build the app: the CLI, tests, snapshots and screenshots all use it.

    `first_targets`: the targets already being asked for (the CLI asks while the app
    loads), which the first poll takes instead of asking again."""
    return PromdashApp(settings, first_targets)
