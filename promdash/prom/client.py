"""An async client for the Prometheus HTTP API (and servers that speak it).

    async with PromClient(conn) as client:
        result = await client.query_range("rate(up[5m])", start, end, step)

Every answer is decoded into the plain values of `promdash.prom.types`; every
failure is one of its `PromError` classes with a one-line message for users.
Only reads are made, so every request may be retried: connect errors, 5xx and
429 answers are tried again a few times with a short backoff.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import ssl
import time as _time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, TypeVar, cast

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from promdash.config import Connection
from promdash.prom.types import (
    Alert,
    AlertingRule,
    AlertState,
    APIError,
    AuthError,
    BadQueryError,
    BuildInfo,
    DroppedTarget,
    Health,
    MetricMetadata,
    NotPrometheusError,
    PromError,
    QueryResult,
    RecordingRule,
    RuleGroup,
    Sample,
    Series,
    Target,
    Targets,
    TLSError,
    UnreachableError,
    UnsupportedError,
)

T = TypeVar("T")

# Expressions longer than this go in a POST form body: URLs have length limits
# in proxies, and Prometheus accepts the same parameters either way.
POST_ABOVE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_ATTEMPTS = 3

_LEGACY_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LEGACY_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# ---------------------------------------------------------------- PromQL helpers


def promql_string(text: str) -> str:
    """`text` as a double-quoted PromQL string literal."""
    return json.dumps(text, ensure_ascii=False)


def quote_metric_name(name: str) -> str:
    """A selector for metric `name`: `up`, or `{"http.server.duration"}` for UTF-8 names.

    Prometheus 3.x accepts any UTF-8 metric name, but only inside braces and
    quotes; a legacy-valid name is left bare so 2.x servers understand it.
    """
    return name if _LEGACY_NAME.match(name) else "{" + promql_string(name) + "}"


def quote_label_name(name: str) -> str:
    return name if _LEGACY_LABEL.match(name) else promql_string(name)


def selector(name: str | None = None, labels: Mapping[str, str] | None = None) -> str:
    """A series selector for `name` and equality matchers, quoting UTF-8 names as needed."""
    matchers = [f"{quote_label_name(k)}={promql_string(v)}" for k, v in (labels or {}).items()]
    if name is None:
        return "{" + ", ".join(matchers) + "}"
    if _LEGACY_NAME.match(name):
        return name + ("{" + ", ".join(matchers) + "}" if matchers else "")
    return "{" + ", ".join([promql_string(name), *matchers]) + "}"


def escape_label_name_for_path(name: str) -> str:
    """A label name for `/api/v1/label/<name>/values`: UTF-8 names use `U__` escaping."""
    if _LEGACY_LABEL.match(name):
        return name
    out = ["U__"]
    for char in name:
        if char == "_":
            out.append("__")
        elif char.isascii() and (char.isalnum() or char == ":"):
            out.append(char)
        else:
            out.append(f"_{ord(char):x}_")
    return "".join(out)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration (`90s`, `1h30m`, `500ms`) or a plain number."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _DURATION_PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(text) or not text:
            raise ValueError(f"{text!r} is not a duration (examples: 30s, 15m, 1h30m)") from None
    if seconds <= 0 or not math.isfinite(seconds):
        raise ValueError(f"{text!r}: a duration must be more than 0")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 90 -> `1m30s`, 0.25 -> `250ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)


def parse_time(text: str, now: float | None = None) -> float:
    """Unix seconds from `now`, a Unix timestamp, RFC 3339, or `-15m` (that long ago)."""
    now = _time.time() if now is None else now
    text = text.strip()
    if text == "now":
        return now
    if text.startswith("-"):
        return now - parse_duration(text[1:])
    try:
        return float(text)
    except ValueError:
        pass
    parsed = parse_rfc3339(text)
    if parsed is None:
        raise ValueError(f"{text!r} is not a time (use now, -15m, a Unix time or RFC 3339)")
    return parsed.timestamp()


def parse_rfc3339(text: str) -> datetime | None:
    """A Go RFC 3339 time (nanoseconds, `Z` or offset); None for Go's zero time."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # Older Pythons and odd servers: trim the fraction to microseconds.
        trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
        try:
            parsed = datetime.fromisoformat(trimmed)
        except ValueError:
            return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    # VictoriaMetrics says "never" with the Unix epoch rather than Go's zero time.
    return parsed if parsed.timestamp() > 0 else None


