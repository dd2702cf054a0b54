"""PromClient against real servers: Debian's Prometheus, VictoriaMetrics, small HTTP(S) servers.

The Prometheus here is started by this module in a temporary directory: it
scrapes itself (job `prometheus`) and a closed port (job `closed`, a down target
with a lastError), and evaluates rules of which `InstanceDown` fires at once and
`NeverFires` stays inactive. The small HTTP servers stand in only for what no
real Prometheus does on purpose (a login page, a 401, a TLS certificate of our
own making, flaky 503s); they are real servers on real sockets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from promdash.config import Connection
from promdash.errors import (
    AuthError,
    BadQueryError,
    NotPrometheusError,
    QueryTimeoutError,
    TLSError,
    UnreachableError,
)
from promdash.prom.client import PromClient
from promdash.prom.promql import escape_label_name_for_path, quote_metric_name, selector
from tests.integration.prometheus import SELF_SCRAPE, running_prometheus
from tests.integration.prometheus import binary as binary  # others import it from here
from tests.stackfiles import free_port as free_port  # others import it from here

pytestmark = pytest.mark.prometheus


# ---------------------------------------------------------------- a real Prometheus


PROMETHEUS_CONFIG = (
    SELF_SCRAPE
    + """\
  - job_name: closed
    static_configs: [{{targets: ["127.0.0.1:{closed}"], labels: {{group: canary}}}}]
"""
)

RULES = """\
groups:
  - name: test
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: InstanceDown
        expr: up == 0
        labels: {severity: critical}
        annotations: {summary: "Instance {{ $labels.instance }} is down"}
      - alert: NeverFires
        expr: vector(0) > 1
        for: 1m
        labels: {severity: info}
