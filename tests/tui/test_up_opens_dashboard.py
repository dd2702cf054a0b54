"""`promdash up` in a terminal opens the dashboard once the stack is ready.

Run the way a person does: in a real terminal (tmux, 120x40), reading the
screen with `capture-pane`. Real Prometheus, real exporters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from promdash.stack.state import StackState
from tests.conftest import IN_CI, demo_stack_text, free_port, require_prometheus


def _screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def _wait_for(session: str, *needles: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if all(n in screen for n in needles):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")


def test_up_in_a_terminal_opens_the_dashboard(tmp_path: Path) -> None:
    require_prometheus()
    if shutil.which("tmux") is None:
        if IN_CI:
            pytest.fail("tmux is missing (Debian: apt-get install tmux)")
        pytest.skip("tmux is missing")
    ports = (free_port(), free_port(), free_port())
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(
        demo_stack_text("it-up-tty", prometheus_port=free_port(), exporter_ports=ports)
    )
    session = f"promdash-up-{os.getpid()}"
    command = (
        # pytest exports COLUMNS=80, which Textual would obey over the real terminal.
        f"env -u COLUMNS -u LINES PROMDASH_STATE_DIR={os.environ['PROMDASH_STATE_DIR']} "
        f"{sys.executable} -m promdash.cli up --runtime local --stack {stack_file}; "
        "echo EXITED=$?; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
        check=True,
    )
    try:
        # The first screen is the overview: targets by pool, the alert rules, live graphs.
        screen = _wait_for(session, "Targets 4/4", "example-random", "3/3", timeout=90)
        screen = _wait_for(session, "canary", "┤", timeout=30)
        assert any(rule in screen for rule in ("InstanceDown", "RPCLatencyHigh", "RPCRateLow"))
        assert all(f"127.0.0.1:{port}" in screen for port in ports), screen
        assert "Overview" in screen.splitlines()[1]
        assert any("\u2800" <= char <= "\u28ff" for char in screen), "no plotted line"
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        _wait_for(session, "EXITED=0", timeout=15)
        # Quitting the dashboard leaves the stack running.
        state = StackState.load("it-up-tty")
        assert state is not None
        assert {"prometheus", "random-1", "random-2", "random-3"} <= set(state.processes)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        subprocess.run(
            [sys.executable, "-m", "promdash.cli", "down", "--name", "it-up-tty"],
            capture_output=True,
            check=False,
        )
    assert StackState.load("it-up-tty") is None
