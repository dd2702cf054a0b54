"""`promdash backtest` of a rule over 24 hours at a 15 s interval, beside curl (issue 14).

    PATH=.venv/bin:$PATH PYTHONPATH=. python bench/bench_backtest.py [-n 5] [--series 20]

Writes 24 hours of history as OpenMetrics (a gauge `bench_latency_seconds` for
--series instances, a sample every 15 s, each a slow wave with noise that crosses
0.8 a few times a day), turns it into TSDB blocks with Debian's
`promtool tsdb create-blocks-from openmetrics`, and starts Debian's Prometheus on
them (a temporary directory, a free 127.0.0.1 port; stopped at the end, also on
failure). Then backtests `bench_latency_seconds > 0.8` with `for: 5m` over the
24 hours every 15 s (5,760 evaluations):

- `promdash backtest` as a whole process, stdout a pipe, from spawn to exit
  (median of -n runs after one untimed warm-up, which also writes the bytecode
  cache, in a private folder, as an install has it), table and --json;
- the same in this process (the core alone: plan and backtest, no Python start-up),
  with every request counted and its answer's bytes summed, by endpoint;
- the baselines: curl of the very range query the backtest sends (same start, end
  and step), from spawn to exit, and its bytes; and the floor of any promdash
  command here, this Python importing what `backtest` imports, asking nothing.

The machine's load average is printed with the figures: other work shares its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promdash.backtest import Rule, backtest, plan  # noqa: E402
from promdash.config import Connection  # noqa: E402
from promdash.prom.client import PromClient  # noqa: E402
from tests.integration.prometheus import running_prometheus  # noqa: E402

DAY = 86400
EVERY = 15.0
EXPR = "bench_latency_seconds > 0.8"
HOLD = 300.0
# What `promdash backtest` imports before it asks anything.
FLOOR = (
    "import promdash.cli, promdash.prom.client, promdash.present.backtest, "
    "promdash.backtest, promdash.config"
)


def require(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if path is None:
        raise SystemExit(f"bench_backtest needs {name} (Debian: apt-get install prometheus)")
    return path


def promdash() -> list[str]:
    """The console script next to this Python, as a user runs it."""
    script = Path(os.path.abspath(sys.executable)).with_name("promdash")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "promdash.cli"]


def write_history(path: Path, series: int, end: float) -> int:
    """24 hours of the gauge, every 15 s, as OpenMetrics; returns the samples written."""
    rng = random.Random(14)
    count = 0
    with path.open("w") as out:
        out.write("# HELP bench_latency_seconds A made-up latency.\n")
        out.write("# TYPE bench_latency_seconds gauge\n")
        for i in range(series):
            phase = rng.uniform(0, 2 * math.pi)
            for k in range(int(DAY / EVERY)):
                t = end - DAY + k * EVERY
                value = 0.5 + 0.35 * math.sin(2 * math.pi * t / (6 * 3600) + phase)
                value += rng.gauss(0, 0.03)
                out.write(f'bench_latency_seconds{{instance="host-{i:02d}"}} {value:.4f} {t:.0f}\n')
                count += 1
        out.write("# EOF\n")
    return count


@contextmanager
def backfilled_prometheus(tmp: Path, series: int) -> Iterator[tuple[str, float]]:
    """Prometheus on 24 h of backfilled blocks; its URL and the end of the history."""
    promtool = require("promtool")
    end = math.floor(time.time() / EVERY) * EVERY - 60
    began = time.monotonic()
    samples = write_history(tmp / "history.om", series, end)
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(tmp / "history.om"),
         str(tmp / "data")],
        check=True, capture_output=True,
    )  # fmt: skip
    print(f"history: {samples:,} samples ({series} series x {int(DAY / EVERY):,}), "
          f"written and backfilled in {time.monotonic() - began:.1f} s")  # fmt: skip
    with running_prometheus(
        tmp, "global:\n  evaluation_interval: 15s\n", args=["--storage.tsdb.retention.time=30d"]
    ) as started:
        yield started.url, end


def timed(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[list[float], bytes]:
    """Wall times of `command` from spawn to exit (after one warm-up), and its output."""
    out = subprocess.run(command, capture_output=True, check=True, env=env).stdout
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - began)
    return times, out


def installed_env(tmp: Path) -> dict[str, str]:
    """The environment with bytecode caching on, in a private folder: as an installed
    promdash runs (pip writes .pyc files), even where PYTHONDONTWRITEBYTECODE is set."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