# ---------------------------------------------------------------- decoding


def decode_query(data: Mapping[str, Any], warnings: list[str]) -> QueryResult:
    kind = data.get("resultType")
    result: Any = data.get("result")
    if kind == "matrix":
        matrix = []
        for item in result or ():
            points = item.get("values") or ()
            if points:
                # Two tight passes beat one loop building both lists: this is the
                # hot path of every graph (see bench/bench_client.py).
                timestamps, values = zip(*points, strict=True)
                matrix.append(Series(item["metric"], list(timestamps), list(map(float, values))))
            else:  # native histograms only ("histograms"): no float samples
                matrix.append(Series(item["metric"], [], []))
        return QueryResult("matrix", matrix=matrix, warnings=warnings)
    if kind == "vector":
        vector = [
            Sample(item["metric"], item["value"][0], float(item["value"][1]))
            for item in result or ()
            if "value" in item
        ]
        return QueryResult("vector", vector=vector, warnings=warnings)
    if kind == "scalar":
        return QueryResult("scalar", scalar=(result[0], float(result[1])), warnings=warnings)
    if kind == "string":
        return QueryResult("string", string=(result[0], str(result[1])), warnings=warnings)
    raise APIError("bad_response", f"unknown resultType {kind!r}", 200)


def _health(value: Any) -> Health:
    return cast(Health, value) if value in ("up", "down") else "unknown"


def _alert_state(value: Any) -> AlertState:
    return cast(AlertState, value) if value in ("pending", "firing") else "inactive"


def decode_targets(data: Mapping[str, Any]) -> Targets:
    active = [
        Target(
            scrape_pool=t.get("scrapePool", ""),
            scrape_url=t.get("scrapeUrl", ""),
            labels=t.get("labels") or {},
            discovered_labels=t.get("discoveredLabels") or {},
            health=_health(t.get("health")),
            last_error=t.get("lastError") or "",
            last_scrape=parse_rfc3339(t.get("lastScrape") or ""),
            last_scrape_duration=float(t.get("lastScrapeDuration") or 0.0),
            scrape_interval=t.get("scrapeInterval", ""),
            scrape_timeout=t.get("scrapeTimeout", ""),
            global_url=t.get("globalUrl", ""),
        )
        for t in data.get("activeTargets") or ()
    ]
    dropped = [
        DroppedTarget(discovered_labels=t.get("discoveredLabels") or {})
        for t in data.get("droppedTargets") or ()
    ]
    return Targets(active=active, dropped=dropped)


def _decode_alert(a: Mapping[str, Any]) -> Alert:
    value = a.get("value", "")
    return Alert(
        labels=a.get("labels") or {},
        annotations=a.get("annotations") or {},
        state=_alert_state(a.get("state")),
        active_at=parse_rfc3339(a.get("activeAt") or ""),
        value=value if isinstance(value, str) else repr(value),
    )


def decode_rules(data: Mapping[str, Any]) -> list[RuleGroup]:
    groups = []
    for g in data.get("groups") or ():
        name, file = g.get("name", ""), g.get("file", "")
        alerting: list[AlertingRule] = []
        recording: list[RecordingRule] = []
        for r in g.get("rules") or ():
            if r.get("type") == "alerting":
                alerting.append(
                    AlertingRule(
                        group=name,
                        file=file,
                        name=r.get("name", ""),
                        query=r.get("query", ""),
                        duration=float(r.get("duration") or 0.0),
                        labels=r.get("labels") or {},
                        annotations=r.get("annotations") or {},
                        state=_alert_state(r.get("state")),
                        health=r.get("health", ""),
                        last_error=r.get("lastError") or "",
                        alerts=[_decode_alert(a) for a in r.get("alerts") or ()],
                    )
                )
            elif r.get("type") == "recording":
                recording.append(
                    RecordingRule(
                        group=name,
                        file=file,
                        name=r.get("name", ""),
                        query=r.get("query", ""),
                        labels=r.get("labels") or {},
                        health=r.get("health", ""),
                        last_error=r.get("lastError") or "",
                    )
                )
        groups.append(
            RuleGroup(
                name=name,
                file=file,
                interval=float(g.get("interval") or 0.0),
                alerting=alerting,
                recording=recording,
            )
        )
    return groups


