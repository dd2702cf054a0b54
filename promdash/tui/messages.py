"""Every message of the dashboard: plain dataclasses carrying typed values.

Two directions (toolong's habit):
- answers: the poller's workers post them to the screen whose widgets show them
  (`bubble=False`: only that screen should hear);
- requests: widgets ask for work (a graph, a stack action, a log) and the message
  bubbles up to whoever does it (the dashboard screen, or the app's poller), so
  no widget knows the app. A widget posts them with `.set_sender(self)`: Textual
  stops a message just above its sender, and the sender is whoever runs the code
  (a parent calling the widget's method), so without it a request could stop at
  the screen instead of reaching the app.

Polls arrive every few seconds; the frequent ones implement `can_replace` so a
newer answer or request supersedes an older one still waiting in the queue, and
a slow screen never works through a backlog of stale data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from textual.message import Message

from promdash.prom.am_types import AlertmanagerAlert, Matcher, Silence
from promdash.prom.types import BuildInfo, QueryResult, RuleGroup, Targets

if TYPE_CHECKING:
    # Types only: promdash.stack.runtime loads pydantic and YAML (~0.14 s of start-up).
    from promdash.stack.runtime import ServiceStatus

# Why polls fail, as people would say it: the server does not answer, answers too
# slowly, answers something promdash cannot read, or refuses (the fix differs for each).
Problem = Literal["lost", "slow", "unreadable", "refused"]

# ------------------------------------------------------------ answers (poller -> screen)


@dataclass
class TargetsFetched(Message, bubble=False):
    targets: Targets
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TargetsFetched)


@dataclass
class RulesFetched(Message, bubble=False):
    groups: list[RuleGroup]
    at: float

    def can_replace(self, message: Message) -> bool:
        # Never replace: the alerts timeline must see every state it was sent.
        return False


@dataclass
class RulesUnavailable(Message, bubble=False):
    """The server offers no rules endpoint (a bare TSDB, some proxies)."""

    reason: str


@dataclass
class BuildInfoFetched(Message, bubble=False):
    info: BuildInfo


@dataclass
class GraphFetched(Message, bubble=False):
    graph_id: str
    query: str
    result: QueryResult
    start: float
    end: float
    step: float
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GraphFetched) and message.graph_id == self.graph_id


@dataclass
class GraphFailed(Message, bubble=False):
    graph_id: str
    query: str
    error: str
    bad_query: bool  # the server rejected the PromQL (as opposed to any other failure)


@dataclass
class ServerLost(Message, bubble=False):
    """A poll failed: what the banner says (panels keep their data and mark it stale)."""

    problem: Problem
    error: str
    since: float | None  # when the data on screen was fetched; None: none yet
    retry_every: float  # seconds between tries while the server does not answer
    tries: int
    hint: str = ""  # what to do, where promdash can tell (no server named, none found)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ServerLost)


@dataclass
class ServerBack(Message, bubble=False):
    """A poll succeeded after failures: the banner goes, the data is fresh again."""


@dataclass
class PollingChanged(Message, bubble=False):
    """How often the poller asks (it follows the scrape interval) and whether it is paused."""

    interval: float
    paused: bool

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PollingChanged)


@dataclass
class StackStatusFetched(Message, bubble=False):
    stack: str
    rows: list[ServiceStatus]
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StackStatusFetched)


@dataclass
class ServiceActionDone(Message, bubble=False):
    service: str
    action: str  # "stop", "start", "restart"
    error: str = ""


@dataclass
class LogLines(Message, bubble=False):
    service: str
    lines: list[str]
    replace: bool = False  # the log was rotated or truncated: show `lines` afresh


@dataclass
class CatalogGrew(Message, bubble=False):
    """The completion catalog holds names it lacked: editors showing completions look again."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CatalogGrew)


@dataclass
class AlertmanagerFound(Message, bubble=False):
    """The Alertmanager the dashboard asks (`url`, named by `source`), or none (`url` "")
    and why (`reason`)."""

    url: str
    source: str = ""
    reason: str = ""


@dataclass
class AlertmanagerFetched(Message, bubble=False):
    alerts: list[AlertmanagerAlert]
    silences: list[Silence]
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AlertmanagerFetched)


