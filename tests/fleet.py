"""A fleet the size users run: N file-discovered targets in pools, M alerting rules, a storm.

    python -m tests.fleet --targets 5000 --pools 20 --rules 300 --storm --serve

Writes a Prometheus configuration (one scrape pool per `file_sd` JSON file, with
`env`, `region`, `team` and `rack` labels), starts one nginx (Debian's `nginx`,
which `nginx-light` pulls in) serving a small static exposition to every up
target, and Debian's Prometheus on it; waits until every target was scraped once
and the rules fired what they should; stops both on the way out (Ctrl-C included).

Each target has a loopback address of its own (`127.<10+pool>.x.y`) on one
shared port, like a fleet of node exporters on :9100; 1 in 25 have nothing
listening there, so they are down with "connection refused" (but with
`--healthy-pools K` the last K pools are all up, as most of a real fleet is). The rules: one
`<pool>` group per pool whose first rule fires for that pool's down targets and
whose others never fire, and with `--storm K` a `storm` group of K rules that
fire for every up target (an alert storm of K x up alerts).

Kept apart from conftest.py (like stackfiles.py) so the benches import it
without pytest; tests import it as `tests.fleet`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from promdash.stack.local import find_prometheus
from promdash.timefmt import parse_duration
from tests.stackfiles import free_port

DOWN_EVERY = 25  # 1 in 25 targets has nothing listening
RACK_SIZE = 50  # targets per file_sd target group (one `rack` label each)
MAX_POOLS = 200  # pool p's hosts are 127.<10+p>.x.y
SERVICES = ("node", "api", "db", "cache", "web")
ENVS = ("prod", "staging", "dev")
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1", "eu-central-1")
TEAMS = ("core", "payments", "search", "storage", "edge", "data")
# Rules that never fire (the thresholds are far from the static exposition's values).
QUIET = (
    ("ScrapeSlow", 'scrape_duration_seconds{{job="{job}"}} > 10'),
    ("TooManySamples", 'scrape_samples_scraped{{job="{job}"}} > 100000'),
    ("DiskAlmostFull", 'node_filesystem_avail_bytes{{job="{job}"}}'
     ' / node_filesystem_size_bytes{{job="{job}"}} < 0.05'),
    ("HighErrorRate", 'rate(http_requests_total{{job="{job}",code="500"}}[5m]) > 10'),
    ("MemoryLow", 'node_memory_MemAvailable_bytes{{job="{job}"}} < 1e6'),
)  # fmt: skip

EXPOSITION = """\
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 183402.51
node_cpu_seconds_total{cpu="0",mode="system"} 2210.34
node_cpu_seconds_total{cpu="0",mode="user"} 6120.87
node_cpu_seconds_total{cpu="1",mode="idle"} 183550.02
node_cpu_seconds_total{cpu="1",mode="system"} 2190.11
node_cpu_seconds_total{cpu="1",mode="user"} 6034.40
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 4.129792e+09
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 2.1474836e+10
# HELP node_filesystem_size_bytes Filesystem size in bytes.
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4.2949673e+10
# HELP http_requests_total Requests handled, by status code.
# TYPE http_requests_total counter
http_requests_total{code="200"} 1.048576e+06
http_requests_total{code="500"} 12
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 901231
http_request_duration_seconds_bucket{le="0.1"} 1.0e+06
http_request_duration_seconds_bucket{le="0.5"} 1.048e+06
http_request_duration_seconds_bucket{le="1"} 1.048576e+06
http_request_duration_seconds_bucket{le="+Inf"} 1.048588e+06
http_request_duration_seconds_sum 31457.28
http_request_duration_seconds_count 1.048588e+06
"""


class FleetError(Exception):
    """The fleet could not be written, started or made ready (the message says why)."""


@dataclass(frozen=True)
class Target:
    pool: str
    host: str  # a loopback address of its own
    rack: str
    up: bool  # nginx listens on host:port


@dataclass(frozen=True)
class Plan:
    """What the fleet is; every count a test or bench expects comes from here."""

    targets: int
    pools: int = 20
    rules: int = 30
    storm: int = 0  # rules firing for every up target
    interval: str = "15s"  # scrape and rule evaluation
    healthy: int = 0  # the last `healthy` pools have every target up

    def check(self) -> None:
        if not 1 <= self.pools <= MAX_POOLS:
            raise FleetError(f"--pools must be 1 to {MAX_POOLS}")
        if self.targets < self.pools:
            raise FleetError("--targets must be at least --pools (every pool has a target)")
        if self.targets // self.pools >= 250 * 256:
            raise FleetError("at most 64,000 targets a pool")
        if not 0 <= self.healthy <= self.pools:
            raise FleetError("--healthy-pools counts pools among --pools: 0 to --pools")
        if not 0 <= self.storm <= self.rules:
            raise FleetError("--storm counts rules among --rules: 0 to --rules")
        try:
            if parse_duration(self.interval) <= 0:
                raise ValueError("a scrape interval must be more than 0")
        except ValueError as e:
            raise FleetError(f"--interval: {e}") from None

    @property
    def pool_names(self) -> list[str]:
        return [f"{SERVICES[p % len(SERVICES)]}-{p:02d}" for p in range(self.pools)]

    def pool_targets(self, p: int) -> list[Target]:
        """Pool p's targets; down ones are every 25th of the whole fleet, so every pool of
        25 or more has some, except the last `healthy` pools (none down)."""
        size, extra = divmod(self.targets, self.pools)
        first = p * size + min(p, extra)
        name = self.pool_names[p]
        healthy = p >= self.pools - self.healthy
        return [
            Target(
                pool=name,
                host=f"127.{10 + p}.{j // 250}.{j % 250 + 1}",
                rack=f"r{j // RACK_SIZE + 1:02d}",
                up=healthy or (first + j) % DOWN_EVERY != DOWN_EVERY - 1,
            )
            for j in range(size + (p < extra))
        ]

    def all_targets(self) -> list[Target]:
        return [t for p in range(self.pools) for t in self.pool_targets(p)]

    def pool_health(self) -> dict[str, tuple[int, int]]:
        """Each pool's (up, total), as a pool's `N/M up` says it."""
        return {
            name: (sum(t.up for t in members), len(members))
            for name, members in ((n, self.pool_targets(p)) for p, n in enumerate(self.pool_names))
        }

    def pool_rule_counts(self) -> list[int]:
        """Rules of each pool's group (the first fires for its down targets)."""
        size, extra = divmod(self.rules - self.storm, self.pools)
        return [size + (p < extra) for p in range(self.pools)]

    @property
    def up(self) -> int:
        return sum(t.up for t in self.all_targets())

    @property
    def down(self) -> int:
        return self.targets - self.up

    @property
    def firing(self) -> int:
        """Alerts firing once every target was scraped and every rule evaluated."""
        down_watched = sum(
            sum(not t.up for t in self.pool_targets(p))
            for p, count in enumerate(self.pool_rule_counts())
            if count
        )
        return self.storm * self.up + down_watched

    @property
    def silent_rules(self) -> int:
        """Rules with no alert at all: the quiet ones, and TargetDown of a pool with none down."""
        silent = 0
        for p, count in enumerate(self.pool_rule_counts()):
            if count:
                silent += count - 1 + all(t.up for t in self.pool_targets(p))
        return silent


