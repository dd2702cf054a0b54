"""The refresh loop, every worker of the dashboard, and their one error policy.

After dolphie's WorkerManager, outside the App: the app owns one Poller and
hands it every `Worker.StateChanged`; nothing else decides what a failure means.

- One poll at a time: the next is scheduled only when the last one finished, so
  a slow server never piles polls up; ticks while paused fetch nothing. Polls go
  on under a dialog (help, the palette): the dashboard shows around it.
- Workers do the I/O and post typed answers (messages.py) straight to the
  screen that shows them (posting's habit); the screen hands them to its panels.
- A poll that could not reach the server is said in the stale banner
  (`ServerLost`, with why and how often it retries) and retried sooner; the
  first poll that succeeds again takes the banner away (`ServerBack`).
- Alertmanager (its alerts and silences) is asked on the same refresh, at the
  same time as Prometheus but on a worker of its own, only while something
  that shows it is on screen. It is another server: when it does not answer,
  what shows its data says so (`AlertmanagerLost`), and Prometheus's panels
  stay fresh. Writes to it (silences) run on workers whose result is a message.

It is one module of some 600 lines on purpose: every worker sits beside the one
policy for its failures, so what a failure means is decided in one place.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from promdash.errors import (
    BadResponseError,
    NotPrometheusError,
    PromdashError,
    PromError,
    QueryTimeoutError,
    UnreachableError,
    UnsupportedError,
)
from promdash.prom.alertmanager import AlertmanagerClient, discover
from promdash.prom.client import PromClient
from promdash.prom.promql import selector
from promdash.prom.types import BuildInfo, Targets
from promdash.tui.completion import Catalog, Need
from promdash.tui.messages import (
    AlertmanagerBack,
    AlertmanagerFetched,
    AlertmanagerFound,
    AlertmanagerLost,
    BuildInfoFetched,
    CatalogGrew,
    GraphFailed,
    GraphFetched,
    GraphWanted,
    LogLines,
    Notification,
    NotificationsRead,
    PollingChanged,
    Problem,
    RulesFetched,
    RulesUnavailable,
    ServerBack,
    ServerLost,
    ServiceActionDone,
    SilenceWritten,
    StackStatusFetched,
    TargetsFetched,
    WriteSilence,
)
from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.settings import DEFAULT_REFRESH, MAX_REFRESH, MIN_REFRESH, DashSettings
from promdash.tui.widgets.alerts import LIST_UP_TO
from promdash.tui.widgets.graph import graph_window
from promdash.tui.widgets.targets import scrape_interval

if TYPE_CHECKING:
    from promdash.config import Connection

    # Types only: promdash.stack loads pydantic and YAML (~0.14 s of start-up).
    from promdash.stack.runtime import Runtime
    from promdash.stack.state import StackState
    from promdash.tui.screens.logs import LogScreen

LOST_RETRY_MAX = 5.0  # seconds between retries while the server does not answer
NOTICE_EVERY = 60.0  # seconds before the same failure is said again
FIND_ALERTMANAGER_EVERY = 60.0  # seconds between asking Prometheus again, while none is found
NOTIFICATIONS_TAIL = 500  # lines of the webhook receiver's log read for its notifications
HIDDEN_RULES_EVERY = 60.0  # seconds between asking for the alert rules while none show


async def _nothing() -> None:
    """A request not made this poll (its place in the answers stays)."""


def _problem(error: PromError) -> Problem:
    if isinstance(error, UnreachableError):
        return "lost"
    if isinstance(error, QueryTimeoutError):
        return "slow"
    if isinstance(error, BadResponseError | NotPrometheusError):
        return "unreadable"
    return "refused"  # credentials, an API error envelope, an endpoint it does not offer


class Poller:
    """Asks the server (and the stack's runtime) on workers; posts what it learns to the screen."""

    def __init__(
        self,
        app: App[Any],
        settings: DashSettings,
        client: PromClient,
        catalog: Catalog,
        first_targets: Future[Targets] | None = None,
    ) -> None:
        self.app = app
        # The targets asked while the app was still loading (`open_dashboard`): the first
        # poll takes them instead of asking again.
        self._first_targets = first_targets
        self.settings = settings
        self.client = client
        self.catalog = catalog
        self.screen: DashboardScreen | None = None  # set by `start`
        self.build_info: BuildInfo | None = None
        self.paused = False
        self.lost_since: float | None = None
        self.lost_tries = 0
        self.last_success: float | None = None
        self.scrape_interval: float | None = None
        self._poll_worker: Worker[None] | None = None
        self._timer: Timer | None = None
        self._asked: set[Need] = set()
        self._catalog_asked = False
        self._notices: dict[str, float] = {}
        self.alertmanager: AlertmanagerClient | None = None
        self.am_lost_since: float | None = None
        self.am_last_success: float | None = None
        self._am_worker: Worker[None] | None = None
        self._find_after = 0.0  # monotonic time after which Prometheus is asked again
        self._rules_asked: float | None = None  # monotonic time the alert rules were last asked
        self._again = False  # poll again as soon as this one ends (rules asked meanwhile)

    @property
    def started(self) -> bool:
        """Polling has begun. Requests before it are dropped: the first poll fetches what shows."""
        return self.screen is not None

    def now(self) -> float:
        return self.settings.clock()

    def start(self, screen: DashboardScreen) -> None:
        self.screen = screen
        if self.settings.alertmanager is not None:
            self._use_alertmanager(self.settings.alertmanager)
        self._announce()
        self._poll_worker = self._start_poll()

    async def aclose(self) -> None:
        if self.alertmanager is not None:
            await self.alertmanager.aclose()

    # ------------------------------------------------------------ the refresh loop

    def refresh_interval(self) -> float:
        if self.settings.refresh:
            return self.settings.refresh
        interval = self.scrape_interval or DEFAULT_REFRESH
        return min(max(interval, MIN_REFRESH), MAX_REFRESH)

    def _next_delay(self) -> float:
        interval = self.refresh_interval()
        return min(interval, LOST_RETRY_MAX) if self.lost_since is not None else interval

    def _announce(self) -> None:
        self._post(PollingChanged(self.refresh_interval(), self.paused))

    def _schedule_next(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(self._next_delay(), self._tick, name="poll")

    def _tick(self) -> None:
        self._timer = None
        if self.paused or not self._dashboard_shows():
            self._schedule_next()
            return
        self._poll_worker = self._start_poll()

    def _dashboard_shows(self) -> bool:
        """The dashboard is on screen, maybe under a dialog (help, the palette); not while
        a screen of its own covers it (a Grafana dashboard, which polls for itself)."""
        for screen in reversed(self.app.screen_stack):
            if not isinstance(screen, ModalScreen):
                return screen is self.screen
        return False

    def refresh_now(self) -> None:
        if not self.started or (self._poll_worker is not None and self._poll_worker.is_running):
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._poll_worker = self._start_poll()

    def toggle_pause(self) -> bool:
        """Pause or resume; resuming asks at once. Returns whether it is paused now."""
        self.paused = not self.paused
        self._announce()
        if not self.paused:
            self.refresh_now()
        return self.paused

    def _start_poll(self) -> Worker[None] | None:
        return self._run(self._poll, name="poll", group="poll", exclusive=True)

    async def _poll(self) -> None:
        """One refresh: targets, alert rules, the graphs in view; failures raise to the policy."""
        screen = self.screen
        assert screen is not None, "polls start with `start`"
        at = self.now()
        if screen.stack_wanted():
            # The stack's state comes from its runtime, not from Prometheus: it shows
            # even while Prometheus is down (which is when restarting it matters).
            self.fetch_stack_status()
        if screen.notifications_wanted():
            self.fetch_notifications()
        self._ask_alertmanager(screen.alertmanager_wanted())
        graphs = screen.graphs_wanted()
        # All asked at once (the graphs too); targets are shown as soon as they arrive
        # (they are what people look for first), the rest when they come.
        first, self._first_targets = self._first_targets, None
        targets_job = asyncio.ensure_future(
            asyncio.wrap_future(first) if first else self.client.targets(state="active")
        )
        jobs: list[Any] = []
        if self._rules_due(screen.alerts_wanted()):
            self._rules_asked = time.monotonic()
            listed = screen.alerts_listed()
            jobs.append(self.client.alert_rules(list_up_to=LIST_UP_TO, also=listed))
        else:
            jobs.append(_nothing())
        if self.build_info is None:
            jobs.append(self.client.build_info())
        others = asyncio.gather(*jobs, return_exceptions=True)
        drawn = asyncio.gather(
            *(self._fetch_graph(graph, at) for graph in graphs), return_exceptions=True
        )
        try:
            targets = await targets_job
        except BaseException:
            for pending in (others, drawn):
                pending.cancel()
            await asyncio.gather(others, drawn, return_exceptions=True)
            raise
        self.last_success = at
        self._post(TargetsFetched(targets, at))
        before = self.refresh_interval()
        self.scrape_interval = scrape_interval(targets) or self.scrape_interval
        if self.refresh_interval() != before:
            self._announce()
        answers: list[Any] = [targets, *await others]
        rules = answers[1]
        if rules is None:
            pass  # not asked: nothing shows alerts' detail now
        elif isinstance(rules, UnsupportedError | NotPrometheusError):
            self._post(RulesUnavailable(str(rules)))
        elif isinstance(rules, BaseException):
            raise rules
        else:
            self._post(RulesFetched(rules, at))
        if len(answers) > 2 and not isinstance(answers[2], BaseException):
            self.build_info = answers[2]
            self._post(BuildInfoFetched(answers[2]))
        for outcome in await drawn:
            if isinstance(outcome, BaseException):
                raise outcome

    def _rules_due(self, shown: bool) -> bool:
        """Alert rules (from a server before 2.49, with every alert: 2.7 MB at 5,000 alerts,
        30 MB in a storm) are asked on every poll while something shows them, else once in
        a while: the Alerts tab's counts and the notice of a changed alert stay current
        enough without their cost."""
        if shown or self._rules_asked is None:
            return True
        return time.monotonic() - self._rules_asked >= max(HIDDEN_RULES_EVERY, self._next_delay())

    def rules_shown(self, *, now: bool = False) -> None:
        """The alerts came into view: poll now if their rules are older than a refresh, or
        `now` (a rule's alerts are to be listed), after the poll under way if one is."""
        asked = self._rules_asked
        if now:
            self._rules_asked = None
            if self._poll_worker is not None and self._poll_worker.is_running:
                self._again = True
                return
        if now or (asked is not None and time.monotonic() - asked > self.refresh_interval()):
            self.refresh_now()

    async def _fetch_graph(self, wanted: GraphWanted, at: float) -> None:
        start, end, step = graph_window(at, wanted.range_seconds, wanted.width)
        try:
            result = await self.client.query_range(wanted.query, start, end, step)
        except UnreachableError:
            raise
        except PromError as exc:
            bad = getattr(exc, "error_type", "") == "bad_data"
            self._post(GraphFailed(wanted.graph_id, wanted.query, str(exc), bad))
            return
        self._post(
            GraphFetched(wanted.graph_id, wanted.query, result, start, end, step, self.now())
        )

    def fetch_graph(self, wanted: GraphWanted) -> None:
        """A query or range changed: fetch that graph at once, outside the poll rhythm."""
        if self.started:
            # One worker per graph: a new request supersedes that graph's previous one only.
            work = partial(self._fetch_graph, wanted, self.now())
            self._run(work, name="", group=f"graph-{wanted.graph_id}", exclusive=True)

    # ------------------------------------------------------------ the one error policy

    def worker_changed(self, event: Worker.StateChanged) -> None:
        if self.app.return_code is not None:
            return  # closing: the screen and its panels are going
        worker = event.worker
        if worker.state == WorkerState.ERROR:
            error = worker.error
            if (worker.group == "poll" or worker.group.startswith("graph-")) and isinstance(
                error, PromError
            ):
                self._server_lost(error)
            elif worker.group == "alertmanager" and isinstance(error, PromError):
                self._alertmanager_lost(error)
            elif worker.group in ("catalog", "names", "notifications"):
                pass  # conveniences (completion, the receiver's log): work without them
            elif isinstance(error, PromdashError):
                self._notify_once(str(error), worker.name or "error")
            else:
                self._notify_once(
                    f"{type(error).__name__}: {error}",
                    "unexpected error (the dashboard keeps running)",
                )
        if worker.group == "poll" and worker.is_finished:
            if worker.state == WorkerState.SUCCESS:
                self._server_back()
            if worker is self._poll_worker:
                if self._again:
                    self._again = False
                    self._poll_worker = self._start_poll()
                else:
                    self._schedule_next()
        elif worker.group == "stack-action" and worker.state == WorkerState.SUCCESS:
            # A service changed: read the stack again, and Prometheus (its targets did too).
            self.fetch_stack_status()
            self.refresh_now()
        elif worker.group == "alertmanager" and worker.state == WorkerState.SUCCESS:
            self._alertmanager_back()
        elif worker.group == "silence-write" and worker.is_finished:
            self.fetch_alertmanager(now=True)  # the list shows the change at once

    def _notify_once(self, message: str, title: str) -> None:
        """A failure that repeats every poll (a stack gone away) is said once a minute."""
        now = time.monotonic()
        if self._notices.get(message, -NOTICE_EVERY) > now - NOTICE_EVERY:
            return
        self._notices[message] = now
        self.app.notify(message, title=title, severity="error")

    def _server_lost(self, error: PromError) -> None:
        """A poll failed: the banner says why (each cause has its own remedy); retry soon."""
        if self.lost_since is None:
            self.lost_since = self.now()
            self.lost_tries = 0
        self.lost_tries += 1
        problem = _problem(error)
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
        self._post(
            ServerLost(
                problem, str(error), self.last_success, self._next_delay(), self.lost_tries, hint
            )
        )

    def _server_back(self) -> None:
        if self.lost_since is None:
            return
        self.lost_since = None
        self._post(ServerBack())
        self.build_info = None  # it may be a new version now: ask on the next poll
        self._find_after = 0.0  # Prometheus may say which Alertmanager it sends to now
        if self.settings.catalog and not self.catalog.metrics:
            self.fetch_catalog()  # it failed while the server was away
        self.app.notify("The server answers again.", title="reconnected")

    # ------------------------------------------------------------ Alertmanager

    def _use_alertmanager(self, conn: Connection) -> None:
        try:
            self.alertmanager = AlertmanagerClient(conn, transport=self.settings.transport)
        except PromdashError as exc:  # its TLS files cannot be read
            self._post(AlertmanagerFound("", reason=f"{conn.url} ({conn.source}): {exc}"))
            return
        self._post(AlertmanagerFound(conn.url, conn.source))

    def _ask_alertmanager(self, wanted: bool) -> None:
        """On each poll: ask the Alertmanager when its data shows, or look for one."""
        if self.alertmanager is not None:
            if wanted:
                self.fetch_alertmanager()
            return
        if self.settings.alertmanager is not None or self.settings.alertmanager_connect is None:
            return  # the one named could not be used (said once), or none is to be looked for
        if time.monotonic() >= self._find_after:
            self._find_after = time.monotonic() + FIND_ALERTMANAGER_EVERY
            self._run(self._find_alertmanager, name="find_alertmanager", group="am-find",
                      exclusive=True)  # fmt: skip

    async def _find_alertmanager(self) -> None:
        connect = self.settings.alertmanager_connect
        assert connect is not None, "only looked for with a way to connect"
        found, why = await discover(self.client, connect)
        if self.alertmanager is not None:
            return
        if found is None:
            self._post(AlertmanagerFound("", reason=why))
            return
        self._use_alertmanager(found)
        screen = self.screen
        if screen is not None and screen.alertmanager_wanted():
            self.fetch_alertmanager()

    def fetch_alertmanager(self, *, now: bool = False) -> None:
        """Ask Alertmanager for its alerts and silences. A poll does not ask again while
        the last one waits (a slow Alertmanager); `now` does (something was written)."""
        if not self.started or self.alertmanager is None:
            return
        if not now and self._am_worker is not None and self._am_worker.is_running:
            return
        self._am_worker = self._run(
            self._fetch_alertmanager, name="fetch_alertmanager", group="alertmanager",
            exclusive=True,
        )  # fmt: skip

    async def _fetch_alertmanager(self) -> None:
        am = self.alertmanager
        assert am is not None, "fetched only once one is known"
        at = self.now()
        alerts, silences = await asyncio.gather(am.alerts(), am.silences(), return_exceptions=True)
        for answer in (alerts, silences):
            if isinstance(answer, BaseException):
                raise answer
        assert isinstance(alerts, list) and isinstance(silences, list)
        self.am_last_success = at
        self._post(AlertmanagerFetched(alerts, silences, at))

    def _alertmanager_lost(self, error: PromError) -> None:
        """Said where Alertmanager's data shows; Prometheus's panels are not stale for it."""
        if self.am_lost_since is None:
            self.am_lost_since = self.now()
        self._post(AlertmanagerLost(_problem(error), str(error), self.am_last_success))

    def _alertmanager_back(self) -> None:
        if self.am_lost_since is not None:
            self.am_lost_since = None
            self._post(AlertmanagerBack())

    def write_silence(self, request: WriteSilence) -> None:
        work = partial(self._write_silence, request)
        self._run(work, name="write_silence", group="silence-write")

    async def _write_silence(self, request: WriteSilence) -> None:
        """Create, expire or extend, through Alertmanager's API v2; the result is a message."""
        action, draft, silence_id = request.action, request.draft, request.silence_id
        am = self.alertmanager
        try:
            if am is None:
                raise PromdashError("no Alertmanager is known")
            if draft is not None:
                ends = datetime.now(UTC) + timedelta(seconds=draft.seconds)
                new_id = await am.create_silence(
                    draft.matchers, ends_at=ends, created_by=draft.author, comment=draft.comment
                )
            elif action == "expire":
                await am.expire_silence(silence_id)
                new_id = silence_id
            else:
                assert request.ends_at is not None, "an extension says until when"
                new_id = await am.extend_silence(silence_id, request.ends_at)
        except PromdashError as exc:
            self._post(SilenceWritten(action, silence_id, str(exc), draft))
            return
        self._post(SilenceWritten(action, new_id, "", draft, old_id=silence_id))

    # ------------------------------------------------------------ completion names

    def want_catalog(self) -> None:
        """The first targets are on screen: metric names for completion may come now."""
        if self.settings.catalog and not self._catalog_asked:
            self._catalog_asked = True
            self.fetch_catalog()

    def fetch_catalog(self) -> None:
        self._run(self._fetch_catalog, name="fetch_catalog", group="catalog", exclusive=True)

    async def _fetch_catalog(self) -> None:
        names, metadata = await asyncio.gather(
            self.client.label_values("__name__"), self.client.metadata()
        )
        self.catalog.metrics = sorted(names)
        self.catalog.set_metadata(metadata)
        self._post(CatalogGrew())

    def need_names(self, need: Need) -> None:
        if need not in self._asked:
            self._asked.add(need)
            self._run(partial(self._fetch_names, need), name="_fetch_names", group="names")

    async def _fetch_names(self, need: Need) -> None:
        match = [selector(need.metric)] if need.metric else None
        try:
            if need.kind == "labels":
                names = await self.client.label_names(match=match)
                self.catalog.label_names[need.metric] = names
            else:
                values = await self.client.label_values(need.label, match=match)
                self.catalog.label_values[(need.label, need.metric)] = values
        except PromError:
            self._asked.discard(need)  # ask again next time the user gets there
            raise
        self._post(CatalogGrew())

    # ------------------------------------------------------------ the stack (thread workers)

    def fetch_stack_status(self) -> None:
        if self.started and self.settings.stack_name is not None:
            self._run(
                self._read_stack,
                name="fetch_stack_status",
                group="stack-status",
                exclusive=True,
                thread=True,
            )

    def _read_stack(self) -> None:
        name = self.settings.stack_name
        if name is None:
            return
        if self.settings.stack_status is not None:
            rows = self.settings.stack_status(name)
        else:
            runtime, state = _running(name)
            rows = runtime.status(state)
        self._post(StackStatusFetched(name, rows, self.now()))

    def fetch_notifications(self) -> None:
        if self.started and self.settings.stack_name is not None:
            self._run(
                self._read_notifications,
                name="read_notifications",
                group="notifications",
                exclusive=True,
                thread=True,
            )

    def _read_notifications(self) -> None:
        """The webhook receiver's notifications, from its log as `promdash logs` reads it."""
        from promdash.stack.model import WEBHOOK_SERVICE

        name = self.settings.stack_name
        if name is None:
            return
        runtime, state = _running(name)
        if WEBHOOK_SERVICE not in state.urls:
            return
        lines = runtime.logs(state, WEBHOOK_SERVICE, tail=NOTIFICATIONS_TAIL)
        self._post(NotificationsRead(notifications(lines)))

    def stack_action(self, stack: str, service: str, action: str) -> None:
        work = partial(self._stack_action, stack, service, action)
        self._run(work, name="_stack_action", group="stack-action", thread=True)

    def _stack_action(self, stack: str, service: str, action: str) -> None:
        try:
            runtime, state = _running(stack)
            getattr(runtime, f"{action}_service")(state, service)
        except PromdashError as exc:
            self._post(ServiceActionDone(service, action, str(exc)))
            return
        self._post(ServiceActionDone(service, action))

    def follow_logs(self, screen: LogScreen, stack: str, service: str) -> Worker[None] | None:
        """Post a service's new log lines to `screen` until the worker is cancelled."""
        work = partial(self._follow_logs, screen, stack, service)
        return self._run(work, name="_follow_logs", group="logs", exclusive=True, thread=True)

    def _follow_logs(self, screen: LogScreen, stack: str, service: str) -> None:
        # Polls the log's tail rather than `logs(follow=True)`: a follow blocks
        # in the runtime until a line arrives, and a cancelled worker must end.
        from promdash.stack.runtimes import stack_state
        from promdash.tui.screens.logs import new_lines

        worker = get_current_worker()
        runtime, state = _running(stack)
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

    # ------------------------------------------------------------ plumbing

    def _run(
        self,
        work: Callable[[], Any],
        *,
        name: str,
        group: str,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[None] | None:
        """Start a worker on the app, so its StateChanged reaches `worker_changed`."""
        if self.app.return_code is not None:
            return None  # closing
        worker: Worker[None] = self.app.run_worker(
            work, name=name, group=group, exclusive=exclusive, exit_on_error=False, thread=thread
        )
        return worker

    def _post(self, message: Message) -> None:
        """Hand an answer to the dashboard screen (thread-safe: thread workers call it too)."""
        if self.screen is not None:
            self.screen.post_message(message)


def _running(stack: str) -> tuple[Runtime, StackState]:
    """(runtime, state) of a running stack; PromdashError when it is gone."""
    from promdash.stack.runtimes import runtime_for, stack_state

    state = stack_state(stack)
    if state is None:
        raise PromdashError(f"stack {stack!r} is no longer running")
    return runtime_for(state), state


# One line per alert of a notification, as promdash.exporters.webhook writes it:
# `<received> <status> <alertname> {labels} receiver=<r> groupKey=<k> startsAt=<t> fingerprint=<f>`
_NOTIFICATION = re.compile(
    r"^(?P<at>\S+) (?P<status>firing|resolved) \S+ \{.*\} receiver=(?P<receiver>\S+) "
    r"groupKey=.* fingerprint=(?P<fingerprint>[0-9a-f]+)$"
)


def notifications(lines: Iterable[str]) -> dict[str, Notification]:
    """The latest notification per alert fingerprint in the receiver's log lines."""
    found: dict[str, Notification] = {}
    for line in lines:
        match = _NOTIFICATION.match(line)
        if match is None:
            continue  # its start-up line, a refused POST
        try:
            at = datetime.fromisoformat(match["at"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
        fingerprint = match["fingerprint"]
        count = found[fingerprint].count + 1 if fingerprint in found else 1
        found[fingerprint] = Notification(at, match["status"], match["receiver"], count)
    return found
