"""Choosing a runtime, finding a stack, and holding its lock while changing it.

A stack is found from its state file; when that file is missing or unreadable,
from what the runtimes can still see of it (the local runtime's marked
processes, the docker runtime's labelled containers), and the file is then
rewritten. "No stack is running" is only said when neither finds anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from promdash.errors import PromdashError, RuntimeUnavailable, StackNotRunning, StateFileError
from promdash.stack.local import LocalRuntime, find_prometheus
from promdash.stack.model import Stack
from promdash.stack.runtime import Progress, Runtime, ServiceStatus, no_progress
from promdash.stack.state import (
    RuntimeName,
    StackState,
    set_aside,
    stack_lock,
    stack_names,
)

# How long a change waits for another promdash changing the same stack. `up`
# waits up to its own --timeout: the other `up` may be waiting for readiness.
DOWN_LOCK_WAIT = 120.0
SERVICE_LOCK_WAIT = 30.0


def docker_runtime() -> Runtime:
    """The Docker runtime; raises RuntimeUnavailable when no engine answers."""
    from promdash.stack.docker import DockerRuntime

    return DockerRuntime()


def _runtime(name: RuntimeName) -> Runtime:
    return LocalRuntime() if name == "local" else docker_runtime()


def pick_runtime(choice: str, progress: Progress = no_progress) -> Runtime:
    if choice in ("local", "docker"):
        return Locked(_runtime("local" if choice == "local" else "docker"))
    try:
        return Locked(docker_runtime())
    except (RuntimeUnavailable, ImportError) as exc:
        if find_prometheus() is None:
            raise RuntimeUnavailable(
                f"{exc}; and no `prometheus` binary for the local runtime either: "
                "start Docker, or install Prometheus (Debian: `apt-get install prometheus`), "
                "or attach to a running server with `promdash --url URL`"
            ) from None
        progress(f"docker: {exc}; using local processes")
        return Locked(LocalRuntime())


def up(
    choice: str,
    stack: Stack,
    *,
    without: list[str],
    timeout: float,
    progress: Progress = no_progress,
) -> StackState:
    """Start `stack` on the runtime `choice` names ("auto", "docker" or "local").

    "auto" is docker when an engine answers, else local processes; and local
    processes too when the engine answers but cannot run the stack (it cannot
    get the images: no registry), if a prometheus binary is here.
    """
    runtime = pick_runtime(choice, progress)
    try:
        return runtime.up(stack, without=without, timeout=timeout, progress=progress)
    except RuntimeUnavailable as exc:
        if choice != "auto" or runtime.name != "docker" or find_prometheus() is None:
            raise
        progress(f"docker: {exc}; using local processes instead")
    return Locked(LocalRuntime()).up(stack, without=without, timeout=timeout, progress=progress)


def runtime_for(state: StackState) -> Runtime:
    return Locked(_runtime(state.runtime))


# ---------------------------------------------------------------- finding a stack


class _Finders:
    """The runtimes that can look for running stacks here: local processes, then
    docker, connected at most once however many stacks are looked for (a
    connection costs the SDK's import and a ping) and only when local finds nothing."""

    def __init__(self) -> None:
        self._docker: Runtime | None = None
        self._tried = False

    def __iter__(self) -> Iterator[Runtime]:
        yield LocalRuntime()
        if not self._tried:
            self._tried = True
            with contextlib.suppress(RuntimeUnavailable, ImportError):
                self._docker = docker_runtime()
        if self._docker is not None:
            yield self._docker


def stack_state(
    name: str, notice: Progress = no_progress, finders: Iterable[Runtime] | None = None
) -> StackState | None:
    """The stack's state: its file, else what a runtime finds running (file rewritten)."""
    try:
        state = StackState.load(name)
    except StateFileError as exc:
        problem = str(exc)
    else:
        if state is not None:
            return state
        problem = ""
    for runtime in finders if finders is not None else _Finders():
        found = runtime.find(name)
        if found is not None:
            found.save()
            why = problem or f"stack {name!r} had no state file ({found.path})"
            notice(
                f"{why}; found the stack from its running {runtime.name} services and rewrote it"
            )
            return found
    if problem:
        kept = set_aside(name)
        notice(f"{problem}; nothing of stack {name!r} is running (the file is kept as {kept})")
    return None


def find_stack(name: str | None, notice: Progress = no_progress) -> StackState:
    """The named stack, or the most recently started one; StackNotRunning when none is."""
    names = [name] if name else stack_names()
    finders = _Finders()
    states = [s for n in names if (s := stack_state(n, notice, finders)) is not None]
    if not states and not name:
        # No state directory says anything: ask the runtimes what runs.
        seen = set(names)
        for runtime in finders:
            for found in runtime.found_stacks():
                if found not in seen and (state := stack_state(found, notice, finders)):
                    states.append(state)
                seen.add(found)
    if not states:
        which = f"stack {name!r}" if name else "stack"
        raise StackNotRunning(f"no {which} is running; start one with `promdash up`")
    return max(states, key=lambda s: s.started_at)


# ---------------------------------------------------------------- the lock


@dataclass
class Locked:
    """A runtime whose changes hold the stack's lock, re-reading the state under it.

    One place for the lock: every front end (CLI, dashboard) reaches the
    runtimes through `pick_runtime` or `runtime_for`.
    """

    inner: Runtime

    @property
    def name(self) -> RuntimeName:
        return self.inner.name

    def up(
        self,
        stack: Stack,
        *,
        previous: StackState | None = None,
        without: list[str],
        timeout: float,
        progress: Progress = no_progress,
    ) -> StackState:
        with stack_lock(stack.name, "up", wait=timeout, progress=progress):
            previous = stack_state(stack.name, progress)
            if previous is not None and previous.runtime != self.inner.name:
                raise PromdashError(
                    f"stack {stack.name!r} is running on the {previous.runtime} runtime; "
                    "run `promdash down` first"
                )
            return self.inner.up(
                stack, previous=previous, without=without, timeout=timeout, progress=progress
            )

    def down(
        self, state: StackState, *, volumes: bool = False, progress: Progress = no_progress
    ) -> None:
        with stack_lock(state.name, "down", wait=DOWN_LOCK_WAIT, progress=progress):
            self.inner.down(
                stack_state(state.name, progress) or state, volumes=volumes, progress=progress
            )

    def _service_change(self, action: str, state: StackState, service: str) -> None:
        with stack_lock(state.name, f"{action} {service}", wait=SERVICE_LOCK_WAIT,
                        progress=no_progress):  # fmt: skip
            current = stack_state(state.name)
            if current is None:
                raise StackNotRunning(f"stack {state.name!r} is no longer running")
            getattr(self.inner, f"{action}_service")(current, service)

    def stop_service(self, state: StackState, service: str) -> None:
        self._service_change("stop", state, service)

    def start_service(self, state: StackState, service: str) -> None:
        self._service_change("start", state, service)

    def restart_service(self, state: StackState, service: str) -> None:
        self._service_change("restart", state, service)

    # Reads take no lock: they never change what runs.

    def status(self, state: StackState) -> list[ServiceStatus]:
        return self.inner.status(state)

    def logs(
        self, state: StackState, service: str, *, follow: bool = False, tail: int = 100
    ) -> Iterator[str]:
        return self.inner.logs(state, service, follow=follow, tail=tail)

    def find(self, name: str) -> StackState | None:
        return self.inner.find(name)

    def found_stacks(self) -> list[str]:
        return self.inner.found_stacks()
