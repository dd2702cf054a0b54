"""Per-stack state directories: generated config, data, logs, secrets, what is running.

`up` writes `state.json`; `down`, `status` and the dashboard read it, so promdash
only ever stops what it started itself. The file is validated when read and
replaced atomically when written; when it is unreadable anyway, the runtimes can
still find their own processes and containers (see `runtimes.find_stack`).

Every change to a stack (`up`, `down`, stopping or starting a service) holds the
stack's lock, so two promdash processes never start two copies of one stack.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from promdash.errors import StackBusy, StateFileError
from promdash.files import (
    FileProblem,
    atomic_write,
    private_dir,
    read_text,
    state_root,
)

RuntimeName = Literal["local", "docker"]
STATE_FILE = "state.json"
LOCK_FILE = "lock"
GRAFANA_PASSWORD_FILE = "grafana-admin-password"
# A state file promdash could not read and found nothing running for is kept
# under this name, never deleted: it may be the user's only record.
UNREADABLE_SUFFIX = ".unreadable"


def stack_dir(name: str) -> Path:
    return state_root() / "stacks" / name


def private_stack_dir(name: str) -> Path:
    """The stack's directory, created owner-only (0700) with the state root above it."""
    private_dir(state_root())
    return private_dir(stack_dir(name))


@dataclass
class ProcessRecord:
    """A local process promdash started; `started` (from /proc) guards against PID reuse."""

    pid: int
    started: int
    command: list[str]
    log: str


@dataclass
class StackState:
    name: str
    runtime: RuntimeName
    stack_file: str
    prometheus_url: str
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, ProcessRecord] = field(default_factory=dict)
    without: list[str] = field(default_factory=list)
    started_at: float = 0.0

    @property
    def path(self) -> Path:
        return stack_dir(self.name) / STATE_FILE

    def save(self) -> None:
        import json

        private_stack_dir(self.name)
        atomic_write(self.path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, name: str) -> StackState | None:
        """The stack's state; None when it has no state file, StateFileError when unusable."""
        path = stack_dir(name) / STATE_FILE
        try:
            text = read_text(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"state file {path}: cannot read: {exc.strerror}") from None
        except FileProblem as exc:
            raise StateFileError(f"state file {path}: {exc}") from None
        state = _parse(text, path)
        if state.name != name:
            raise StateFileError(f"state file {path}: it names stack {state.name!r}, not {name!r}")
        return state

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def set_aside(name: str) -> Path:
    """Keep a stack's unreadable state file under another name; returns where it went."""
    path = stack_dir(name) / STATE_FILE
    kept = path.with_name(STATE_FILE + UNREADABLE_SUFFIX)
    with contextlib.suppress(FileNotFoundError):
        path.replace(kept)
    return kept


def _parse(text: str, path: Path) -> StackState:
    """Validate `text` against StackState's own fields.

    msgspec rather than pydantic (the stack file's library): every query
    command reads this file to find the default server, and msgspec loads and
    checks it in about 1 ms where pydantic's import alone costs 70 ms.
    """
    import msgspec

    try:
        return msgspec.json.decode(text, type=StackState)
    except msgspec.ValidationError as exc:
        # "Expected `int`, got `str` - at `$.processes[...].pid`"
        reason, _, where = str(exc).partition(" - at ")
        where = where.strip("`").removeprefix("$").lstrip(".") or "(top level)"
        raise StateFileError(f"state file {path}: {where}: {reason}") from None
    except msgspec.DecodeError:
        raise StateFileError(
            f"state file {path}: not valid JSON (cut off or overwritten?)"
        ) from None
    except RecursionError:
        raise StateFileError(f"state file {path}: nested too deeply") from None


def stack_names() -> list[str]:
    """Stacks that have a state directory, whatever is in it."""
    root = state_root() / "stacks"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def running_stacks() -> list[StackState]:
    """Stacks with a readable state file, most recently started first.

    For finding a default server only: an unreadable file is skipped here and
    dealt with by the commands that act on stacks (`runtimes.find_stack`).
    """
    states = []
    for name in stack_names():
        with contextlib.suppress(StateFileError):
            if state := StackState.load(name):
                states.append(state)
    return sorted(states, key=lambda s: s.started_at, reverse=True)


def stack_prometheus() -> tuple[str, str] | None:
    """(URL, "stack NAME") of the most recently started stack's Prometheus, if any."""
    try:
        stacks = running_stacks()
    except OSError:
        return None
    return next(((s.prometheus_url, f"stack {s.name}") for s in stacks if s.prometheus_url), None)


def stack_alertmanager(prometheus_url: str) -> tuple[str, str] | None:
    """(URL, "stack NAME") of the Alertmanager of the running stack whose Prometheus
    is at `prometheus_url`, if it has one."""
    try:
        stacks = running_stacks()
    except OSError:
        return None
    for state in stacks:
        url = state.urls.get("alertmanager")
        if url and state.prometheus_url.rstrip("/") == prometheus_url.rstrip("/"):
            return url, f"stack {state.name}"
    return None


def grafana_password(name: str) -> str:
    """The stack's Grafana admin password, generated once and kept owner-only (0600)."""
    directory = private_stack_dir(name)
    path = directory / GRAFANA_PASSWORD_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


# ---------------------------------------------------------------- the stack's lock

LOCK_POLL_SECONDS = 0.1


@contextlib.contextmanager
def stack_lock(
    name: str, action: str, *, wait: float, progress: Callable[[str], None]
) -> Iterator[None]:
    """Hold the stack's lock while changing it; wait up to `wait` seconds for another holder.

    An flock: the kernel releases it when its holder exits, even by SIGKILL, so
    a crashed promdash never leaves a stack locked.
    """
    path = private_stack_dir(name) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            progress(f"stack {name!r}: waiting for {holder} to finish")
            deadline = time.monotonic() + wait
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    raise StackBusy(
                        f"stack {name!r} is being changed by {holder}; gave up waiting "
                        f"after {wait:g}s (try again when it is done)"
                    )
                time.sleep(LOCK_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"promdash {action} (pid {os.getpid()})".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    return text or "another promdash"
