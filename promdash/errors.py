"""Errors a user can cause. Each `str()` is one line; cli.py maps classes to exit codes."""

from __future__ import annotations


class PromdashError(Exception):
    """Base for every error promdash reports to users without a traceback."""


class StackFileError(PromdashError):
    """A stack file that cannot be read, parsed or validated."""


class DashboardError(PromdashError):
    """A Grafana dashboard file that cannot be read or does not have the JSON model's shape."""


class RuntimeUnavailable(PromdashError):
    """The runtime cannot run here: no Docker engine, no prometheus binary, no image."""


class PortInUse(PromdashError):
    """A port the stack publishes is already taken."""

    def __init__(self, port: int, holder: str = "") -> None:
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"port {port} is already in use{who}; free it or change the port in the stack file"
        )
        self.port = port
        self.holder = holder


class ReadinessTimeout(PromdashError):
    """A service did not become ready in time; the message carries its last log lines."""


class StackNotRunning(PromdashError):
    """A command needs a running stack and there is none."""


class ConfigError(PromdashError):
    """A config file, token file or connection flag that cannot be used."""


class UsageError(PromdashError):
    """A flag or argument value that cannot work (a bad URL, an unknown service name)."""


class StateFileError(PromdashError):
    """A stack's state file that exists but cannot be read or does not have the state's shape."""


class StackBusy(PromdashError):
    """Another promdash process holds the stack's lock for longer than we may wait."""


class NoAlertmanager(PromdashError):
    """A command needs an Alertmanager and none is named, running in the stack or reported."""


class NoSuchRule(UsageError):
    """No alerting rule of that name (on the server, in the rule file); names close ones."""


class RuleFileError(StackFileError):
    """A Prometheus rule file (or a stack file's rules) that cannot be read or has no such shape."""


class OutsideRetention(PromdashError):
    """A backtest range that starts before the oldest sample the server holds; says which."""


class BacktestError(PromdashError):
    """An evaluation Prometheus itself would fail (two alerts with the same labels at once)."""


# ---------------------------------------------------------------- the API client's errors

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

    def __init__(
        self, url: str, status: int, content_type: str, api: str = "the Prometheus API"
    ) -> None:
        super().__init__(
            f"{url} answered HTTP {status} with {content_type or 'no content type'}, "
            f"not {api} (wrong URL, or a proxy/login page in the way?)"
        )
        self.url = url
        self.status = status
        self.content_type = content_type


class UnsupportedError(PromError):
    """The server does not offer this endpoint (e.g. rules on a bare TSDB)."""