# ---------------------------------------------------------------- the files


def write(plan: Plan, directory: Path, port: int) -> None:
    """prometheus.yml, pools/*.json, rules/*.yml, nginx.conf and www/metrics under `directory`."""
    plan.check()
    for sub in ("pools", "rules", "www", "nginx-tmp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "www" / "metrics").write_text(EXPOSITION)
    scrape_configs = []
    for p, name in enumerate(plan.pool_names):
        targets = plan.pool_targets(p)
        pool_labels = {
            "env": ENVS[p % len(ENVS)],
            "region": REGIONS[p % len(REGIONS)],
            "team": TEAMS[p % len(TEAMS)],
        }
        racks: dict[str, list[str]] = {}
        for t in targets:
            racks.setdefault(t.rack, []).append(f"{t.host}:{port}")
        groups = [
            {"targets": hosts, "labels": {**pool_labels, "rack": rack}}
            for rack, hosts in racks.items()
        ]
        (directory / "pools" / f"{name}.json").write_text(json.dumps(groups, indent=1))
        # Paths relative to the config file: Prometheus resolves them there.
        scrape_configs.append(
            {"job_name": name, "file_sd_configs": [{"files": [f"pools/{name}.json"]}]}
        )
    rule_files = []
    if plan.storm:
        rule_files.append("rules/storm.yml")
        _write_rules(directory / "rules" / "storm.yml", "storm", _storm_rules(plan.storm))
    for p, count in enumerate(plan.pool_rule_counts()):
        if count:
            name = plan.pool_names[p]
            rule_files.append(f"rules/{name}.yml")
            _write_rules(directory / "rules" / f"{name}.yml", name, _pool_rules(name, count))
    config = {
        "global": {"scrape_interval": plan.interval, "evaluation_interval": plan.interval},
        "rule_files": rule_files,
        "scrape_configs": scrape_configs,
    }
    (directory / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    up_hosts = [t.host for t in plan.all_targets() if t.up]
    (directory / "nginx.conf").write_text(_nginx_conf(directory, up_hosts, port))


def _write_rules(path: Path, group: str, rules: list[dict[str, object]]) -> None:
    path.write_text(yaml.safe_dump({"groups": [{"name": group, "rules": rules}]}, sort_keys=False))


def _storm_rules(count: int) -> list[dict[str, object]]:
    return [
        {
            "alert": f"StormUp{k + 1:02d}",
            "expr": "up == 1",
            "labels": {"severity": "warning", "storm": str(k + 1)},
            "annotations": {
                "summary": "{{ $labels.instance }} of {{ $labels.job }} is up",
                "description": f"Storm rule {k + 1} of {count} fires for every target that is"
                " up ({{ $labels.env }}, {{ $labels.region }}, rack {{ $labels.rack }}).",
            },
        }
        for k in range(count)
    ]


def _pool_rules(job: str, count: int) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = [
        {
            "alert": "TargetDown",
            "expr": f'up{{job="{job}"}} == 0',
            "labels": {"severity": "critical"},
            "annotations": {"summary": "{{ $labels.instance }} of {{ $labels.job }} is down"},
        }
    ]
    for k in range(count - 1):
        name, expr = QUIET[k % len(QUIET)]
        round_ = k // len(QUIET)
        rules.append(
            {
                "alert": name if round_ == 0 else f"{name}{round_ + 1}",
                "expr": expr.format(job=job),
                "for": "5m",
                "labels": {"severity": ("warning", "info")[k % 2]},
                "annotations": {"summary": f"{name} on {{{{ $labels.instance }}}}"},
            }
        )
    return rules


def _nginx_conf(directory: Path, hosts: list[str], port: int) -> str:
    """One process listening on every up target's address (one socket each)."""
    tmp = directory / "nginx-tmp"
    listens = "\n".join(f"    listen {host}:{port};" for host in hosts)
    # `user`: as root nginx would switch to nobody/nogroup, which may not exist (or
    # read this private directory); master_process off runs as whoever started it.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""\
{user}daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {2 * len(hosts) + 1024}; }}
http {{
  access_log off;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{
{listens}
    root {directory}/www;
    default_type "text/plain; version=0.0.4";
  }}
}}
"""


# ---------------------------------------------------------------- the processes


@dataclass
class Fleet:
    plan: Plan
    url: str
    directory: Path
    port: int  # every target's port

    def scrape_url(self, target: Target) -> str:
        return f"http://{target.host}:{self.port}/metrics"

    def instance(self, target: Target) -> str:
        return f"{target.host}:{self.port}"

    def query(self, expr: str) -> float:
        """A single-number PromQL answer; 0 for an empty one."""
        return scalar(self.url, expr)


def find_nginx() -> str | None:
    # /usr/sbin is not on every user's PATH.
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def scalar(url: str, expr: str) -> float:
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as answer:
        result = json.load(answer)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def _spawn(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C in a terminal reaches only us, and we stop the whole
    # group. setpriv's parent-death signal also stops it if we are killed outright.
    setpriv = shutil.which("setpriv")
    wrapper = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
    with log.open("wb") as out:
        return subprocess.Popen(
            [*wrapper, *argv], stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def fleet(
    plan: Plan,
    directory: Path | None = None,
    *,
    timeout: float = 180.0,
    progress: bool = False,
) -> Iterator[Fleet]:
    """The fleet running and ready: every target scraped once and every alert firing."""
    plan.check()
    prometheus, nginx = find_prometheus(), find_nginx()
    if prometheus is None:
        raise FleetError("no prometheus binary (Debian: apt-get install prometheus)")
    if nginx is None:
        raise FleetError("no nginx binary (Debian: apt-get install nginx)")
    own = directory is None
    directory = Path(tempfile.mkdtemp(prefix="promdash-fleet-")) if directory is None else directory
    processes: list[subprocess.Popen[bytes]] = []
    try:
        port, prometheus_port = free_port(), free_port()
        write(plan, directory, port)
        nginx_log = directory / "nginx.log"
        nginx_argv = [
            nginx,
            "-p",
            str(directory),
            "-c",
            str(directory / "nginx.conf"),
            "-e",
            "stderr",
        ]
        processes.append(_spawn(nginx_argv, nginx_log, directory))
        prometheus_log = directory / "prometheus.log"
        processes.append(
            _spawn(
                [
                    prometheus,
                    f"--config.file={directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                prometheus_log,
                directory,
            )
        )
        running = Fleet(plan, f"http://127.0.0.1:{prometheus_port}", directory, port)
        _wait_ready(running, processes, {nginx_log: "nginx", prometheus_log: "prometheus"},
                    timeout, progress)  # fmt: skip
        yield running
    finally:
        for process in reversed(processes):  # Prometheus first: no scrape sees nginx go
            _stop(process)
        if own:
            shutil.rmtree(directory, ignore_errors=True)


def _wait_ready(
    running: Fleet,
    processes: list[subprocess.Popen[bytes]],
    logs: dict[Path, str],
    timeout: float,
    progress: bool,
) -> None:
    plan = running.plan
    deadline = time.monotonic() + timeout
    seen, shown = "Prometheus not answering yet", ""
    while True:
        for process, (log, name) in zip(processes, logs.items(), strict=True):
            if process.poll() is not None:
                raise FleetError(f"{name} exited ({process.returncode}):\n{_tail(log)}")
        try:
            # `up` exists once a target was scraped; ALERTS once a rule fired.
            scraped = int(running.query("count(up)"))
            firing = int(running.query('count(ALERTS{alertstate="firing"})'))
            seen = f"{scraped}/{plan.targets} targets scraped, {firing}/{plan.firing} alerts firing"
            if scraped == plan.targets and firing == plan.firing:
                return
        except (OSError, ValueError, KeyError):
            pass
        if progress and seen != shown:
            print(f"  … {seen}", file=sys.stderr, flush=True)
            shown = seen
        if time.monotonic() > deadline:
            logs_text = "\n".join(f"--- {name}:\n{_tail(log)}" for log, name in logs.items())
            raise FleetError(f"the fleet was not ready within {timeout:g} s: {seen}\n{logs_text}")
        time.sleep(1.0)


# ---------------------------------------------------------------- by hand


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fleet", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--targets", type=int, default=5000, help="targets (default: 5000)")
    parser.add_argument("--pools", type=int, default=20, help="scrape pools (default: 20)")
    parser.add_argument("--rules", type=int, default=300, help="alerting rules (default: 300)")
    parser.add_argument(
        "--storm",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="K",
        help="K of the rules fire for every up target (--storm alone: 1)",
    )
    parser.add_argument(
        "--healthy-pools",
        type=int,
        default=0,
        metavar="K",
        help="the last K pools have no target down (default: 0)",
    )
    parser.add_argument(
        "--interval", default="15s", help="scrape and evaluation interval (default: 15s)"
    )
    parser.add_argument("--dir", type=Path, help="write the files here (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to become ready")
    parser.add_argument("--serve", action="store_true", help="keep it running until Ctrl-C")
    args = parser.parse_args(argv)
    plan = Plan(args.targets, args.pools, args.rules, args.storm, args.interval, args.healthy_pools)
    # SIGTERM and SIGHUP unwind like Ctrl-C, through fleet()'s finally.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: sys.exit(128 + number))
    began = time.monotonic()
    try:
        with fleet(plan, args.dir, timeout=args.timeout, progress=True) as running:
            print(
                f"{running.url}: {plan.targets} targets in {plan.pools} pools ({plan.up} up,"
                f" {plan.down} down), {plan.rules} rules, {plan.firing} alerts firing;"
                f" ready in {time.monotonic() - began:.1f} s; files in {running.directory}",
                flush=True,
            )
            if args.serve:
                print(f"try: promdash dash --url {running.url}   (Ctrl-C stops the fleet)")
                while True:
                    time.sleep(3600)
    except FleetError as e:
        print(f"fleet: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