def decode_metadata(data: Mapping[str, Any]) -> dict[str, list[MetricMetadata]]:
    return {
        name: [
            MetricMetadata(name, m.get("type", ""), m.get("help", ""), m.get("unit", ""))
            for m in entries
        ]
        for name, entries in data.items()
    }


_VM_PARSE_ERROR = re.compile(r"cannot parse|unparsed data|unexpected token")


def decode_envelope(body: Any, status: int = 200) -> tuple[Any, list[str]]:
    """The `data` and warnings of a success envelope; raises on an error envelope."""
    if not isinstance(body, dict) or "status" not in body:
        raise ValueError("not an API envelope")
    warnings = [str(w) for w in body.get("warnings") or ()]
    warnings += [f"info: {i}" for i in body.get("infos") or ()]
    if body["status"] == "success":
        return body.get("data"), warnings
    error_type = str(body.get("errorType") or "")
    message = str(body.get("error") or "the server reported an error without a message")
    if error_type == "bad_data" or (error_type == "422" and _VM_PARSE_ERROR.search(message)):
        # VictoriaMetrics reports PromQL syntax errors as errorType "422".
        raise BadQueryError(error_type, message, status)
    raise APIError(error_type, message, status)


# ---------------------------------------------------------------- transport


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is anywhere in the cause chain (or inside an exception group)."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, _RetryableStatus):
        return True
    # A certificate that failed verification will fail the same way again.
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and not _tls_failure(exc)


def _ssl_context(conn: Connection) -> ssl.SSLContext:
    if conn.url.startswith("http://") and not (conn.ca_file or conn.client_cert):
        # No TLS will happen: skip loading the system trust store (~20 ms of start-up).
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.create_default_context(cafile=conn.ca_file)
    if conn.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if conn.client_cert:
        context.load_cert_chain(conn.client_cert, conn.client_key)
    return context


