"""The random demo exporter: its output against client_golang's, its quantiles, its flags.

Exporters run as real subprocesses on real sockets; the quantile tests feed the real
estimator, with a hand-driven clock where the sliding window is concerned.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from promdash.exporters.quantiles import (
    QuantileStream,
    QuantileSummaryVec,
    SlidingWindowQuantiles,
    Target,
)
from promdash.exporters.random import (
    RPC_OBJECTIVES,
    build_metrics,
    linear_buckets,
    metrics_app,
    parse_args,
    parse_go_duration,
    parse_listen_address,
)
from tests.stackfiles import free_port

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "data" / "client_golang-random.metrics.txt"
TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# What Prometheus 2.x and 3.x send when scraping.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
TARGETS = [Target(q, e) for q, e in sorted(RPC_OBJECTIVES.items())]


@dataclass
class Exporter:
    process: subprocess.Popen[str]
    port: int

    def get(self, path: str = "/metrics", accept: str | None = None) -> tuple[str, str]:
        """Content-Type and body of a GET on 127.0.0.1."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if accept is not None:
            request.add_header("Accept", accept)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.headers["Content-Type"], response.read().decode()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, str]:
        """Exit code and stderr after sig."""
        self.process.send_signal(sig)
        _, stderr = self.process.communicate(timeout=10)
        return self.process.returncode, stderr


