"""Plain typed values decoded from the Prometheus HTTP API.

Everything the CLI and the TUI show comes through these types, so both present
the same facts. Unknown JSON fields are ignored on purpose: Prometheus-compatible
servers (Thanos, Mimir, VictoriaMetrics) add fields of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from promdash.errors import PromdashError

Health = Literal["up", "down", "unknown"]
AlertState = Literal["inactive", "pending", "firing"]
ResultType = Literal["vector", "matrix", "scalar", "string"]

ONE_LINE_MAX = 500  # characters of server-chosen text in one error line


# Line breaks and terminal control characters (escape sequences) become spaces.
_CONTROLS = {code: " " for code in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029)}


def one_line(text: str, limit: int = ONE_LINE_MAX) -> str:
    """Server-chosen text as one bounded line: a hostile answer cannot flood a terminal."""
    flat = text[: limit + 1].translate(_CONTROLS)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class PromError(PromdashError):
    """Base of every error the client raises; `str()` is one line for users."""


class UnreachableError(PromError):
    """The server could not be reached at all (connection refused, DNS, connect timeout)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class TLSError(UnreachableError):
    """The TLS handshake failed: an unknown CA, a wrong host name, a bad client cert."""


class QueryTimeoutError(PromError):
    """The server accepted the request but sent no answer in time: slow, not unreachable.

    Not an `UnreachableError`: the server is there and may be computing a heavy query,
    so the advice is a longer --timeout, not checking the URL.
    """

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(
            f"{url} accepted the request but did not answer within {timeout:g}s "
            "(a slow query?); allow longer with --timeout SECONDS"
        )
        self.url = url
        self.timeout = timeout


class BadResponseError(PromError):
    """A JSON answer whose shape is not the API's for that endpoint.

    `problem` is where and what, e.g. `data.activeTargets: expected an array, got a
    string`; a server that is not quite Prometheus-compatible, or a proxy rewriting answers.
    """

    def __init__(self, endpoint: str, problem: str) -> None:
        super().__init__(f"unexpected answer from {endpoint}: {one_line(problem)}")
        self.endpoint = endpoint
        self.problem = problem


class APIError(PromError):
    """The server answered with an API error envelope (`errorType`/`error`)."""

    def __init__(self, error_type: str, message: str, status: int) -> None:
        # The server's own words, kept whole in `message`; printed as one line.
        text = f"{error_type}: {message}" if error_type else message
        super().__init__(one_line(text))
        self.error_type = error_type
        self.message = message
        self.status = status


class BadQueryError(APIError):
    """PromQL the server rejected (`bad_data`); `message` carries its position."""


class AuthError(PromError):
    """401 or 403: names the credential that is missing or refused."""

    def __init__(self, status: int, hint: str) -> None:
        super().__init__(f"HTTP {status}: {hint}")
        self.status = status


class NotPrometheusError(PromError):
    """A non-JSON answer: an HTML login page, a proxy error page, a wrong URL."""

    def __init__(self, url: str, status: int, content_type: str) -> None:
        super().__init__(
            f"{url} answered HTTP {status} with {content_type or 'no content type'}, "
            "not the Prometheus API (wrong URL, or a proxy/login page in the way?)"
        )
        self.url = url
        self.status = status
        self.content_type = content_type


class UnsupportedError(PromError):
    """The server does not offer this endpoint (e.g. rules on a bare TSDB)."""


@dataclass(frozen=True, slots=True)
class Target:
    scrape_pool: str
    scrape_url: str
    labels: dict[str, str]
    discovered_labels: dict[str, str]
    health: Health
    last_error: str
    last_scrape: datetime | None
    last_scrape_duration: float  # seconds
    scrape_interval: str  # as the server reports it, e.g. "5s"
    scrape_timeout: str
    global_url: str = ""

    @property
    def instance(self) -> str:
        return self.labels.get("instance", self.scrape_url)

    @property
    def key(self) -> str:
        """Stable identity across refreshes (pool + URL)."""
        return f"{self.scrape_pool}|{self.scrape_url}"


@dataclass(frozen=True, slots=True)
class DroppedTarget:
    discovered_labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class Targets:
    active: list[Target]
    dropped: list[DroppedTarget] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sample:
    """One series of an instant vector."""

    metric: dict[str, str]
    timestamp: float
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a range matrix; `timestamps` and `values` are parallel."""

    metric: dict[str, str]
    timestamps: list[float]
    values: list[float]


@dataclass(frozen=True, slots=True)
class QueryResult:
    result_type: ResultType
    vector: list[Sample] = field(default_factory=list)
    matrix: list[Series] = field(default_factory=list)
    scalar: tuple[float, float] | None = None  # (timestamp, value)
    string: tuple[float, str] | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertState
    active_at: datetime | None
    value: str


@dataclass(frozen=True, slots=True)
class AlertingRule:
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


@dataclass(frozen=True, slots=True)
class RecordingRule:
    group: str
    file: str
    name: str
    query: str
    labels: dict[str, str]
    health: str
    last_error: str


@dataclass(frozen=True, slots=True)
class RuleGroup:
    name: str
    file: str
    interval: float
    alerting: list[AlertingRule]
    recording: list[RecordingRule]


@dataclass(frozen=True, slots=True)
class MetricMetadata:
    name: str
    type: str
    help: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    revision: str = ""
    branch: str = ""
    go_version: str = ""
    flavor: str = "prometheus"  # "prometheus", "victoriametrics", "unknown", ...
