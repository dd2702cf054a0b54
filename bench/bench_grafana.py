"""A 100-panel Grafana dashboard at 200x60 (issue 13), beside smaller ones, in one run.

    PATH=.venv/bin:$PATH PYTHONPATH=. python bench/bench_grafana.py \\
        [--runs 5] [--seconds 60] [--panels 100] [--no-demo]

Starts Debian's node_exporter scraped every second by Debian's Prometheus (the
integration tests' `node_prometheus()`) with a private state directory, and stops
both at the end, even on failure. Writes three dashboards there:

- big: our own test dashboard (tests/data/grafana/node.json: every panel type, an
  open and a collapsed row, chained variables) repeated below itself, gridPos
  shifted, each copy's titles suffixed `[k]`, until it holds --panels panels (rows
  not counted; a collapsed row's panels counted), refreshing every 15 s;
- node: node.json itself (refresh 15s), the baseline;
- demo: the demo stack's stacks/demo/grafana/dashboards/demo.json with its refresh
  set to 15s, against the same Prometheus: its RPC panels say "no data" there (no
  demo exporters), which costs no drawing but still asks every query.

For each, `promdash dash --url URL --dashboard FILE` in tmux at 200x60 (private
socket), `capture-pane` polled every ~10 ms:
- launch until the first screen is full: the title bar says `refreshed HH:MM:SS`
  (set once every panel on screen has its answers) and no panel still says
  `loading…`; median of --runs, in turn, after one untimed warm-up each;
- the requests promdash sent meanwhile, counted by a small HTTP proxy between it and
  Prometheus: panel queries (/api/v1/query, /api/v1/query_range, less the app's own
  overview queries, found by running `promdash dash` without a dashboard for 8 s
  first), variable look-ups (labels, label values, series) and the app's own (its
  targets and rules polls), beside the queries of the panels whose titles are on the
  first screen and those of the whole dashboard;
- then in one session each, after 10 s to settle: the process's CPU
  (/proc/PID/stat) over --seconds while the dashboard refreshes every 15 s, its RSS
  at the end and peak (VmHWM), and the panel queries of each refresh (queries asked
  3 s or more after the last ones start a refresh); for the big one also with
  `--refresh 15s`, so the app's own polls behind the dashboard (every scrape
  interval, here 1 s, by default) come every 15 s too.

The machine's load average is printed with the figures: other work shares its cores.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_overview import Tmux, cpu_seconds, promdash  # noqa: E402
from tests.integration.test_dashboard_check import (  # noqa: E402
    DEMO_DASHBOARD,
    NODE_DASHBOARD,
    node_prometheus,
)

WIDTH, HEIGHT = 200, 60
REFRESH = "15s"
QUERY_PATHS = ("/api/v1/query", "/api/v1/query_range")
VARIABLE_PATHS = ("/api/v1/labels", "/api/v1/label/", "/api/v1/series")
LOADING = "loading…"
GOAL_LAUNCH, GOAL_CPU = 2.0, 5.0


# ---------------------------------------------------------------- a 200x60 terminal


class Terminal(Tmux):
    """bench_overview's tmux server of its own, at 200x60."""

    def start(self, argv: list[str]) -> None:
        env = [f"PROMDASH_STATE_DIR={self.state}", f"PROMDASH_CONFIG={self.state}/config.yaml"]
        command = " ".join(
            ["exec", "env", "-u", "COLUMNS", "-u", "LINES", *env, *map(shlex.quote, argv)]
        )
        subprocess.run(
            [*self.cmd, "new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), "-s", "bench",
             command],
            check=True,
        )  # fmt: skip


# ---------------------------------------------------------------- the dashboards


@dataclass
class Board:
    name: str
    file: Path
    title: str
    panels: list[dict[str, Any]]  # every panel that is not a row, nested ones too
    queries: int = 0  # targets with an expression, in the whole dashboard

    @classmethod
    def read(cls, name: str, file: Path) -> Board:
        data = json.loads(file.read_text())
        panels = [
            p
            for top in data["panels"]
            for p in ([top] if top.get("type") != "row" else top.get("panels", []))
        ]
        return cls(name, file, data["title"], panels, sum(map(_queries, panels)))

    def on_screen(self, screen: str) -> list[dict[str, Any]]:
        """The panels whose title is on the screen (a panel's top border holds it); the
        longest first, so `Memory` is not found inside `Memory available`."""
        found = []
        for panel in sorted(self.panels, key=lambda p: -len(p.get("title") or "")):
            title = panel.get("title")
            if title and title in screen:
                found.append(panel)
                screen = screen.replace(title, "\0", 1)
        return found