"""


@dataclass
class OwnPrometheus:
    url: str
    closed: str  # host:port of the target nobody listens on
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def conn(self) -> Connection:
        return Connection(url=self.url, timeout=5)


def _api(url: str, path: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{url}/api/v1/{path}", timeout=2).json()["data"]  # type: ignore[no-any-return]


@contextlib.contextmanager
def own_prometheus(directory: Path) -> Iterator[OwnPrometheus]:
    """A real Prometheus with a down target and a firing alert, ready when yielded."""
    closed = free_port()

    def ready(url: str) -> bool:
        targets = _api(url, "targets?state=active")["activeTargets"]
        alerts = _api(url, "alerts")["alerts"]
        scraped = all(t["lastScrape"][:4] != "0001" for t in targets)
        firing = any(a["state"] == "firing" for a in alerts)
        # Three scrapes of each target, so "a second ago" has data too.
        history = _api(url, "query?query=min(count_over_time(up[1m]))>=3")["result"]
        return len(targets) == 2 and scraped and firing and bool(history)

    with running_prometheus(
        directory,
        PROMETHEUS_CONFIG,
        rules=RULES,
        ready=ready,
        what="scrape and fire InstanceDown",
        fields={"closed": closed},
    ) as started:
        yield OwnPrometheus(started.url, f"127.0.0.1:{closed}", started.process, directory)


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPrometheus]:
    with own_prometheus(tmp_path_factory.mktemp("prometheus")) as server:
        yield server


# ---------------------------------------------------------------- small real HTTP(S) servers


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class SmallServer:
    """A threaded HTTP(S) server whose answers a test decides; it records each request."""

    answer: Callable[[BaseHTTPRequestHandler], Reply]
    tls: ssl.SSLContext | None = None
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def __enter__(self) -> SmallServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                owner.requests.append((self.command, self.path, dict(self.headers.items())))
                reply = owner.answer(self)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def envelope(data: object) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()


BUILDINFO = envelope(
    {"version": "2.99.0", "revision": "abc", "branch": "main", "goVersion": "go1.22"}
)
VECTOR = envelope(
    {"resultType": "vector", "result": [{"metric": {"__name__": "up"}, "value": [1.5, "1"]}]}
)


def prometheus_like(handler: BaseHTTPRequestHandler) -> Reply:
    """Buildinfo and a canned `up` vector: enough of the API for connection tests."""
    if handler.path.startswith("/api/v1/status/buildinfo"):
        return Reply(body=BUILDINFO)
    if handler.path.startswith("/api/v1/query"):
        return Reply(body=VECTOR)
    return Reply(404, b"404 page not found\n", "text/plain")


def needs_token(token: str) -> Callable[[BaseHTTPRequestHandler], Reply]:
    def answer(handler: BaseHTTPRequestHandler) -> Reply:
        if handler.headers.get("Authorization") != f"Bearer {token}":
            return Reply(401, b"<html><body>Unauthorized</body></html>", "text/html")
        return prometheus_like(handler)

    return answer


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificates(directory: Path) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "promdash test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# ---------------------------------------------------------------- every endpoint, real server


async def test_build_info_and_ready(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        info = await client.build_info()
        assert await client.ready() is True
    assert info.flavor == "prometheus"
    assert info.version.startswith("2.")
    assert info.go_version.startswith("go")


async def test_targets_have_pools_health_and_the_down_targets_error(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        targets = await client.targets(state="active")
        everything = await client.targets()
    assert {t.scrape_pool for t in targets.active} == {"prometheus", "closed"}
    up = next(t for t in targets.active if t.scrape_pool == "prometheus")
    down = next(t for t in targets.active if t.scrape_pool == "closed")
    assert up.health == "up" and up.last_error == ""
    assert up.last_scrape is not None
    assert abs(up.last_scrape.timestamp() - time.time()) < 30
    assert up.last_scrape_duration > 0
    assert up.scrape_interval == "1s"
    assert down.health == "down"
    assert "connection refused" in down.last_error
    assert down.labels == {"group": "canary", "instance": prom.closed, "job": "closed"}
    assert down.instance == prom.closed
    assert down.key == f"closed|http://{prom.closed}/metrics"
    assert len(everything.active) == 2


async def test_instant_query_vector_scalar_string(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        vector = await client.query("up")
        scalar = await client.query("1 + 1")
        string = await client.query('"hello"')
        past = await client.query("time()", time=1_700_000_000.5)
    assert vector.result_type == "vector"
    values = {s.metric["job"]: s.value for s in vector.vector}
    assert values == {"prometheus": 1.0, "closed": 0.0}
    assert all(isinstance(s.timestamp, float) for s in vector.vector)
    assert scalar.scalar is not None and scalar.scalar[1] == 2.0
    assert string.string is not None and string.string[1] == "hello"
    assert past.scalar == (1_700_000_000.5, 1_700_000_000.5)


async def test_range_query_points_are_floats_at_the_step(prom: OwnPrometheus) -> None:
    end = time.time()
    async with PromClient(prom.conn) as client:
        result = await client.query_range("up", end - 10, end, 1)
        clock = await client.query_range("time()", end - 10, end, 2.5)
    assert result.result_type == "matrix"
    assert {s.metric["job"] for s in result.matrix} == {"prometheus", "closed"}
    for series in result.matrix:
        assert len(series.timestamps) == len(series.values) >= 1
        assert all(isinstance(v, float) for v in series.values)
    (series,) = clock.matrix
    assert series.metric == {}
    assert len(series.timestamps) == 5
    assert {
        round(b - a, 3) for a, b in zip(series.timestamps, series.timestamps[1:], strict=False)
    } == {2.5}
    assert series.values == pytest.approx(series.timestamps)


async def test_a_long_expression_still_works(prom: OwnPrometheus) -> None:
    """Expressions past POST_ABOVE characters go as a form body (URLs have limits)."""
    expr = "up" + " " * 5000 + "== 1"
    async with PromClient(prom.conn) as client:
        result = await client.query(expr)
        ranged = await client.query_range(expr, time.time() - 5, time.time(), 1)
    assert [s.metric["job"] for s in result.vector] == ["prometheus"]
    assert [s.metric["job"] for s in ranged.matrix] == ["prometheus"]


async def test_bad_promql_carries_prometheus_message_and_position(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        with pytest.raises(BadQueryError) as caught:
            await client.query("sum(up")
    error = caught.value
    assert error.error_type == "bad_data"
    assert error.status == 400
    assert "1:7: parse error" in error.message
    assert "\n" not in str(error)


async def test_rules_alerts_and_inactive_rules(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        groups = await client.rules()
        alerting_only = await client.rules(type="alert")
        alerts = await client.alerts()
    (group,) = groups
    assert group.name == "test" and group.interval == 1.0
    assert [r.name for r in group.recording] == ["job:up:sum"]
    rules = {r.name: r for r in group.alerting}
    down = rules["InstanceDown"]
    assert down.state == "firing" and down.health == "ok"
    (alert,) = down.alerts
    assert alert.labels["instance"] == prom.closed
    assert alert.annotations["summary"] == f"Instance {prom.closed} is down"
    assert alert.active_at is not None
    assert float(alert.value) == 0.0
    never = rules["NeverFires"]
    assert never.state == "inactive" and never.alerts == [] and never.duration == 60.0
    assert [g.recording for g in alerting_only] == [[]]
    assert [a.labels["alertname"] for a in alerts] == ["InstanceDown"]
    assert alerts[0].state == "firing"


async def test_an_answer_is_freed_once_decoded_without_waiting_for_the_collector(
    prom: OwnPrometheus,
) -> None:
    # A dashboard polls for minutes: an answer left to the cyclic collector (httpx's
    # response and its stream point at each other) kept its body, megabytes at a large
    # server's, until a full collection, and the process grew.
    gc.collect()
    gc.disable()
    try:
        async with PromClient(Connection(prom.url)) as client:
            await client.targets(state="active")
            await client.alert_rules(list_up_to=10)
            await client.query("up")
            left = [o for o in gc.get_objects() if isinstance(o, httpx.Response)]
            assert left == []
    finally:
        gc.enable()


async def test_labels_series_and_metadata(prom: OwnPrometheus) -> None:
    async with PromClient(prom.conn) as client:
        names = await client.label_names()
        matched_names = await client.label_names(match=['up{job="closed"}'])
        jobs = await client.label_values("job")
        groups = await client.label_values("group", match=["up"])
        series = await client.series(["up"], start=time.time() - 60, end=time.time())
        metadata = await client.metadata()
        one = await client.metadata("prometheus_http_requests_total")
    assert {"job", "instance", "__name__"} <= set(names)
    assert sorted(matched_names) == ["__name__", "group", "instance", "job"]
    assert jobs == ["closed", "prometheus"]
    assert groups == ["canary"]
    assert sorted(s["job"] for s in series) == ["closed", "prometheus"]
    (requests,) = metadata["prometheus_http_requests_total"]
    assert requests.type == "counter" and requests.help and requests.name.startswith("prom")
    assert list(one) == ["prometheus_http_requests_total"]


def test_the_sync_helper_runs_one_call(prom: OwnPrometheus) -> None:
    from promdash.prom.client import run

    result = run(prom.conn, lambda client: client.query("up"))
    assert len(result.vector) == 2


# ---------------------------------------------------------------- another real server


async def test_victoriametrics_without_buildinfo_is_detected(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            binary("victoria-metrics", "victoria-metrics"),
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={tmp_path / 'data'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        conn = Connection(url=f"http://127.0.0.1:{port}", timeout=5)
        async with PromClient(conn) as client:
            deadline = time.monotonic() + 30
            while not await client.ready():
                assert time.monotonic() < deadline, "victoria-metrics did not become ready"
                time.sleep(0.2)
            info = await client.build_info()
            result = await client.query("1 + 1")
            rules = await client.rules()
            with pytest.raises(BadQueryError):
                await client.query("sum(up")
    finally:
        process.terminate()
        process.wait(10)
    assert info.flavor == "victoriametrics"
    # VictoriaMetrics answers a scalar expression with a one-sample vector.
    assert [(s.metric, s.value) for s in result.vector] == [({}, 2.0)]
    assert rules == []


# ---------------------------------------------------------------- failures users meet


async def test_unreachable_names_the_url_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    async with PromClient(Connection(url=url)) as client:
        with pytest.raises(UnreachableError) as caught:
            await client.query("up")
    assert caught.value.url == url
    refused = "connection refused (is Prometheus running there?)"
    assert str(caught.value) == f"cannot reach {url}: {refused}"
    assert time.monotonic() - started < 5  # a few short retries, not a long hang


async def test_a_server_that_never_answers_times_out() -> None:
    """The connection is accepted (by the kernel) but no answer comes: slow, not unreachable."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        async with PromClient(Connection(url=url, timeout=0.5)) as client:
            with pytest.raises(QueryTimeoutError) as caught:
                await client.query("up")
    assert str(caught.value) == (
        f"{url} accepted the request but did not answer within 0.5s (a slow query?); "
        "allow longer with --timeout SECONDS"
    )


