"""Per-stack state directories: generated config, data, logs, secrets, what is running.

`up` writes `state.json`; `down`, `status` and the dashboard read it, so promdash
only ever stops what it started itself.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from promdash.errors import PromdashError

RuntimeName = Literal["local", "docker"]
STATE_FILE = "state.json"
GRAFANA_PASSWORD_FILE = "grafana-admin-password"


def state_root() -> Path:
    """`$PROMDASH_STATE_DIR`, else `$XDG_STATE_HOME/promdash`, else ~/.local/state/promdash."""
    if explicit := os.environ.get("PROMDASH_STATE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "promdash"


def stack_dir(name: str) -> Path:
    return state_root() / "stacks" / name


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

    def save(self) -> None:
        directory = stack_dir(self.name)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(directory / STATE_FILE)

    @classmethod
    def load(cls, name: str) -> StackState | None:
        path = stack_dir(name) / STATE_FILE
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        data["processes"] = {k: ProcessRecord(**v) for k, v in data.get("processes", {}).items()}
        return cls(**data)

    @classmethod
    def previous(cls, name: str, runtime: RuntimeName) -> StackState | None:
        """The state of an earlier `up` of this stack; refuses one on another runtime."""
        state = cls.load(name)
        if state and state.runtime != runtime:
            raise PromdashError(
                f"stack {name!r} is running on the {state.runtime} runtime; "
                "run `promdash down` first"
            )
        return state

    def forget(self) -> None:
        (stack_dir(self.name) / STATE_FILE).unlink(missing_ok=True)


def running_stacks() -> list[StackState]:
    """Stacks with a state file, most recently started first."""
    root = state_root() / "stacks"
    states = [StackState.load(p.name) for p in root.iterdir()] if root.is_dir() else []
    return sorted((s for s in states if s), key=lambda s: s.started_at, reverse=True)


def grafana_password(name: str) -> str:
    """The stack's Grafana admin password, generated once and kept owner-only (0600)."""
    directory = stack_dir(name)
    directory.mkdir(parents=True, exist_ok=True)
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
