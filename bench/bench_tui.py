"""The dashboard's figures at 120x40, printed beside their goals.

    python bench/bench_tui.py [--cpu-seconds 60] [--rss-minutes 10] [--runs 3]

Starts its own demo stack on the local runtime (real Prometheus, real exporters,
free ports, a private state directory), then measures:

- Python import time of the dashboard (fresh interpreter), reported on its own;
- launch → first screen showing every target's health: `promdash --url URL` in a
  real terminal (tmux, private socket), timed until `capture-pane` shows every
  target with its health; the median of --runs;
- CPU of the app process while live-tailing a 15m graph (3 series) with the
  targets and alerts panels on screen (grid layout), refreshing every 5 s, over
  --cpu-seconds; beside the same app paused (nothing fetched or drawn);
- one refresh of the Targets panel with 2,000 targets (in-process, 120x40): the
  panel's work plus the screen update, steady state (ages change every refresh);
- one graph redraw with 20 series x 120 points at the plot's size in 120x40;
- RSS of the app process while tailing (refreshing every 5 s) over --rss-minutes,
  sampled every 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATE = tempfile.mkdtemp(prefix="promdash-bench-tui-")
os.environ["PROMDASH_STATE_DIR"] = STATE
os.environ["PROMDASH_CONFIG"] = str(Path(STATE) / "config.yaml")
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

from promdash.stack.local import LocalRuntime  # noqa: E402
from promdash.stack.model import parse_stack  # noqa: E402
from tests.stackfiles import demo_stack_text, free_port  # noqa: E402

QUERY = "sum by (instance) (rate(rpc_durations_seconds_count[1m]))"
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- a real terminal


_SOCKETS = itertools.count()


class Tmux:
    def __init__(self) -> None:
        binary = shutil.which("tmux")
        if binary is None:
            raise SystemExit("bench_tui needs tmux")
        # A socket of its own each time: a server just killed may still hold the last one.
        self.cmd = [binary, "-L", f"promdash-bench-{os.getpid()}-{next(_SOCKETS)}"]

    def start(self, argv: list[str]) -> None:
        env = [f"PROMDASH_STATE_DIR={STATE}", f"PROMDASH_CONFIG={os.environ['PROMDASH_CONFIG']}"]
        command = " ".join(
            ["exec", "env", "-u", "COLUMNS", "-u", "LINES", *env, *map(shlex.quote, argv)]
        )
        subprocess.run(
            [*self.cmd, "new-session", "-d", "-x", "120", "-y", "40", "-s", "bench", command],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            [*self.cmd, "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.cmd, "send-keys", "-t", "bench", *keys], check=True)

    def app_pid(self) -> int:
        shell = int(
            subprocess.run(
                [*self.cmd, "display-message", "-p", "-t", "bench", "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        return shell  # `exec` makes the pane's process the app itself

    def stop(self) -> None:
        subprocess.run([*self.cmd, "kill-server"], capture_output=True)


def launcher() -> list[str]:
    """The installed console script next to this Python (not a pyenv shim, ~0.07 s more)."""
    script = Path(sys.executable).with_name("promdash")
    if script.is_file():
        return [str(script)]
    program = shutil.which("promdash")
    return [program] if program else [sys.executable, "-m", "promdash.cli"]


def promdash_argv(url: str, *extra: str) -> list[str]:
    return [*launcher(), "--url", url, *extra]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


# ---------------------------------------------------------------- figures


def import_time() -> float:
    def run(code: str) -> float:
        best = math.inf
        for _ in range(3):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - began)
        return best

    return run("import promdash.tui.app") - run("pass")


def launch_time(url: str, ports: list[int], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        tmux = Tmux()
        began = time.perf_counter()
        tmux.start(promdash_argv(url))
        try:
            while True:
                screen = tmux.screen()
                rows = [line for line in screen.splitlines() if "/metrics" in line]
                if all(
                    any(f":{p}/metrics" in r and (" up " in r or " down " in r) for r in rows)
                    for p in ports
                ):
                    times.append(time.perf_counter() - began)
                    break
                if time.perf_counter() - began > 20:
                    raise SystemExit(f"the dashboard did not show every target:\n{screen}")
                time.sleep(0.01)
        finally:
            tmux.stop()
        time.sleep(0.5)
    return times


def cpu_share(url: str, seconds: float, paused: bool) -> float:
    tmux = Tmux()
    tmux.start(promdash_argv(url, "--layout", "grid", "--refresh", "5s", "--query", QUERY))
    try:
        time.sleep(6)  # start-up and the first polls are not the steady state
        if paused:
            tmux.keys("p")
            time.sleep(1)
        pid = tmux.app_pid()
        before = cpu_seconds(pid)
        began = time.monotonic()
        time.sleep(seconds)
        used = cpu_seconds(pid) - before
        return 100 * used / (time.monotonic() - began)
    finally:
        tmux.stop()


def rss_over(url: str, minutes: float, refresh: str = "5s") -> list[tuple[float, float]]:
    tmux = Tmux()
    tmux.start(promdash_argv(url, "--layout", "grid", "--refresh", refresh, "--query", QUERY))
    samples = []
    try:
        time.sleep(5)
        pid = tmux.app_pid()
        began = time.monotonic()
        while True:
            elapsed = time.monotonic() - began
            samples.append((elapsed / 60, rss_mb(pid)))
            if elapsed >= minutes * 60:
                break
            time.sleep(min(30, minutes * 60 - elapsed) or 1)
    finally:
        tmux.stop()
    return samples


def synthetic_targets(count: int, now: float, seed: int) -> object:
    """2,000 targets in 20 pools, 3% down with an error; ages move with `seed`."""
    from promdash.prom.types import Target, Targets

    targets = []
    for i in range(count):
        pool = f"job-{i % 20:02d}"
        url = f"http://10.0.{i // 250}.{i % 250}:9100/metrics"
        down = i % 33 == 0
        targets.append(
            Target(
                scrape_pool=pool,
                scrape_url=url,
                labels={"instance": url[7:-8], "job": pool, "zone": f"z{i % 3}"},
                discovered_labels={},
                health="down" if down else "up",
                last_error=f'Get "{url}": dial tcp: connection refused' if down else "",
                last_scrape=datetime.fromtimestamp(now - (i + seed) % 15, UTC),
                last_scrape_duration=0.001 + (i % 7) / 1000,
                scrape_interval="15s",
                scrape_timeout="10s",
            )
        )
    return Targets(active=targets)


async def refresh_2000() -> tuple[float, float]:
    from promdash.config import Connection
    from promdash.tui.app import make_app
    from promdash.tui.messages import TargetsFetched
    from promdash.tui.settings import DashSettings

    now = time.time()
    app = make_app(
        DashSettings(
            connection=Connection(url=f"http://127.0.0.1:{free_port()}"),
            clock=lambda: now,
            catalog=False,
            refresh=3600,
        )
    )
    first = 0.0
    steady: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        for seed in range(31):
            targets = synthetic_targets(2000, now, seed)
            began = time.process_time()
            app.dashboard.post_message(TargetsFetched(targets, now))
            await pilot.pause()
            took = time.process_time() - began
            if seed == 0:
                first = took
            else:
                steady.append(took)
    return first, statistics.median(steady)


def graph_redraw() -> tuple[float, tuple[int, int]]:
    from promdash.tui.plot import PlotLine, render_plot
    from promdash.tui.themes import VARIABLE_DEFAULTS, plot_colours

    now = 1_700_000_000.0
    colours = plot_colours(VARIABLE_DEFAULTS)
    lines = [
        PlotLine(
            f"s{k}",
            [now - 900 + i * 7.5 for i in range(120)],
            [math.sin(i / 9 + k) * (k + 1) + k for i in range(120)],
            colours[k % len(colours)],
        )
        for k in range(20)
    ]
    size = (118, 27)  # the plot's area in the Graph panel at 120x40
    took = []
    for _ in range(30):
        began = time.perf_counter()
        render_plot(
            lines,
            width=size[0],
            height=size[1],
            start=now - 900,
            end=now,
            step=7.5,
            axes=(128, 128, 128),
        )
        took.append(time.perf_counter() - began)
    return statistics.median(took), size


# ---------------------------------------------------------------- the stack


@contextmanager
def demo_stack() -> Iterator[tuple[str, list[int]]]:
    ports = [free_port(), free_port(), free_port()]
    text = demo_stack_text(
        "bench-tui", prometheus_port=free_port(), exporter_ports=(ports[0], ports[1], ports[2])
    )
    workdir = Path(STATE) / "stack"
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "stack.yaml"
    path.write_text(text)
    runtime = LocalRuntime()
    state = runtime.up(parse_stack(text, path), without=[], timeout=60)
    try:
        yield state.prometheus_url, ports
    finally:
        runtime.down(state, volumes=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-seconds", type=float, default=60.0)
    parser.add_argument("--rss-minutes", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []

    def report(figure: str, measured: str, goal: str) -> None:
        rows.append((figure, measured, goal))
        print(f"  … {figure}: {measured}", file=sys.stderr, flush=True)

    report("import promdash.tui.app (fresh interpreter)", f"{import_time():.3f} s", "reported")
    redraw, size = graph_redraw()
    report(
        f"one graph redraw, 20 series x 120 points ({size[0]}x{size[1]})",
        f"{redraw * 1000:.1f} ms",
        "< 30 ms",
    )
    first, steady = asyncio.run(refresh_2000())
    report(
        "one refresh, 2,000 targets (steady: cells in place)", f"{steady * 1000:.1f} ms", "< 50 ms"
    )
    report("  first refresh, 2,000 targets (table built)", f"{first * 1000:.1f} ms", "reported")

    with demo_stack() as (url, ports):
        time.sleep(20)  # a little history for the graph
        launches = launch_time(url, ports, args.runs)
        report(
            f"launch → every target's health on screen (tmux, median of {args.runs})",
            f"{statistics.median(launches):.3f} s",
            "< 1.0 s",
        )
        tailing = cpu_share(url, args.cpu_seconds, paused=False)
        report(
            f"CPU tailing 15m graph + targets + alerts, 5 s refresh, {args.cpu_seconds:g} s",
            f"{tailing:.2f} % of a core",
            "< 3 %",
        )
        idle = cpu_share(url, args.cpu_seconds, paused=True)
        report(
            f"CPU same app paused (idle), {args.cpu_seconds:g} s",
            f"{idle:.2f} % of a core",
            "baseline",
        )
        samples = rss_over(url, args.rss_minutes)
        start_mb, end_mb = samples[0][1], samples[-1][1]
        peak = max(mb for _, mb in samples)
        report(
            f"RSS tailing for {args.rss_minutes:g} min (start → end, peak)",
            f"{start_mb:.0f} → {end_mb:.0f} MB, peak {peak:.0f}",
            "< 150 MB, not growing",
        )
        trend = ", ".join(f"{m:.1f}m {mb:.0f}" for m, mb in samples)

    shutil.rmtree(STATE, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'measured':<28}  goal")
    for figure, measured, goal in rows:
        print(f"{figure:<{width}}  {measured:<28}  {goal}")
    print(f"\nRSS samples (minute MB): {trend}")
    print(f"launch runs: {', '.join(f'{t:.3f}' for t in launches)} s ({' '.join(launcher())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