async def test_a_login_page_is_not_prometheus() -> None:
    page = Reply(200, b"<html><form>login</form></html>", "text/html; charset=utf-8")
    with SmallServer(lambda _: page) as server:
        async with PromClient(Connection(url=server.url)) as client:
            with pytest.raises(NotPrometheusError) as caught:
                await client.query("up")
    message = str(caught.value)
    assert "HTTP 200" in message and "text/html" in message
    assert server.url in message


async def test_401_html_says_which_credential_is_missing() -> None:
    with SmallServer(needs_token("s3cret-token")) as server:
        async with PromClient(Connection(url=server.url)) as client:
            with pytest.raises(AuthError) as missing:
                await client.build_info()
        wrong = Connection(url=server.url, bearer_token="not-the-token")
        async with PromClient(wrong) as client:
            with pytest.raises(AuthError) as refused:
                await client.query("up")
        right = Connection(url=server.url, bearer_token="s3cret-token")
        async with PromClient(right) as client:
            info = await client.build_info()
    assert missing.value.status == 401
    assert "--token-file / PROMDASH_TOKEN" in str(missing.value)
    assert "refused the bearer token" in str(refused.value)
    assert "not-the-token" not in str(refused.value) and "not-the-token" not in repr(wrong)
    assert info.version == "2.99.0"
    assert server.requests[-1][2]["Authorization"] == "Bearer s3cret-token"


