"""User files: bounded reads, private atomic writes, a config file promdash never rewrites."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from promdash.cli import EXIT_STACK_FILE, main
from promdash.config import ConfigError, load_config
from promdash.errors import StackBusy, StackFileError
from promdash.files import MAX_DEPTH, MAX_FILE_BYTES, FileProblem, atomic_write, parse_yaml
from promdash.preferences import preferences_path, remember_theme, remembered_theme
from promdash.stack.model import load_stack
from promdash.stack.state import (
    ProcessRecord,
    StackState,
    grafana_password,
    stack_dir,
    stack_lock,
)

# A config a user wrote by hand: comments, their own order, a secret header,
# credentials in a URL, and a mode only they can read.
USER_CONFIG = """\
# my servers -- keep this comment
current-context: prod   # the one I use most
contexts:
  prod:
    url: https://alice:s3cret@prom.example.com
    headers: {X-Api-Key: abc123}   # do not share
theme: nord
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMDASH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "config.yaml"))
    return tmp_path


def test_remembering_a_theme_leaves_the_config_file_as_the_user_wrote_it(home: Path) -> None:
    config = home / "config.yaml"
    config.write_text(USER_CONFIG)
    config.chmod(0o600)
    before = config.stat()

    remember_theme("promdash-light")

    assert config.read_text() == USER_CONFIG  # comments, order and words kept
    assert mode(config) == 0o600
    assert config.stat().st_mtime_ns == before.st_mtime_ns
    assert remembered_theme() == "promdash-light"
    assert load_config().theme == "nord"  # the user's own setting is still theirs
    assert mode(preferences_path()) == 0o600
    assert mode(preferences_path().parent) == 0o700


def test_a_broken_preferences_file_means_no_preference_and_is_replaced(home: Path) -> None:
    path = preferences_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"theme": ')
    assert remembered_theme() is None
    remember_theme("promdash-dark")
    assert json.loads(path.read_text()) == {"theme": "promdash-dark"}


def test_atomic_write_gives_exactly_the_mode_asked_for_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        atomic_write(tmp_path / "secret", "x")
        atomic_write(tmp_path / "public", "y", mode=0o644)
    finally:
        os.umask(old)
    assert mode(tmp_path / "secret") == 0o600
    assert mode(tmp_path / "public") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "secret"]  # no temp left


def test_state_directory_and_files_are_the_users_alone(home: Path) -> None:
    state = StackState("demo", "local", "", "http://127.0.0.1:9090")
    state.processes["p"] = ProcessRecord(1, 2, ["x"], "log")
    state.save()
    grafana_password("demo")
    assert mode(home / "state") == 0o700
    assert mode(stack_dir("demo")) == 0o700
    assert mode(state.path) == 0o600
    assert mode(stack_dir("demo") / "grafana-admin-password") == 0o600
    assert StackState.load("demo") == state


def test_an_old_world_readable_state_directory_is_tightened(home: Path) -> None:
    stack_dir("demo").mkdir(parents=True, mode=0o755)
    (home / "state").chmod(0o755)
    StackState("demo", "local", "", "").save()
    assert mode(home / "state") == 0o700
    assert mode(stack_dir("demo")) == 0o700


@pytest.mark.parametrize("kind", ["stack", "config"])
def test_deeply_nested_yaml_is_one_line_not_a_recursion_error(
    home: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / f"{kind}.yaml"
    path.write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")  # about 40 KB
    argv = ["up", "--stack", str(path), "--runtime", "local"] if kind == "stack" else ["config"]
    assert main(argv) == EXIT_STACK_FILE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nested deeper than" in err and str(path) in err


def test_nesting_just_past_the_limit_names_the_line(home: Path) -> None:
    text = "a:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH + 2))
    with pytest.raises(FileProblem) as caught:
        parse_yaml(text)
    assert "nested deeper than" in str(caught.value)
    assert caught.value.line is not None


def test_stack_file_from_dev_zero_is_refused_after_a_bounded_read(home: Path) -> None:
    with pytest.raises(StackFileError) as caught:
        load_stack(Path("/dev/zero"))
    assert "larger than" in str(caught.value)


def test_a_huge_config_file_is_refused(home: Path) -> None:
    (home / "config.yaml").write_text("# x\n" * (MAX_FILE_BYTES // 4 + 1))
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "larger than" in str(caught.value)


def test_a_second_holder_of_the_lock_waits_then_gives_up_with_the_holders_name(
    home: Path,
) -> None:
    said: list[str] = []
    with (
        stack_lock("demo", "up", wait=1, progress=said.append),
        pytest.raises(StackBusy) as caught,
        stack_lock("demo", "down", wait=0.3, progress=said.append),
    ):
        pass
    assert f"promdash up (pid {os.getpid()})" in str(caught.value)
    assert said and "waiting for promdash up" in said[0]


def test_the_lock_is_taken_as_soon_as_its_holder_lets_go(home: Path) -> None:
    order: list[str] = []
    released = threading.Event()

    def second() -> None:
        with stack_lock("demo", "down", wait=10, progress=lambda _: released.set()):
            order.append("second")

    with stack_lock("demo", "up", wait=1, progress=order.append):
        thread = threading.Thread(target=second)
        thread.start()
        assert released.wait(5)  # it is waiting for us
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    assert mode(stack_dir("demo") / "lock") == 0o600
