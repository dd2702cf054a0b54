"""What every runtime offers, and the readiness waits they share."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from promdash.errors import PortInUse, ReadinessTimeout
from promdash.stack.model import WEBHOOK_SERVICE, Stack
from promdash.stack.state import RuntimeName, StackState

Progress = Callable[[str], None]
POLL_SECONDS = 0.1
# What answers 200 once a service is ready, and while it is healthy; exporters: /metrics.
READY_PATHS = {
    "prometheus": "/-/ready",
    "alertmanager": "/-/ready",
    "grafana": "/api/health",
    WEBHOOK_SERVICE: "/-/ready",
}
HEALTH_PATHS = READY_PATHS | {"prometheus": "/-/healthy", "alertmanager": "/-/healthy"}


def ready_path(service: str) -> str:
    return READY_PATHS.get(service, "/metrics")


def no_progress(message: str) -> None:
    """A Progress that shows nothing (tests, the dashboard's own status line)."""


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str
    state: str  # "running", "exited", "stopped", "missing"
    health: str  # "healthy", "unhealthy", "starting", "" when unknown
    url: str
    started_at: float | None  # epoch seconds
    detail: str = ""


class Runtime(Protocol):
    @property
    def name(self) -> RuntimeName: ...

    def up(
        self,
        stack: Stack,
        *,
        previous: StackState | None = None,
        without: list[str],
        timeout: float,
        progress: Progress,
    ) -> StackState: ...

    def find(self, name: str) -> StackState | None:
        """The stack as this runtime finds it running, without its state file."""
        ...

    def found_stacks(self) -> list[str]:
        """Names of the stacks this runtime has something running for."""
        ...

    def down(
        self, state: StackState, *, volumes: bool = False, progress: Progress = ...
    ) -> None: ...

    def status(self, state: StackState) -> list[ServiceStatus]: ...

    def stop_service(self, state: StackState, service: str) -> None: ...

    def start_service(self, state: StackState, service: str) -> None: ...

    def restart_service(self, state: StackState, service: str) -> None: ...

    def logs(
        self, state: StackState, service: str, *, follow: bool = False, tail: int = 100
    ) -> Iterator[str]: ...


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (a lingering TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_port(host: str, port: int) -> None:
    """PortInUse, naming the process that listens, when `port` is taken on `host`."""
    if not port_free(host, port):
        raise PortInUse(port, port_holder(port))


def port_holder(port: int) -> str:
    """ "nginx (pid 123)" for the process listening on TCP `port`, or "" when this
    system cannot tell (another user's process, no /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local_address is HEXIP:HEXPORT; state 0A is LISTEN.
            if (
                len(fields) > 9
                and fields[3] == "0A"
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return ""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.scandir(f"/proc/{entry.name}/fd")
            with fds:
                if any(os.readlink(fd.path) in inodes for fd in fds):
                    comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
                    return f"{comm} (pid {entry.name})"
        except OSError:
            continue
    return ""


def http_health(service: str, url: str) -> str:
    """ "healthy" when the service's health endpoint answers 200, else "unhealthy"."""
    path = HEALTH_PATHS.get(service, "/metrics")
    try:
        ok = httpx.get(url + path, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        ok = False
    return "healthy" if ok else "unhealthy"


def wait_http(
    url: str,
    *,
    service: str,
    deadline: float,
    last_log: Callable[[], str],
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll `url` until it answers 200; on timeout or death, raise with the service's log tail."""
    with httpx.Client(timeout=1.0) as client:
        while True:
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if not alive():
                raise ReadinessTimeout(f"{service} exited during start-up{_tail(last_log())}")
            if time.monotonic() > deadline:
                raise ReadinessTimeout(
                    f"{service} was not ready at {url} in time{_tail(last_log())}"
                )
            time.sleep(POLL_SECONDS)


def wait_targets(
    prometheus_url: str, *, expected: int, deadline: float, progress: Progress
) -> None:
    """Poll the targets API until `expected` active targets all report health `up`."""
    last = ""
    with httpx.Client(timeout=2.0) as client:
        while True:
            try:
                answer = client.get(f"{prometheus_url}/api/v1/targets", params={"state": "active"})
                targets = answer.json()["data"]["activeTargets"]
            except (httpx.HTTPError, ValueError, KeyError):
                targets = []
            up = [t for t in targets if t.get("health") == "up"]
            summary = f"targets: {len(up)}/{max(expected, len(targets))} up"
            if summary != last:
                progress(summary)
                last = summary
            if len(targets) >= expected and len(up) == len(targets):
                return
            if time.monotonic() > deadline:
                down = [
                    f"{t.get('scrapeUrl')} ({t.get('lastError') or t.get('health')})"
                    for t in targets
                    if t.get("health") != "up"
                ]
                raise ReadinessTimeout(
                    f"not every target was up in time: {summary}"
                    + (f"; not up: {', '.join(down)}" if down else "")
                )
            time.sleep(POLL_SECONDS)


def _tail(log: str, lines: int = 5) -> str:
    kept = [line for line in log.strip().splitlines() if line.strip()][-lines:]
    return (" -- last log lines: " + " | ".join(kept)) if kept else ""