async def test_mimir_style_401_asks_for_a_tenant_header() -> None:
    reply = Reply(401, b"no org id\n", "text/plain")
    with SmallServer(lambda _: reply) as server:
        async with PromClient(Connection(url=server.url)) as client:
            with pytest.raises(AuthError, match="X-Scope-OrgID"):
                await client.query("up")
    tenant = Connection(url=server.url, headers={"X-Scope-OrgID": "team-a"})
    with SmallServer(prometheus_like) as server:
        async with PromClient(dataclasses.replace(tenant, url=server.url)) as client:
            await client.query("up")
        assert server.requests[0][2]["X-Scope-OrgID"] == "team-a"


async def test_503_is_retried_then_succeeds_but_400_is_not() -> None:
    calls: list[int] = []

    def flaky(handler: BaseHTTPRequestHandler) -> Reply:
        calls.append(1)
        if len(calls) < 3:
            return Reply(503, b"Service Unavailable", "text/plain")
        return prometheus_like(handler)

    with SmallServer(flaky) as server:
        async with PromClient(Connection(url=server.url)) as client:
            result = await client.query("up")
    assert len(calls) == 3 and len(result.vector) == 1

    bad = Reply(400, json.dumps({"status": "error", "errorType": "bad_data",
                                 "error": "1:1: parse error"}).encode())  # fmt: skip
    with SmallServer(lambda _: bad) as server:
        async with PromClient(Connection(url=server.url)) as client:
            with pytest.raises(BadQueryError):
                await client.query("(")
        assert len(server.requests) == 1


async def test_warnings_reach_the_result() -> None:
    body = json.dumps(
        {
            "status": "success",
            "data": {"resultType": "vector", "result": []},
            "warnings": ["PromQL warning: something"],
            "infos": ["PromQL info: metric might not be a counter"],
            "somethingNew": True,
        }
    ).encode()
    with SmallServer(lambda _: Reply(body=body)) as server:
        async with PromClient(Connection(url=server.url)) as client:
            result = await client.query("up")
    assert result.warnings == [
        "PromQL warning: something",
        "info: PromQL info: metric might not be a counter",
    ]