class Counting(httpx.AsyncHTTPTransport):
    """A transport that counts requests and answer bytes by endpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        body = await response.aread()
        self.requests[request.url.path] += 1
        self.bytes[request.url.path] += len(body)
        return httpx.Response(response.status_code, headers=response.headers, content=body)


async def in_process(url: str, start: float, end: float) -> tuple[float, Counting, int, int]:
    transport = Counting()
    began = time.perf_counter()
    async with PromClient(Connection(url=url, timeout=30), transport=transport) as client:
        rule = Rule("BenchLatencyHigh", EXPR, hold=HOLD)
        planned = await plan(client, rule, start, end, EVERY)
        result = await backtest(client, planned)
    return time.perf_counter() - began, transport, result.ticks.count, result.times_fired


def summary(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument("--series", type=int, default=20)
    args = parser.parse_args()
    curl = require("curl")
    with tempfile.TemporaryDirectory(prefix="promdash-bench-backtest-") as tmp, \
            backfilled_prometheus(Path(tmp), args.series) as (url, end):  # fmt: skip
        start = end - DAY
        flags = ["--url", url, "--expr", EXPR, "--for", "5m", "--every", "15s",
                 "--start", repr(start), "--end", repr(end)]  # fmt: skip
        env = installed_env(Path(tmp))
        table_times, table = timed([*promdash(), "backtest", *flags], args.runs, env)
        json_times, _ = timed([*promdash(), "backtest", *flags, "--json"], args.runs, env)
        core = [asyncio.run(in_process(url, start, end)) for _ in range(args.runs + 1)][1:]
        _, transport, evaluations, fired = core[-1]
        # The range query the backtest sends: its ticks and the warm-up of `for` before them.
        planned_first = math.ceil(start / EVERY) * EVERY - (math.ceil(HOLD / EVERY) + 1) * EVERY
        last = math.floor(end / EVERY) * EVERY
        query = f"{url}/api/v1/query_range"
        curl_cmd = [curl, "-s", "-G", query, "--data-urlencode", f"query={EXPR}",
                    "--data-urlencode", f"start={planned_first}", "--data-urlencode",
                    f"end={last}", "--data-urlencode", f"step={EVERY}"]  # fmt: skip
        curl_times, curl_body = timed(curl_cmd, args.runs)
        floor_times, _ = timed([sys.executable, "-c", FLOOR], args.runs, env)

    print(f"\nbacktest of `{EXPR}` for 5m over 24 h every 15 s: {evaluations:,} evaluations, "
          f"{args.series} series, fired {fired} times")  # fmt: skip
    print(f"  promdash backtest (table), process:  {summary(table_times)}")
    print(f"  promdash backtest --json, process:   {summary(json_times)}")
    print(f"  core in this process (plan+backtest): {summary([c[0] for c in core])}")
    print("  requests (core, one run):")
    for path, n in sorted(transport.requests.items()):
        print(f"    {path:<28} {n} request(s), {transport.bytes[path]:>10,} bytes")
    total = sum(transport.bytes.values())
    print(f"    {'total':<28} {sum(transport.requests.values())} request(s), {total:>10,} bytes")
    print(f"  baseline: curl of the same range query: {summary(curl_times)}, "
          f"{len(curl_body):,} bytes")  # fmt: skip
    print(f"  floor: this Python importing what backtest imports: {summary(floor_times)}")
    print(f"  load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  goal: under 1 s; promdash process / curl: "
          f"{statistics.median(table_times) / statistics.median(curl_times):.1f}x")  # fmt: skip
    print(f"\nfirst lines of the table:\n{table.decode().splitlines()[0]}\n"
          f"{table.decode().splitlines()[1]}\n{table.decode().splitlines()[2]}")  # fmt: skip


if __name__ == "__main__":
    main()
