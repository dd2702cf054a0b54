"""Shared fixtures: a real demo stack on local processes, started once per session.

Everything here is real: Debian's Prometheus binary and the demo exporters as
subprocesses. In CI (CI=true) a missing Prometheus or Docker engine fails the
run instead of skipping tests, and any skipped test fails the session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from promdash.stack.local import LocalRuntime, find_alertmanager, find_prometheus
from promdash.stack.model import Stack, parse_stack
from promdash.stack.state import StackState
from tests.stackfiles import demo_stack_text, free_port

__all__ = [
    "IN_CI",
    "RunningStack",
    "demo_stack_text",
    "free_port",
    "require_alertmanager",
    "write_stack",
]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# A private state directory for the whole session, set before any test runs so
# nothing touches the developer's own stacks.
_STATE_DIR = tempfile.mkdtemp(prefix="promdash-test-state-")
os.environ["PROMDASH_STATE_DIR"] = _STATE_DIR
os.environ.setdefault("PROMDASH_CONFIG", str(Path(_STATE_DIR) / "config.yaml"))


def write_stack(tmp: Path, text: str) -> tuple[Path, Stack]:
    path = tmp / "stack.yaml"
    path.write_text(text)
    return path, parse_stack(text, path)


@dataclass
class RunningStack:
    """A demo stack the tests started; `stopped(name)` takes one exporter down for a while."""

    stack: Stack
    state: StackState
    stack_file: Path
    runtime: LocalRuntime

    @property
    def url(self) -> str:
        return self.state.prometheus_url

    @contextlib.contextmanager
    def stopped(self, service: str) -> Iterator[None]:
        self.runtime.stop_service(self.state, service)
        try:
            yield
        finally:
            self.runtime.start_service(self.state, service)


def require_prometheus() -> None:
    if find_prometheus() is None:
        message = "no prometheus binary (Debian: apt-get install prometheus)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def require_alertmanager() -> None:
    if find_alertmanager() is None:
        message = "no Alertmanager binary (Debian: apt-get install prometheus-alertmanager)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The demo stack on the local runtime: real Prometheus, three real exporters, and
    (where Debian's package is installed) a real Alertmanager with the webhook receiver."""
    require_prometheus()
    ports = (free_port(), free_port(), free_port())
    text = demo_stack_text("it-local", prometheus_port=free_port(), exporter_ports=ports)
    path, stack = write_stack(tmp_path_factory.mktemp("local-stack"), text)
    runtime = LocalRuntime()
    state = runtime.up(stack, without=[], timeout=60)
    try:
        yield RunningStack(stack, state, path, runtime)
    finally:
        # Tests (the dashboard's Stack panel) may have restarted services since:
        # stop what the state file says is running now.
        runtime.down(StackState.load(stack.name) or state, volumes=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test means a tier did not run: fail the suite."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(f"FAILED: {skipped} test(s) skipped in CI; every tier must run")
        session.exitstatus = 1
    shutil.rmtree(_STATE_DIR, ignore_errors=True)