async def test_tls_needs_the_ca_or_insecure(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    with SmallServer(prometheus_like, tls=certs.server_context()) as server:
        async with PromClient(Connection(url=server.url, ca_file=str(certs.ca))) as client:
            assert (await client.build_info()).version == "2.99.0"
        async with PromClient(Connection(url=server.url)) as client:
            with pytest.raises(TLSError) as refused:
                await client.build_info()
        async with PromClient(Connection(url=server.url, insecure=True)) as client:
            assert (await client.build_info()).version == "2.99.0"
    message = str(refused.value)
    assert message.startswith(f"cannot reach {server.url}: TLS certificate verification failed")
    assert "--ca FILE" in message and "--insecure" in message
    assert isinstance(refused.value, UnreachableError)


# ---------------------------------------------------------------- helpers without a server


def test_utf8_metric_names_are_quoted_in_selectors() -> None:
    assert quote_metric_name("up") == "up"
    assert quote_metric_name("http.server.duration") == '{"http.server.duration"}'
    assert selector("up", {"job": "a"}) == 'up{job="a"}'
    assert selector("http.server.duration", {"service.name": 'x"y'}) == (
        '{"http.server.duration", "service.name"="x\\"y"}'
    )
    assert selector(None, {"job": "a"}) == '{job="a"}'
    assert escape_label_name_for_path("job") == "job"
    assert escape_label_name_for_path("service.name") == "U__service_2e_name"
    assert escape_label_name_for_path("a_b.c") == "U__a__b_2e_c"


def test_recorded_answers_decode() -> None:
    """tests/data/recorded (scripts/record-fixtures.py, from the demo stack) stays decodable."""
    from promdash.prom import wire

    recorded = Path(__file__).resolve().parent.parent / "data" / "recorded"

    def load(name: str) -> bytes:
        return (recorded / f"{name}.json").read_bytes()

    targets = wire.decode_targets(load("targets"))
    demo = [t for t in targets.active if t.scrape_pool == "example-random"]
    assert sorted(t.labels["group"] for t in demo) == ["canary", "production", "production"]
    (down,) = [t for t in demo if t.health == "down"]
    assert "connection refused" in down.last_error
    rules = {r.name: r for g in wire.decode_rules(load("rules")) for r in g.alerting}
    assert rules["RPCLatencyHigh"].state == "firing"
    (alert, *_) = wire.decode_alerts(load("alerts"))
    assert alert.labels["alertname"] and alert.active_at is not None
    assert wire.decode_metadata(load("metadata"))["rpc_durations_seconds"][0].type == "summary"
    assert "example-random" in wire.decode_names(load("label_job_values"))
    assert "__name__" in wire.decode_names(load("labels"))
    info = wire.decode_build_info(load("buildinfo"))
    assert info is not None and info.version.startswith("2.")
    assert wire.decode_query(load("query_up")).vector
    for name in ("query_range_up", "query_range_rpc_rate", "query_range_scrape_duration"):
        result = wire.decode_query(load(name), "/api/v1/query_range")
        assert result.matrix and all(len(s.values) > 1 for s in result.matrix), name
    with pytest.raises(BadQueryError, match="parse error"):
        wire.decode_query(load("query_bad_promql"), status=400)


async def test_alert_rules_that_read_the_same_are_decoded_once(tmp_path: Path) -> None:
    # A group evaluated every 10 s: between two evaluations every answer reads the same,
    # as most servers' rules do between polls (evaluated every minute, polled every 5 s).
    rules = """\
groups:
  - name: slow
    interval: 10s
    rules:
      - alert: Always
        expr: vector(1)
"""

    def last_evaluation(url: str) -> str:
        return str(_api(url, "rules")["groups"][0]["lastEvaluation"])

    def evaluated(url: str) -> bool:
        return last_evaluation(url)[:4] != "0001"

    with running_prometheus(
        tmp_path, SELF_SCRAPE, rules=rules, ready=evaluated, timeout=90
    ) as prometheus:
        async with PromClient(Connection(url=prometheus.url, timeout=5)) as client:
            for _ in range(3):  # again, if an evaluation came between the two asks
                before = last_evaluation(prometheus.url)
                first = await client.alert_rules(list_up_to=5)
                again = await client.alert_rules(list_up_to=5)
                if last_evaluation(prometheus.url) == before:
                    break
            assert [r.name for g in first for r in g.alerting] == ["Always"]
            assert first[0].alerting[0].listed and len(first[0].alerting[0].alerts) == 1
            assert again is first  # the same answer, not decoded again
            # Asked otherwise, the same answer is decoded as asked: counted, not listed.
            counted = await client.alert_rules(list_up_to=0)
            assert counted is not first and not counted[0].alerting[0].listed
            assert counted[0].alerting[0].count("firing") == 1
