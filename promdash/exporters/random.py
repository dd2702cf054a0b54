"""The random demo exporter: fictional RPC latencies, as client_golang's examples/random.

    python -m promdash.exporters.random [--listen-address=:8080] [--oscillation-period=10m]

It serves what the Go example (client_golang 1.14) serves, on /metrics only: a summary of
three services' latencies (uniform, normal and exponential), a histogram of the normal
one with exemplars, go_build_info and the scrape error counter. Flags are spelt as in Go,
with one or two dashes and the value after "=" or a space.

Exit codes: 0 stopped by SIGTERM or SIGINT, 1 cannot listen (other than the port being
taken), 2 bad flags, 3 the port is already in use.

One module (~450 lines) because it runs alone in a container: flags, metrics,
the three services' loops and the HTTP server ship together with quantiles.py only.
"""

from __future__ import annotations

import argparse
import bisect
import errno
import math
import random
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    make_wsgi_app,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString

from promdash import __version__
from promdash.exporters.quantiles import QuantileSummaryVec

EXIT_OK = 0
EXIT_CANNOT_LISTEN = 1
EXIT_BAD_FLAGS = 2  # what argparse exits with on usage errors, as Go's flag package does
EXIT_PORT_IN_USE = 3

MODULE_PATH = "promdash.exporters.random"
RPC_OBJECTIVES = {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
# Longer units first, so that "ms" is not read as "m" followed by a stray "s".
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration such as "10m", "90s", "1h30m" or "1.5h" (time.ParseDuration)."""
    sign, body = 1.0, text
    if body[:1] in ("+", "-"):
        sign, body = (-1.0 if body[0] == "-" else 1.0), body[1:]
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f'invalid duration "{text}"')
    seconds, position = 0.0, 0
    while position < len(body):
        part = _DURATION_PART.match(body, position)
        if part is None:
            raise ValueError(f'invalid duration "{text}"')
        seconds += float(part[1]) * _DURATION_UNITS[part[2]]
        position = part.end()
    return sign * seconds


def parse_listen_address(text: str) -> tuple[str, int]:
    """Host and port of a Go listen address: ":8080", "127.0.0.1:8080" or "[::1]:8080".

    An empty host means every interface. Go would also take a service name as the port;
    this exporter wants a number.
    """
    host, colon, port = text.rpartition(":")
    if not colon:
        raise ValueError(f"address {text}: missing port in address")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host or "[" in host or "]" in host:
        raise ValueError(f"address {text}: IPv6 hosts go in brackets, as in [::1]:8080")
    if not re.fullmatch(r"[0-9]{1,5}", port) or int(port) > 65535:
        raise ValueError(f"address {text}: invalid port {port!r}")
    return host, int(port)


@dataclass(frozen=True)
class Options:
    listen_address: str
    host: str
    port: int
    uniform_domain: float
    normal_domain: float
    normal_mean: float
    oscillation_period: float  # seconds


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Options from the command line; bad flags end the process with exit code 2."""
    parser = argparse.ArgumentParser(
        prog="python -m promdash.exporters.random",
        description="Expose fictional RPC latencies as Prometheus metrics.",
        allow_abbrev=False,
    )

    def flag(name: str, **kwargs: Any) -> None:
        parser.add_argument(f"-{name}", f"--{name}", dest=re.sub(r"[.-]", "_", name), **kwargs)

    flag(
        "listen-address",
        default=":8080",
        help="The address to listen on for HTTP requests. (default :8080)",
    )
    flag(
        "uniform.domain",
        type=float,
        default=0.0002,
        help="The domain for the uniform distribution. (default 0.0002)",
    )
    flag(
        "normal.domain",
        type=float,
        default=0.0002,
        help="The domain for the normal distribution. (default 0.0002)",
    )
    flag(
        "normal.mean",
        type=float,
        default=0.00001,
        help="The mean for the normal distribution. (default 1e-05)",
    )
    flag(
        "oscillation-period",
        default="10m",
        help="The duration of the rate oscillation period, in Go syntax. (default 10m)",
    )
    args = parser.parse_args(argv)
    try:
        host, port = parse_listen_address(args.listen_address)
        period = parse_go_duration(args.oscillation_period)
    except ValueError as error:
        parser.error(str(error))
    # Go would divide by zero, or panic on buckets that do not increase; say so instead.
    if period <= 0:
        parser.error(f"--oscillation-period must be positive, got {args.oscillation_period}")
    if not args.normal_domain > 0:
        parser.error(f"--normal.domain must be positive, got {args.normal_domain}")
    return Options(
        listen_address=args.listen_address,
        host=host,
        port=port,
        uniform_domain=args.uniform_domain,
        normal_domain=args.normal_domain,
        normal_mean=args.normal_mean,
        oscillation_period=period,
    )


def linear_buckets(start: float, width: float, count: int) -> list[float]:
    """Bucket bounds as Go's prometheus.LinearBuckets makes them.

    Adding the width step by step, rather than start + i * width, gives the same rounding
    as Go, so the `le` labels read exactly like the Go exporter's.
    """
    bounds = []
    for _ in range(count):
        bounds.append(start)
        start += width
    return bounds


class SignedHistogram:
    """A histogram that exposes _sum even when bucket bounds are negative.

    This exporter's buckets start below zero. OpenMetrics 1.0 forbids _sum beside negative
    bounds, so prometheus_client's Histogram leaves it out, in every format; client_golang
    writes it in every format, and Prometheus ingests it. We follow client_golang, as we
    do for the negative quantiles of the normal service, which OpenMetrics forbids too.
    """

    def __init__(self, name: str, documentation: str, bounds: Sequence[float]) -> None:
        self._name = name
        self._documentation = documentation
        self._bounds = [*bounds, math.inf]
        # Formatted once: scrapes are frequent and the bounds never change.
        # prometheus_client leaves floatToGoString unannotated.
        self._le_labels = [
            floatToGoString(b)  # type: ignore[no-untyped-call]
            for b in self._bounds
        ]
        self._lock = threading.Lock()
        self._counts = [0] * len(self._bounds)
        self._exemplars: list[Exemplar | None] = [None] * len(self._bounds)
        self._sum = 0.0

    def observe(self, value: float, exemplar: Mapping[str, str] | None = None) -> None:
        # Buckets hold values up to and including their bound: the first bound >= value.
        index = bisect.bisect_left(self._bounds, value)
        with self._lock:
            self._counts[index] += 1
            self._sum += value
            if exemplar is not None:
                self._exemplars[index] = Exemplar(dict(exemplar), value, time.time())

    def describe(self) -> Iterator[Metric]:
        yield Metric(self._name, self._documentation, "histogram")

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            counts, exemplars, total = list(self._counts), list(self._exemplars), self._sum
        family = Metric(self._name, self._documentation, "histogram")
        cumulative = 0
        for le, count, exemplar in zip(self._le_labels, counts, exemplars, strict=True):
            cumulative += count
            family.add_sample(f"{self._name}_bucket", {"le": le}, cumulative, exemplar=exemplar)
        family.add_sample(f"{self._name}_sum", {}, total)
        family.add_sample(f"{self._name}_count", {}, cumulative)
        yield family


@dataclass(frozen=True)
class RandomMetrics:
    registry: CollectorRegistry
    rpc_durations: QuantileSummaryVec
    rpc_durations_histogram: SignedHistogram
    handler_errors: Counter


def build_metrics(
    normal_mean: float,
    normal_domain: float,
    clock: Callable[[], float] = time.monotonic,
) -> RandomMetrics:
    """A registry with the same families as the Go example's."""
    registry = CollectorRegistry()
    rpc_durations = QuantileSummaryVec(
        "rpc_durations_seconds",
        "RPC latency distributions.",
        ["service"],
        RPC_OBJECTIVES,
        clock=clock,
    )
    # 20 buckets centred on the mean, each half a sigma wide.
    histogram = SignedHistogram(
        "rpc_durations_histogram_seconds",
        "RPC latency distributions.",
        linear_buckets(normal_mean - 5 * normal_domain, 0.5 * normal_domain, 20),
    )
    build_info = Gauge(
        "go_build_info",
        "Build information about the main Go module.",
        ["checksum", "path", "version"],
        registry=registry,
    )
    build_info.labels(checksum="", path=MODULE_PATH, version=__version__).set(1)
    handler_errors = Counter(
        "promhttp_metric_handler_errors",
        "Total number of internal errors encountered by the promhttp metric handler.",
        ["cause"],
        registry=registry,
    )
    for cause in ("encoding", "gathering"):
        handler_errors.labels(cause=cause)
    # Families in name order, as client_golang writes them.
    registry.register(histogram)
    registry.register(rpc_durations)
    return RandomMetrics(registry, rpc_durations, histogram, handler_errors)


def metrics_app(metrics: RandomMetrics) -> WSGIApplication:
    """/metrics in the format the scraper asks for (text 0.0.4 or OpenMetrics); 404 elsewhere."""
    render = make_wsgi_app(metrics.registry)
    handler_errors = metrics.handler_errors

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"404 page not found\n"]
        try:
            body: Iterable[bytes] = render(environ, start_response)
        except Exception:
            # prometheus_client collects and encodes in one call, so every failure counts
            # as "gathering": a collector is the part that can fail.
            handler_errors.labels(cause="gathering").inc()
            start_response(
                "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")]
            )
            return [b"An error has occurred while serving metrics.\n"]
        return body

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # A line per scrape every few seconds would bury anything worth reading.
        pass


