"""The dashboard screen: header, stale banner, panel tabs, the panels and the footer.

One panel shows at a time, chosen by the tabs. The overview, the first panel and
the default where the terminal has room, shows targets, alerts and live graphs
together; Enter on anything in it opens its full panel, and Escape comes back.
Hidden panels keep receiving data but draw it only when shown again.

The screen is the parent its panels talk to: it hands each answer the poller
posts to the panel that shows it, and passes the panels' requests on up (they
bubble to the app, whose poller does the work). It never knows the app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Footer, Tab, Tabs

from promdash.present.text import alert_counts, clip, short_id, silence_mutes
from promdash.prom.am_types import Matcher, matchers_text
from promdash.timefmt import date_time_text, format_duration, short_duration
from promdash.tui.completion import Catalog
from promdash.tui.messages import (
    AlertmanagerBack,
    AlertmanagerFetched,
    AlertmanagerFound,
    AlertmanagerLost,
    BuildInfoFetched,
    CatalogGrew,
    CatalogWanted,
    DashboardReady,
    FetchAlertmanager,
    FetchGraph,
    FetchRules,
    FetchStackStatus,
    GraphFailed,
    GraphFetched,
    GraphWanted,
    NotificationsRead,
    OpenGraphs,
    PollingChanged,
    RangeRequested,
    RulesFetched,
    RulesUnavailable,
    ServerBack,
    ServerLost,
    ServiceActionDone,
    SilenceChange,
    SilenceDraft,
    SilenceWanted,
    SilenceWritten,
    StackStatusFetched,
    TargetsFetched,
    WriteSilence,
)
from promdash.tui.settings import OVERVIEW_MIN, PANEL_KEYS, PANELS, DashSettings, Layout
from promdash.tui.widgets.alerts import AlertmanagerInfo, AlertsPanel
from promdash.tui.widgets.graph import GraphPanel
from promdash.tui.widgets.overview import OVERVIEW_RANGE, OverviewPanel
from promdash.tui.widgets.panel import Panel, relabel
from promdash.tui.widgets.promql import History, PromQLEditor
from promdash.tui.widgets.silences import SilencesPanel
from promdash.tui.widgets.stack import StackPanel
from promdash.tui.widgets.status import Banner, StatusBar
from promdash.tui.widgets.targets import TargetsPanel, up_count

M = TypeVar("M")


def wants_overview(layout: Layout, width: int, height: int) -> bool:
    """Whether the dashboard opens on the overview: asked for, or `auto` with room for it."""
    if layout == "auto":
        return width >= OVERVIEW_MIN[0] and height >= OVERVIEW_MIN[1]
    return layout == "overview"


def _while_open(
    handler: Callable[[DashboardScreen, M], Any],
) -> Callable[[DashboardScreen, M], Any]:
    """Drop an answer that arrives while the app is closing (the panels are going)."""

    @functools.wraps(handler)
    def guarded(self: DashboardScreen, message: M) -> Any:
        if self.app.return_code is None and self.is_attached:
            return handler(self, message)
        return None

    return guarded


FREEZE_AFTER = 3.0  # seconds after the first targets show: not in the launch's time


def _freeze_start_up() -> None:
    """What start-up made and the app keeps (Textual's widgets and styles, the modules:
    some 100,000 objects) is left out of the collector's full passes: at 5,000 targets a
    poll's new objects start one every few polls, and each walked all of it (~80 ms)."""
    gc.collect()  # garbage of before is not kept for good
    gc.freeze()


