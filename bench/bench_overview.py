"""The overview's figures (issue 10) at 120x40, each beside its baseline, in one run.

    PATH=.venv/bin:$PATH PYTHONPATH=. python bench/bench_overview.py [--runs 5] [--seconds 60]

Starts its own demo stack (`promdash up --runtime local --detach`, free ports, a
private state directory, so the dashboard finds the stack file's `dashboard:`
graphs) and stops it (`promdash down`) at the end, even on failure. Then:

- launch → first overview showing every target's health and a drawn graph:
  `promdash dash --url URL --layout overview` in a real terminal (tmux, 120x40,
  private socket), `capture-pane` polled every ~10 ms until every target's
  `✔ 127.0.0.1:PORT` line, each pool's `N/N up` and a plotted point (a braille
  cell, U+2801–U+28FF, below the first graph's title) are on screen; beside it
  the tab layout (`--layout tabs`, until every `:PORT/metrics` row shows ` up `)
  and the Textual floor (an empty App whose screen is a Static "ready"), timed
  the same way; the median of --runs, taken in turn (one untimed warm-up each);
- CPU of the dashboard process (/proc/PID/stat, utime + stime) over --seconds,
  after 10 s to settle, refreshing every 5 s: the overview (targets, alerts and
  the stack's two graphs) beside the tab layout (the Targets tab).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stackfiles import demo_stack_text, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
FLOOR_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Floor(App):\n"
    "    def compose(self):\n"
    "        yield Static('ready')\n"
    "Floor().run()\n"
)


# ---------------------------------------------------------------- a real terminal

_SOCKETS = itertools.count()


class Tmux:
    """One tmux server of its own (a socket just killed may still be held), one 120x40 pane."""

    def __init__(self, state: str) -> None:
        binary = shutil.which("tmux")
        if binary is None:
            raise SystemExit("bench_overview needs tmux")
        self.state = state
        self.cmd = [binary, "-L", f"promdash-bench-overview-{os.getpid()}-{next(_SOCKETS)}"]

    def start(self, argv: list[str]) -> None:
        # `exec`: the pane's process is the program itself, whose CPU we read.
        env = [f"PROMDASH_STATE_DIR={self.state}", f"PROMDASH_CONFIG={self.state}/config.yaml"]
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

    def pid(self) -> int:
        out = subprocess.run(
            [*self.cmd, "display-message", "-p", "-t", "bench", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(out.strip())

    def stop(self) -> None:
        subprocess.run([*self.cmd, "kill-server"], capture_output=True)


@contextmanager
def terminal(state: str, argv: list[str]) -> Iterator[Tmux]:
    tmux = Tmux(state)
    tmux.start(argv)
    try:
        yield tmux
    finally:
        tmux.stop()


def promdash() -> list[str]:
    """The console script next to this Python, as a user runs it."""
    script = Path(os.path.abspath(sys.executable)).with_name("promdash")
    if script.is_file():
        return [str(script)]
    found = shutil.which("promdash")
    return [found] if found else [sys.executable, "-m", "promdash.cli"]


# ---------------------------------------------------------------- what "shown" means


def overview_ready(screen: str, instances: list[str], first_graph: str) -> bool:
    """Every target `✔ instance` with its pool's `N/N up`, and a point plotted in a graph."""
    lines = screen.splitlines()
    if not all(any(f"✔ {i} " in line for line in lines) for i in instances):
        return False
    if "3/3 up" not in screen or "1/1 up" not in screen:
        return False
    below = next((n for n, line in enumerate(lines) if first_graph in line), None)
    if below is None:
        return False
    # U+2800 is the blank braille cell: it plots nothing.
    return any("\u2801" <= ch <= "\u28ff" for line in lines[below + 1 :] for ch in line)


def tabs_ready(screen: str, ports: list[int]) -> bool:
    rows = [line for line in screen.splitlines() if "/metrics" in line]
    return all(any(f":{p}/metrics" in r and " up " in r for r in rows) for p in ports)


def launch_seconds(state: str, argv: list[str], ready: Callable[[str], bool]) -> float:
    tmux = Tmux(state)
    began = time.perf_counter()
    tmux.start(argv)
    try:
        while True:
            screen = tmux.screen()
            if ready(screen):
                return time.perf_counter() - began
            if time.perf_counter() - began > 20:
                raise SystemExit(f"not on screen after 20 s: {' '.join(argv)}\n{screen}")
            time.sleep(0.01)
    finally:
        tmux.stop()
        time.sleep(0.3)  # let the old server and app go before the next one starts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_share(state: str, argv: list[str], seconds: float) -> float:
    """% of one core used by the app over `seconds`, after 10 s to settle."""
    with terminal(state, argv) as tmux:
        time.sleep(10)
        pid = tmux.pid()
        before, began = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu_seconds(pid) - before, time.monotonic() - began
    return 100 * used / elapsed


