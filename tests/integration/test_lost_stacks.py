"""Nothing orphaned, nothing lost: racing `up`s and corrupt state files, for real.

Each test runs the CLI as users do (separate processes, started together where
the issue was a race) against Debian's Prometheus, the demo exporters and the
real Docker engine, then checks what is really listening and what really runs.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from promdash import cli
from promdash.stack import docker_specs as dockerrt
from promdash.stack.local import find_alertmanager
from promdash.stack.model import parse_stack
from promdash.stack.procs import MARK_STACK_DIR, marked_processes
from promdash.stack.state import STATE_FILE, StackState, stack_dir, stack_lock
from tests.conftest import demo_stack_text, free_port, require_prometheus
from tests.integration.test_docker_runtime import leftovers, require_docker

RACES = 3


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "promdash.cli", *args]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_cli(*args), capture_output=True, text=True, timeout=timeout)


def _together(*args: str) -> list[subprocess.CompletedProcess[str]]:
    """Two copies of one command, started at the same moment, as with `cmd & cmd & wait`."""
    procs = [
        subprocess.Popen(_cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _marked(name: str) -> list[int]:
    """PIDs of processes promdash's local runtime started for stack `name`."""
    directory = str(stack_dir(name).resolve())
    return [pid for pid, marks in marked_processes() if marks.get(MARK_STACK_DIR) == directory]


