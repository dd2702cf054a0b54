"""`promdash --url URL` in a real terminal (tmux), read back as a person sees the screen."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, RunningStack

pytestmark = pytest.mark.prometheus


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A private tmux server (its own socket), so no one else's sessions are touched."""
    binary = shutil.which("tmux")
    if binary is None:
        if IN_CI:
            pytest.fail("tmux is not installed")
        pytest.skip("tmux is not installed")
    # A socket of its own per test: a server still going away must not take the next one.
    command = [binary, "-L", f"promdash-test-{os.getpid()}-{next(_SERVERS)}"]
    try:
        yield command
    finally:
        subprocess.run([*command, "kill-server"], capture_output=True, check=False)


def _screen(tmux: list[str]) -> str:
    done = subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True, check=False
    )
    return done.stdout


def _wait(tmux: list[str], condition, timeout: float, what: str) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(tmux)
        if condition(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; the screen was:\n{screen}")


EXITED = "promdash exited with status "
_SERVERS = itertools.count()


def _launch(
    tmux: list[str],
    *args: str,
    env: dict[str, str] | None = None,
    size: tuple[int, int] = (120, 40),
) -> None:
    """`promdash ARGS` in a new tmux session named "dash" (120x40), as a user types it."""
    program = shutil.which("promdash")
    launcher = [program] if program else [sys.executable, "-m", "promdash"]
    keep = ("PROMDASH_CONFIG", "PROMDASH_STATE_DIR")
    env = {k: os.environ[k] for k in keep if k in os.environ} | (env or {})
    # pytest exports COLUMNS=80, and Textual obeys COLUMNS over the terminal's own size.
    command = " ".join(
        ["env", "-u", "COLUMNS", "-u", "LINES"]
        + [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        + [shlex.quote(part) for part in [*launcher, *args]]
    )
    # The shell says how promdash ended (tmux's own pane status is sometimes missing).
    shell = f"{command}; echo; echo {EXITED}$?; sleep 60"
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), "-s", "dash", shell],
        check=True,
    )


def _quit(tmux: list[str]) -> str:
    """Press q and wait for promdash to exit; returns its exit status as the shell saw it."""
    subprocess.run([*tmux, "send-keys", "-t", "dash", "q"], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.search(rf"{EXITED}(\d+)", _screen(tmux))
        if found:
            return found.group(1)
        time.sleep(0.2)
    return "still running"


def test_dashboard_in_tmux_shows_every_targets_health(
    local_stack: RunningStack, tmux: list[str]
) -> None:
    _launch(tmux, "--url", local_stack.url, "--layout", "tabs")
    ports = [e.port for e in local_stack.stack.exporters.instances]

    def all_up(screen: str) -> bool:
        rows = [line for line in screen.splitlines() if "/metrics" in line]
        return all(any(f":{port}/metrics" in r and " up " in r for r in rows) for port in ports)

    screen = _wait(tmux, all_up, 30, "every exporter shown up")
    assert "3/3 up" in screen  # the pool's count
    assert local_stack.url in screen.splitlines()[0]  # the header names the server
    assert "connected" in screen.splitlines()[0]

    status = _quit(tmux)
    assert status == "0", f"promdash did not quit cleanly on q: {status!r}\n{_screen(tmux)}"


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 50)])
def test_typed_promql_is_on_screen_while_the_input_has_focus(
    local_stack: RunningStack, tmux: list[str], size: tuple[int, int]
) -> None:
    _launch(tmux, "--url", local_stack.url, size=size)
    _wait(tmux, lambda screen: "connected" in screen, 30, "the dashboard")
    subprocess.run([*tmux, "send-keys", "-t", "dash", "2"], check=True)
    time.sleep(0.5)
    subprocess.run([*tmux, "send-keys", "-t", "dash", "-l", "up{job="], check=True)
    screen = _wait(tmux, lambda screen: "up{job=" in screen, 10, "the typed query")
    assert "up{job=" in screen
    for _ in range(2):  # the first Escape closes the completion list, the second leaves
        time.sleep(0.3)
        subprocess.run([*tmux, "send-keys", "-t", "dash", "Escape"], check=True)
    time.sleep(0.3)
    assert _quit(tmux) == "0", _screen(tmux)


USER_CONFIG = """\
# my servers -- this comment must survive
contexts:
  prod:
    url: https://alice:s3cret@prom.example.com   # credentials in the URL
    headers: {X-Api-Key: abc123}
theme: nord
"""


def test_theme_flag_never_rewrites_or_widens_the_config_file(
    local_stack: RunningStack, tmux: list[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(USER_CONFIG)
    config.chmod(0o600)
    state = tmp_path / "state"
    _launch(
        tmux,
        "--theme",
        "promdash-light",
        "--url",
        local_stack.url,
        env={"PROMDASH_CONFIG": str(config), "PROMDASH_STATE_DIR": str(state)},
    )
    _wait(tmux, lambda screen: "connected" in screen, 30, "the dashboard")
    assert _quit(tmux) == "0"
    assert config.read_text() == USER_CONFIG
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    remembered = state / "preferences.json"
    assert json.loads(remembered.read_text()) == {"theme": "promdash-light"}
    assert stat.S_IMODE(remembered.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