# ---------------------------------------------------------------- the stack


class Stack:
    def __init__(self, state: str) -> None:
        self.name = f"bench-overview-{os.getpid()}"
        self.prometheus_port = free_port()
        self.exporter_ports = (free_port(), free_port(), free_port())
        self.text = demo_stack_text(
            self.name, prometheus_port=self.prometheus_port, exporter_ports=self.exporter_ports
        )
        self.file = Path(state) / "stack.yaml"
        self.file.write_text(self.text)
        self.url = f"http://127.0.0.1:{self.prometheus_port}"
        self.ports = [*self.exporter_ports, self.prometheus_port]
        self.graph_titles = [g["title"] for g in yaml.safe_load(self.text)["dashboard"]["graphs"]]


@contextmanager
def demo_stack(state: str) -> Iterator[Stack]:
    stack = Stack(state)
    up = [*promdash(), "up", "--runtime", "local", "--stack", str(stack.file), "--detach"]
    try:
        done = subprocess.run(up, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"promdash up failed ({done.returncode}):\n{done.stderr}")
        yield stack
    finally:
        down = subprocess.run(
            [*promdash(), "down", "--name", stack.name], capture_output=True, text=True
        )
        if down.returncode != 0:
            print(f"promdash down --name {stack.name}: {down.stderr.strip()}", file=sys.stderr)


# ---------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each kind (default: 5)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="CPU measured over (default: 60)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.seconds <= 0:
        parser.error("--runs must be at least 1 and --seconds more than 0")

    state = tempfile.mkdtemp(prefix="promdash-bench-overview-")
    os.environ["PROMDASH_STATE_DIR"] = state  # `up` and `down` find the stack here
    os.environ["PROMDASH_CONFIG"] = f"{state}/config.yaml"
    try:
        with demo_stack(state) as stack:
            return measure(stack, state, args.runs, args.seconds)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def measure(stack: Stack, state: str, runs: int, seconds: float) -> int:
    # A rate over 1m needs two scrapes (5 s apart) and the graph's range ends on a
    # step: give the graphs a few points before the first launch.
    time.sleep(20)
    instances = [f"127.0.0.1:{p}" for p in stack.ports]
    dash = [*promdash(), "dash", "--url", stack.url]
    kinds: dict[str, tuple[list[str], Callable[[str], bool]]] = {
        "overview": (
            [*dash, "--layout", "overview"],
            lambda s: overview_ready(s, instances, stack.graph_titles[0]),
        ),
        "tabs": ([*dash, "--layout", "tabs"], lambda s: tabs_ready(s, stack.ports)),
        "floor": ([sys.executable, "-c", FLOOR_APP], lambda s: "ready" in s),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for argv, ready in kinds.values():
        launch_seconds(state, argv, ready)  # warm-up: page cache and bytecode
    for _ in range(runs):
        for kind, (argv, ready) in kinds.items():  # in turn: drift hits all three alike
            times[kind].append(launch_seconds(state, argv, ready))
            print(f"  … {kind}: {times[kind][-1]:.3f} s", file=sys.stderr, flush=True)

    refresh = ["--refresh", "5s"]
    cpu_overview = cpu_share(state, [*kinds["overview"][0], *refresh], seconds)
    print(f"  … CPU overview: {cpu_overview:.2f} %", file=sys.stderr, flush=True)
    cpu_tabs = cpu_share(state, [*kinds["tabs"][0], *refresh], seconds)
    print(f"  … CPU tabs: {cpu_tabs:.2f} %", file=sys.stderr, flush=True)

    median = {kind: statistics.median(t) for kind, t in times.items()}
    rows = [
        (
            f"launch → overview: every target's health + a drawn graph (median of {runs})",
            f"{median['overview']:.3f} s",
            "goal < 1.0 s",
        ),
        ("launch → Targets tab (--layout tabs): every target's health", f"{median['tabs']:.3f} s",
         "baseline"),
        ("launch → empty Textual App's first screen (floor)", f"{median['floor']:.3f} s",
         "baseline"),
        (f"CPU, overview tailing 2 graphs, 5 s refresh, {seconds:g} s",
         f"{cpu_overview:.2f} % of a core", "goal < 3 %"),
        (f"CPU, Targets tab (--layout tabs), 5 s refresh, {seconds:g} s",
         f"{cpu_tabs:.2f} % of a core", "baseline"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<16}  goal")
    for figure, measured, goal in rows:
        print(f"{figure:<{width}}  {measured:<16}  {goal}")
    print(f"\ntmux 120x40, capture-pane every ~10 ms, demo stack (local runtime); {promdash()[0]}")
    for kind, t in times.items():
        print(f"{kind} runs: {', '.join(f'{s:.3f}' for s in t)} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