def _queries(panel: dict[str, Any]) -> int:
    return sum(
        1 for t in panel.get("targets", []) if t.get("expr", "").strip() and not t.get("hide")
    )


def repeated(source: Path, panels: int, into: Path) -> Path:
    """`source`'s panels repeated below themselves until `panels` panels (rows aside)."""
    data = json.loads(source.read_text())
    items = data["panels"]
    span = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in items)
    out: list[dict[str, Any]] = []
    counted, next_id, k = 0, 1, 0
    while counted < panels:
        for item in items:
            if counted >= panels:
                break
            item = copy.deepcopy(item)
            nested = item.get("panels", [])
            if item.get("type") == "row":
                nested[:] = nested[: panels - counted]
                counted += len(nested)
            else:
                counted += 1
            for p in [item, *nested]:
                p["gridPos"]["y"] += k * span
                p["id"], next_id = next_id, next_id + 1
                if k:
                    p["title"] = f"{p.get('title', '')} [{k}]"
            out.append(item)
        k += 1
    data.update(panels=out, refresh=REFRESH, title=f"{data['title']} x{k}", uid="bench-grafana")
    into.write_text(json.dumps(data))
    return into


def refreshed_copy(source: Path, into: Path) -> Path:
    data = json.loads(source.read_text())
    data["refresh"] = REFRESH
    into.write_text(json.dumps(data))
    return into


# ---------------------------------------------------------------- the requests counted


@dataclass(frozen=True)
class Asked:
    at: float  # time.monotonic()
    path: str
    expr: str  # the `query` parameter of a query, else ""


