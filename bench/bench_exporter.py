#!/usr/bin/env python3
"""/metrics latency and memory of the random exporter, beside a bare prometheus_client one.

    python bench/bench_exporter.py [--exporters 3] [--requests 500] [--settle 3]

Starts the exporters as the demo stack does (`python -m promdash.exporters.random`, one
process each) and, as the floor for any Python exporter, a process that only runs
prometheus_client.start_http_server over an empty registry. After --settle seconds of
observations it times --requests sequential GETs of /metrics per process, first with a new
connection per request, then over one kept-alive connection, and reads VmRSS (and the
VmHWM peak) from /proc/PID/status. Goals: p50 < 2 ms, RSS < 40 MB.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stackfiles import free_port  # noqa: E402

P50_GOAL_MS = 2.0
RSS_GOAL_MB = 40.0

BASELINE = """
import signal, sys
from prometheus_client import CollectorRegistry, start_http_server
stop = {signal.SIGTERM, signal.SIGINT}
signal.pthread_sigmask(signal.SIG_BLOCK, stop)
start_http_server(int(sys.argv[1]), addr="127.0.0.1", registry=CollectorRegistry())
signal.sigwait(stop)
"""


@dataclass
class Target:
    name: str
    port: int
    process: subprocess.Popen[bytes]


@dataclass
class Timing:
    mode: str
    milliseconds: list[float]
    reused: int
    body_bytes: int


def start(name: str, argv: list[str], port: int) -> Target:
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return Target(name, port, process)


def wait_ready(target: Target, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if target.process.poll() is not None:
            stderr = target.process.stderr.read().decode() if target.process.stderr else ""
            raise SystemExit(f"{target.name} exited with {target.process.returncode}:\n{stderr}")
        try:
            with socket.create_connection(("127.0.0.1", target.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{target.name} not listening after {timeout:.0f} s") from None
            time.sleep(0.05)


def get(connection: http.client.HTTPConnection, keep_alive: bool) -> tuple[bytes, bool]:
    """Body of GET /metrics, and whether the server keeps the connection open."""
    connection.request("GET", "/metrics", headers={} if keep_alive else {"Connection": "close"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET /metrics answered {response.status}")
    return body, not response.will_close


def time_requests(port: int, count: int, keep_alive: bool) -> Timing:
    samples: list[float] = []
    reused = 0
    body = b""
    persistent = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for _ in range(count):
            # http.client reconnects by itself when the server closed the previous one.
            connection = persistent if keep_alive else http.client.HTTPConnection("127.0.0.1", port)
            began = time.perf_counter()
            body, open_after = get(connection, keep_alive)
            samples.append((time.perf_counter() - began) * 1000)
            if keep_alive:
                reused += open_after
            else:
                connection.close()
    finally:
        persistent.close()
    return Timing("keep-alive" if keep_alive else "new conn", samples, reused, len(body))


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process, in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exporters", type=int, default=3)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before timing")
    args = parser.parse_args()

    targets: list[Target] = []
    try:
        for index in range(1, args.exporters + 1):
            port = free_port()
            argv = [sys.executable, "-m", "promdash.exporters.random"]
            targets.append(
                start(f"random-{index}", [*argv, f"--listen-address=127.0.0.1:{port}"], port)
            )
        port = free_port()
        targets.append(start("baseline", [sys.executable, "-c", BASELINE, str(port)], port))
        for target in targets:
            wait_ready(target)
        print(f"{len(targets)} processes up; letting them observe for {args.settle:.0f} s ...")
        time.sleep(args.settle)

        rows: list[tuple[Target, Timing]] = []
        for target in targets:
            for keep_alive in (False, True):
                time_requests(target.port, 20, keep_alive)  # warm-up, not counted
                rows.append((target, time_requests(target.port, args.requests, keep_alive)))
        memory = {target.name: memory_mb(target.process.pid) for target in targets}
    finally:
        for target in targets:
            if target.process.poll() is None:
                target.process.send_signal(signal.SIGTERM)
        for target in targets:
            try:
                target.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                target.process.kill()
                target.process.wait()

    print()
    goal = f"goal: p50 < {P50_GOAL_MS:g} ms"
    print(f"GET /metrics, {args.requests} sequential requests per row  ({goal})")
    columns = ("bytes", "p50 ms", "p90 ms", "p99 ms", "max ms", "reused")
    header = f"{'process':<11} {'connection':<11} " + " ".join(f"{c:>7}" for c in columns)
    header += "  goal"
    print(header)
    print("-" * len(header))
    for target, timing in rows:
        ms = timing.milliseconds
        p50 = statistics.median(ms)
        reused = f"{timing.reused}/{len(ms)}" if timing.mode == "keep-alive" else "-"
        verdict = "ok" if p50 < P50_GOAL_MS else "MISSED"
        print(
            f"{target.name:<11} {timing.mode:<11} {timing.body_bytes:>7} {p50:>7.3f} "
            f"{percentile(ms, 0.90):>7.3f} {percentile(ms, 0.99):>7.3f} {max(ms):>7.3f} "
            f"{reused:>7}  {verdict}"
        )
    print()
    print(f"Memory after the run  (goal: RSS < {RSS_GOAL_MB:g} MB)")
    header = f"{'process':<11} {'pid':>7} {'VmRSS MB':>9} {'VmHWM MB':>9}  goal"
    print(header)
    print("-" * len(header))
    for target in targets:
        rss, peak = memory[target.name]
        verdict = "ok" if rss < RSS_GOAL_MB else "MISSED"
        print(f"{target.name:<11} {target.process.pid:>7} {rss:>9.1f} {peak:>9.1f}  {verdict}")
    print()
    codes = ", ".join(f"{t.name} {t.process.returncode}" for t in targets)
    print(f"Exit codes after SIGTERM: {codes}")
    print("baseline = prometheus_client.start_http_server over an empty registry (the floor).")
    print("reused = responses after which the server kept the connection open.")


if __name__ == "__main__":
    main()