class LocalStack:
    def __init__(self, tmp: Path, name: str) -> None:
        self.name = name
        self.prom_port = free_port()
        self.exporter_ports = (free_port(), free_port(), free_port())
        self.alertmanager_ports = (free_port(), free_port())  # Alertmanager, webhook
        self.file = tmp / f"{name}.yaml"
        data = yaml.safe_load(
            demo_stack_text(
                name,
                prometheus_port=self.prom_port,
                exporter_ports=self.exporter_ports,
                alertmanager_port=self.alertmanager_ports[0],
                webhook_port=self.alertmanager_ports[1],
            )
        )
        stack = parse_stack(yaml.safe_dump(data))
        # What the local runtime starts: Alertmanager only where its binary is.
        self.services = (
            stack if find_alertmanager() else stack.leaving_out(["alertmanager"])
        ).service_names()
        # Scraped every second, so each fresh `up` is ready soon after Prometheus
        # applies its targets (about 5 s): these tests start the stack many times.
        data["prometheus"]["scrape_interval"] = data["exporters"]["scrape_interval"] = "1s"
        self.file.write_text(yaml.safe_dump(data, sort_keys=False))

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.prom_port, *self.alertmanager_ports, *self.exporter_ports)

    def up_args(self) -> tuple[str, ...]:
        return (
            "up",
            "--detach",
            "--runtime",
            "local",
            "--stack",
            str(self.file),
            "--timeout",
            "60",
        )

    def assert_gone(self) -> None:
        assert [p for p in self.ports if _listening(p)] == []
        assert _marked(self.name) == []


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One stack file for the module; each test finds it down or running and says which."""
    require_prometheus()
    stack = LocalStack(tmp_path_factory.mktemp("lost"), "it-lost")
    yield stack
    _run("down", "--name", stack.name)
    for pid in _marked(stack.name):  # never leave a test's processes behind
        os.killpg(pid, 9)


def test_two_ups_at_once_start_one_stack_and_one_down_stops_it(local: LocalStack) -> None:
    _run("down", "--name", local.name)
    for _ in range(RACES):
        first, second = _together(*local.up_args())
        assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
        # One of them waited for the other and then found the stack already up.
        waited = [r for r in (first, second) if ": waiting for " in r.stderr]
        assert len(waited) == 1, first.stderr + "\n----\n" + second.stderr
        assert waited[0].stderr.count("already running") == len(local.services)
        state = StackState.load(local.name)
        assert state is not None
        assert sorted(r.pid for r in state.processes.values()) == sorted(_marked(local.name))
        assert len(state.processes) == len(local.services)
        down = _run("down", "--name", local.name)
        assert down.returncode == 0, down.stderr
        local.assert_gone()


def test_an_up_that_cannot_get_the_lock_in_time_says_who_holds_it(local: LocalStack) -> None:
    with stack_lock(local.name, "test", wait=1, progress=print):
        up = _run(*local.up_args()[:-1], "1")  # --timeout 1
    assert up.returncode == cli.EXIT_BUSY
    last = up.stderr.strip().splitlines()[-1]
    assert last == (
        f"promdash: stack 'it-lost' is being changed by promdash test (pid {os.getpid()}); "
        "gave up waiting after 1s (try again when it is done)"
    )


def _corrupt(state: StackState, how: str) -> bytes:
    text = json.dumps(json.loads(state.path.read_text()), indent=2)
    document = json.loads(text)
    if how == "truncated":
        return text[: len(text) // 2].encode()
    if how == "cut-off":
        return b""
    if how == "binary":
        return bytes(range(256)) * 4
    if how == "string-for-list":
        document["without"] = "grafana"
        return json.dumps(document).encode()
    if how == "pid-not-a-number":
        document["processes"]["random-1"]["pid"] = "x"
        return json.dumps(document).encode()
    return how.encode()  # literal JSON


CORRUPTIONS = [
    "truncated",
    "cut-off",
    "binary",
    "[]",
    "{}",
    '{"name": "it-lost"}',
    "string-for-list",
    "pid-not-a-number",
]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_a_corrupt_state_file_neither_hides_nor_orphans_the_stack(
    local: LocalStack, how: str
) -> None:
    """Each case ends with the stack up again: the next case starts from there."""
    if StackState.load(local.name) is None:
        up = _run(*local.up_args())
        assert up.returncode == 0, up.stderr
    state = StackState.load(local.name)
    assert state is not None
    running = sorted(_marked(local.name))
    assert len(running) == len(local.services)

    corrupt = _corrupt(state, how)
    state.path.write_bytes(corrupt)
    status = _run("status", "--name", local.name)
    assert status.returncode == 0, status.stderr
    assert "Traceback" not in status.stderr
    notice = status.stderr.strip().splitlines()
    assert len(notice) == 1 and f"state file {state.path}" in notice[0], status.stderr
    assert "rewrote" in notice[0]
    for service in local.services:
        assert any(
            line.split()[:2] == [service, "running"] for line in status.stdout.splitlines()
        ), status.stdout
    rewritten = StackState.load(local.name)
    assert rewritten is not None
    assert sorted(r.pid for r in rewritten.processes.values()) == running

    state.path.write_bytes(corrupt)
    down = _run("down", "--name", local.name)
    assert down.returncode == 0, down.stderr
    assert "Traceback" not in down.stderr
    local.assert_gone()
    assert not state.path.exists()

    state.path.write_bytes(corrupt)
    again = _run(*local.up_args())
    assert again.returncode == 0, again.stderr
    assert "nothing of stack 'it-lost' is running" in again.stderr
    assert (stack_dir(local.name) / (STATE_FILE + ".unreadable")).is_file()  # kept, not lost
    assert StackState.load(local.name) is not None


def test_after_up_the_state_directory_logs_and_state_are_the_users_alone(
    local: LocalStack,
) -> None:
    old = os.umask(0o022)  # a usual umask: what promdash makes must not depend on it
    try:
        assert _run(*local.up_args()).returncode == 0
    finally:
        os.umask(old)
    directory = stack_dir(local.name)
    private = [directory.parent.parent, directory, directory / "logs"]
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in private} == {
        str(p): 0o700 for p in private
    }
    files = [directory / STATE_FILE, *sorted((directory / "logs").iterdir())]
    assert len(files) == 1 + len(local.services)  # state.json and a log per service
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}


def test_without_a_state_file_down_still_finds_the_processes(local: LocalStack) -> None:
    assert _run(*local.up_args()).returncode == 0  # started, or kept from the test before
    (stack_dir(local.name) / STATE_FILE).unlink()
    down = _run("down")
    assert down.returncode == 0, down.stderr
    assert "had no state file" in down.stderr
    local.assert_gone()


# ---------------------------------------------------------------- the docker runtime


@pytest.fixture
def docker_stack(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    runtime = require_docker()
    name = "it-dock-race"
    path = tmp_path / "stack.yaml"
    path.write_text(
        demo_stack_text(
            name,
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        )
    )
    yield name, path
    runtime.remove_stack(name, volumes=True)


def test_two_docker_ups_at_once_make_one_network_and_down_leaves_nothing(
    docker_stack: tuple[str, Path],
) -> None:
    name, path = docker_stack
    runtime = require_docker()
    for _ in range(2):
        results = _together("up", "--detach", "--runtime", "docker", "--stack", str(path))
        assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
        networks = runtime.client.networks.list(filters={"label": f"{dockerrt.LABEL_STACK}={name}"})
        assert len(networks) == 1
        down = _run("down", "--volumes", "--name", name)
        assert down.returncode == 0, down.stderr
        assert leftovers(runtime, name) == []


def test_duplicate_networks_left_by_older_versions_are_healed(
    docker_stack: tuple[str, Path],
) -> None:
    name, path = docker_stack
    runtime = require_docker()
    for _ in range(2):  # what two racing `up`s of an older promdash left behind
        runtime.client.networks.create(
            dockerrt.network_name(name), driver="bridge", labels=dockerrt.network_labels(name)
        )
    up = _run("up", "--detach", "--runtime", "docker", "--stack", str(path))
    assert up.returncode == 0, up.stderr
    assert "removed a duplicate" in up.stderr
    networks = runtime.client.networks.list(filters={"label": f"{dockerrt.LABEL_STACK}={name}"})
    assert len(networks) == 1
    assert _run("down", "--volumes", "--name", name).returncode == 0
    assert leftovers(runtime, name) == []


def test_a_corrupt_docker_state_file_is_rebuilt_from_labels(
    docker_stack: tuple[str, Path],
) -> None:
    name, path = docker_stack
    runtime = require_docker()
    assert _run("up", "--detach", "--runtime", "docker", "--stack", str(path)).returncode == 0
    state_file = stack_dir(name) / STATE_FILE
    state_file.write_text('{"name": ')
    status = _run("status", "--name", name)
    assert status.returncode == 0, status.stderr
    assert "found the stack from its running docker services" in status.stderr
    assert any(line.split()[:2] == ["prometheus", "running"] for line in status.stdout.splitlines())
    rebuilt = StackState.load(name)
    assert rebuilt is not None and rebuilt.stack_file == str(path.resolve())
    state_file.write_bytes(b"\x00\xff")
    assert _run("down", "--volumes", "--name", name).returncode == 0
    assert leftovers(runtime, name) == []
