"""Plain typed values decoded from the Prometheus HTTP API.

Everything the CLI and the TUI show comes through these types, so both present
the same facts. Unknown JSON fields are ignored on purpose: Prometheus-compatible
servers (Thanos, Mimir, VictoriaMetrics) add fields of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from msgspec import Struct, field

Health = Literal["up", "down", "unknown"]
AlertState = Literal["inactive", "pending", "firing"]
ResultType = Literal["vector", "matrix", "scalar", "string"]


class Target(Struct, frozen=True, gc=False, rename="camel"):
    """An active target; a targets answer is decoded straight into these (the API's
    camelCase names), so its fields and their defaults are also what the wire allows."""

    scrape_pool: str
    scrape_url: str
    labels: dict[str, str]
    health: Health
    last_error: str = ""
    last_scrape: datetime | None = None
    last_scrape_duration: float = 0.0  # seconds
    scrape_interval: str = ""  # as the server reports it, e.g. "5s"
    scrape_timeout: str = ""
    global_url: str = ""

    @property
    def instance(self) -> str:
        return self.labels.get("instance", self.scrape_url)

    @property
    def key(self) -> str:
        """Stable identity across refreshes (pool + URL)."""
        return f"{self.scrape_pool}|{self.scrape_url}"


class DroppedTarget(Struct, frozen=True, gc=False):
    discovered_labels: dict[str, str]
    scrape_pool: str = ""  # Prometheus 3 says; 2.x does not


class Targets(Struct, frozen=True, gc=False):
    active: list[Target]
    dropped: list[DroppedTarget] = field(default_factory=list)


class HistogramBucket(Struct, frozen=True, gc=False):
    """One bucket of a native histogram, as the API sends it (empty ones are left out)."""

    boundaries: int  # 0: (lower, upper], 1: [lower, upper), 2: (lower, upper), 3: [lower, upper]
    lower: float
    upper: float
    count: float


class Histogram(Struct, frozen=True, gc=False):
    """A native histogram sample (Prometheus 3; stable since 3.8, behind a flag from 2.40)."""

    count: float
    sum: float
    buckets: list[HistogramBucket] = field(default_factory=list)


class Sample(Struct, frozen=True, gc=False):
    """One series of an instant vector: a float, or a native `histogram` (then `value` is
    NaN: such a sample has no float value)."""

    metric: dict[str, str]
    timestamp: float
    value: float
    histogram: Histogram | None = None


class Series(Struct, frozen=True, gc=False):
    """One series of a range matrix; `timestamps` and `values` are parallel (the float
    samples), `histograms` its native histogram samples: a series may have either or both,
    one kind at each timestamp."""

    metric: dict[str, str]
    timestamps: list[float]
    values: list[float]
    histograms: list[tuple[float, Histogram]] = field(default_factory=list)


class QueryResult(Struct, frozen=True, gc=False):
    result_type: ResultType
    vector: list[Sample] = field(default_factory=list)
    matrix: list[Series] = field(default_factory=list)
    scalar: tuple[float, float] | None = None  # (timestamp, value)
    string: tuple[float, str] | None = None
    warnings: list[str] = field(default_factory=list)


class Alert(Struct, frozen=True, gc=False):
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertState
    active_at: datetime | None
    value: str


class ActiveCounts(Struct, frozen=True, gc=False):
    """How many active alerts an alerting rule has in each state."""

    firing: int = 0
    pending: int = 0


class AlertingRule(Struct, frozen=True, gc=False):
    group: str
    file: str
    name: str
    query: str
    duration: float  # the rule's `for`, seconds
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertState
    health: str
    last_error: str
    alerts: list[Alert]
    # Set when the rule's alerts were left out (`PromClient.alert_rules`: an alert storm
    # is tens of megabytes): how many it has in each state; `alerts` is then empty.
    # None: every alert of the rule is in `alerts`.
    counts: ActiveCounts | None = None
    keep_firing_for: float = 0.0  # seconds

    @property
    def listed(self) -> bool:
        """Whether `alerts` holds every alert of the rule (else only `counts` says)."""
        return self.counts is None

    def count(self, state: Literal["firing", "pending"]) -> int:
        """The rule's active alerts in `state`, listed or only counted."""
        if self.counts is None:
            return sum(a.state == state for a in self.alerts)
        return self.counts.firing if state == "firing" else self.counts.pending


class RecordingRule(Struct, frozen=True, gc=False):
    group: str
    file: str
    name: str
    query: str
    labels: dict[str, str]
    health: str
    last_error: str


class RuleGroup(Struct, frozen=True, gc=False):
    name: str
    file: str
    interval: float
    alerting: list[AlertingRule]
    recording: list[RecordingRule]
    limit: int = 0  # most alerts an evaluation may make (0: no limit)


class RulePage(Struct, frozen=True, gc=False):
    """One page of rule groups (`group_limit`): `next_token` asks for the next one, and
    is "" on the last page (and from servers that answer every group at once)."""

    groups: list[RuleGroup]
    next_token: str = ""


class MetricMetadata(Struct, frozen=True, gc=False):
    name: str
    type: str
    help: str
    unit: str = ""


class BuildInfo(Struct, frozen=True, gc=False):
    version: str
    revision: str = ""
    branch: str = ""
    go_version: str = ""
    flavor: str = "prometheus"  # "prometheus", "victoriametrics", "unknown", ...