class PromClient:
    """Async client for one server; use as `async with PromClient(conn) as client:`."""

    def __init__(
        self,
        conn: Connection,
        *,
        retries: int = RETRY_ATTEMPTS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.conn = conn
        self._retries = max(1, retries)
        headers = {"Accept": "application/json", "User-Agent": "promdash"}
        headers.update(conn.headers)
        if conn.bearer_token is not None:
            headers["Authorization"] = f"Bearer {conn.bearer_token}"
        try:
            verify = _ssl_context(conn)
        except (OSError, ssl.SSLError) as exc:
            raise TLSError(conn.url, f"cannot load the TLS files: {exc}") from None
        self._http = httpx.AsyncClient(
            base_url=conn.url + "/",
            headers=headers,
            auth=conn.basic_auth,
            verify=verify,
            timeout=conn.timeout,
            transport=transport,
            # A redirect to another host would carry --header secrets along: not followed.
            follow_redirects=False,
        )

    async def __aenter__(self) -> PromClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ plumbing

    async def _send(
        self, path: str, params: Sequence[tuple[str, str]] = (), *, post: bool = False
    ) -> httpx.Response:
        async def attempt() -> httpx.Response:
            if post:
                response = await self._http.post(path, data=dict(_multi(params)))
            else:
                response = await self._http.get(path, params=list(params))
            if response.status_code in RETRY_STATUSES:
                raise _RetryableStatus(response)
            return response

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _RetryableStatus as exc:
            return exc.response
        except httpx.TimeoutException:
            raise UnreachableError(
                self.conn.url, f"no answer within {self.conn.timeout:g}s (--timeout)"
            ) from None
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: httpx.TransportError) -> UnreachableError:
        tls = _tls_failure(exc)
        if tls is not None:
            reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or tls
            if isinstance(tls, ssl.SSLCertVerificationError):
                return TLSError(
                    self.conn.url,
                    f"TLS certificate verification failed ({reason}); pass the server's CA "
                    "with --ca FILE, or --insecure to skip verification",
                )
            return TLSError(self.conn.url, f"TLS handshake failed ({reason})")
        text = str(exc) or type(exc).__name__
        if _caused_by(exc, ConnectionRefusedError) or "refused" in text.lower():
            text = "connection refused (is Prometheus running there?)"
        elif "name or service not known" in text.lower() or "nodename nor servname" in text:
            text = "unknown host name"
        return UnreachableError(self.conn.url, text.splitlines()[0])

    def _decode(self, response: httpx.Response) -> tuple[Any, list[str]]:
        status = response.status_code
        url = str(response.request.url.copy_with(query=None))
        if status in (401, 403):
            raise AuthError(status, self._auth_hint(status, response, url))
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            return decode_envelope(json.loads(response.content), status)
        except (ValueError, UnicodeDecodeError):
            pass
        if status == 404:
            raise UnsupportedError(f"{url} answered HTTP 404: this server does not offer it")
        raise NotPrometheusError(url, status, content_type)

    def _auth_hint(self, status: int, response: httpx.Response, url: str) -> str:
        sent = self.conn.credential
        body = response.text[:300].lower()
        if "org id" in body or "orgid" in body:
            return (
                f"{url} wants a tenant: set --header X-Scope-OrgID=TENANT "
                "(or headers: in the config context)"
            )
        if status == 401 and not sent:
            return (
                f"Unauthorized: {self.conn.url} wants credentials; set a bearer token "
                "(--token-file / PROMDASH_TOKEN) or basic auth (basic_auth in a config context)"
            )
        if status == 401:
            return f"Unauthorized: {self.conn.url} refused the {sent} (wrong or expired?)"
        if not sent:
            return (
                f"Forbidden: {self.conn.url} denies {url} without credentials; set a bearer "
                "token (--token-file / PROMDASH_TOKEN) or basic auth"
            )
        return f"Forbidden: the {sent} was accepted but may not read {url}"

    async def _get_data(
        self, path: str, params: Sequence[tuple[str, str]] = (), *, post: bool = False
    ) -> tuple[Any, list[str]]:
        return self._decode(await self._send(path, params, post=post))

    # ------------------------------------------------------------ endpoints

    async def query(self, expr: str, time: float | None = None) -> QueryResult:
        params = [("query", expr)]
        if time is not None:
            params.append(("time", _num(time)))
        data, warnings = await self._get_data("api/v1/query", params, post=len(expr) > POST_ABOVE)
        return decode_query(data, warnings)

    async def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult:
        params = [("query", expr), ("start", _num(start)), ("end", _num(end)),
                  ("step", _num(step))]  # fmt: skip
        data, warnings = await self._get_data(
            "api/v1/query_range", params, post=len(expr) > POST_ABOVE
        )
        return decode_query(data, warnings)

    async def targets(self, state: Literal["active", "dropped", "any"] | None = None) -> Targets:
        """Scrape targets; `state` is the API's filter (active, dropped or any)."""
        data, _ = await self._get_data("api/v1/targets", [("state", state)] if state else [])
        return decode_targets(data or {})

    async def rules(self, type: Literal["alert", "record"] | None = None) -> list[RuleGroup]:
        data, _ = await self._get_data("api/v1/rules", [("type", type)] if type else [])
        return decode_rules(data or {})

    async def alerts(self) -> list[Alert]:
        data, _ = await self._get_data("api/v1/alerts")
        return [_decode_alert(a) for a in (data or {}).get("alerts") or ()]

    async def label_names(self, match: Sequence[str] | None = None) -> list[str]:
        data, _ = await self._get_data("api/v1/labels", [("match[]", m) for m in match or ()])
        return [str(name) for name in data or ()]

    async def label_values(self, label: str, match: Sequence[str] | None = None) -> list[str]:
        path = f"api/v1/label/{escape_label_name_for_path(label)}/values"
        data, _ = await self._get_data(path, [("match[]", m) for m in match or ()])
        return [str(value) for value in data or ()]

    async def series(
        self, match: Sequence[str], start: float | None = None, end: float | None = None
    ) -> list[dict[str, str]]:
        if not match:
            raise ValueError("series() needs at least one selector in `match`")
        params = [("match[]", m) for m in match]
        if start is not None:
            params.append(("start", _num(start)))
        if end is not None:
            params.append(("end", _num(end)))
        data, _ = await self._get_data(
            "api/v1/series", params, post=sum(map(len, match)) > POST_ABOVE
        )
        return [dict(item) for item in data or ()]

    async def metadata(self, metric: str | None = None) -> dict[str, list[MetricMetadata]]:
        data, _ = await self._get_data("api/v1/metadata", [("metric", metric)] if metric else [])
        return decode_metadata(data or {})

    async def build_info(self) -> BuildInfo:
        """Version and flavor; servers without /api/v1/status/buildinfo are sniffed."""
        try:
            data, _ = await self._get_data("api/v1/status/buildinfo")
        except (UnsupportedError, NotPrometheusError, APIError):
            return await self._sniff_build_info()
        data = data or {}
        if not data.get("version"):  # VictoriaMetrics answers with empty data
            return await self._sniff_build_info()
        application = str(data.get("application", "")).lower()
        flavor = "prometheus"
        for name in ("mimir", "thanos", "cortex", "victoriametrics"):
            if name in application:
                flavor = name
        return BuildInfo(
            version=str(data.get("version", "")),
            revision=str(data.get("revision", "")),
            branch=str(data.get("branch", "")),
            go_version=str(data.get("goVersion", "")),
            flavor=flavor,
        )

    async def _sniff_build_info(self) -> BuildInfo:
        # VictoriaMetrics has no buildinfo endpoint but exports its version as a
        # metric label on its own /metrics page.
        response = await self._send("metrics")
        text = response.text if response.status_code == 200 else ""
        match = re.search(r'vm_app_version\{[^}]*version="([^"]*)"', text)
        if match:
            full = match.group(1)  # e.g. victoria-metrics-20220801-...-tags-v1.79.5-0-g...
            version = re.search(r"v(\d+\.\d+\.\d+)", full)
            return BuildInfo(
                version=version.group(1) if version else full,
                revision=full,
                flavor="victoriametrics",
            )
        match = re.search(r'prometheus_build_info\{[^}]*version="([^"]+)"', text)
        if match:
            return BuildInfo(version=match.group(1), flavor="prometheus")
        return BuildInfo(version="", flavor="unknown")

    async def ready(self) -> bool:
        """True when the server says it is ready to serve queries."""
        for path in ("-/ready", "health"):  # Prometheus, then VictoriaMetrics
            try:
                response = await self._http.get(path)
            except httpx.HTTPError:
                return False
            if response.status_code != 404:
                return response.status_code == 200
        return False


def _num(value: float) -> str:
    return repr(float(value))


def _multi(params: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in params:
        out.setdefault(key, []).append(value)
    return out


# ---------------------------------------------------------------- sync convenience


def run(conn: Connection, operation: Callable[[PromClient], Awaitable[T]]) -> T:
    """Run one async operation on a fresh client, for synchronous callers (the CLI)."""

    async def go() -> T:
        async with PromClient(conn) as client:
            return await operation(client)

    return asyncio.run(go())


__all__ = [
    "POST_ABOVE",
    "PromClient",
    "PromError",
    "decode_envelope",
    "decode_metadata",
    "decode_query",
    "decode_rules",
    "decode_targets",
    "escape_label_name_for_path",
    "format_duration",
    "parse_duration",
    "parse_rfc3339",
    "parse_time",
    "promql_string",
    "quote_label_name",
    "quote_metric_name",
    "run",
    "selector",
]