def run_exporter(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "promdash.exporters.random", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def started(listen_address: str, port: int, *args: str) -> Iterator[Exporter]:
    """An exporter answering on 127.0.0.1:port, stopped (if still running) on the way out."""
    exporter = Exporter(run_exporter(f"--listen-address={listen_address}", *args), port)
    try:
        deadline = time.monotonic() + 15
        while True:
            if exporter.process.poll() is not None:
                _, stderr = exporter.process.communicate()
                pytest.fail(f"exporter exited with {exporter.process.returncode}:\n{stderr}")
            try:
                exporter.get()
                break
            except OSError:
                if time.monotonic() > deadline:
                    exporter.process.kill()
                    _, stderr = exporter.process.communicate()
                    pytest.fail(f"exporter not answering after 15 s; stderr:\n{stderr}")
                time.sleep(0.05)
        yield exporter
    finally:
        if exporter.process.poll() is None:
            exporter.process.kill()
            exporter.process.communicate()


@pytest.fixture(scope="module")
def exporter() -> Iterator[Exporter]:
    port = free_port()
    with started(f"127.0.0.1:{port}", port) as running:
        # About a second of observations, as in the reference scrape.
        time.sleep(1.0)
        yield running


def by_name(text: str) -> dict[str, Metric]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def label_names(family: Metric) -> dict[str, set[frozenset[str]]]:
    names: dict[str, set[frozenset[str]]] = {}
    for sample in family.samples:
        names.setdefault(sample.name, set()).add(frozenset(sample.labels))
    return names


def bucket_bounds(family: Metric) -> list[str]:
    return [s.labels["le"] for s in family.samples if s.name.endswith("_bucket")]


def quantiles_by_service(family: Metric) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for sample in family.samples:
        if "quantile" in sample.labels:
            found.setdefault(sample.labels["service"], []).append(sample.labels["quantile"])
    return found


# --- what the exporter serves, against the Go exporter's scrape ---


def test_families_match_client_golang(exporter: Exporter) -> None:
    content_type, body = exporter.get()
    ours, reference = by_name(body), by_name(REFERENCE.read_text())

    assert content_type == TEXT_CONTENT_TYPE
    assert sorted(ours) == sorted(reference)
    for name, expected in reference.items():
        family = ours[name]
        assert (family.type, family.documentation) == (expected.type, expected.documentation)
        assert label_names(family) == label_names(expected), name
    histogram = "rpc_durations_histogram_seconds"
    assert bucket_bounds(ours[histogram]) == bucket_bounds(reference[histogram])
    summary = "rpc_durations_seconds"
    assert quantiles_by_service(ours[summary]) == quantiles_by_service(reference[summary])


def test_observations_arrive_at_the_go_pace(exporter: Exporter) -> None:
    # Per second: uniform every 100 ms, normal 75 ms, exponential 50 ms, times 1.16-2.84.
    counts = {
        sample.labels["service"]: sample.value
        for sample in by_name(exporter.get()[1])["rpc_durations_seconds"].samples
        if sample.name.endswith("_count")
    }
    assert counts["uniform"] < counts["normal"] < counts["exponential"]


def test_openmetrics_when_the_scraper_asks(exporter: Exporter) -> None:
    content_type, body = exporter.get(accept=PROMETHEUS_ACCEPT)

    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert body.endswith("# EOF\n")
    families = set(re.findall(r"^# TYPE (\S+) ", body, re.MULTILINE))
    assert families == set(by_name(REFERENCE.read_text()))
    # Exemplars exist only in OpenMetrics: the Go example attaches a dummyID to each.
    assert re.search(r'_bucket\{le="[^"]+"\} \S+ # \{dummyID="\d+"\}', body)


def test_other_paths_are_not_found(exporter: Exporter) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        exporter.get("/")
    assert raised.value.code == 404


class BrokenCollector:
    def collect(self) -> Iterator[Metric]:
        raise RuntimeError("cannot gather")


def test_a_failing_collector_is_counted_and_answered_500() -> None:
    metrics = build_metrics(normal_mean=0.00001, normal_domain=0.0002)
    broken = BrokenCollector()
    metrics.registry.register(broken)
    environ: dict[str, Any] = {"PATH_INFO": "/metrics"}
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    body = b"".join(metrics_app(metrics)(environ, start_response))
    metrics.registry.unregister(broken)

    assert statuses == ["500 Internal Server Error"]
    assert b"error" in body
    errors = "promhttp_metric_handler_errors_total"
    assert metrics.registry.get_sample_value(errors, {"cause": "gathering"}) == 1
    assert metrics.registry.get_sample_value(errors, {"cause": "encoding"}) == 0


def test_bucket_bounds_are_gos_linear_buckets() -> None:
    # What prometheus.LinearBuckets(1e-5 - 5*2e-4, .5*2e-4, 20) gives, as Go prints them.
    bounds = linear_buckets(0.00001 - 5 * 0.0002, 0.5 * 0.0002, 20)
    assert [repr(b) for b in bounds[:3]] == ["-0.00099", "-0.00089", "-0.0007899999999999999"]
    assert repr(bounds[-1]) == "0.0009100000000000004"


# --- quantile accuracy ---


def rank_error(ordered: list[float], value: float, quantile: float) -> float:
    """How far, as a fraction of n, the ranks value holds in ordered are from quantile."""
    low = bisect.bisect_left(ordered, value) / len(ordered)
    high = bisect.bisect_right(ordered, value) / len(ordered)
    return max(low - quantile, quantile - high, 0.0)


DISTRIBUTIONS: dict[str, tuple[Callable[[random.Random], float], Callable[[float], float]]] = {
    "uniform": (lambda rng: rng.random(), lambda x: x),
    "exponential": (lambda rng: rng.expovariate(1.0), lambda x: 1.0 - math.exp(-x)),
    "normal": (lambda rng: rng.gauss(0.0, 1.0), NormalDist().cdf),
}


@pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
def test_stream_quantiles_stay_within_their_rank_error(distribution: str) -> None:
    draw, cdf = DISTRIBUTIONS[distribution]
    rng = random.Random(20240229)
    values = [draw(rng) for _ in range(100_000)]
    stream = QuantileStream(TARGETS)
    for value in values:
        stream.insert(value)
    ordered = sorted(values)

    for target in TARGETS:
        estimate = stream.query(target.quantile)
        assert rank_error(ordered, estimate, target.quantile) <= target.error
        # Against the distribution itself the sample adds its own spread: allow 4 sigma.
        spread = 4 * math.sqrt(target.quantile * (1 - target.quantile) / len(values))
        assert abs(cdf(estimate) - target.quantile) <= target.error + spread
    # A summary, not a copy: 100k values are held in a few dozen tuples.
    assert stream.count == len(values)
    assert stream.size < 200


@pytest.mark.parametrize("drift", [0.0, 1.0])
def test_stream_quantiles_hold_with_small_batches_and_drift(drift: float) -> None:
    # Every scrape flushes the buffer, so batches are often small, and real latencies drift.
    # (With this seed, checking the invariant only at the rank below, as the paper does,
    # misses the 0.9 bound by 4-5%.)
    rng = random.Random(1)
    count = 30_000
    values = [drift * i / count + rng.random() * 0.1 for i in range(count)]
    stream = QuantileStream(TARGETS, buffer_size=100)
    for value in values:
        stream.insert(value)
    ordered = sorted(values)

    for target in TARGETS:
        assert rank_error(ordered, stream.query(target.quantile), target.quantile) <= target.error


def test_stream_is_exact_while_small_and_nan_when_empty() -> None:
    stream = QuantileStream(TARGETS)
    assert math.isnan(stream.query(0.5))
    for value in range(1, 11):
        stream.insert(float(value))
    assert [stream.query(t.quantile) for t in TARGETS] == [5.0, 9.0, 10.0]


def test_summary_collector_reports_accurate_quantiles() -> None:
    summary = QuantileSummaryVec("latency_seconds", "Latency.", ["service"], RPC_OBJECTIVES)
    rng = random.Random(7)
    values = [rng.random() for _ in range(100_000)]
    child = summary.labels("uniform")
    for value in values:
        child.observe(value)
    ordered = sorted(values)

    (family,) = summary.collect()
    samples = {(s.name, s.labels.get("quantile")): s.value for s in family.samples}
    assert samples[("latency_seconds_count", None)] == len(values)
    assert samples[("latency_seconds_sum", None)] == pytest.approx(sum(values))
    for quantile, error in RPC_OBJECTIVES.items():
        estimate = samples[("latency_seconds", str(quantile))]
        assert rank_error(ordered, estimate, quantile) <= error


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_window_drops_observations_older_than_max_age() -> None:
    clock = FakeClock()
    window = SlidingWindowQuantiles(TARGETS, max_age=10.0, age_buckets=5, clock=clock)
    for _ in range(1000):
        window.observe(1.0)
    clock.now = 5.0
    for _ in range(1000):
        window.observe(2.0)

    # Anything younger than max_age * (1 - 1/age_buckets) = 8 s is always in the window.
    clock.now = 7.9
    assert window.count == 2000
    clock.now = 10.01  # the 1.0s are now older than max_age
    assert window.count == 1000
    assert {window.query(t.quantile) for t in TARGETS} == {2.0}
    clock.now = 12.9  # the 2.0s are 7.9 s old
    assert window.count == 1000
    clock.now = 15.01
    assert window.count == 0
    assert all(math.isnan(window.query(t.quantile)) for t in TARGETS)


def test_summary_keeps_count_and_sum_when_the_window_empties() -> None:
    clock = FakeClock()
    summary = QuantileSummaryVec("x", "X.", ["service"], RPC_OBJECTIVES, 10.0, 5, clock)
    summary.labels("a").observe(3.0)
    clock.now = 60.0

    (family,) = summary.collect()
    values = {(s.name, s.labels.get("quantile")): s.value for s in family.samples}
    # Prometheus summaries: count and sum are cumulative, quantiles only cover the window.
    assert values[("x_count", None)] == 1
    assert values[("x_sum", None)] == 3.0
    assert all(math.isnan(values[("x", str(q))]) for q in RPC_OBJECTIVES)


# --- flags ---


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600.0),
        ("90s", 90.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("300ms", 0.3),
        ("2h45m30.5s", 9930.5),
        ("1µs", 1e-6),
        ("-1m", -60.0),
        ("0", 0.0),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "m", "1x", "1h 30m", "h1", "1m-", "--1m"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (":8080", ("", 8080)),
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        ("0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("[::1]:8080", ("::1", 8080)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_listen_addresses(text: str, address: tuple[str, int]) -> None:
    assert parse_listen_address(text) == address


@pytest.mark.parametrize("text", ["8080", "::1:8080", "host:", "host:http", ":65536", ""])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="address"):
        parse_listen_address(text)


def test_flag_defaults_are_the_go_examples() -> None:
    options = parse_args([])
    assert (options.host, options.port) == ("", 8080)
    assert options.uniform_domain == 0.0002
    assert options.normal_domain == 0.0002
    assert options.normal_mean == 0.00001
    assert options.oscillation_period == 600.0


def test_flags_take_go_spellings() -> None:
    options = parse_args(
        ["-listen-address", "127.0.0.1:9000", "--oscillation-period=1h30m", "-normal.mean=0.5"]
    )
    assert (options.host, options.port) == ("127.0.0.1", 9000)
    assert options.oscillation_period == 5400.0
    assert options.normal_mean == 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--oscillation-period=10"], 'invalid duration "10"'),
        (["--oscillation-period=0s"], "must be positive"),
        (["--listen-address=8080"], "missing port"),
        (["--normal.domain=-1"], "must be positive"),
    ],
)
def test_bad_flags_exit_2_with_one_message(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promdash.exporters.random", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("blocker_host", "listen_host"), [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "")]
)
def test_port_in_use_exits_3_with_one_line(blocker_host: str, listen_host: str) -> None:
    with socket.socket() as blocker:
        blocker.bind((blocker_host, 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        process = run_exporter(f"--listen-address={listen_host}:{port}")
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 3
    assert stderr == f"random exporter: port {port} is already in use\n"


@pytest.mark.parametrize("address", ["192.0.2.1:8080", "no-such-host.invalid:8080"])
def test_unusable_address_exits_1_with_one_line(address: str) -> None:
    process = run_exporter(f"--listen-address={address}")
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 1
    assert stderr.startswith(f"random exporter: cannot listen on {address}: ")
    assert stderr.count("\n") == 1


def test_empty_host_listens_on_every_interface() -> None:
    port = free_port()
    with started(f":{port}", port) as running:
        assert running.get()[0] == TEXT_CONTENT_TYPE
        if socket.has_dualstack_ipv6():
            with urllib.request.urlopen(f"http://[::1]:{port}/metrics", timeout=5) as response:
                assert response.status == 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_it_cleanly(sig: signal.Signals) -> None:
    port = free_port()
    with started(f"127.0.0.1:{port}", port) as running:
        code, stderr = running.stop(sig)
    # Its one start-up line, and nothing else (no traceback on the way out).
    assert (code, stderr) == (0, f"random exporter: serving /metrics on 127.0.0.1:{port}\n")
