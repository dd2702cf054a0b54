"""Every scenario of issue 8, run for real: before (the issue's words) and after (this run).

    PYTHONPATH=. .venv/bin/python bench/bench_robustness.py \
        [--races 3] [--docker-races 2] [--ctrl-c-tries 5]

Each scenario runs promdash as a user does, one process per command
(`python -m promdash.cli ...`, the code beside this file), with a private
state directory and config file in a temporary directory and a usual umask
(022): racing `up`s on the local runtime (Debian's Prometheus, the demo
exporters) and on the Docker engine, every corruption of `state.json`, a
hostile server (tests/integration/hostile.py) answering each wrong shape of the
issue and a slow answer, a 5 MB label, the dashboard in a private tmux server
(a wrong shape; `--theme` with a private config), file modes after `up`, a
deeply nested stack or config file and `--stack /dev/zero`, Ctrl-C at several
delays after start (`python -m promdash`, the installed `promdash`, and a
floor: a bare `python -m` module that resets SIGINT first, as promdash does),
and a port held by another process. What is observed (exit codes, stderr
lines, tracebacks, ports still listening, processes still running, labelled
Docker objects, bytes printed, file modes, max RSS) is printed as one
Markdown table, each row beside the issue's own words for the same command
before the fixes.

A row whose observation is not what issue 8 asks for is marked NOT FIXED and
the script exits 1. For Ctrl-C that means a traceback raised in promdash's own
code; one raised before promdash's first line (the interpreter starting, as
the floor row shows for any `python -m` module) is counted and shown, not held
against it. Needs the `prometheus` binary, a Docker engine with the
demo images (scripts/start-dockerd.sh, scripts/standin-images.sh) and tmux;
takes about three minutes. Whatever it starts is stopped at the end, and
`down --volumes` removes the Docker stack, even when a scenario fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.integration.hostile import HostileServer  # noqa: E402  (stdlib only, no pytest)
from tests.stackfiles import demo_stack_text, free_port  # noqa: E402

STACK_LABEL = "io.promdash.stack"  # what the docker runtime labels its objects with
MARK = "PROMDASH_STACK_DIR"  # what each local process carries in its environment
STATE_FILE = "state.json"
SERVICES = ("prometheus", "random-1", "random-2", "random-3")


# ---------------------------------------------------------------- observing


@dataclass
class Result:
    """One promdash process as a user sees it."""

    returncode: int
    stdout: bytes
    stderr: str
    seconds: float
    maxrss_kb: int = 0

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.stderr or b"Traceback" in self.stdout

    def brief(self) -> str:
        """`exit N, K stderr line(s), no traceback`."""
        lines = len(self.lines)
        shown = "TRACEBACK" if self.traceback else "no traceback"
        return f"exit {self.returncode}, {lines} stderr line{'s' * (lines != 1)}, {shown}"


@dataclass
class Row:
    scenario: str
    before: str
    after: str
    command: str
    fixed: bool


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie answers kill(0) but is gone: look at its state.
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    return True


def marked_processes(directory: Path) -> list[int]:
    """PIDs of live processes whose environment names `directory` as their stack's.

    Read from /proc, independently of promdash: what really runs for the stack.
    """
    wanted = f"{MARK}={directory}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def short(text: str, limit: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def docker_ids(kind: str, name: str) -> list[str]:
    """IDs of the containers, networks or volumes labelled with the stack's name."""
    listing = {"container": ["ps", "-a"], "network": ["network", "ls"], "volume": ["volume", "ls"]}
    done = subprocess.run(
        ["docker", *listing[kind], "-q", "--filter", f"label={STACK_LABEL}={name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.split()


class Bench:
    """The temporary home of one run: environment, stack files, names; promdash runners."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.state_dir = tmp / "state"  # created by promdash itself, so its mode is promdash's
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PROMDASH_URL", "PROMDASH_TOKEN", "PROMDASH_CONTEXT", "COLUMNS", "LINES")
        }
        self.env |= {
            "PYTHONPATH": str(ROOT),
            "PROMDASH_STATE_DIR": str(self.state_dir),
            "PROMDASH_CONFIG": str(tmp / "config.yaml"),
        }
        os.environ.update(self.env)  # exported for every subprocess
        self.local = f"bench-rob-{os.getpid()}"
        self.prom_port = free_port()
        self.exporter_ports = (free_port(), free_port(), free_port())
        data = yaml.safe_load(
            demo_stack_text(
                self.local, prometheus_port=self.prom_port, exporter_ports=self.exporter_ports
            )
        )
        # Scraped every second: each fresh `up` is ready soon after Prometheus
        # applies its targets (about 5 s), and this bench starts the stack often.
        data["prometheus"]["scrape_interval"] = data["exporters"]["scrape_interval"] = "1s"
        self.local_file = tmp / "local.yaml"
        self.local_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.docker = f"bench-rob-dock-{os.getpid()}"
        self.docker_file = tmp / "docker.yaml"
        self.docker_file.write_text(
            demo_stack_text(
                self.docker,
                prometheus_port=free_port(),
                exporter_ports=(free_port(), free_port(), free_port()),
            )
        )

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.prom_port, *self.exporter_ports)

    def stack_dir(self, name: str) -> Path:
        return self.state_dir / "stacks" / name

    def state_path(self, name: str) -> Path:
        return self.stack_dir(name) / STATE_FILE

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "promdash.cli", *args]

    def run(self, *args: str, timeout: float = 180) -> Result:
        """`promdash ARGS`, to its end; its max RSS from wait4 (this child alone)."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.monotonic()
            process = subprocess.Popen(
                self.command(*args), stdout=out, stderr=err, env=self.env, cwd=ROOT
            )
            try:
                _, status, usage = wait4(process.pid, timeout)
            except TimeoutError:
                process.kill()
                process.wait()
                raise
            seconds = time.monotonic() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            return Result(
                process.returncode,
                out.read(),
                err.read().decode(errors="replace"),
                seconds,
                usage.ru_maxrss,
            )

    def together(self, *args: str) -> list[Result]:
        """Two copies of one command started at the same moment (`cmd & cmd & wait`)."""
        start = time.monotonic()
        processes = [
            subprocess.Popen(
                self.command(*args),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                cwd=ROOT,
            )
            for _ in range(2)
        ]
        results = []
        for process in processes:
            out, err = process.communicate(timeout=180)
            results.append(
                Result(
                    process.returncode,
                    out,
                    err.decode(errors="replace"),
                    time.monotonic() - start,
                )
            )
        return results

    def local_up_args(self) -> tuple[str, ...]:
        return (
            "up",
            "--detach",
            "--runtime",
            "local",
            "--stack",
            str(self.local_file),
            "--timeout",
            "60",
        )

    def local_up(self) -> Result:
        return self.run(*self.local_up_args())

    def local_marked(self) -> list[int]:
        return marked_processes(self.stack_dir(self.local).resolve())

    def local_listening(self) -> list[int]:
        return [port for port in self.ports if listening(port)]

    def state_pids(self, name: str) -> list[int]:
        document = json.loads(self.state_path(name).read_text())
        return sorted(record["pid"] for record in document["processes"].values())

    def docker_left(self) -> str:
        kinds = ("container", "network", "volume")
        counts = {kind: len(docker_ids(kind, self.docker)) for kind in kinds}
        return ", ".join(f"{n} {kind}{'s' * (n != 1)}" for kind, n in counts.items())


def wait4(pid: int, timeout: float) -> tuple[int, int, resource.struct_rusage]:
    """os.wait4 with a deadline (polled), so a hung promdash cannot hang the bench."""
    deadline = time.monotonic() + timeout
    while True:
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            return waited, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"pid {pid} still running after {timeout}s")
        time.sleep(0.01)


def relative(bench: Bench, text: str) -> str:
    """A message with the temporary directory's paths shortened, as a table cell shows it."""
    return text.replace(str(bench.state_dir) + "/", "").replace(str(bench.tmp) + "/", "")


# ---------------------------------------------------------------- 1, 3, 8: the local runtime


def race_local(bench: Bench, races: int) -> list[Row]:
    bench.run("down", "--name", bench.local)
    rounds = []
    fixed = True
    for _ in range(races):
        first, second = bench.together(*bench.local_up_args())
        pids = bench.state_pids(bench.local) if bench.state_path(bench.local).exists() else []
        live = [pid for pid in pids if alive(pid)]
        running = bench.local_marked()
        waited = sum(": waiting for " in r.stderr for r in (first, second))
        down = bench.run("down", "--name", bench.local)
        time.sleep(0.2)
        still = bench.local_listening()
        left = bench.local_marked()
        rounds.append(
            f"exits {first.returncode},{second.returncode}; {waited} waited; "
            f"state.json {len(live)}/{len(pids)} PIDs alive (= the {len(running)} running: "
            f"{'yes' if live == running else 'NO'}); down exit {down.returncode}: "
            f"{len(still)} ports listening, {len(left)} processes left"
        )
        fixed &= (
            (first.returncode, second.returncode, down.returncode) == (0, 0, 0)
            and waited == 1
            and len(pids) == 4
            and live == running == pids
            and not still
            and not left
            and not first.traceback
            and not second.traceback
        )
    up = "promdash up --detach --runtime local"
    return [
        Row(
            f"1. two `up` at once, local runtime (×{races})",
            "both exit 0; in 4 of 6 tries state.json held the loser's dead PIDs: `down` "
            "exit 0 while 2-4 processes kept listening, then status/down exit 7, up exit 5",
            " / ".join(f"#{i + 1}: {r}" for i, r in enumerate(rounds)),
            f"`{up} & {up} & wait; promdash down`",
            fixed,
        )
    ]


def corrupt(document: dict[str, object], text: str, how: str, name: str) -> bytes:
    if how == "truncated":
        return text[: len(text) // 2].encode()
    if how == "cut-off (empty)":
        return b""
    if how == "binary":
        return bytes(range(256)) * 4
    if how == "[]":
        return b"[]"
    if how == "{}":
        return b"{}"
    if how == '{"name":NAME}':
        return json.dumps({"name": name}).encode()
    if how == "string for a list":
        return json.dumps({**document, "without": "grafana"}).encode()
    if how == 'pid: "x"':
        processes = dict(document["processes"])  # type: ignore[call-overload]
        processes["random-1"] = {**processes["random-1"], "pid": "x"}
        return json.dumps({**document, "processes": processes}).encode()
    raise ValueError(how)


HIDDEN = "status/down: 'no stack is running' while all 4 processes run; up fails on the port"
CORRUPTIONS: dict[str, str] = {  # how: before (the words)
    "truncated": HIDDEN,
    "binary": HIDDEN,
    "cut-off (empty)": HIDDEN,
    "[]": "AttributeError/TypeError traceback",
    "{}": "AttributeError/TypeError traceback",
    '{"name":NAME}': "AttributeError/TypeError traceback",
    "string for a list": "AttributeError/TypeError traceback",
    'pid: "x"': "`down` exits 0 and leaves a process running",
}


def corruptions(bench: Bench) -> list[Row]:
    rows = []
    name = bench.local
    for how, before in CORRUPTIONS.items():
        if not bench.state_path(name).exists() or len(bench.local_marked()) != 4:
            bench.local_up()
        path = bench.state_path(name)
        text = path.read_text()
        running = bench.local_marked()
        damaged = corrupt(json.loads(text), text, how, name)

        path.write_bytes(damaged)
        status = bench.run("status", "--name", name)
        shown = [
            line.split()[0]
            for line in status.stdout.decode().splitlines()
            if line.split()[:1] and line.split()[1:2] == ["running"]
        ]
        rewritten = bench.state_pids(name) == running if path.exists() else False
        notice = status.lines[0] if status.lines else ""

        path.write_bytes(damaged)
        down = bench.run("down", "--name", name)
        time.sleep(0.2)
        still, left = bench.local_listening(), bench.local_marked()

        path.write_bytes(damaged)
        up = bench.local_up()
        kept = (bench.stack_dir(name) / (STATE_FILE + ".unreadable")).is_file()
        after = (
            f"status {status.brief()}, {len(shown)}/4 shown running, state rewritten: "
            f"{'yes' if rewritten else 'NO'}: “{short(relative(bench, notice), 170)}” · "
            f"down {down.brief()}: {len(still)} ports listening, {len(left)} processes left · "
            f"up {up.brief()}, damaged file kept as state.json.unreadable: "
            f"{'yes' if kept else 'no'}"
        )
        fixed = (
            status.returncode == 0
            and len(status.lines) == 1
            and "rewrote" in notice
            and sorted(shown) == sorted(SERVICES)
            and rewritten
            and down.returncode == 0
            and not still
            and not left
            and up.returncode == 0
            and kept
            and not (status.traceback or down.traceback or up.traceback)
        )
        rows.append(
            Row(
                f"3. state.json {how}, local runtime",
                before,
                after,
                "damage `state.json`, then `promdash status`; again, `promdash down`; "
                "again, `promdash up`",
                fixed,
            )
        )
    return rows


def modes_after_up(bench: Bench) -> list[Row]:
    if len(bench.local_marked()) != 4:
        bench.local_up()
    directory = bench.stack_dir(bench.local)
    logs = sorted((directory / "logs").iterdir())
    state_dir, stacks = bench.state_dir, bench.state_dir / "stacks"
    after = (
        f"state dir {mode(state_dir)}, stacks/ {mode(stacks)}, stack dir {mode(directory)}, "
        f"logs/ {mode(directory / 'logs')}, state.json {mode(directory / STATE_FILE)}, "
        f"{len(logs)} logs {', '.join(sorted({mode(p) for p in logs}))}, "
        f"lock {mode(directory / 'lock')}"
    )
    private_dirs = [state_dir, directory, directory / "logs"]
    private_files = [directory / STATE_FILE, directory / "lock", *logs]
    fixed = all(mode(p) == "0700" for p in private_dirs) and all(
        mode(p) == "0600" for p in private_files
    )
    return [
        Row(
            "8. file modes after `up` (umask 022)",
            "state dir 0755; logs and state.json 0644",
            after,
            "`umask 022; promdash up; "
            "stat -c %a STATE_DIR STATE_DIR/stacks/NAME/{,state.json,logs/*}`",
            fixed,
        )
    ]


# ---------------------------------------------------------------- 2: the docker runtime


def race_docker(bench: Bench, races: int) -> list[Row]:
    name = bench.docker
    args = ("up", "--detach", "--runtime", "docker", "--stack", str(bench.docker_file))
    rounds = []
    fixed = True
    corrupt_row: Row | None = None
    for index in range(races):
        first, second = bench.together(*args)
        networks = len(docker_ids("network", name))
        containers = len(docker_ids("container", name))
        if index == races - 1:
            corrupt_row = docker_corruption(bench)
        down = bench.run("down", "--volumes", "--name", name)
        left = bench.docker_left()
        rounds.append(
            f"exits {first.returncode},{second.returncode}: {networks} labelled network"
            f"{'s' * (networks != 1)}, {containers} containers; down --volumes exit "
            f"{down.returncode}: {left} left"
        )
        fixed &= (
            (first.returncode, second.returncode, down.returncode) == (0, 0, 0)
            and networks == 1
            and containers == 4
            and left == "0 containers, 0 networks, 0 volumes"
            and not (first.traceback or second.traceback or down.traceback)
        )
    up = "promdash up --detach --runtime docker"
    rows = [
        Row(
            f"2. two `up` at once, docker runtime (×{races})",
            "two networks promdash-demo; `down` exits 7 and leaves them; every later `up`: "
            "'network promdash-demo is ambiguous'",
            " / ".join(f"#{i + 1}: {r}" for i, r in enumerate(rounds)),
            f"`{up} & {up} & wait; promdash down --volumes; docker network ls`",
            fixed,
        )
    ]
    return rows + ([corrupt_row] if corrupt_row else [])


def docker_corruption(bench: Bench) -> Row:
    path = bench.state_path(bench.docker)
    path.write_text('{"name": ')
    status = bench.run("status", "--name", bench.docker)
    shown = sum(line.split()[1:2] == ["running"] for line in status.stdout.decode().splitlines())
    notice = status.lines[0] if status.lines else ""
    fixed = (
        status.returncode == 0
        and len(status.lines) == 1
        and "docker services" in notice
        and shown == 4
        and not status.traceback
    )
    return Row(
        "3. state.json cut off, docker runtime",
        "labels saved `down`, but `status` said 'no stack'",
        f"status {status.brief()}, {shown}/4 shown running: "
        f"“{short(relative(bench, notice), 170)}”",
        "`echo '{\"name\": ' > state.json; promdash status`",
        fixed,
    )


# ---------------------------------------------------------------- 4, 5, 6: odd servers


class LiteralServer(HostileServer):
    """The hostile server, answering every API path with one body when `body` is set."""

    body: bytes | None = None

    def answer(self, path: str) -> tuple[int, bytes]:
        if self.body is not None and path.startswith("/api/v1/"):
            return 200, self.body
        return super().answer(path)


SHAPES: dict[str, tuple[str, str]] = {
    # name: (body, before)
    '{"activeTargets":"abc"}': (
        '{"status":"success","data":{"activeTargets":"abc"}}',
        "AttributeError/IndexError tracebacks (8 of 9 command/server pairs)",
    ),
    "data null": (
        '{"status":"success","data":null}',
        "AttributeError/IndexError tracebacks (8 of 9 command/server pairs)",
    ),
    "data [1,2,3]": (
        '{"status":"success","data":[1,2,3]}',
        "AttributeError/IndexError tracebacks (8 of 9 command/server pairs)",
    ),
    'vector result [{"value":[1]}]': (
        '{"status":"success","data":{"resultType":"vector","result":[{"value":[1]}]}}',
        "IndexError traceback",
    ),
    'result "abc"': (
        '{"status":"success","data":{"resultType":"vector","result":"abc"}}',
        "silently taken as 'no data' (exit 0)",
    ),
}


def hostile_shapes(bench: Bench, server: LiteralServer) -> list[Row]:
    rows = []
    for shape, (body, before) in SHAPES.items():
        server.body = body.encode()
        cells, fixed = [], True
        for args in (["targets"], ["query", "up"]):
            result = bench.run(*args, "--url", server.url, "--timeout", "5")
            line = result.lines[0] if result.lines else ""
            if result.returncode == 0:  # taken as an answer: say what it printed
                line = "stdout: " + result.stdout.decode(errors="replace")
                if args == ["targets"]:
                    line += " (a targets answer without `activeTargets` read as none)"
            cells.append(f"`{' '.join(args)}` {result.brief()}: “{short(line, 110)}”")
            fixed &= (
                result.returncode == 1
                and len(result.lines) == 1
                and line.startswith("promdash: unexpected answer from /api/v1/")
                and not result.stdout
                and not result.traceback
            )
        rows.append(
            Row(
                f"4. server answers {shape}",
                before,
                " · ".join(cells),
                f"server answering `{body}`; "
                "`promdash targets --url URL`, `promdash query up --url URL`",
                fixed,
            )
        )
    server.body = None
    return rows


def slow_and_bounds(bench: Bench, server: LiteralServer) -> list[Row]:
    server.shape = "slow"
    cells, fixed = [], True
    for args in (["targets"], ["query", "up"]):
        result = bench.run(*args, "--url", server.url, "--timeout", "1")
        line = result.lines[0] if result.lines else ""
        cells.append(
            f"`{' '.join(args)}` {result.brief()} after {result.seconds:.1f} s: "
            f"“{short(line.replace(server.url, 'URL'), 140)}”"
        )
        fixed &= (
            result.returncode == 8
            and len(result.lines) == 1
            and "did not answer within 1s" in line
            and "--timeout" in line
            and not result.traceback
        )
    server.shape = "good"
    rows = [
        Row(
            "5. slow server (no answer within `--timeout 1`)",
            "exit 2 “cannot reach … no answer within 10s”, as for an unreachable server",
            " · ".join(cells),
            "server that accepts and never answers; `promdash targets --url URL --timeout 1`",
            fixed,
        )
    ]
    cells, fixed = [], True
    for args in (
        ["query", "up", "--time", "nan"],
        ["query", "up", "--time", "inf"],
        ["query", "up", "--time", "1e30"],
        ["logs", "prometheus", "--tail", "-5"],
    ):
        result = bench.run(*args, "--url", server.url) if args[0] == "query" else bench.run(*args)
        cells.append(f"`{' '.join(args[-2:])}` exit {result.returncode}")
        fixed &= result.returncode == 64 and not result.traceback and not result.stdout
    rows.append(
        Row(
            "5. `--time nan|inf|1e30`, `logs --tail -5`",
            "accepted",
            ", ".join(cells) + " (64: usage)",
            "`promdash query up --time nan`; `promdash logs prometheus --tail -5`",
            fixed,
        )
    )
    return rows


def huge_label(bench: Bench, server: LiteralServer) -> list[Row]:
    server.shape = "huge label"
    text = bench.run("targets", "--url", server.url)
    whole = bench.run("targets", "--url", server.url, "--json")
    server.shape = "good"
    try:
        label = json.loads(whole.stdout)["targets"][0]["labels"]["big"]
    except (ValueError, KeyError, IndexError):
        label = ""
    fixed = (
        text.returncode == whole.returncode == 0
        and len(text.stdout) < 2000
        and len(label) == 5 * 1024 * 1024
    )
    return [
        Row(
            "6. a 5 MB label value",
            "10.5 MB printed to the terminal",
            f"`targets` printed {len(text.stdout):,} bytes (cell cut: “…(+5.2 MB)” shown: "
            f"{'yes' if '…(+5.2 MB)' in text.stdout.decode(errors='replace') else 'no'}); "
            f"`targets --json` {len(whole.stdout):,} bytes, the whole 5 MB value",
            "server with a 5 MB label; `promdash targets --url URL [--json] | wc -c`",
            fixed,
        )
    ]


# ---------------------------------------------------------------- 4, 7: the dashboard in tmux


class Tmux:
    """A private tmux server (its own socket): no one else's sessions are touched."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.base = ["tmux", "-L", f"promdash-bench-robustness-{os.getpid()}"]
        # The shell in the pane writes promdash's exit status here: tmux's own
        # #{pane_dead_status} is sometimes empty when the pane's terminal closes
        # before tmux reaps the process.
        self.status_file = bench.tmp / "tmux-exit-status"

    def launch(self, *args: str, env: dict[str, str]) -> None:
        names = ("PYTHONPATH", "PROMDASH_STATE_DIR", "PROMDASH_CONFIG")
        keep = {k: self.bench.env[k] for k in names}
        self.status_file.unlink(missing_ok=True)
        # Textual obeys COLUMNS/LINES over the terminal's own size.
        line = " ".join(
            ["env", "-u", "COLUMNS", "-u", "LINES"]
            + [f"{k}={shlex.quote(v)}" for k, v in (keep | env).items()]
            + [shlex.quote(part) for part in (sys.executable, "-m", "promdash", *args)]
            + ["; echo $? >", shlex.quote(str(self.status_file))]
        )
        size = ["-x", "120", "-y", "40"]
        subprocess.run(
            [*self.base, "new-session", "-d", *size, "-s", "dash", "-c", str(ROOT), line],
            check=True,
        )

    def screen(self) -> str:
        done = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "dash"],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def wait(self, condition: Callable[[str], bool], timeout: float) -> tuple[bool, float]:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if condition(self.screen()):
                return True, time.monotonic() - start
            time.sleep(0.2)
        return False, time.monotonic() - start

    def quit(self) -> str:
        """Press q; how promdash ended ("exit 0" when all is well)."""
        subprocess.run([*self.base, "send-keys", "-t", "dash", "q"], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError):
                status = self.status_file.read_text().strip()
                if status:
                    return f"exit {status}"
            time.sleep(0.1)
        subprocess.run([*self.base, "kill-session", "-t", "dash"], capture_output=True, check=False)
        return "still running 15 s after q"

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, check=False)


def hostile_dashboard(bench: Bench, server: LiteralServer, tmux: Tmux) -> list[Row]:
    server.shape = "a string where a list belongs"
    tmux.launch("--url", server.url, env={})
    said = "answered something promdash cannot read"
    shown, seconds = tmux.wait(lambda screen: said in " ".join(screen.split()), 30)
    banner = [
        line.strip(" │┃") for line in tmux.screen().splitlines() if "unexpected answer" in line
    ]
    quit_status = tmux.quit()
    server.shape = "good"
    return [
        Row(
            "4. the dashboard against a wrong shape",
            "stays on “connecting…” forever with a once-a-minute toast of the Python error",
            f"banner “URL {said}” after {seconds:.1f} s: {'yes' if shown else 'NO'} "
            f"(“{short(' '.join(banner), 100)}”); q: {quit_status}",
            'server answering `activeTargets: "abc"`; `promdash --url URL` in tmux',
            shown and quit_status == "exit 0",
        )
    ]


USER_CONFIG = """\
# my servers -- this comment must survive
contexts:
  prod:
    url: https://alice:s3cret@prom.example.com   # credentials in the URL
    headers: {X-Api-Key: abc123}
"""


def theme_keeps_config(bench: Bench, server: LiteralServer, tmux: Tmux) -> list[Row]:
    config = bench.tmp / "theme-config.yaml"
    config.write_text(USER_CONFIG)
    config.chmod(0o600)
    before = config.read_bytes()
    tmux.launch(
        "--theme", "promdash-light", "--url", server.url, env={"PROMDASH_CONFIG": str(config)}
    )
    shown, seconds = tmux.wait(lambda screen: "connected" in screen, 30)
    quit_status = tmux.quit()
    unchanged = config.read_bytes() == before
    preferences = bench.state_dir / "preferences.json"
    remembered = " ".join(preferences.read_text().split()) if preferences.exists() else "(none)"
    pref_mode = mode(preferences) if preferences.exists() else "-"
    return [
        Row(
            "7. `promdash --theme promdash-light`, config 0600 with a comment and X-Api-Key",
            "config 0600 → 0644 (world-readable secrets), its comments dropped",
            f"dashboard up: {'yes' if shown else 'NO'} ({seconds:.1f} s), q: {quit_status}; "
            f"config mode {mode(config)}, bytes unchanged: "
            f"{'yes' if unchanged else 'NO'}; theme remembered in preferences.json "
            f"{pref_mode}: {remembered}",
            "`chmod 600 config.yaml; promdash --theme promdash-light --url URL`, q; "
            "`stat -c %a config.yaml`",
            shown and quit_status == "exit 0" and unchanged and mode(config) == "0600",
        )
    ]


# ---------------------------------------------------------------- 9: bounded reading


def bounded_reading(bench: Bench) -> list[Row]:
    depth = 50_000
    nested = bench.tmp / "nested.yaml"
    nested.write_text("name: " + "[" * depth + "]" * depth + "\n")
    nested_config = bench.tmp / "nested-config.yaml"
    nested_config.write_text("contexts: " + "{a: " * 25_000 + "1" + "}" * 25_000 + "\n")
    size = nested.stat().st_size
    cases = [
        (
            f"stack file nested {depth:,} deep ({size // 1024} KB)",
            ["up", "--runtime", "local", "--stack", str(nested)],
            "`promdash up --stack nested.yaml`",
        ),
        (
            "`--stack /dev/zero`",
            ["up", "--runtime", "local", "--stack", "/dev/zero"],
            "`promdash up --stack /dev/zero`",
        ),
    ]
    rows = []
    for what, args, command in cases:
        result = bench.run(*args, timeout=60)
        line = relative(bench, result.lines[0]) if result.lines else ""
        rows.append(
            Row(
                f"9. {what}",
                "RecursionError traceback" if "nested" in what else "reads until memory runs out",
                f"{result.brief()}, {result.seconds:.2f} s, max RSS "
                f"{result.maxrss_kb / 1024:.0f} MB: “{short(line, 120)}”",
                command,
                result.returncode == 3 and len(result.lines) == 1 and not result.traceback,
            )
        )
    # The same for the config file, read by every query command.
    env = bench.env
    bench.env = env | {"PROMDASH_CONFIG": str(nested_config)}
    try:
        result = bench.run("config", timeout=60)
    finally:
        bench.env = env
    line = relative(bench, result.lines[0]) if result.lines else ""
    rows.append(
        Row(
            f"9. config file nested 25,000 deep ({nested_config.stat().st_size // 1024} KB)",
            "RecursionError traceback",
            f"{result.brief()}, {result.seconds:.2f} s, max RSS "
            f"{result.maxrss_kb / 1024:.0f} MB: “{short(line, 120)}”",
            "`PROMDASH_CONFIG=nested.yaml promdash config`",
            result.returncode == 3 and len(result.lines) == 1 and not result.traceback,
        )
    )
    return rows


# ---------------------------------------------------------------- 10: Ctrl-C, port holder


FLOOR_MODULE = """\
import _signal

_signal.signal(_signal.SIGINT, _signal.SIG_DFL)
import time

time.sleep(5)
"""
DELAYS = (
    0.01,
    0.02,
    0.03,
    0.035,
    0.04,
    0.045,
    0.05,
    0.06,
    0.075,
    0.1,
    0.15,
    0.2,
)  # seconds after the exec


def interrupted_in(traceback: str) -> str:
    """Where a KeyboardInterrupt traceback was raised: promdash's deepest frame, or not promdash.

    `cli.py:main>build_parser` names promdash's innermost function and the
    promdash function that called it. A traceback without any frame in the
    promdash package came before promdash's first line ran: the interpreter's
    own start-up (site, runpy, importlib), or importing promdash/__main__.py
    itself; no Python program can take Ctrl-C from the system earlier (see
    the floor row).
    """
    package = re.escape(str(ROOT / "promdash") + os.sep)
    frames = re.findall(rf'File "{package}([^"]+)", line \d+, in (\S+)', traceback)
    if not frames:
        return "the interpreter's start-up (no promdash frame)"
    calls = ">".join(function for _, function in frames[-2:])
    return f"promdash {frames[-1][0]}:{calls}"


@dataclass
class Interrupts:
    """Ctrl-C at each delay after one launcher started, `tries` times each."""

    runs: int
    tracebacks: int
    in_promdash: int
    where: Counter[str]
    per_delay: list[str]
    outcomes: Counter[str]

    def summary(self) -> str:
        places = "; ".join(f"{n}× in {place}" for place, n in self.where.most_common())
        spread = ", ".join(f"{n}× {what}" for what, n in self.outcomes.most_common())
        where = f" ({places})" if places else ""
        return (
            f"{self.tracebacks}/{self.runs} tracebacks{where}; by delay: "
            f"{', '.join(self.per_delay)}; outcomes: {spread}"
        )


def ctrl_c_runs(
    bench: Bench, launcher: list[str], tries: int, env: dict[str, str] | None = None
) -> Interrupts:
    result = Interrupts(len(DELAYS) * tries, 0, 0, Counter(), [], Counter())
    for delay in DELAYS:
        seen = 0
        for _ in range(tries):
            process = subprocess.Popen(
                launcher,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env or bench.env,
                cwd=ROOT,
            )
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
            text = (out + err).decode(errors="replace")
            if "Traceback" in text:
                seen += 1
                place = interrupted_in(text)
                result.where[place] += 1
                result.in_promdash += place.startswith("promdash ")
                result.outcomes["traceback"] += 1
            elif process.returncode == -signal.SIGINT:
                result.outcomes["ended quietly by SIGINT"] += 1
            elif process.returncode == 130:
                lines = len(err.splitlines())
                result.outcomes["exit 130, one line" if lines == 1 else "exit 130"] += 1
            else:
                result.outcomes[f"exit {process.returncode} (done before the Ctrl-C)"] += 1
        result.tracebacks += seen
        result.per_delay.append(f"{delay * 1000:g} ms {seen}/{tries}")
    return result


def ctrl_c(bench: Bench, tries: int) -> list[Row]:
    runs = len(DELAYS) * tries
    span = f"{DELAYS[0] * 1000:g}–{DELAYS[-1] * 1000:g} ms"
    before = "KeyboardInterrupt traceback when Ctrl-C arrives in the first ~50 ms (imports)"
    target = ["targets", "--url", "http://127.0.0.1:1"]
    launchers = [("python -m promdash", [sys.executable, "-m", "promdash", *target])]
    script = Path(sys.executable).parent / "promdash"  # the installed command, if any
    if script.is_file():
        launchers.append(("promdash (installed command)", [str(script), *target]))
    rows = []
    for label, launcher in launchers:
        interrupts = ctrl_c_runs(bench, launcher, tries)
        rows.append(
            Row(
                f"10. Ctrl-C {span} after `{label}` starts ({runs} runs)",
                before,
                interrupts.summary(),
                f"`{label} targets --url http://127.0.0.1:1`, Ctrl-C after "
                f"{DELAYS[0] * 1000:g}-{DELAYS[-1] * 1000:g} ms",
                interrupts.in_promdash == 0,
            )
        )
    # The floor: the best any `python -m MODULE` can do, a module whose first
    # line gives SIGINT back its default action (as promdash/__main__.py does);
    # a traceback there comes from the interpreter's start-up and runpy.
    floor = bench.tmp / "floor"
    floor.mkdir(exist_ok=True)
    (floor / "ctrl_c_floor.py").write_text(FLOOR_MODULE)
    env = bench.env | {"PYTHONPATH": f"{floor}{os.pathsep}{bench.env['PYTHONPATH']}"}
    interrupts = ctrl_c_runs(bench, [sys.executable, "-m", "ctrl_c_floor"], tries, env)
    rows.append(
        Row(
            f"10. (floor, not promdash) Ctrl-C {span} after `python -m ctrl_c_floor` starts",
            "(for comparison: a module whose first line resets SIGINT, as promdash's does)",
            interrupts.summary(),
            "`python -m ctrl_c_floor` (`import _signal; _signal.signal(2, _signal.SIG_DFL)`; "
            "sleep), Ctrl-C after 10-200 ms",
            True,
        )
    )
    return rows


def port_holder(bench: Bench) -> list[Row]:
    port = free_port()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "print('listening', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "listening"
        stack = bench.tmp / "port.yaml"
        others = (free_port(), port, free_port())
        prom_port = free_port()
        name = f"bench-rob-port-{os.getpid()}"
        stack.write_text(demo_stack_text(name, prometheus_port=prom_port, exporter_ports=others))
        result = bench.run("up", "--runtime", "local", "--detach", "--stack", str(stack))
        time.sleep(0.2)
        started = [p for p in (prom_port, others[0], others[2]) if listening(p)]
        left = marked_processes(bench.stack_dir(name).resolve())
    finally:
        holder.kill()
        holder.wait()
    line = result.lines[-1] if result.lines else ""
    named = f"pid {holder.pid}" in line
    return [
        Row(
            "10. `up` on a port a plain python listener holds",
            "“port … is already in use”, without the holder",
            f"{result.brief()}: “{short(line, 140)}”; holder named: {'yes' if named else 'NO'}; "
            f"{len(started)} other ports listening, {len(left)} processes left",
            "`python -c 'listen on P'` & `promdash up --runtime local` (an exporter on P)",
            result.returncode == 5 and named and not started and not left and not result.traceback,
        )
    ]


# ---------------------------------------------------------------- the run


def cleanup(bench: Bench) -> None:
    """Stop whatever this run started, whatever state it is in."""
    bench.run("down", "--name", bench.local)
    for pid in bench.local_marked():  # never leave our processes behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    bench.run("down", "--volumes", "--name", bench.docker)
    for kind in ("container", "network", "volume"):
        ids = docker_ids(kind, bench.docker)
        if ids:
            print(
                f"bench: removing {len(ids)} leftover {kind}(s) of {bench.docker}", file=sys.stderr
            )
            remove = {
                "container": ["rm", "-f", "-v"],
                "network": ["network", "rm"],
                "volume": ["volume", "rm", "-f"],
            }[kind]
            subprocess.run(["docker", *remove, *ids], capture_output=True, check=False)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def print_table(rows: list[Row]) -> None:
    print("| scenario | before (issue 8) | after (this run) | command |")
    print("|---|---|---|---|")
    for row in rows:
        after = row.after if row.fixed else f"**NOT FIXED**: {row.after}"
        print(
            f"| {cell(row.scenario)} | {cell(row.before)} | {cell(after)} | {cell(row.command)} |"
        )


@contextlib.contextmanager
def timed(label: str, seconds: dict[str, float]) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        seconds[label] = time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--races", type=int, default=3, help="racing local ups (default: 3)")
    parser.add_argument(
        "--docker-races", type=int, default=2, help="racing docker ups (default: 2)"
    )
    parser.add_argument(
        "--ctrl-c-tries", type=int, default=5, help="Ctrl-C runs per delay (default: 5)"
    )
    args = parser.parse_args()
    for needed in ("prometheus", "docker", "tmux"):
        if shutil.which(needed) is None:
            sys.exit(f"bench: `{needed}` is not installed")
    os.umask(0o022)  # a usual umask: what promdash makes must not depend on it
    start = time.monotonic()
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="promdash-bench-robustness-") as tmp:
        bench = Bench(Path(tmp))
        tmux = Tmux(bench)
        try:
            server = LiteralServer()
            with server:
                with timed("1", seconds):
                    rows += race_local(bench, args.races)
                with timed("2", seconds):
                    rows += race_docker(bench, args.docker_races)
                with timed("3", seconds):
                    rows += corruptions(bench)
                with timed("4", seconds):
                    rows += hostile_shapes(bench, server)
                    rows += hostile_dashboard(bench, server, tmux)
                with timed("5", seconds):
                    rows += slow_and_bounds(bench, server)
                with timed("6", seconds):
                    rows += huge_label(bench, server)
                with timed("7", seconds):
                    rows += theme_keeps_config(bench, server, tmux)
                with timed("8", seconds):
                    rows += modes_after_up(bench)
                with timed("9", seconds):
                    rows += bounded_reading(bench)
                with timed("10", seconds):
                    rows += ctrl_c(bench, args.ctrl_c_tries)
                    rows += port_holder(bench)
        finally:
            tmux.close()
            cleanup(bench)
    order = {f"{n}.": n for n in range(1, 11)}
    rows.sort(key=lambda row: order[row.scenario.split()[0]])
    print_table(rows)
    failed = [row.scenario for row in rows if not row.fixed]
    took = ", ".join(f"{k}: {v:.0f} s" for k, v in seconds.items())
    print(
        f"\n{len(rows)} rows, {len(rows) - len(failed)} as issue 8 asks; "
        f"{time.monotonic() - start:.0f} s in all ({took})"
    )
    if failed:
        print("NOT FIXED: " + "; ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