class MetricsServer(ThreadingWSGIServer):
    """prometheus_client's thread-per-request WSGI server, bound like Go's net.Listen."""

    # Prometheus and the bench may connect faster than one accept loop turn.
    request_queue_size = 128

    def __init__(self, host: str, port: int, family: socket.AddressFamily) -> None:
        self.address_family = family
        super().__init__((host, port), _QuietHandler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6 and self.server_address[0] == "::":
            # The IPv6 wildcard takes IPv4 too, as Go's listener on [::] does.
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def bind(host: str, port: int) -> MetricsServer:
    """A server listening on host:port; raises OSError when it cannot."""
    if not host:
        if socket.has_dualstack_ipv6():
            return MetricsServer("::", port, socket.AF_INET6)
        return MetricsServer("0.0.0.0", port, socket.AF_INET)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    # Go listens on the IPv4 address when a name has both, e.g. localhost.
    family, _, _, _, address = min(infos, key=lambda info: info[0] != socket.AF_INET)
    return MetricsServer(str(address[0]), port, family)


def oscillation(period: float) -> Callable[[], float]:
    """The Go example's oscillationFactor: between 2 - sin(1) and 2 + sin(1), over period."""
    start = time.monotonic()

    def factor() -> float:
        return 2 + math.sin(math.sin(2 * math.pi * (time.monotonic() - start) / period))

    return factor


def _observe_until(
    stop: threading.Event,
    observe: Callable[[], None],
    base_ms: int,
    factor: Callable[[], float],
) -> None:
    while True:
        observe()
        # Go turns base * factor into a Duration of whole milliseconds, dropping the rest.
        if stop.wait(int(base_ms * factor()) / 1000):
            return


def start_observers(metrics: RandomMetrics, options: Options, stop: threading.Event) -> None:
    """One thread per service, observing at the Go example's pace until stop is set."""
    factor = oscillation(options.oscillation_period)
    uniform = metrics.rpc_durations.labels("uniform")
    normal = metrics.rpc_durations.labels("normal")
    exponential = metrics.rpc_durations.labels("exponential")
    histogram = metrics.rpc_durations_histogram
    # A generator per thread: random.gauss keeps state between calls and is not thread-safe.
    uniform_rng, normal_rng, exponential_rng = random.Random(), random.Random(), random.Random()

    def observe_uniform() -> None:
        uniform.observe(uniform_rng.random() * options.uniform_domain)

    def observe_normal() -> None:
        value = normal_rng.gauss() * options.normal_domain + options.normal_mean
        normal.observe(value)
        # A stand-in for a trace ID, as in the Go example; only OpenMetrics shows it.
        histogram.observe(value, exemplar={"dummyID": str(normal_rng.randrange(100000))})

    def observe_exponential() -> None:
        exponential.observe(exponential_rng.expovariate(1.0) / 1e6)

    # Base sleeps as in client_golang 1.14; the reference scrape's counts (15 uniform,
    # 20 normal, 30 exponential) match these 100/75/50 ms paces.
    for name, observe, base_ms in (
        ("uniform", observe_uniform, 100),
        ("normal", observe_normal, 75),
        ("exponential", observe_exponential, 50),
    ):
        threading.Thread(
            target=_observe_until,
            args=(stop, observe, base_ms, factor),
            name=f"observe-{name}",
            daemon=True,
        ).start()


def main(argv: Sequence[str] | None = None) -> int:
    # Handlers first, so a Ctrl-C during start-up ends as cleanly as one later on.
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    options = parse_args(argv)
    # client_golang has no _created series; without this the error counter would gain one.
    disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream
    metrics = build_metrics(options.normal_mean, options.normal_domain)
    try:
        server = bind(options.host, options.port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"random exporter: port {options.port} is already in use", file=sys.stderr)
            return EXIT_PORT_IN_USE
        reason = error.strerror or str(error)
        print(
            f"random exporter: cannot listen on {options.listen_address}: {reason}",
            file=sys.stderr,
        )
        return EXIT_CANNOT_LISTEN
    server.set_app(metrics_app(metrics))
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    start_observers(metrics, options, stop)
    # One line, as most exporters write at start: its log is never empty, and says where.
    print(
        f"random exporter: serving /metrics on {options.listen_address}",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    server.shutdown()
    server.server_close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
