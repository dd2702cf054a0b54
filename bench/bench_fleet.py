"""`promdash targets` and `promdash alerts` on a fleet the size users run, beside curl, in one run.

    PATH=.venv/bin:$PATH PYTHONPATH=. python bench/bench_fleet.py \\
        [--targets 5000] [--pools 20] [--rules 300] [--storm 1] [--runs 5] [--url URL]
        [--seconds 60] [--minutes 0] [--layouts auto,tabs] [--no-dash | --no-cli]

Starts the scale fixture (tests/fleet.py: Debian's Prometheus scraping N
file-discovered targets served by nginx, 1 in 25 down, M alerting rules of
which --storm fire for every up target) and stops it at the end, even on
failure; or measures a running one given by --url (`python -m tests.fleet
--serve`). Then, over --runs fresh processes each, taken in turn after one
untimed warm-up (which also checks each command succeeds):

- wall time (spawn to exit) and peak RSS (wait4's ru_maxrss, the process alone)
  of `promdash targets` (table, to a file), `promdash targets --json`, and
  `curl -s` of the same API call (/api/v1/targets?state=active) to /dev/null;
- the same for `promdash alerts` (table and --json) and curl of its call
  (/api/v1/rules?type=alert);
- the floor: the same Python loading promdash's CLI, client and presenter,
  asking nothing; and the floor of any Python client on httpx: a one-line
  httpx + msgspec script fetching and decoding each call, nothing else;
- the size of each answer, as sent to curl (identity, which promdash asks of a
  server on this machine too) and gzipped (what it asks of others).

The figures depend on the install measured: the console script next to this
Python (a user's `pip install promdash` lacks the development venv's click,
which makes httpx import its own command line at every start).

Medians; each promdash figure also as a multiple of curl's (goal: within 3.5x).
Unless --no-dash, the dashboard too, the way bench_overview.py measures it, for
each of --layouts (`auto`: what `promdash dash --url URL` opens at 120x40, the
overview; `tabs`: the Targets tab), in tmux at 120x40:
- launch until the fleet's `up/total` and the first pool's `N/M up` are on screen
  (with a target row in the Targets tab) (median of --runs), and the CPU time the
  dashboard used until then (what a loaded machine does not stretch); bytecode
  written once to a cache of the run's own, as an installed package has it;
- then, in one session refreshing every 5 s: its CPU over --seconds (after 10 s);
  a key until its panel is drawn (`1` Targets, `3` Alerts, `o` overview, in turn,
  polling capture-pane; median of at least 5 each), and the dashboard's CPU time
  meanwhile; its RSS every 15 s over
  --minutes (10 for "flat over 10 minutes") with the peak (VmHWM).
For the alert storm, start the fleet with --storm 15 (about 72,000 alerts), or
give a running one (`python -m tests.fleet --storm 15 --serve`) with --url and
--no-cli.
promdash runs with a private state directory and config file, so it finds no
stack or Alertmanager of the developer's.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_overview import Tmux, cpu_seconds, terminal  # noqa: E402
from tests.fleet import FleetError, Plan, fleet, scalar  # noqa: E402

GOAL_RATIO = 3.5
TARGETS_CALL = "api/v1/targets?state=active"  # what `promdash targets` asks
RULES_CALL = "api/v1/rules?type=alert"  # what `promdash alerts` asks
# A Python client at its barest: httpx fetches the call (identity, as promdash asks on
# loopback) and msgspec decodes it into plain objects; nothing is kept or printed.
BARE = (
    "import sys, httpx, msgspec; "
    "msgspec.json.decode(httpx.get(sys.argv[1], headers={'Accept-Encoding': 'identity'}).content)"
)


@dataclass
class Run:
    seconds: float
    rss_kb: int
    output_bytes: int


# The measured process is forked from this small launcher, not from the bench: a
# child's ru_maxrss counts what its parent held before exec (the bench holds ~40 MB),
# and the launcher holds ~8.5 MB, under curl's own peak. Timed from fork to wait4.
LAUNCHER = """
import os, sys, time
began = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - began
with open(sys.argv[1], "w") as out:
    out.write(f"{elapsed} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def measure(argv: list[str], env: dict[str, str], timeout: float = 120) -> Run:
    """Fork to exit of one process; its own peak RSS; what it wrote to stdout."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as figures,
    ):
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, figures.name, *argv]
        process = subprocess.Popen(
            launcher, stdout=out, stderr=err, env=env, start_new_session=True
        )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the measured command too
            process.wait()
            raise SystemExit(f"{' '.join(argv)} still running after {timeout:g} s") from None
        seconds, rss_kb, code = figures.read().split()
        if int(code) != 0 or process.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
            raise SystemExit(f"{' '.join(argv)} exited {code}: {message}")
        return Run(float(seconds), int(rss_kb), out.tell())


def promdash() -> list[str]:
    """The console script next to this Python, as a user runs it."""
    script = Path(os.path.abspath(sys.executable)).with_name("promdash")
    if script.is_file():
        return [str(script)]
    found = shutil.which("promdash")
    return [found] if found else [sys.executable, "-m", "promdash.cli"]


def answer_sizes(url: str, call: str) -> tuple[int, int]:
    """Bytes of the answer as sent without and with `Accept-Encoding: gzip`."""
    with urllib.request.urlopen(f"{url}/{call}", timeout=60) as plain:
        identity = len(plain.read())
    request = urllib.request.Request(f"{url}/{call}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = answer.read()
        gzipped = len(body) if answer.headers.get("Content-Encoding") == "gzip" else 0
    if gzipped:
        gzip.decompress(body)  # a whole answer, not a cut one
    return identity, gzipped


def fleet_counts(url: str) -> str:
    """What the server holds, asked of it (also for a fleet given by --url)."""
    with urllib.request.urlopen(f"{url}/api/v1/status/buildinfo", timeout=30) as answer:
        version = json.load(answer)["data"]["version"]
    targets, down = scalar(url, "count(up)"), scalar(url, "count(up == 0)")
    pools = scalar(url, "count(count by (job) (up))")
    firing = scalar(url, 'count(ALERTS{alertstate="firing"})')
    with urllib.request.urlopen(f"{url}/{RULES_CALL}", timeout=60) as answer:
        rules = sum(len(g["rules"]) for g in json.load(answer)["data"]["groups"])
    return (
        f"Prometheus {version}: {targets:.0f} targets in {pools:.0f} pools ({down:.0f} down),"
        f" {rules} alerting rules, {firing:.0f} alerts firing"
    )


@contextmanager
def given_or_started(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        yield args.url.rstrip("/")
        return
    plan = Plan(args.targets, args.pools, args.rules, args.storm, args.interval)
    began = time.monotonic()
    try:
        with fleet(plan, timeout=args.timeout, progress=True) as running:
            print(f"  … fleet ready in {time.monotonic() - began:.1f} s", file=sys.stderr)
            yield running.url
    except FleetError as e:
        raise SystemExit(f"fleet: {e}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=5000, help="default: 5000")
    parser.add_argument("--pools", type=int, default=20, help="default: 20")
    parser.add_argument("--rules", type=int, default=300, help="alerting rules (default: 300)")
    parser.add_argument(
        "--storm", type=int, default=1, help="rules firing for every up target (default: 1)"
    )
    parser.add_argument("--interval", default="15s", help="scrape and evaluation (default: 15s)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the fleet to be up")
    parser.add_argument("--runs", type=int, default=5, help="processes of each kind (default: 5)")
    parser.add_argument("--url", help="measure this running fleet instead of starting one")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="dashboard CPU measured over (default: 60)"
    )
    parser.add_argument("--no-dash", action="store_true", help="only the command-line figures")
    parser.add_argument("--no-cli", action="store_true", help="only the dashboard's figures")
    parser.add_argument(
        "--minutes",
        type=float,
        default=0.0,
        help="dashboard RSS sampled every 15 s over this long, after the keys (default: 0)",
    )
    parser.add_argument(
        "--layouts",
        default="auto,tabs",
        help="dashboard layouts measured, each in turn (default: auto,tabs: auto opens the "
        "overview at 120x40, what `promdash dash` shows)",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.seconds <= 0:
        parser.error("--runs must be at least 1 and --seconds more than 0")

    private = tempfile.mkdtemp(prefix="promdash-bench-fleet-")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PROMDASH_URL", "PROMDASH_TOKEN", "COLUMNS", "LINES")
    }
    env.update(PROMDASH_STATE_DIR=private, PROMDASH_CONFIG=f"{private}/config.yaml")
    try:
        with given_or_started(args) as url:
            missed = False if args.no_cli else report(url, args.runs, env)
            if not args.no_dash:
                layouts = [layout for layout in args.layouts.split(",") if layout]
                dashboard(url, private, args.runs, args.seconds, args.minutes, layouts)
            return 1 if missed else 0
    finally:
        shutil.rmtree(private, ignore_errors=True)


def out_text(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size else "-"


def report(url: str, runs: int, env: dict[str, str]) -> bool:
    """Print the command-line figures; whether a goal was missed."""
    pd = promdash()
    python = str(Path(pd[0]).with_name("python")) if len(pd) == 1 else sys.executable
    kinds = {
        "promdash targets (table)": [*pd, "targets", "--url", url],
        "promdash targets --json": [*pd, "targets", "--json", "--url", url],
        f"curl -s /{TARGETS_CALL}": ["curl", "-s", f"{url}/{TARGETS_CALL}", "-o", "/dev/null"],
        "promdash alerts (table)": [*pd, "alerts", "--url", url],
        "promdash alerts --json": [*pd, "alerts", "--json", "--url", url],
        f"curl -s /{RULES_CALL}": ["curl", "-s", f"{url}/{RULES_CALL}", "-o", "/dev/null"],
        # The floor of any such command: this Python loading promdash's CLI, HTTP client
        # and presenter, and asking nothing.
        "python: promdash's imports, no request": [
            python,
            "-c",
            "import promdash.cli, promdash.prom.client, promdash.present.output",
        ],
        # The floor of any Python client built on httpx: the same call fetched and decoded
        # by a few lines of httpx and msgspec, keeping nothing and printing nothing.
        f"python: httpx get + decode /{TARGETS_CALL}": [
            python,
            "-c",
            BARE,
            f"{url}/{TARGETS_CALL}",
        ],
        f"python: httpx get + decode /{RULES_CALL}": [python, "-c", BARE, f"{url}/{RULES_CALL}"],
    }
    baseline = {
        "promdash targets (table)": f"curl -s /{TARGETS_CALL}",
        "promdash targets --json": f"curl -s /{TARGETS_CALL}",
        "promdash alerts (table)": f"curl -s /{RULES_CALL}",
        "promdash alerts --json": f"curl -s /{RULES_CALL}",
    }
    counts = fleet_counts(url)
    sizes = {call: answer_sizes(url, call) for call in (TARGETS_CALL, RULES_CALL)}
    output = {kind: measure(argv, env).output_bytes for kind, argv in kinds.items()}  # warm-up
    results: dict[str, list[Run]] = {kind: [] for kind in kinds}
    for n in range(runs):
        for kind, argv in kinds.items():  # in turn: drift hits every kind alike
            results[kind].append(measure(argv, env))
        print(f"  … run {n + 1}/{runs}", file=sys.stderr, flush=True)

    seconds = {kind: statistics.median(r.seconds for r in rs) for kind, rs in results.items()}
    rss = {kind: statistics.median(r.rss_kb for r in rs) / 1024 for kind, rs in results.items()}
    width = max(map(len, kinds))
    print(f"{counts}; {url}")
    print(f"median of {runs} runs each; {pd[0]}; load average {os.getloadavg()[0]:.2f}\n")
    print(f"{'':<{width}}  {'wall':>8}  {'x curl':>7}  {'peak RSS':>9}  {'stdout':>9}  goal")
    missed = False
    for kind in kinds:
        ratio = seconds[kind] / seconds[baseline[kind]] if kind in baseline else None
        goal = ""
        if kind.startswith("python: httpx"):
            call = TARGETS_CALL if TARGETS_CALL in kind else RULES_CALL
            ratio = seconds[kind] / seconds[f"curl -s /{call}"]
            goal = "(the floor of any httpx client)"
        elif kind.startswith("python:"):
            ratio = seconds[kind] / seconds[f"curl -s /{TARGETS_CALL}"]
            goal = "(the floor, as a multiple of curl of the targets)"
        elif ratio is not None:
            ok = ratio <= GOAL_RATIO
            missed |= not ok
            goal = f"<= {GOAL_RATIO}x curl  {'OK' if ok else 'MISSED'}"
        print(
            f"{kind:<{width}}  {seconds[kind]:>7.3f}s  {f'{ratio:.1f}x' if ratio else '':>7}"
            f"  {rss[kind]:>6.1f} MB  {out_text(output[kind]):>9}  {goal}"
        )
    print("\nanswer sizes (identity, as curl and promdash on loopback get them / gzip):")
    for call, (identity, gzipped) in sizes.items():
        print(f"  /{call:<{width - 3}}  {identity / 1e6:>6.2f} MB / {gzipped / 1e6:.2f} MB")
    print("\nwall times of each run (s):")
    for kind, rs in results.items():
        print(f"  {kind:<{width}}  {', '.join(f'{r.seconds:.3f}' for r in rs)}")
    return missed


# ---------------------------------------------------------------- the dashboard


# What each panel shows once it is drawn, whatever the data: the screen a key brings.
PANEL_MARKS = {
    "1": "/ filter targets",  # the Targets panel's filter
    "3": "Timeline (state changes",  # the Alerts panel's timeline
    "o": "Pool / instance",  # the overview's targets header
}


def dashboard(
    url: str, state: str, runs: int, seconds: float, minutes: float, layouts: list[str]
) -> None:
    """Launch to the fleet's counts on screen (tmux, 120x40), for each layout; then in one
    session per layout, refreshing every 5 s: CPU, keys answered, RSS over time."""
    up, total = int(scalar(url, "count(up == 1)")), int(scalar(url, "count(up)"))
    first_pool = _first_pool(url)

    def ready_tabs(screen: str) -> bool:
        # The tab's whole-fleet count, and the first pool's `N/M up` with a target row.
        rows = [line for line in screen.splitlines() if "/metrics" in line]
        return (
            f"Targets {up}/{total}" in screen
            and f"{first_pool}  {first_pool_up(url, first_pool)}" in screen
            and any(" up " in row for row in rows)
        )

    def ready_overview(screen: str) -> bool:
        # The box's whole-fleet count and the first pool's line with its count.
        lines = screen.splitlines()
        return f"Targets {up}/{total} up" in screen and any(
            first_pool in line and " up " in line and "/" in line for line in lines
        )

    results = []
    # Bytecode as an installed package has it (pip compiles it): the warm-up writes it to
    # a cache of its own, where PYTHONDONTWRITEBYTECODE (set on these machines) would have
    # every launch compile promdash's modules again.
    python_env = ["env", "-u", "PYTHONDONTWRITEBYTECODE", f"PYTHONPYCACHEPREFIX={state}/pyc"]
    for layout in layouts:
        argv = [*python_env, *promdash(), "dash", "--url", url, "--layout", layout]
        ready = ready_tabs if layout == "tabs" else ready_overview
        launch(state, argv, ready)  # warm-up: page cache and bytecode
        launches = []
        for _ in range(runs):
            launches.append(launch(state, argv, ready))
            wall, cpu = launches[-1]
            print(
                f"  … {layout} launch: {wall:.3f} s, {cpu:.2f} s CPU", file=sys.stderr, flush=True
            )
        with terminal(state, [*argv, "--refresh", "5s"]) as tmux:
            time.sleep(10)  # settled: the first answers decoded and drawn
            pid = tmux.pid()
            before, began = cpu_seconds(pid), time.monotonic()
            time.sleep(seconds)
            cpu = 100 * (cpu_seconds(pid) - before) / (time.monotonic() - began)
            print(f"  … {layout} CPU: {cpu:.2f} %", file=sys.stderr, flush=True)
            keys = key_seconds(tmux, pid, runs=max(runs, 5))
            samples = rss_samples(pid, minutes)
        results.append((layout, launches, cpu, keys, samples))

    print("\ndashboard, tmux 120x40 (capture-pane every ~10 ms), refreshing every 5 s:")
    for layout, launches, cpu, keys, samples in results:
        what = (
            f"Targets tab showing {up}/{total}, the first pool's count and a target row"
            if layout == "tabs"
            else f"overview's Targets {up}/{total} up and the first pool's line"
        )
        wall = statistics.median(wall for wall, _ in launches)
        cpu_launch = statistics.median(cpu for _, cpu in launches)
        key = statistics.median(wall for wall, _ in keys)
        key_cpu = statistics.median(cpu for _, cpu in keys)
        rss = [kb / 1024 for kb, _ in samples]
        peak = max(hwm for _, hwm in samples) / 1024
        flat = rss[-1] - rss[0]
        print(f"  --layout {layout}:")
        print(
            f"    launch → {what} (median of {len(launches)}): {wall:.3f} s"
            f"  goal < 1.0 s  {'OK' if wall < 1.0 else 'MISSED'}"
            f"   runs: {', '.join(f'{t:.3f}' for t, _ in launches)}"
        )
        print(
            f"      the dashboard's CPU until then (its threads too; the part of the wall time"
            f" a loaded machine cannot stretch): {cpu_launch:.2f} s"
            f"   runs: {', '.join(f'{c:.2f}' for _, c in launches)}"
        )
        print(
            f"    CPU over {seconds:g} s after 10 s: {cpu:.2f} % of a core"
            f"  goal < 2 %  {'OK' if cpu < 2 else 'MISSED'}"
        )
        print(
            f"    key → its panel drawn (1, 3, o in turn; median of {len(keys)}):"
            f" {1000 * key:.0f} ms  goal < 100 ms  {'OK' if key < 0.1 else 'MISSED'}"
            f"   max {1000 * max(wall for wall, _ in keys):.0f} ms;"
            f" the dashboard's CPU meanwhile: {1000 * key_cpu:.0f} ms (median)"
        )
        print(
            f"    RSS over {minutes:g} min: {rss[0]:.0f} MB at the start, {rss[-1]:.0f} MB at the"
            f" end ({flat:+.0f} MB), at most {max(rss):.0f} MB, peak {peak:.0f} MB"
            f"  goal < 120 MB  {'OK' if max(rss) < 120 else 'MISSED'}"
        )


def launch(state: str, argv: list[str], ready: Callable[[str], bool]) -> tuple[float, float]:
    """Seconds from starting the dashboard until `ready` says its screen shows what was
    waited for, and the CPU seconds it used until then."""
    tmux = Tmux(state)
    began = time.perf_counter()
    tmux.start(argv)
    pid = 0
    try:
        while True:
            screen = tmux.screen()
            if ready(screen):
                wall = time.perf_counter() - began
                return wall, cpu_seconds(pid or tmux.pid())
            if not pid:
                with contextlib.suppress(subprocess.CalledProcessError, ValueError):
                    pid = tmux.pid()
            if time.perf_counter() - began > 30:
                raise SystemExit(f"not on screen after 30 s: {' '.join(argv)}\n{screen}")
            time.sleep(0.01)
    finally:
        tmux.stop()
        time.sleep(0.3)  # let the old server and app go before the next one starts


def _first_pool(url: str) -> str:
    with urllib.request.urlopen(f"{url}/api/v1/targets?state=active", timeout=60) as answer:
        pools = {t["scrapePool"] for t in json.load(answer)["data"]["activeTargets"]}
    return min(pools)


def first_pool_up(url: str, pool: str) -> str:
    """`N/M up` of the first pool, as the Targets panel's pool line says it (asked once)."""
    if pool not in _POOL_COUNTS:
        up = scalar(url, f'count(up{{job="{pool}"}} == 1) or vector(0)')
        total = scalar(url, f'count(up{{job="{pool}"}})')
        _POOL_COUNTS[pool] = f"{up:.0f}/{total:.0f} up"
    return _POOL_COUNTS[pool]


_POOL_COUNTS: dict[str, str] = {}


def key_seconds(tmux: Tmux, pid: int, runs: int) -> list[tuple[float, float]]:
    """A key press until its panel shows, for 1, 3 and o in turn, `runs` times each; and
    the CPU seconds the dashboard used meanwhile (a poll that came then included)."""
    times = []
    for _ in range(runs):
        for key, mark in PANEL_MARKS.items():
            began, cpu = time.perf_counter(), cpu_seconds(pid)
            tmux.keys(key)
            while mark not in tmux.screen():
                if time.perf_counter() - began > 10:
                    raise SystemExit(f"key {key}: {mark!r} not on screen after 10 s")
                time.sleep(0.002)
            times.append((time.perf_counter() - began, cpu_seconds(pid) - cpu))
            time.sleep(0.3)  # a person's pace; the next key finds the screen drawn
    return times


def rss_samples(pid: int, minutes: float) -> list[tuple[int, int]]:
    """(VmRSS, VmHWM) in kB every 15 s over `minutes` (once at once when 0)."""
    samples = []
    end = time.monotonic() + 60 * minutes
    while True:
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        samples.append((int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])))
        if time.monotonic() >= end:
            return samples
        time.sleep(min(15, max(end - time.monotonic(), 0)))


if __name__ == "__main__":
    sys.exit(main())