class Counting(ThreadingHTTPServer):
    """An HTTP proxy between promdash and Prometheus that notes each request."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream).netloc
        self.asked: list[Asked] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def since(self, mark: float) -> list[Asked]:
        with self.lock:
            return [a for a in self.asked if a.at >= mark]


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as promdash's client uses it
    server: Counting

    def do_GET(self) -> None:
        self._forward(b"")

    def do_POST(self) -> None:
        self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def _forward(self, body: bytes) -> None:
        path, _, query = self.path.partition("?")
        params = urllib.parse.parse_qs(query)
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update(urllib.parse.parse_qs(body.decode()))
        with self.server.lock:
            self.server.asked.append(Asked(time.monotonic(), path, params.get("query", [""])[0]))
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def counting(upstream: str) -> Iterator[Counting]:
    proxy = Counting(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


@dataclass
class Requests:
    panels: int  # queries of the dashboard's panels
    variables: int  # label and series look-ups
    other: int  # the app's own: targets, rules, its overview's graphs, ...

    @classmethod
    def of(cls, asked: list[Asked], own: set[str]) -> Requests:
        panels = sum(1 for a in asked if a.path in QUERY_PATHS and a.expr not in own)
        variables = sum(1 for a in asked if a.path.startswith(VARIABLE_PATHS))
        return cls(panels, variables, len(asked) - panels - variables)

    def text(self) -> str:
        return (
            f"{self.panels} panel queries, {self.variables} variable look-ups, {self.other} other"
        )


# ---------------------------------------------------------------- launch and refresh


def first_screen_ready(screen: str, title: str) -> bool:
    lines = screen.splitlines()
    return bool(lines) and title in lines[0] and "refreshed " in lines[0] and LOADING not in screen


@dataclass
class Launch:
    seconds: float
    requests: Requests
    screen: str


def launch(state: str, proxy: Counting, own: set[str], argv: list[str], board: Board) -> Launch:
    tmux = Terminal(state)
    began, mark = time.perf_counter(), time.monotonic()
    tmux.start(argv)
    try:
        while True:
            screen = tmux.screen()
            if first_screen_ready(screen, board.title):
                seconds = time.perf_counter() - began
                return Launch(seconds, Requests.of(proxy.since(mark), own), screen)
            if time.perf_counter() - began > 30:
                raise SystemExit(f"first screen not full after 30 s: {' '.join(argv)}\n{screen}")
            time.sleep(0.01)
    finally:
        tmux.stop()
        time.sleep(0.5)  # the old app gone before the next one starts (and asks)


def own_queries(state: str, proxy: Counting, argv: list[str]) -> set[str]:
    """What the app asks of /api/v1/query* by itself (its overview's graphs), without a
    Grafana dashboard: those are not panels' queries."""
    tmux = Terminal(state)
    mark = time.monotonic()
    tmux.start(argv)
    try:
        time.sleep(8)
    finally:
        tmux.stop()
        time.sleep(0.5)
    return {a.expr for a in proxy.since(mark) if a.path in QUERY_PATHS}


@dataclass
class Session:
    cpu: float
    rss_mb: float
    peak_mb: float
    refreshes: list[int]  # panel queries of each refresh
    variables: int  # look-ups over the whole window
    other: int  # the app's own requests over the whole window
    other_paths: Counter[str]


def session(state: str, proxy: Counting, own: set[str], argv: list[str], seconds: float) -> Session:
    """CPU, RSS and each refresh's requests over `seconds`, after 10 s to settle."""
    tmux = Terminal(state)
    tmux.start(argv)
    try:
        time.sleep(10)
        pid = tmux.pid()
        cpu_before, began = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        cpu = 100 * (cpu_seconds(pid) - cpu_before) / (time.monotonic() - began)
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        rss, peak = (int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
    finally:
        tmux.stop()
        time.sleep(0.5)
    asked = [a for a in proxy.since(began) if a.at <= began + seconds]
    totals = Requests.of(asked, own)
    # A refresh: the panels' queries asked together, 3 s or more after the last ones.
    refreshes: list[int] = []
    last = -1e9
    for a in asked:
        if a.path in QUERY_PATHS and a.expr not in own:
            if a.at - last > 3:
                refreshes.append(0)
            refreshes[-1] += 1
            last = a.at
    other_paths = Counter(
        a.path + (f" {a.expr}" if a.expr else "")
        for a in asked
        if not a.path.startswith(VARIABLE_PATHS)
        and not (a.path in QUERY_PATHS and a.expr not in own)
    )
    return Session(cpu, rss, peak, refreshes, totals.variables, totals.other, other_paths)


# ---------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each (default: 5)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="CPU measured over (default: 60)"
    )
    parser.add_argument("--panels", type=int, default=100, help="of the big one (default: 100)")
    parser.add_argument("--no-demo", action="store_true", help="leave the demo dashboard out")
    args = parser.parse_args()
    if args.runs < 1 or args.seconds <= 0 or args.panels < 1:
        parser.error("--runs and --panels must be at least 1 and --seconds more than 0")

    state = tempfile.mkdtemp(prefix="promdash-bench-grafana-")
    os.environ["PROMDASH_STATE_DIR"] = state
    os.environ["PROMDASH_CONFIG"] = f"{state}/config.yaml"
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN"):
        os.environ.pop(name, None)
    try:
        folder = Path(state)
        boards = [
            Board.read("big", repeated(NODE_DASHBOARD, args.panels, folder / "big.json")),
            Board.read("node", refreshed_copy(NODE_DASHBOARD, folder / "node.json")),
        ]
        if not args.no_demo:
            boards.append(Board.read("demo", refreshed_copy(DEMO_DASHBOARD, folder / "demo.json")))
        started = time.monotonic()
        with node_prometheus(folder / "node") as server:
            print(f"  … Prometheus ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
            time.sleep(15)  # some minutes of data make no difference; a few points do
            with counting(server.url) as proxy:
                return measure(proxy, state, boards, args.runs, args.seconds)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def measure(proxy: Counting, state: str, boards: list[Board], runs: int, seconds: float) -> int:
    load_before = os.getloadavg()
    dash = [*promdash(), "dash", "--url", proxy.url]
    own = own_queries(state, proxy, dash)
    argv = {b.name: [*dash, "--dashboard", str(b.file)] for b in boards}
    for board in boards:
        launch(state, proxy, own, argv[board.name], board)  # warm-up: page cache, bytecode
    launches: dict[str, list[Launch]] = {b.name: [] for b in boards}
    for _ in range(runs):
        for board in boards:  # in turn: drift hits every one alike
            done = launch(state, proxy, own, argv[board.name], board)
            launches[board.name].append(done)
            print(f"  … {board.name}: {done.seconds:.3f} s, {done.requests.text()}",
                  file=sys.stderr, flush=True)  # fmt: skip
    sessions = {}
    for board in boards:
        sessions[board.name] = session(state, proxy, own, argv[board.name], seconds)
        print(f"  … {board.name} CPU: {sessions[board.name].cpu:.2f} %", file=sys.stderr)
    big = boards[0]
    slow = session(state, proxy, own, [*argv[big.name], "--refresh", REFRESH], seconds)
    print(f"  … {big.name} --refresh {REFRESH} CPU: {slow.cpu:.2f} %", file=sys.stderr)
    load_after = os.getloadavg()

    missed = False
    print(f"\nGrafana dashboards in tmux {WIDTH}x{HEIGHT}, refresh {REFRESH}; {promdash()[0]}")
    print(
        "Debian's Prometheus scraping Debian's node_exporter every 1 s, through a counting"
        " proxy; the app's own queries (asked without a dashboard, not counted as panels'): "
        + (", ".join(sorted(own)) or "none")
    )
    print(
        "load average (1, 5, 15 min) before "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load_after)
        + f"; {os.cpu_count()} CPUs\n"
    )
    for board in boards:
        ls, s = launches[board.name], sessions[board.name]
        median = statistics.median(x.seconds for x in ls)
        shown = board.on_screen(ls[-1].screen)
        visible_queries = sum(map(_queries, shown))
        first = [x.requests.panels for x in ls]
        goal = board.name == "big"
        launch_ok, cpu_ok = median < GOAL_LAUNCH, s.cpu < GOAL_CPU
        only_visible = bool(s.refreshes) and all(n == visible_queries for n in first + s.refreshes)
        if goal:
            missed |= not (launch_ok and cpu_ok and only_visible)
        print(
            f"{board.name}: {board.file.name} ({board.title!r}): {len(board.panels)} panels,"
            f" {board.queries} queries in all; on the first screen {len(shown)} panels"
            f" with {visible_queries} queries"
        )
        print(
            f"  launch → first screen full (median of {runs}): {median:.3f} s"
            + (f"  goal < {GOAL_LAUNCH:g} s  {'OK' if launch_ok else 'MISSED'}" if goal
               else "  baseline")
            + f"   runs: {', '.join(f'{x.seconds:.3f}' for x in ls)}"
        )  # fmt: skip
        print(
            f"  CPU over {seconds:g} s after 10 s: {s.cpu:.2f} % of a core"
            + (f"  goal < {GOAL_CPU:g} %  {'OK' if cpu_ok else 'MISSED'}" if goal
               else "  baseline")
            + f"   RSS {s.rss_mb:.0f} MB, peak {s.peak_mb:.0f} MB"
        )  # fmt: skip
        print(
            f"  panel queries: first screen {_spread(first)}, each refresh"
            f" {_spread(s.refreshes)} ({len(s.refreshes)} refreshes); wanted: the"
            f" {visible_queries} of the panels on screen, not {board.queries}"
            f"  {'OK' if only_visible else 'MISSED'}"
        )
        print(
            f"  over the {seconds:g} s also: {s.variables} variable look-ups, {s.other} of the"
            f" app's own requests; at launch: {ls[-1].requests.text()}"
        )
        print("  the app's own: " + _paths(s.other_paths))
        if goal:
            print(
                f"  with --refresh {REFRESH} (the app's own polls behind the dashboard every"
                f" {REFRESH} too): CPU {slow.cpu:.2f} % of a core, {slow.other} own requests"
                f" ({_paths(slow.other_paths)}), panel queries per refresh"
                f" {_spread(slow.refreshes)}"
            )
        said = sum(ls[-1].screen.count(w) for w in ("error", "no data"))
        print(f"  'error' or 'no data' on the last first screen: {said} times\n")
    return 1 if missed else 0


def _paths(counts: Counter[str]) -> str:
    return ", ".join(f"{path} x{n}" for path, n in counts.most_common()) or "none"


def _spread(values: list[int]) -> str:
    if not values:
        return "none"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}..{high} (median {statistics.median(values):g})"


if __name__ == "__main__":
    sys.exit(main())
