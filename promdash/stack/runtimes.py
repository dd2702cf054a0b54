"""Choosing a runtime: Docker when an engine answers, else local processes."""

from __future__ import annotations

from promdash.errors import RuntimeUnavailable, StackNotRunning
from promdash.stack.local import LocalRuntime, find_prometheus
from promdash.stack.runtime import Progress, Runtime, no_progress
from promdash.stack.state import StackState, running_stacks


def docker_runtime() -> Runtime:
    """The Docker runtime; raises RuntimeUnavailable when no engine answers."""
    from promdash.stack.docker import DockerRuntime

    return DockerRuntime()


def pick_runtime(choice: str, progress: Progress = no_progress) -> Runtime:
    if choice == "local":
        return LocalRuntime()
    if choice == "docker":
        return docker_runtime()
    try:
        return docker_runtime()
    except (RuntimeUnavailable, ImportError) as exc:
        if find_prometheus() is None:
            raise RuntimeUnavailable(
                f"{exc}; and no `prometheus` binary for the local runtime either: "
                "start Docker, or install Prometheus (Debian: `apt-get install prometheus`), "
                "or attach to a running server with `promdash --url URL`"
            ) from None
        progress(f"docker: {exc}; using local processes")
        return LocalRuntime()


def runtime_for(state: StackState) -> Runtime:
    return LocalRuntime() if state.runtime == "local" else docker_runtime()


def state_for(name: str | None) -> StackState:
    """The named stack's state, or the most recently started one."""
    stacks = running_stacks()
    if name:
        stacks = [s for s in stacks if s.name == name]
    if not stacks:
        which = f"stack {name!r}" if name else "stack"
        raise StackNotRunning(f"no {which} is running; start one with `promdash up`")
    return stacks[0]