class DashboardScreen(Screen[None]):
    DEFAULT_CSS = """
    DashboardScreen #panel-tabs { height: 2; }
    DashboardScreen #panels { height: 1fr; }
    DashboardScreen #panels > .panel { height: 1fr; display: none; }
    DashboardScreen #panels > .panel.-stale { opacity: 75%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "o",
            "show_panel('overview')",
            "Overview",
            id="dashboard.overview",
            tooltip="Targets, alerts and live graphs on one screen",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            show=False,
            id="dashboard.back",
            tooltip="Back to the overview, after opening something from it",
        ),
    ]

    def __init__(self, settings: DashSettings, catalog: Catalog, history: History) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = catalog
        self.history = history
        self.has_stack = settings.stack_name is not None
        # What the dashboard knows of Alertmanager (the panels showing it get a copy).
        self.am = AlertmanagerInfo(url=settings.alertmanager.url if settings.alertmanager else "")
        self.active: str = settings.panel
        if self.active not in self.panel_names():
            self.active = "targets"
        self.paused = False
        self.back_to: str | None = None  # where Escape goes: the overview, after a drill-down
        self._overview_focus: Widget | None = None
        self._remembered: set[str] = set()  # queries already recorded as opened this run
        self.previous = "targets"  # the panel shown before the overview (`g` goes back to it)
        self._rules_seen = False

    def compose(self):  # type: ignore[no-untyped-def]
        settings = self.settings
        if wants_overview(settings.layout, self.app.size.width, self.app.size.height):
            self.active = "overview"
        yield StatusBar(settings.connection.url, id="status")
        yield Banner(id="banner")
        tabs = [self._tab(name) for name in self.panel_names()]
        yield Tabs(*tabs, id="panel-tabs", active=f"tab-{self.active}")
        with Container(id="panels"):
            yield OverviewPanel(
                graphs=settings.overview_graphs,
                range_seconds=OVERVIEW_RANGE,
                clock=settings.clock,
                id="overview",
            )
            yield GraphPanel(
                queries=settings.queries,
                range_seconds=settings.range_seconds,
                catalog=self.catalog,
                history=self.history,
                id="graph",
            )
            yield TargetsPanel(clock=settings.clock, id="targets")
            yield AlertsPanel(clock=settings.clock, id="alerts")
            if self.has_stack:
                yield StackPanel(clock=settings.clock, id="stack")
            # Always there, with a tab only once an Alertmanager is known.
            yield SilencesPanel(clock=settings.clock, id="silences")
        yield Footer()

    def panel_names(self) -> list[str]:
        """The panels with a tab: the Stack panel with a stack promdash started, the
        Silences panel once an Alertmanager is known."""
        absent = {"stack"} if not self.has_stack else set()
        if not self.am.known:
            absent.add("silences")
        return [p for p in PANELS if p not in absent]

    @staticmethod
    def _tab(name: str) -> Tab:
        return Tab(f"{PANEL_KEYS[name]} {name.capitalize()}", id=f"tab-{name}")

    def on_mount(self) -> None:
        for panel in self.panels():
            panel.border_title = panel.title
        self._lay_out()  # nothing to fetch yet: the first poll fetches what shows
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.post_message(DashboardReady())

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
    def overview(self) -> OverviewPanel:
        return self.query_one(OverviewPanel)

    @property
    def silences(self) -> SilencesPanel:
        return self.query_one(SilencesPanel)

    @property
    def stack(self) -> StackPanel | None:
        found = self.query(StackPanel)
        return found.first() if found else None

    def panel_visible(self, name: str) -> bool:
        return name == self.active

    def graphs_wanted(self) -> list[GraphWanted]:
        """The graphs a poll refreshes: the overview's, or the Graph panel's tab on screen."""
        if self.panel_visible("overview"):
            return self.overview.wanted()
        wanted = self.graph.wanted() if self.panel_visible("graph") else None
        return [wanted] if wanted is not None else []

    def stack_wanted(self) -> bool:
        """Whether a poll reads the stack's state (only while its panel shows)."""
        return self.has_stack and self.panel_visible("stack")

    def alertmanager_wanted(self) -> bool:
        """Whether a poll asks Alertmanager (only while something showing it is visible)."""
        return any(self.panel_visible(p) for p in ("alerts", "overview", "silences"))

    def alerts_wanted(self) -> bool:
        """Whether a poll asks for the alert rules with their alerts: while the Alerts
        panel or the overview shows them (else only now and then, for the tab's counts)."""
        return self.panel_visible("alerts") or self.panel_visible("overview")

    def alerts_listed(self) -> frozenset[tuple[str, str]]:
        """The rules ((group, name)) whose alerts a poll asks for however many they are:
        those the Alerts panel was asked to list."""
        return frozenset(self.alerts.unfolded)

    def notifications_wanted(self) -> bool:
        """Whether a poll reads the stack's webhook receiver (the Alerts panel shows it)."""
        return self.has_stack and self.am.known and self.panel_visible("alerts")

    # ------------------------------------------------------------ switching

    def show_panel(self, name: str) -> None:
        if name not in self.panel_names():
            if name == "silences":
                why = self.am.none or "still looking for one"
                self.app.notify(f"No Silences panel: no Alertmanager ({why}).", severity="warning")
                return
            self.app.notify(
                "No Stack panel: promdash did not start the stack of this server "
                "(`promdash up` starts one).",
                severity="warning",
            )
            return
        if name == self.active:
            self._focus_panel(name)
            return
        if self.active == "overview":
            self._overview_focus = self.focused
        self.back_to = None
        self.query_one(Tabs).active = f"tab-{name}"
        self.previous, self.active = self.active, name
        self.apply_layout()
        back = self._overview_focus
        if name == "overview" and back is not None and back.is_attached:
            self.call_after_refresh(back.focus)
            return
        self._focus_panel(name)

    def toggle_layout(self) -> None:
        """The overview, or back to the panel shown before it."""
        if self.active != "overview":
            self.show_panel("overview")
        else:
            self.show_panel(self.previous)

    def action_show_panel(self, name: str) -> None:
        self.show_panel(name)

    def action_back(self) -> None:
        if self.back_to is not None:
            self.show_panel(self.back_to)

    def drill_down(self, panel: str) -> None:
        """Open `panel` from the overview; Escape comes back to it."""
        self.show_panel(panel)
        self.back_to = "overview"

    def apply_layout(self) -> None:
        self._lay_out()
        self._fetch_shown()

    def _lay_out(self) -> None:
        with self.app.batch_update():
            for panel in self.panels():
                shown = self.panel_visible(panel.panel_name)
                # Not a class: a class change restyles every widget of the panel (some
                # 30 ms for the overview's), and a key must show its panel within 0.1 s.
                panel.styles.display = "block" if shown else "none"
                panel.set_shown(shown)
        focused = self.focused
        if focused is None or not self._in_shown_panel(focused):
            self.call_after_refresh(self._focus_panel, self.active)

    def _fetch_shown(self) -> None:
        """What became visible is fetched without waiting for the next poll."""
        if self.panel_visible("overview"):
            for mini in self.overview.minis():
                mini.fetch()
        if self.panel_visible("graph"):
            view = self.graph.active_view()
            if view is not None:
                view.fetch()
        if self.alerts_wanted():
            self.post_message(FetchRules().set_sender(self))
        if self.stack_wanted():
            self.post_message(FetchStackStatus().set_sender(self))
        if self.am.known and self.alertmanager_wanted():
            self.post_message(FetchAlertmanager().set_sender(self))

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
        for tab in self.query_one(Tabs).query(f"#tab-{name}").results(Tab):
            relabel(tab, label)

    def set_stale(self, stale: bool) -> None:
        """Prometheus's panels (the stack's runtime and Alertmanager are other servers)."""
        for panel in self.panels():
            if panel.panel_name not in ("stack", "silences"):
                panel.set_stale(stale)
                panel.border_subtitle = "stale" if stale else ""

    def _theme_changed(self, theme: Theme) -> None:
        """Colours come from the theme's variables: everything is drawn again with the new ones."""
        self.status.update(self.status.describe())
        for panel in self.panels():
            panel.on_theme_changed()

    # ------------------------------------------------------------ answers from the poller

    @on(TargetsFetched)
    @_while_open
    def _targets(self, message: TargetsFetched) -> None:
        first = self.targets.targets is None
        self.status.set(state="connected", last_refresh=message.at)
        self.targets.show_targets(message.targets)
        self.overview.show_targets(message.targets)
        active = message.targets.active
        up = up_count(active)
        self.mark_tab("targets", f"1 Targets {up}/{len(active)}")
        if first:
            # Completion names (a large metadata answer) wait until the targets,
            # what people look at first, are on screen.
            self.call_after_refresh(self.post_message, CatalogWanted())
            if self.settings.freeze_start_up:
                self.set_timer(FREEZE_AFTER, _freeze_start_up)

    @on(RulesFetched)
    @_while_open
    def _rules(self, message: RulesFetched) -> None:
        if not self._rules_seen:
            # The first answer waits for the targets (posted before it) to be on screen:
            # at 5,000 alerts its rules take longer to lay out than the targets.
            self._rules_seen = True
            self.call_after_refresh(self._show_rules, message)
            return
        self._show_rules(message)

    def _show_rules(self, message: RulesFetched) -> None:
        if self.app.return_code is not None or not self.is_attached:
            return
        changes = self.alerts.show_rules(message.groups, message.at)
        self.overview.show_rules(message.groups, self.alerts.tracker.timeline)
        # Alerts, as the overview's title and `promdash alerts` count them (rules in brackets).
        counts = alert_counts(message.groups)
        label = "3 Alerts"
        for state in ("firing", "pending"):
            if counts[state][0]:
                label += f" {counts[state][0]} {state}"
        self.mark_tab("alerts", label)
        if changes and not (self.panel_visible("alerts") or self.panel_visible("overview")):
            newest = changes[-1]
            self.app.notify(
                f"{newest.rule} {newest.labels}: {newest.old} → {newest.new}",
                title="alert state changed",
                severity="error" if newest.new == "firing" else "information",
            )

    @on(RulesUnavailable)
    @_while_open
    def _no_rules(self, message: RulesUnavailable) -> None:
        self.alerts.show_unavailable(message.reason)
        self.overview.show_unavailable(message.reason)

    @on(BuildInfoFetched)
    @_while_open
    def _build_info(self, message: BuildInfoFetched) -> None:
        self.status.set(version=message.info.version, flavor=message.info.flavor)

    @on(GraphFetched)
    @_while_open
    def _graph(self, message: GraphFetched) -> None:
        if not self.overview.show_result(message):
            self.graph.show_result(message)

    @on(GraphFailed)
    @_while_open
    def _graph_failed(self, message: GraphFailed) -> None:
        if not self.overview.show_error(message):
            self.graph.show_error(message)

    @on(StackStatusFetched)
    @_while_open
    def _stack_status(self, message: StackStatusFetched) -> None:
        if self.stack is not None:
            self.stack.show_status(message.stack, message.rows, message.at)

    @on(ServiceActionDone)
    @_while_open
    def _service_done(self, message: ServiceActionDone) -> None:
        if self.stack is not None:
            self.stack.set_busy(message.service, None)
        if message.error:
            self.app.notify(
                message.error, title=f"{message.action} {message.service}", severity="error"
            )
        else:
            self.app.notify(f"{message.service}: {message.action} done", title="stack")

    @on(CatalogGrew)
    @_while_open
    def _catalog_grew(self, message: CatalogGrew) -> None:
        for editor in self.query(PromQLEditor):
            editor.catalog_grew()

    # ------------------------------------------------------------ Alertmanager's answers

    def _am_changed(self, **changes: Any) -> None:
        self.am = dataclasses.replace(self.am, **changes)
        self.alerts.show_alertmanager(self.am)
        self.overview.show_alertmanager(self.am)
        self.silences.show_alertmanager(self.am)

    @on(AlertmanagerFound)
    @_while_open
    async def _alertmanager_found(self, message: AlertmanagerFound) -> None:
        was_known = self.am.known
        self._am_changed(url=message.url, source=message.source, none=message.reason)
        if self.am.known and not was_known:
            tabs = self.query_one(Tabs)
            after = "tab-stack" if self.has_stack else "tab-alerts"
            await tabs.add_tab(self._tab("silences"), after=after)

    @on(AlertmanagerFetched)
    @_while_open
    def _alertmanager_fetched(self, message: AlertmanagerFetched) -> None:
        self._am_changed(alerts=message.alerts, silences=message.silences, at=message.at)

    @on(AlertmanagerLost)
    @_while_open
    def _alertmanager_lost(self, message: AlertmanagerLost) -> None:
        self._am_changed(error=message.error)

    @on(AlertmanagerBack)
    @_while_open
    def _alertmanager_back(self, message: AlertmanagerBack) -> None:
        self._am_changed(error="")
        self.app.notify("Alertmanager answers again.", title="reconnected")

    @on(SilenceWritten)
    @_while_open
    def _silence_written(self, message: SilenceWritten) -> None:
        action, silence_id = message.action, message.silence_id
        if message.error:
            self.app.notify(message.error, title=f"{action} silence: not done", severity="error")
            if message.draft is not None:
                self._silence_form(message.draft.matchers, message.draft)  # as it was, to fix
            return
        if action == "expire":
            said = f"Silence {silence_id} expired: the alerts it muted are active again."
        elif action == "extend":
            again = (
                f" (saved again under this new ID: {message.old_id} had expired)"
                if message.old_id and message.old_id != silence_id
                else ""
            )
            said = f"Silence {silence_id} extended{again}."
        else:
            said = f"Silence created: {silence_id}"
        self.app.notify(said, title=f"{action} silence", timeout=10)

    @on(NotificationsRead)
    @_while_open
    def _notifications(self, message: NotificationsRead) -> None:
        if message.notifications != self.am.notifications:
            self._am_changed(notifications=message.notifications)

    @on(ServerLost)
    @_while_open
    def _server_lost(self, message: ServerLost) -> None:
        self.set_stale(True)
        self.status.set(state=message.problem, error=message.error)
        self.banner.show_problem(self.settings.connection.url, message)

    @on(ServerBack)
    @_while_open
    def _server_back(self, message: ServerBack) -> None:
        self.banner.hide()
        self.set_stale(False)
        self.status.set(state="connected", error="")

    @on(PollingChanged)
    @_while_open
    def _polling(self, message: PollingChanged) -> None:
        self.paused = message.paused
        self.status.set(interval=message.interval, paused=message.paused)
        if self.graph.paused != message.paused:
            self.graph.set_paused(message.paused)

    # ------------------------------------------------------------ requests from the panels

    @on(OpenGraphs)
    async def _open_graphs(self, message: OpenGraphs) -> None:
        message.stop()
        if self.panel_visible("overview"):
            self.drill_down("graph")
        elif not self.panel_visible("graph"):
            self.show_panel("graph")
        await self.graph.open_queries(message.queries)

    @on(OverviewPanel.Open)
    def _open_from_overview(self, message: OverviewPanel.Open) -> None:
        message.stop()
        self.drill_down(message.panel)
        panel = self.targets if message.panel == "targets" else self.alerts
        panel.select(message.key)

    @on(OverviewPanel.EditGraph)
    def _edit_overview_graph(self, message: OverviewPanel.EditGraph) -> None:
        from promdash.tui.screens.query import QueryScreen

        message.stop()
        graph_id = message.graph_id

        async def chosen(query: str | None) -> None:
            if query and self.overview.is_attached:
                await self.overview.set_graph(graph_id, query)

        what = "Replace the graph's query" if graph_id else "Add a graph to the overview"
        screen = QueryScreen(what, message.current, self.catalog, self.history)
        self.app.push_screen(screen, chosen)

    @on(OverviewPanel.GraphsChanged)
    def _overview_graphs_changed(self, message: OverviewPanel.GraphsChanged) -> None:
        message.stop()
        memory = self.settings.graph_memory
        if memory is None:
            return
        try:
            memory.set_overview(message.graphs)
        except OSError as exc:
            self.app.notify(f"could not remember the overview's graphs: {exc}", severity="warning")

    @on(FetchGraph)
    def _remember_opened(self, message: FetchGraph) -> None:
        """A query graphed in the Graph panel is remembered for this server (it goes on up)."""
        memory = self.settings.graph_memory
        query = message.wanted.query
        if memory is None or not message.wanted.graph_id.startswith("g"):
            return
        if query in self._remembered:
            return
        self._remembered.add(query)
        with contextlib.suppress(OSError):  # a convenience: the graph works without it
            memory.opened(query)

    @on(SilenceWanted)
    def _silence_wanted(self, message: SilenceWanted) -> None:
        """S on an alert (or a rule): the silence form, its labels as the matchers."""
        message.stop()
        if not self.am.known:
            why = self.am.none or "still looking for one"
            self.app.notify(f"No Alertmanager to silence in ({why}).", severity="warning")
            return
        labels = self.alerts.silence_labels(message.key)
        if labels is None:
            self.app.notify("Select an alert (or a rule) to silence.", severity="warning")
            return
        # The alert's name first, as people read an alert; then the labels by name.
        names = sorted(labels, key=lambda name: (name != "alertname", name))
        self._silence_form([Matcher(name, labels[name]) for name in names])

    def _silence_form(self, matchers: Sequence[Matcher], draft: SilenceDraft | None = None) -> None:
        from promdash.tui.screens.silence import SilenceScreen

        form = SilenceScreen(
            matchers,
            alerts=self.am.alerts,
            url=self.am.url,
            author=draft.author if draft else self.settings.author,
            clock=self.settings.clock,
            duration=format_duration(draft.seconds) if draft else "2h",
            comment=draft.comment if draft else "",
            unknown_why=self.am.error,
        )

        def save(made: SilenceDraft | None) -> None:
            if made is not None:
                self.post_message(WriteSilence("create", draft=made).set_sender(self))

        self.app.push_screen(form, save)

    @on(SilenceChange)
    def _change_silence(self, message: SilenceChange) -> None:
        """Expire or extend a silence, once the person said yes."""
        from promdash.tui.screens.confirm import ConfirmScreen
        from promdash.tui.screens.silence import ExtendScreen, extended_end

        message.stop()
        silence = message.silence
        what = Text()
        what.append(matchers_text(silence.matchers), style="bold")
        what.append(f"\n{clip(silence.comment, 200)} (by {silence.created_by or '-'})")
        if message.action == "expire":
            muted = silence_mutes(silence, self.am.alerts or [])
            alerts = f"{muted} alert{'' if muted == 1 else 's'}"
            what.append(f"\nThe {alerts} it mutes now will be active again.")

            def expire(yes: bool | None) -> None:
                if yes:
                    request = WriteSilence("expire", silence_id=silence.id)
                    self.post_message(request.set_sender(self))

            title = f"Expire silence {short_id(silence.id)} now?"
            self.app.push_screen(ConfirmScreen(title, what, "Expire"), expire)
            return

        now = self.settings.clock()

        def extend_by(seconds: float | None) -> None:
            if not seconds:
                return
            ends = extended_end(silence, seconds, now)
            body = what.copy()
            body.append(f"\nIt ends {date_time_text(ends.timestamp())}")
            body.append(f" instead of {date_time_text(silence.ends_at.timestamp())}.")

            def extend(yes: bool | None) -> None:
                if yes:
                    request = WriteSilence("extend", silence_id=silence.id, ends_at=ends)
                    self.post_message(request.set_sender(self))

            title = f"Extend silence {short_id(silence.id)} by {short_duration(seconds)}?"
            self.app.push_screen(ConfirmScreen(title, body, "Extend"), extend)

        self.app.push_screen(ExtendScreen(silence, now), extend_by)

    @on(RangeRequested)
    def _custom_range(self, message: RangeRequested) -> None:
        from promdash.tui.screens.range import RangeScreen

        message.stop()
        view = self.graph.view(message.graph_id)
        if view is None:
            return

        def chosen(seconds: int | None) -> None:
            if seconds and view.is_attached:
                view.set_range(seconds)

        self.app.push_screen(RangeScreen(message.current), chosen)
