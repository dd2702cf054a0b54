"""PromdashApp: polls the server on workers and hands typed values to the panels.

How a refresh runs (after dolphie): one poll at a time; the next is scheduled
only when the last one finished, so a slow server never piles polls up; ticks
while paused or under a modal screen fetch nothing. Workers do the I/O and post
dataclass messages (posting); every worker failure lands in one
`Worker.StateChanged` handler (harlequin), which is also where a poll that could
not reach the server turns into the stale banner and a retry.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from promdash.errors import PromdashError
from promdash.prom.client import PromClient
from promdash.prom.types import (
    BadResponseError,
    BuildInfo,
    NotPrometheusError,
    PromError,
    QueryTimeoutError,
    UnreachableError,
    UnsupportedError,
)
from promdash.tui.completion import Catalog, Need
from promdash.tui.messages import (
    BuildInfoFetched,
    CatalogFetched,
    GraphFailed,
    GraphFetched,
    LabelNamesFetched,
    LabelValuesFetched,
    LogLines,
    OpenGraphs,
    RulesFetched,
    RulesUnavailable,
    ServiceActionDone,
    StackStatusFetched,
    TargetsFetched,
)
from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.settings import DEFAULT_REFRESH, MAX_REFRESH, MIN_REFRESH, DashSettings
from promdash.tui.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes
from promdash.tui.widgets.graph import GraphRequest, GraphView
from promdash.tui.widgets.promql import History, PromQLEditor
from promdash.tui.widgets.status import Problem
from promdash.tui.widgets.targets import shortest_interval

if TYPE_CHECKING:
    from textual.command import Provider


def _while_open(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Drop a message that arrives while the app is closing (its widgets are gone)."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def guarded_async(self: PromdashApp, message: Any) -> Any:
            return await handler(self, message) if self.live else None

        return guarded_async

    @functools.wraps(handler)
    def guarded(self: PromdashApp, message: Any) -> Any:
        return handler(self, message) if self.live else None

    return guarded


def _palette_commands() -> type[Provider]:
    from promdash.tui.commands import PromdashCommands

    return PromdashCommands


LOST_RETRY_MAX = 5.0  # seconds between retries while the server does not answer
_ACTION_WORDS = {"stop": "stopping…", "start": "starting…", "restart": "restarting…"}


def _problem(error: PromError) -> Problem:
    if isinstance(error, UnreachableError):
        return "lost"
    if isinstance(error, QueryTimeoutError):
        return "slow"
    if isinstance(error, BadResponseError | NotPrometheusError):
        return "unreadable"
    return "refused"  # credentials, an API error envelope, an endpoint it does not offer


class PromdashApp(App[None]):
    TITLE = "promdash"
    # A callable, as textual's own system commands: the palette's module loads when the
    # palette opens, not at start-up.
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {_palette_commands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark,f1", "help", "Help", id="app.help", tooltip="Every key and what it does"
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
            "g",
            "toggle_layout",
            "Layout",
            id="app.layout",
            tooltip="One panel at a time, or graph, targets and alerts together",
        ),
        Binding(
            "p",
            "toggle_pause",
            "Pause",
            id="app.pause",
            tooltip="Stop or resume refreshing; the graph stops tailing",
        ),
        Binding(
            "r", "refresh_now", "Refresh", id="app.refresh", tooltip="Ask the server again now"
        ),
        Binding(
            "t",
            "pick_theme",
            "Theme",
            show=False,
            id="app.theme",
            tooltip="Choose a colour theme (remembered in the config file)",
        ),
        Binding(
            "q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Leave promdash; a stack it started keeps running",
        ),
    ]

    def __init__(self, settings: DashSettings) -> None:
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
        self.build_info: BuildInfo | None = None
        self.paused = False
        self.lost_since: float | None = None
        self.lost_tries = 0
        self.last_success: float | None = None
        self.scrape_interval: float | None = None
        self.polls = 0  # finished polls (tests wait on it)
        self._poll_worker: Worker[None] | None = None
        self._poll_timer: Timer | None = None
        self._asked: set[Need] = set()
        self._started = False
        self._dashboard: DashboardScreen | None = None
        self._notices: dict[str, float] = {}
        self._catalog_asked = False

    # ------------------------------------------------------------ set-up

    def get_default_screen(self) -> Screen[Any]:
        if self._dashboard is None:
            self._dashboard = DashboardScreen(self)
        return self._dashboard

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    @property
    def dashboard(self) -> DashboardScreen:
        assert self._dashboard is not None, "the dashboard screen is made at start-up"
        return self._dashboard

    def now(self) -> float:
        return self.settings.clock()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for problem in self.theme_problems:
            self.notify(problem, title="themes", severity="warning")

    def dashboard_ready(self) -> None:
        """The dashboard screen is composed: start polling."""
        self._started = True
        self.dashboard.status.set(interval=self.refresh_interval())
        self._poll_worker = self.poll()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------ refresh loop

    def refresh_interval(self) -> float:
        if self.settings.refresh:
            return self.settings.refresh
        interval = self.scrape_interval or DEFAULT_REFRESH
        return min(max(interval, MIN_REFRESH), MAX_REFRESH)

    def _next_delay(self) -> float:
        interval = self.refresh_interval()
        return min(interval, LOST_RETRY_MAX) if self.lost_since is not None else interval

    def _schedule_next(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._poll_timer = self.set_timer(self._next_delay(), self._tick, name="poll")

    def _under_modal(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    def _tick(self) -> None:
        self._poll_timer = None
        if self.paused or self._under_modal():
            self._schedule_next()
            return
        self._poll_worker = self.poll()

    def action_refresh_now(self) -> None:
        if self._poll_worker is not None and self._poll_worker.is_running:
            return
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self._poll_worker = self.poll()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self.dashboard.status.set(paused=self.paused)
        view = self.dashboard.graph.active_view()
        if view is not None:
            view.apply()
        self.notify("Paused: nothing is refreshed." if self.paused else "Refreshing again.")
        if not self.paused:
            self.action_refresh_now()

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """One refresh: targets, alert rules, the graph in view; failures raise to the handler."""
        at = self.now()
        screen = self.dashboard
        if screen.panel_visible("stack") and self.settings.stack_name:
            # The stack's state comes from its runtime, not from Prometheus: it shows
            # even while Prometheus is down (which is when restarting it matters).
            self.fetch_stack_status()
        request: GraphRequest | None = None
        if screen.panel_visible("graph"):
            view = screen.graph.active_view()
            request = view.request(at) if view is not None else None
        # All asked at once; targets are shown as soon as they arrive (they are what
        # people look for first), the rest when they come.
        targets_job = asyncio.ensure_future(self.client.targets(state="active"))
        jobs: list[Any] = [self.client.rules(type="alert")]
        if self.build_info is None:
            jobs.append(self.client.build_info())
        others = asyncio.gather(*jobs, return_exceptions=True)
        try:
            targets = await targets_job
        except BaseException:
            others.cancel()
            await asyncio.gather(others, return_exceptions=True)
            raise
        self.post_message(TargetsFetched(targets, at))
        answers: list[Any] = [targets, *await others]
        rules = answers[1]
        if isinstance(rules, UnsupportedError | NotPrometheusError):
            self.post_message(RulesUnavailable(str(rules)))
        elif isinstance(rules, BaseException):
            raise rules
        else:
            self.post_message(RulesFetched(rules, at))
        if len(answers) > 2 and not isinstance(answers[2], BaseException):
            self.post_message(BuildInfoFetched(answers[2]))
        if request is not None:
            await self._fetch_graph(request)

    async def _fetch_graph(self, request: GraphRequest) -> None:
        try:
            result = await self.client.query_range(
                request.query, request.start, request.end, request.step
            )
        except UnreachableError:
            raise
        except PromError as exc:
            bad = getattr(exc, "error_type", "") == "bad_data"
            self.post_message(GraphFailed(request.graph_id, request.query, str(exc), bad))
            return
        self.post_message(
            GraphFetched(
                request.graph_id,
                request.query,
                result,
                request.start,
                request.end,
                request.step,
                self.now(),
            )
        )

    def fetch_graph_now(self, view: GraphView) -> None:
        """A query or range changed: fetch that graph at once, outside the poll rhythm."""
        request = view.request(self.now())
        if request is not None:
            # One worker per graph: a new request supersedes that graph's previous one only.
            self.run_worker(
                self._fetch_graph(request),
                group=f"graph-{request.graph_id}",
                exclusive=True,
                exit_on_error=False,
            )

    # ------------------------------------------------------------ the one error handler

    @on(Worker.StateChanged)
    @_while_open
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.state == WorkerState.ERROR:
            error = worker.error
            if (worker.group == "poll" or worker.group.startswith("graph-")) and isinstance(
                error, PromError
            ):
                self._server_lost(error)
            elif worker.group in ("catalog", "names"):
                pass  # completion is a convenience: work without it
            elif isinstance(error, PromdashError):
                self._notify_once(str(error), worker.name or "error")
            else:
                self._notify_once(
                    f"{type(error).__name__}: {error}",
                    "unexpected error (the dashboard keeps running)",
                )
        if worker.group == "poll" and worker.is_finished:
            self.polls += 1
            if worker.state == WorkerState.SUCCESS:
                self._server_back()
            if worker is self._poll_worker:
                self._schedule_next()

    def _notify_once(self, message: str, title: str) -> None:
        """A failure that repeats every poll (a stack gone away) is said once a minute."""
        now = time.monotonic()
        if self._notices.get(message, -60.0) > now - 60:
            return
        self._notices[message] = now
        self.notify(message, title=title, severity="error")

    def _server_lost(self, error: PromError) -> None:
        """A poll failed: the banner says why (each cause has its own remedy); retry soon."""
        screen = self.dashboard
        if self.lost_since is None:
            self.lost_since = self.now()
            self.lost_tries = 0
            screen.set_stale(True)
        self.lost_tries += 1
        problem = _problem(error)
        screen.status.set(state=problem, error=str(error))
        hint = ""
        if (
            problem == "lost"
            and self.settings.connection.source == "default"
            and self.last_success is None
        ):
            hint = (
                "No server was named, so promdash tried the default address: start the demo "
                "stack with `promdash up`, or pass --url URL."
            )
        screen.banner.show_problem(
            problem,
            self.settings.connection.url,
            str(error),
            self.last_success,
            self._next_delay(),
            self.lost_tries,
            hint,
        )

    def _server_back(self) -> None:
        if self.lost_since is None:
            return
        self.lost_since = None
        screen = self.dashboard
        screen.banner.hide()
        screen.set_stale(False)
        screen.status.set(state="connected", error="")
        self.build_info = None  # it may be a new version now: ask on the next poll
        if self.settings.catalog and not self.catalog.metrics:
            self.fetch_catalog()  # it failed while the server was away
        self.notify("The server answers again.", title="reconnected")

    # ------------------------------------------------------------ answers to panels

    @on(TargetsFetched)
    @_while_open
    def _targets(self, message: TargetsFetched) -> None:
        screen = self.dashboard
        self.last_success = message.at
        interval = shortest_interval(message.targets)
        if interval and interval != self.scrape_interval:
            self.scrape_interval = interval
        screen.status.set(
            state="connected", last_refresh=message.at, interval=self.refresh_interval()
        )
        screen.targets.show_targets(message.targets, message.at)
        up = sum(t.health == "up" for t in message.targets.active)
        total = len(message.targets.active)
        screen.mark_tab("targets", f"1 Targets {up}/{total}")
        if self.settings.catalog and not self._catalog_asked:
            # Completion names (a large metadata answer) wait until the targets,
            # what people look at first, are on screen.
            self._catalog_asked = True
            self.call_after_refresh(self.fetch_catalog)

    @on(RulesFetched)
    @_while_open
    def _rules(self, message: RulesFetched) -> None:
        screen = self.dashboard
        changes = screen.alerts.show_rules(message.groups, message.at)
        counts = screen.alerts.counts()
        label = "3 Alerts"
        if counts["firing"]:
            label += f" {counts['firing']} firing"
        if counts["pending"]:
            label += f" {counts['pending']} pending"
        screen.mark_tab("alerts", label)
        if changes and not screen.panel_visible("alerts"):
            newest = changes[-1]
            self.notify(
                f"{newest.rule} {newest.labels}: {newest.old} → {newest.new}",
                title="alert state changed",
                severity="error" if newest.new == "firing" else "information",
            )

    @on(RulesUnavailable)
    @_while_open
    def _no_rules(self, message: RulesUnavailable) -> None:
        self.dashboard.alerts.show_unavailable(message.reason)

    @on(BuildInfoFetched)
    @_while_open
    def _build_info(self, message: BuildInfoFetched) -> None:
        self.build_info = message.info
        self.dashboard.status.set(version=message.info.version, flavor=message.info.flavor)

    @on(GraphFetched)
    @_while_open
    def _graph(self, message: GraphFetched) -> None:
        view = self.dashboard.graph.view(message.graph_id)
        if view is not None:
            view.show_result(message)

    @on(GraphFailed)
    @_while_open
    def _graph_failed(self, message: GraphFailed) -> None:
        view = self.dashboard.graph.view(message.graph_id)
        if view is not None:
            view.show_error(message)

    @on(OpenGraphs)
    @_while_open
    async def _open_graphs(self, message: OpenGraphs) -> None:
        screen = self.dashboard
        if not screen.panel_visible("graph"):
            screen.show_panel("graph")
        await screen.graph.open_queries(message.queries)

    def panels_changed(self) -> None:
        """The layout or the panel shown changed: fetch what became visible without waiting."""
        if not self._started:
            return
        screen = self.dashboard
        if screen.panel_visible("graph"):
            view = screen.graph.active_view()
            if view is not None and view.expr:
                self.fetch_graph_now(view)
        if screen.panel_visible("stack") and self.settings.stack_name:
            self.fetch_stack_status()

    # ------------------------------------------------------------ completion names

    @work(exclusive=True, group="catalog", exit_on_error=False)
    async def fetch_catalog(self) -> None:
        names, metadata = await asyncio.gather(
            self.client.label_values("__name__"), self.client.metadata()
        )
        self.post_message(CatalogFetched(names, metadata))

    @on(CatalogFetched)
    @_while_open
    def _catalog(self, message: CatalogFetched) -> None:
        self.catalog.metrics = sorted(message.metrics)
        self.catalog.set_metadata(message.metadata)
        self._catalog_grew()

    @on(PromQLEditor.NeedNames)
    @_while_open
    def _need_names(self, message: PromQLEditor.NeedNames) -> None:
        need = message.need
        if need in self._asked:
            return
        self._asked.add(need)
        self._fetch_names(need)

    @work(group="names", exit_on_error=False)
    async def _fetch_names(self, need: Need) -> None:
        from promdash.prom.client import selector

        match = [selector(need.metric)] if need.metric else None
        try:
            if need.kind == "labels":
                names = await self.client.label_names(match=match)
                self.post_message(LabelNamesFetched(need.metric, names))
            else:
                values = await self.client.label_values(need.label, match=match)
                self.post_message(LabelValuesFetched(need.label, need.metric, values))
        except PromError:
            self._asked.discard(need)  # ask again next time the user gets there
            raise

    @on(LabelNamesFetched)
    @_while_open
    def _label_names(self, message: LabelNamesFetched) -> None:
        self.catalog.label_names[message.metric] = message.names
        self._catalog_grew()

    @on(LabelValuesFetched)
    @_while_open
    def _label_values(self, message: LabelValuesFetched) -> None:
        self.catalog.label_values[(message.label, message.metric)] = message.values
        self._catalog_grew()

    def _catalog_grew(self) -> None:
        for editor in self.dashboard.query(PromQLEditor):
            editor.catalog_grew()

    # ------------------------------------------------------------ the stack

    @work(thread=True, exclusive=True, group="stack-status", exit_on_error=False)
    def fetch_stack_status(self) -> None:
        from promdash.stack.runtimes import runtime_for, stack_state

        name = self.settings.stack_name
        if name is None:
            return
        if self.settings.stack_status is not None:
            rows = self.settings.stack_status(name)
            self.post_message(StackStatusFetched(name, rows, self.now()))
            return
        state = stack_state(name)
        if state is None:
            raise PromdashError(f"stack {name!r} is no longer running")
        rows = runtime_for(state).status(state)
        self.post_message(StackStatusFetched(name, rows, self.now()))

    @on(StackStatusFetched)
    @_while_open
    def _stack_status(self, message: StackStatusFetched) -> None:
        panel = self.dashboard.stack
        if panel is not None:
            panel.show_status(message.stack, message.rows, message.at)

    def stack_action(self, stack: str, service: str, action: str) -> None:
        panel = self.dashboard.stack
        if panel is not None:
            panel.set_busy(service, _ACTION_WORDS[action])
        self._stack_action(stack, service, action)

    @work(thread=True, group="stack-action", exit_on_error=False)
    def _stack_action(self, stack: str, service: str, action: str) -> None:
        from promdash.stack.runtimes import runtime_for, stack_state

        try:
            state = stack_state(stack)
            if state is None:
                raise PromdashError(f"stack {stack!r} is no longer running")
            runtime = runtime_for(state)
            getattr(runtime, f"{action}_service")(state, service)
        except PromdashError as exc:
            self.post_message(ServiceActionDone(service, action, str(exc)))
            return
        self.post_message(ServiceActionDone(service, action))

    @on(ServiceActionDone)
    @_while_open
    def _service_done(self, message: ServiceActionDone) -> None:
        panel = self.dashboard.stack
        if panel is not None:
            panel.set_busy(message.service, None)
        if message.error:
            self.notify(
                message.error, title=f"{message.action} {message.service}", severity="error"
            )
        else:
            self.notify(f"{message.service}: {message.action} done", title="stack")
        self.fetch_stack_status()
        self.action_refresh_now()

    def show_logs(self, stack: str, service: str) -> None:
        from promdash.tui.screens.logs import LogScreen

        self.push_screen(LogScreen(stack, service))

    def follow_logs(self, screen: Screen[Any], stack: str, service: str) -> Worker[None]:
        return self._follow_logs(screen, stack, service)

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def _follow_logs(self, screen: Screen[Any], stack: str, service: str) -> None:
        # Polls the log's tail rather than `logs(follow=True)`: a follow blocks
        # in the runtime until a line arrives, and a cancelled worker must end.
        from promdash.stack.runtimes import runtime_for, stack_state
        from promdash.tui.screens.logs import new_lines

        worker = get_current_worker()
        state = stack_state(stack)
        if state is None:
            raise PromdashError(f"stack {stack!r} is no longer running")
        runtime = runtime_for(state)
        shown: list[str] = []
        while not worker.is_cancelled:
            state = stack_state(stack) or state
            lines = list(runtime.logs(state, service, tail=500))
            added, replace = new_lines(shown, lines)
            if added or replace:
                screen.post_message(LogLines(service, added, replace))
                shown = lines
            for _ in range(10):
                if worker.is_cancelled:
                    return
                time.sleep(0.1)

    # ------------------------------------------------------------ actions

    def action_show_panel(self, name: str) -> None:
        self.dashboard.show_panel(name)

    def action_toggle_layout(self) -> None:
        self.dashboard.toggle_layout()

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
        if not self._started:
            return  # the theme given at start-up: nothing drawn yet, nothing to remember
        screen = self.dashboard
        screen.status.update(screen.status.describe())
        for panel in screen.panels():
            panel.on_theme_changed()
        if self.settings.remember_theme is not None and theme.name != self._remembered_theme:
            self._remembered_theme = theme.name
            try:
                self.settings.remember_theme(theme.name)
            except (OSError, PromdashError) as exc:
                self.notify(f"could not remember the theme: {exc}", severity="warning")

    def themes_for_palette(self) -> Iterable[str]:
        return sorted(self.available_themes)

    @property
    def live(self) -> bool:
        """Started and not closing: messages may still reach the panels."""
        return (
            self._started
            and self.return_code is None
            and self._dashboard is not None
            and self._dashboard.is_attached
        )

    @property
    def started(self) -> bool:
        """The dashboard screen is composed and polling has begun."""
        return self._started


def make_app(settings: DashSettings) -> PromdashApp:
    """The one way to build the app: the CLI, tests, snapshots and screenshots all use it."""
    return PromdashApp(settings)
