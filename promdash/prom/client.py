"""An async client for the Prometheus HTTP API (and servers that speak it).

    async with PromClient(conn) as client:
        result = await client.query_range("rate(up[5m])", start, end, step)

Every answer is checked and decoded by `promdash.prom.wire` into the plain values
of `promdash.prom.types`; every failure is one of its `PromError` classes with a
one-line message for users. Only reads are made, so every request may be retried:
connect errors, 5xx and 429 answers are tried again a few times with a short
backoff. A read timeout is not retried: the server is there but slow, and asking
the same heavy query again would only load it more.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import mmap
import re
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import msgspec.structs
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from promdash.config import Connection
from promdash.errors import (
    APIError,
    AuthError,
    BadResponseError,
    NotPrometheusError,
    QueryTimeoutError,
    TLSError,
    UnreachableError,
    UnsupportedError,
)
from promdash.prom import wire
from promdash.prom.promql import (
    escape_label_name_for_path,
)
from promdash.prom.types import (
    ActiveCounts,
    Alert,
    AlertingRule,
    BuildInfo,
    MetricMetadata,
    QueryResult,
    RuleGroup,
    RulePage,
    Targets,
)

T = TypeVar("T")
D = TypeVar("D")
B = TypeVar("B")
# One of promdash.prom.wire's decoders: (body, endpoint, HTTP status) -> typed value.
Decode = Callable[[wire.Body, str, int], D]

# Expressions longer than this go in a POST form body: URLs have length limits
# in proxies, and Prometheus accepts the same parameters either way.
POST_ABOVE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_ATTEMPTS = 3
# Bodies larger than this are read into memory of their own (see `_read_body`).
OWN_MAP_ABOVE = 1 << 20

# The filters that let a server send less, by the Prometheus version that first
# honoured each (docs/querying/api.md; web/api/v1/api.go's history):
#   scrapePool on /api/v1/targets                          2.42
#   rule_name[], rule_group[], file[] on /api/v1/rules     2.44 ("rule_name[]" below)
#   exclude_alerts                                         2.49
#   group_limit, group_next_token (answer: groupNextToken) 3.0
# An older server ignores them without an error and sends everything (Debian's 2.42
# does so for every rules filter), so the client filters the answer again itself: the
# result is the same either way, only its size differs. `PromClient.ignores` says
# which filters the server was seen to ignore.
Filter = Literal["scrapePool", "exclude_alerts", "rule_name[]", "group_limit"]


# ---------------------------------------------------------------- transport


@dataclass(frozen=True)
class Reply:
    """An answer, its body read (`_read_body`)."""

    status_code: int
    headers: httpx.Headers
    url: httpx.URL  # as asked, with its query
    body: wire.Body

    @property
    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else bytes(self.body)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


async def _read_body(response: httpx.Response) -> wire.Body:
    """The body of a streamed response, in one buffer: bytes when small; above
    OWN_MAP_ABOVE, a view of an anonymous memory map of its own.

    httpx's `read()` holds every chunk and their join at once: twice the body, 60 MB
    for an alert storm's 30 MB of rules. And a body of its own map goes back to the
    system when freed: glibc's malloc, once it freed a block that large, raises its
    mmap threshold to its size and serves the next ones from the heap, which it seldom
    gives back (the dashboard kept 60 MB more after the storm's second refresh).
    """
    chunks: list[bytes] = []
    size = 0
    stream = response.aiter_bytes()
    async for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > OWN_MAP_ABOVE:
            break
    else:
        return b"".join(chunks)
    # Pages never written take no memory: a map larger than the body costs nothing, and
    # growing it (mremap) copies nothing.
    own = mmap.mmap(-1, 4 * OWN_MAP_ABOVE, flags=mmap.MAP_PRIVATE)
    for chunk in chunks:
        own.write(chunk)
    del chunks
    async for chunk in stream:
        if own.tell() + len(chunk) > len(own):
            own.resize(2 * (own.tell() + len(chunk)))
        own.write(chunk)
    own.resize(own.tell())
    return memoryview(own)


class _RetryableStatus(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status_code)
        self.reply = reply


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


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


@dataclass(frozen=True)
class Wording:
    """How failure messages name the server and the settings that fix them."""

    server: str = "Prometheus"
    api: str = "the Prometheus API"
    token: str = "--token-file / PROMDASH_TOKEN"
    basic_auth: str = "basic_auth in a config context"
    header: str = "--header"
    ca: str = "--ca FILE"
    insecure: str = "--insecure"


class HTTPClient:
    """What the API clients share: one httpx client carrying the connection's auth, TLS
    and headers; retries of what may be retried; every failure one of the error tree's.

    Subclasses add endpoints (`PromClient`, `promdash.prom.alertmanager.AlertmanagerClient`).
    Use as `async with Client(conn) as client:`.
    """

    wording = Wording()

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
        if _loopback(conn.url):
            # Compressing 3.5 MB of targets costs the server and us more than a
            # loopback copy of it; across a network it saves far more than it costs.
            headers["Accept-Encoding"] = "identity"
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

    async def __aenter__(self) -> Self:
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

    async def _request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        form: dict[str, list[str]] | None = None,
        json: object = None,
        retry_status: bool = True,
    ) -> Reply:
        """One request, tried again on connect errors (nothing was sent) and, when
        `retry_status`, on 5xx and 429 answers: never for writes that must not repeat."""

        async def attempt() -> Reply:
            async with self._http.stream(
                method, path, params=list(params), data=form, json=json
            ) as response:
                reply = Reply(
                    response.status_code,
                    response.headers,
                    response.request.url,
                    await _read_body(response),
                )
            # httpx's response and its stream point at each other: only the cyclic
            # collector would free them, once they came to the older generations, which
            # it seldom scans. The Reply holds the body, and goes with its last reference.
            response.stream = httpx.ByteStream(b"")
            if retry_status and reply.status_code in RETRY_STATUSES:
                raise _RetryableStatus(reply)
            return reply

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _RetryableStatus as exc:
            return exc.reply
        except httpx.DecodingError as exc:
            # A body that is not what its Content-Encoding says (gzip, brotli...).
            raise BadResponseError("/" + path, f"body: cannot be decoded ({exc})") from None
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            # The connection was accepted: the server is there, the query is slow.
            raise QueryTimeoutError(self.conn.url, self.conn.timeout) from None
        except httpx.TimeoutException:
            raise UnreachableError(
                self.conn.url, f"no connection within {self.conn.timeout:g}s (--timeout)"
            ) from None
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: httpx.TransportError) -> UnreachableError:
        words = self.wording
        tls = _tls_failure(exc)
        if tls is not None:
            reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or tls
            if isinstance(tls, ssl.SSLCertVerificationError):
                return TLSError(
                    self.conn.url,
                    f"TLS certificate verification failed ({reason}); pass the server's CA "
                    f"with {words.ca}, or {words.insecure} to skip verification",
                )
            return TLSError(self.conn.url, f"TLS handshake failed ({reason})")
        text = str(exc) or type(exc).__name__
        if _caused_by(exc, ConnectionRefusedError) or "refused" in text.lower():
            text = f"connection refused (is {words.server} running there?)"
        elif "name or service not known" in text.lower() or "nodename nor servname" in text:
            text = "unknown host name"
        return UnreachableError(self.conn.url, text.splitlines()[0])

    def _decode(self, reply: Reply, decode: Callable[[bytes, str, int], D], endpoint: str) -> D:
        """`decode(body, endpoint, status)` of the answer as bytes; any failure raised as
        the error tree's."""
        return self._decode_as(reply, reply.content, decode, endpoint)

    def _decode_as(
        self, reply: Reply, body: B, decode: Callable[[B, str, int], D], endpoint: str
    ) -> D:
        status = reply.status_code
        url = str(reply.url.copy_with(query=None))
        if status in (401, 403):
            raise AuthError(status, self._auth_hint(status, reply, url))
        content_type = reply.headers.get("content-type", "").split(";")[0].strip()
        try:
            return decode(body, endpoint, status)
        except wire.NotAnEnvelope:
            pass
        if status == 404:
            raise UnsupportedError(f"{url} answered HTTP 404: this server does not offer it")
        raise NotPrometheusError(url, status, content_type, api=self.wording.api)

    def _auth_hint(self, status: int, reply: Reply, url: str) -> str:
        words = self.wording
        sent = self.conn.credential
        body = reply.text[:300].lower()
        if "org id" in body or "orgid" in body:
            return (
                f"{url} wants a tenant: set {words.header} X-Scope-OrgID=TENANT "
                "(or headers: in the config context)"
            )
        if status == 401 and not sent:
            return (
                f"Unauthorized: {self.conn.url} wants credentials; set a bearer token "
                f"({words.token}) or basic auth ({words.basic_auth})"
            )
        if status == 401:
            return f"Unauthorized: {self.conn.url} refused the {sent} (wrong or expired?)"
        if not sent:
            return (
                f"Forbidden: {self.conn.url} denies {url} without credentials; set a bearer "
                f"token ({words.token}) or basic auth"
            )
        return f"Forbidden: the {sent} was accepted but may not read {url}"


class PromClient(HTTPClient):
    """Async client for one Prometheus-compatible server; only reads, so every request
    may be retried."""

    def __init__(
        self,
        conn: Connection,
        *,
        retries: int = RETRY_ATTEMPTS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(conn, retries=retries, transport=transport)
        self._ignored: set[Filter] = set()
        # The last alert_rules answer decoded, by its digest and what was asked: a rule
        # group's answer reads the same until it is evaluated again (every minute on most
        # servers, polled every 5 s), and 2 MB of rules take 30 ms to decode.
        self._last_rules: (
            tuple[tuple[bytes, int, frozenset[tuple[str, str]]], wire.AlertRules] | None
        ) = None

    def ignores(self, filter: Filter) -> bool:
        """Whether this server was seen to ignore `filter` (it answered more than was
        asked: a version older than the one that brought it). Until then, asking with
        the filter is worth trying; once known, a caller may ask once for everything
        instead of in small parts that each bring everything back."""
        return filter in self._ignored

    async def _send(
        self, path: str, params: Sequence[tuple[str, str]] = (), *, post: bool = False
    ) -> Reply:
        if post:
            return await self._request("POST", path, form=_multi(params))
        return await self._request("GET", path, params)

    async def _get(
        self,
        path: str,
        decode: Decode[D],
        params: Sequence[tuple[str, str]] = (),
        *,
        post: bool = False,
    ) -> D:
        reply = await self._send(path, params, post=post)
        # wire's decoders read any buffer: a large body is decoded where it was read.
        return self._decode_as(reply, reply.body, decode, "/" + path)

    # ------------------------------------------------------------ endpoints

    async def query(self, expr: str, time: float | None = None) -> QueryResult:
        params = [("query", expr)]
        if time is not None:
            params.append(("time", _num(time)))
        return await self._get(
            "api/v1/query", wire.decode_query, params, post=len(expr) > POST_ABOVE
        )

    async def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult:
        params = [("query", expr), ("start", _num(start)), ("end", _num(end)),
                  ("step", _num(step))]  # fmt: skip
        return await self._get(
            "api/v1/query_range", wire.decode_query, params, post=len(expr) > POST_ABOVE
        )

    async def targets(
        self,
        state: Literal["active", "dropped", "any"] | None = None,
        *,
        scrape_pool: str | None = None,
    ) -> Targets:
        """Scrape targets; `state` is the API's filter (active, dropped or any), and
        `scrape_pool` keeps one pool's (the server filters since 2.42: at 5,000 targets
        in 20 pools, 166 kB instead of 3.3 MB)."""
        params: list[tuple[str, str]] = [("state", state)] if state else []
        if scrape_pool is not None:
            params.append(("scrapePool", scrape_pool))
        found = await self._get("api/v1/targets", wire.decode_targets, params)
        if scrape_pool is None:
            return found
        active = [t for t in found.active if t.scrape_pool == scrape_pool]
        # A dropped target says its pool since Prometheus 3; before, its job label does.
        dropped = [
            t
            for t in found.dropped
            if (t.scrape_pool or t.discovered_labels.get("job")) == scrape_pool
        ]
        if len(active) < len(found.active):
            self._ignored.add("scrapePool")
        return Targets(active, dropped)

    async def rules(
        self,
        type: Literal["alert", "record"] | None = None,
        *,
        exclude_alerts: bool = False,
        rule_name: Collection[str] = (),
        rule_group: Collection[str] = (),
        file: Collection[str] = (),
    ) -> list[RuleGroup]:
        """Rule groups; every argument narrows them, on the server where it can.

        `exclude_alerts` leaves out each alerting rule's alerts (its state stays);
        `rule_name`, `rule_group` and `file` keep the rules with any of the names,
        in any of the groups and files, and groups with none left are not returned.
        One rule's alerts: `rule_group=[its group], rule_name=[its name]` (names
        repeat across groups).
        """
        narrow = _RuleFilters(type, exclude_alerts, rule_name, rule_group, file)
        page = await self._get("api/v1/rules", wire.decode_rule_page, narrow.params())
        return self._narrowed(page, narrow).groups

    async def rule_page(
        self,
        type: Literal["alert", "record"] | None = None,
        *,
        group_limit: int,
        group_next_token: str = "",
        exclude_alerts: bool = False,
        rule_name: Collection[str] = (),
        rule_group: Collection[str] = (),
        file: Collection[str] = (),
    ) -> RulePage:
        """At most `group_limit` groups, after the page `group_next_token` names (a
        previous page's `next_token`), narrowed as `rules` does. A server without
        pagination (before Prometheus 3) answers every group at once, with no next token:
        the same groups, in one page.
        """
        if group_limit < 1:
            raise ValueError("group_limit must be at least 1")
        narrow = _RuleFilters(type, exclude_alerts, rule_name, rule_group, file)
        params = [*narrow.params(), ("group_limit", str(group_limit))]
        if group_next_token:
            params.append(("group_next_token", group_next_token))
        page = self._narrowed(
            await self._get("api/v1/rules", wire.decode_rule_page, params), narrow
        )
        if len(page.groups) > group_limit:
            self._ignored.add("group_limit")
        return page

    def _narrowed(self, page: RulePage, narrow: _RuleFilters) -> RulePage:
        """`page` as a server that honours the filters would send it."""
        if not (narrow.by_name or narrow.exclude_alerts):
            return page
        groups = []
        for group in page.groups:
            if narrow.keeps_group(group):
                alerting = [r for r in group.alerting if narrow.keeps_rule(r.name)]
                recording = [r for r in group.recording if narrow.keeps_rule(r.name)]
            else:
                alerting, recording = [], []
            if len(alerting) + len(recording) < len(group.alerting) + len(group.recording):
                self._ignored.add("rule_name[]")
            if narrow.exclude_alerts and any(r.alerts for r in alerting):
                self._ignored.add("exclude_alerts")
                alerting = [msgspec.structs.replace(r, alerts=[]) for r in alerting]
            if alerting or recording or not narrow.by_name:
                groups.append(
                    msgspec.structs.replace(group, alerting=alerting, recording=recording)
                )
        return RulePage(groups, page.next_token)

    async def alert_rules(
        self, *, list_up_to: int, also: Collection[tuple[str, str]] = ()
    ) -> list[RuleGroup]:
        """The alerting rules, each with its active alerts counted by state
        (`AlertingRule.count`); the alerts themselves (`listed`) only of the rules with at
        most `list_up_to` of them, and of the rules `also` names as (group, rule).

        Asked with `exclude_alerts`. A server that ignores it (before 2.49: Debian's 2.42)
        sends every alert anyway, 30 MB in a storm of 72,000: the rules not listed have
        theirs skipped undecoded, and counted. One that honours it sends none: the counts
        come from the `ALERTS` series, and the listed rules' alerts from a second request
        naming them (`rule_group[]`, `rule_name[]`).
        """
        params = [("type", "alert"), ("exclude_alerts", "true")]

        def decode(raw: wire.Body, endpoint: str, status: int) -> wire.AlertRules:
            digest = hashlib.sha256(raw, usedforsecurity=False).digest()
            key = (digest, list_up_to, frozenset(also))
            if status == 200 and self._last_rules is not None and self._last_rules[0] == key:
                return self._last_rules[1]
            decoded = wire.decode_alert_rules(
                raw, endpoint, status, list_up_to=list_up_to, also=also
            )
            if status == 200:
                self._last_rules = key, decoded
            return decoded

        groups, left_out = await self._get("api/v1/rules", decode, params)
        if not left_out:
            if any(r.state != "inactive" for g in groups for r in g.alerting):
                self._ignored.add("exclude_alerts")
            return groups
        return await self._alerts_asked_apart(groups, left_out, list_up_to, also)

    async def _alerts_asked_apart(
        self,
        groups: list[RuleGroup],
        left_out: list[AlertingRule],
        list_up_to: int,
        also: Collection[tuple[str, str]],
    ) -> list[RuleGroup]:
        """`alert_rules` of a server that left the alerts out: the active rules' counts
        from `ALERTS` by name, their alerts asked for by group and name where listed or
        where a name is active in several groups (ALERTS does not say which group)."""
        answer = await self.query("count by (alertname, alertstate) (ALERTS)")
        by_name: dict[str, ActiveCounts] = {}
        for sample in answer.vector:
            name, state = sample.metric.get("alertname", ""), sample.metric.get("alertstate")
            old = by_name.get(name, ActiveCounts())
            if state == "firing":
                by_name[name] = msgspec.structs.replace(old, firing=int(sample.value))
            elif state == "pending":
                by_name[name] = msgspec.structs.replace(old, pending=int(sample.value))
        active = [r for g in groups for r in g.alerting if r.state != "inactive"]
        shared = {n for n, k in Counter(r.name for r in active).items() if k > 1}

        def wanted(rule: AlertingRule) -> bool:
            counts = by_name.get(rule.name, ActiveCounts())
            return (
                rule.name in shared
                or (rule.group, rule.name) in also
                or counts.firing + counts.pending <= list_up_to
            )

        ask = [r for r in left_out if wanted(r)]
        fetched: dict[_RuleKey, list[Alert]] = {}
        if ask:
            found = await self.rules(
                type="alert",
                rule_group=sorted({r.group for r in ask}),
                rule_name=sorted({r.name for r in ask}),
            )
            for group in found:
                for key, rule in _keyed(group):
                    fetched[key] = rule.alerts
        missing = {id(r) for r in left_out}
        out = []
        for group in groups:
            alerting = []
            for key, rule in _keyed(group):
                if id(rule) in missing:
                    rule = _counted(rule, fetched.get(key), by_name, list_up_to, also)
                alerting.append(rule)
            out.append(msgspec.structs.replace(group, alerting=alerting))
        return out

    async def alerts(self) -> list[Alert]:
        return await self._get("api/v1/alerts", wire.decode_alerts)

    async def alertmanagers(self) -> list[str]:
        """The URLs of the Alertmanagers this Prometheus sends alerts to (active ones), as
        it reaches them: `http://alertmanager:9093/api/v2/alerts`."""
        return await self._get("api/v1/alertmanagers", wire.decode_alertmanagers)

    async def label_names(self, match: Sequence[str] | None = None) -> list[str]:
        params = [("match[]", m) for m in match or ()]
        return await self._get("api/v1/labels", wire.decode_names, params)

    async def label_values(self, label: str, match: Sequence[str] | None = None) -> list[str]:
        path = f"api/v1/label/{escape_label_name_for_path(label)}/values"
        return await self._get(path, wire.decode_names, [("match[]", m) for m in match or ()])

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
        return await self._get(
            "api/v1/series", wire.decode_series, params, post=sum(map(len, match)) > POST_ABOVE
        )

    async def metadata(self, metric: str | None = None) -> dict[str, list[MetricMetadata]]:
        params = [("metric", metric)] if metric else []
        return await self._get("api/v1/metadata", wire.decode_metadata, params)

    async def build_info(self) -> BuildInfo:
        """Version and flavor; servers without /api/v1/status/buildinfo are sniffed."""
        try:
            info = await self._get("api/v1/status/buildinfo", wire.decode_build_info)
        except (UnsupportedError, NotPrometheusError, APIError):
            return await self._sniff_build_info()
        # VictoriaMetrics answers with empty data: its version is on /metrics.
        return info if info is not None else await self._sniff_build_info()

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

    async def status_config(self) -> dict[str, Any]:
        """The configuration the server runs (/api/v1/status/config), parsed."""
        return await self._get("api/v1/status/config", wire.decode_config)

    async def oldest_sample(self) -> float | None:
        """When the server's oldest sample is from (its own /metrics, which Prometheus
        writes whatever it scrapes); None when it does not say (another kind of server)."""
        response = await self._send("metrics")
        found = _LOWEST.search(response.content) if response.status_code == 200 else None
        try:
            value = float(found.group(1)) if found else math.nan
        except ValueError:
            return None
        # An empty database reports its head's "no time yet", far in the future.
        return value if 0 < value < time.time() + 86400 else None

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


_LOWEST = re.compile(rb"^prometheus_tsdb_lowest_timestamp_seconds (\S+)$", re.M)


@dataclass(frozen=True)
class _RuleFilters:
    """What a rules request asks for, as parameters and as the client's own check."""

    type: Literal["alert", "record"] | None
    exclude_alerts: bool
    rule_name: Collection[str]
    rule_group: Collection[str]
    file: Collection[str]

    @property
    def by_name(self) -> bool:
        return bool(self.rule_name or self.rule_group or self.file)

    def params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = [("type", self.type)] if self.type else []
        if self.exclude_alerts:
            params.append(("exclude_alerts", "true"))
        params += [("rule_name[]", name) for name in self.rule_name]
        params += [("rule_group[]", name) for name in self.rule_group]
        params += [("file[]", name) for name in self.file]
        return params

    def keeps_group(self, group: RuleGroup) -> bool:
        return (not self.rule_group or group.name in self.rule_group) and (
            not self.file or group.file in self.file
        )

    def keeps_rule(self, name: str) -> bool:
        return not self.rule_name or name in self.rule_name


# A rule in an answer: its file, group and name, and which of the rules of that name in
# the group it is (a warning and a critical rule often share a name).
_RuleKey = tuple[str, str, str, int]


def _keyed(group: RuleGroup) -> Iterator[tuple[_RuleKey, AlertingRule]]:
    seen: Counter[str] = Counter()
    for rule in group.alerting:
        yield (group.file, group.name, rule.name, seen[rule.name]), rule
        seen[rule.name] += 1


def _counted(
    rule: AlertingRule,
    alerts: list[Alert] | None,
    by_name: dict[str, ActiveCounts],
    list_up_to: int,
    also: Collection[tuple[str, str]],
) -> AlertingRule:
    """A rule that came without its alerts, with them (where asked for) or their counts."""
    if alerts is None:
        return msgspec.structs.replace(rule, counts=by_name.get(rule.name, ActiveCounts()))
    listed = msgspec.structs.replace(rule, alerts=alerts, counts=None)
    if len(alerts) <= list_up_to or (rule.group, rule.name) in also:
        return listed
    counts = ActiveCounts(listed.count("firing"), listed.count("pending"))
    return msgspec.structs.replace(rule, alerts=[], counts=counts)


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

    answer: list[T] = []

    async def go() -> None:
        async with PromClient(conn) as client:
            answer.append(await operation(client))

    # The answer is not the main task's result: on the way out asyncio.run formats its
    # SIGINT handler, which holds the task, and so the repr of a task's result (5,000
    # targets took 70 ms to repr).
    asyncio.run(go())
    return answer[0]


__all__ = ["POST_ABOVE", "Filter", "HTTPClient", "PromClient", "Wording", "run"]
