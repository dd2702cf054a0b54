"""Messages workers post to the app: plain dataclasses carrying typed values.

Polls arrive every few seconds; the frequent ones implement `can_replace` so a
newer answer supersedes an older one still waiting in the queue, and a slow
screen never works through a backlog of stale data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from promdash.prom.types import BuildInfo, MetricMetadata, QueryResult, RuleGroup, Targets

if TYPE_CHECKING:
    # Types only: promdash.stack.runtime loads pydantic and YAML (~0.14 s of start-up).
    from promdash.stack.runtime import ServiceStatus


@dataclass
class TargetsFetched(Message):
    targets: Targets
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TargetsFetched)


@dataclass
class RulesFetched(Message):
    groups: list[RuleGroup]
    at: float

    def can_replace(self, message: Message) -> bool:
        # Never replace: the alerts timeline must see every state it was sent.
        return False


@dataclass
class RulesUnavailable(Message):
    """The server offers no rules endpoint (a bare TSDB, some proxies)."""

    reason: str


@dataclass
class BuildInfoFetched(Message):
    info: BuildInfo


@dataclass
class GraphFetched(Message):
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
class GraphFailed(Message):
    graph_id: str
    query: str
    error: str
    bad_query: bool  # the server rejected the PromQL (as opposed to any other failure)


@dataclass
class ServerLost(Message):
    """The server stopped answering; panels keep their data and mark it stale."""

    error: str
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ServerLost)


@dataclass
class ServerBack(Message):
    at: float


@dataclass
class StackStatusFetched(Message):
    stack: str
    rows: list[ServiceStatus]
    at: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StackStatusFetched)


@dataclass
class ServiceActionDone(Message):
    service: str
    action: str  # "stop", "start", "restart"
    error: str = ""


@dataclass
class LogLines(Message):
    service: str
    lines: list[str]
    replace: bool = False  # the log was rotated or truncated: show `lines` afresh


@dataclass
class CatalogFetched(Message):
    """Names for PromQL completion: metric names with their metadata."""

    metrics: list[str]
    metadata: dict[str, list[MetricMetadata]] = field(default_factory=dict)


@dataclass
class LabelNamesFetched(Message):
    metric: str  # "" for every metric
    names: list[str]


@dataclass
class LabelValuesFetched(Message):
    label: str
    metric: str  # "" for every metric
    values: list[str]


@dataclass
class OpenGraphs(Message):
    """A panel asks for graphs of these expressions (Enter on a target or an alert)."""

    queries: list[str]
    title: str = ""