@dataclass
class AlertmanagerLost(Message, bubble=False):
    """Alertmanager did not answer: said where its data shows; Prometheus's panels stay fresh."""

    problem: Problem
    error: str
    since: float | None  # when its data on screen was fetched; None: none yet

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AlertmanagerLost)


@dataclass
class AlertmanagerBack(Message, bubble=False):
    """Alertmanager answers again after failures."""


SilenceWrite = Literal["create", "expire", "extend"]


@dataclass(frozen=True, slots=True)
class SilenceDraft:
    """A new silence as the form has it, checked: what `create_silence` is given."""

    matchers: tuple[Matcher, ...]
    seconds: float  # from now
    comment: str
    author: str


@dataclass
class SilenceWritten(Message, bubble=False):
    """A write to Alertmanager finished: `silence_id` is the ID the silence has now."""

    action: SilenceWrite
    silence_id: str
    error: str = ""
    draft: SilenceDraft | None = None  # the silence asked to be created (the form reopens)
    old_id: str = ""  # extend: the ID before (an expired silence comes back as a new one)


@dataclass(frozen=True, slots=True)
class Notification:
    """What the stack's webhook receiver got for one alert (its log says it per line)."""

    at: float
    status: str  # "firing" or "resolved"
    receiver: str
    count: int  # notifications for this alert in the log's tail


@dataclass
class NotificationsRead(Message, bubble=False):
    """The webhook receiver's latest notification per alert fingerprint."""

    notifications: dict[str, Notification]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, NotificationsRead)


# ------------------------------------------------------------ requests (widgets -> parents)


@dataclass
class OpenGraphs(Message):
    """A panel asks for graphs of these expressions (Enter on a target or an alert)."""

    queries: list[str]
    title: str = ""


@dataclass(frozen=True, slots=True)
class GraphWanted:
    """What one graph shows: its query over its range, about a point per plot column."""

    graph_id: str
    query: str
    range_seconds: int
    width: int  # the plot's width in cells


@dataclass
class FetchGraph(Message):
    """A graph's query or range changed, or it came into view: fetch it now, off the poll rhythm."""

    wanted: GraphWanted

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchGraph) and message.wanted.graph_id == self.wanted.graph_id


@dataclass
class RangeRequested(Message):
    """A graph asks for a custom range (the dialog is the screen's to open)."""

    graph_id: str
    current: int  # seconds


@dataclass
class FetchStackStatus(Message):
    """The Stack panel came into view: read the services' state now."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchStackStatus)


@dataclass
class StackActionRequested(Message):
    stack: str
    service: str
    action: str  # "stop", "start", "restart"


@dataclass
class LogsRequested(Message):
    """Follow a service's log in a screen over the dashboard."""

    stack: str
    service: str


@dataclass
class CatalogWanted(Message):
    """The first targets are on screen: completion names may be fetched now."""


@dataclass
class DashboardReady(Message):
    """The dashboard is composed: polling may start."""


@dataclass
class FetchAlertmanager(Message):
    """What shows Alertmanager's data came into view, or a write changed it: ask it now."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchAlertmanager)


@dataclass
class FetchRules(Message):
    """The alerts came into view (the Alerts panel, the overview): their rules, asked only
    now and then while hidden, are asked now if the last answer is older than a refresh;
    `now`: asked at once whatever its age (a rule's alerts are to be listed)."""

    now: bool = False

    def can_replace(self, message: Message) -> bool:
        # Textual drops this (earlier) message for `message` (a later one) when True: never
        # an "at once" for one that can wait.
        return isinstance(message, FetchRules) and self.now <= message.now


@dataclass
class SilenceWanted(Message):
    """Open the silence form for the alert (or rule) of the Alerts panel's row `key`."""

    key: str


@dataclass
class BacktestWanted(Message):
    """Open the Backtest screen for the alerting rule `name` of group `group`."""

    name: str
    group: str


@dataclass
class SilenceChange(Message):
    """The Silences panel asks to expire or extend a silence (the screen asks first)."""

    action: Literal["expire", "extend"]
    silence: Silence


@dataclass
class WriteSilence(Message):
    """Confirmed: write to Alertmanager (the app's poller does it)."""

    action: SilenceWrite
    draft: SilenceDraft | None = None  # create
    silence_id: str = ""  # expire, extend
    ends_at: datetime | None = None  # extend
