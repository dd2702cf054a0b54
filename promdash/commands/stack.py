"""The stack commands: up, down, status, logs.

`up` loads the stack file and picks a runtime; down, status and logs work on a
`Running` stack: its state and the runtime that runs it, found once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promdash.commands import say
from promdash.errors import RuntimeUnavailable

if TYPE_CHECKING:
    from promdash.stack.model import Stack
    from promdash.stack.runtime import Progress, Runtime
    from promdash.stack.state import StackState


def progress_printer() -> Callable[[str], None]:
    """Progress lines of a long change (up, down), each with the seconds since it began."""
    start = time.monotonic()

    def show(message: str) -> None:
        say(f"[{time.monotonic() - start:5.1f}s] {message}")

    return show


def notice(message: str) -> None:
    say(f"promdash: {message}")


@dataclass(frozen=True)
class Running:
    """A running stack and the runtime that runs it."""

    state: StackState
    runtime: Runtime

    @classmethod
    def find(cls, name: str | None, report: Progress) -> Running:
        """The named stack, or the most recently started one; StackNotRunning if none."""
        from promdash.stack.runtimes import find_stack, runtime_for

        state = find_stack(name, report)
        return cls(state, runtime_for(state))


def up(args: argparse.Namespace) -> None:
    from promdash.stack.model import load_stack

    stack = load_stack(args.stack)
    if args.publish_all:
        stack = stack.model_copy(update={"publish": "all"})
    state = _up_with_fallback(
        args.runtime,
        stack,
        without=args.without,
        timeout=args.ready_timeout,
        progress=progress_printer(),
    )
    print(f"stack {state.name!r} is up ({state.runtime} runtime)")
    for service, url in state.urls.items():
        print(f"  {service:<12} {url}")
    if args.detach or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("next: `promdash` opens the dashboard, `promdash targets` lists targets,")
        print("      `promdash down` stops the stack.")
        return
    from promdash.commands.dash import DashOptions, open_dashboard
    from promdash.config import resolve_connection

    open_dashboard(resolve_connection(url=state.prometheus_url), DashOptions())


# TODO(runtimes): this fallback belongs in promdash/stack/runtimes.py beside
# pick_runtime's "no engine" fallback, with this signature; until it moves there,
# this is the only place that decides "engine, but it cannot run the stack".
def _up_with_fallback(
    choice: str, stack: Stack, *, without: list[str], timeout: float, progress: Progress
) -> StackState:
    """Start `stack` on the runtime `choice` names ("auto", "docker" or "local").

    "auto" is docker when an engine answers, else local processes (pick_runtime);
    and local processes too when the engine answers but cannot run the stack (it
    cannot get the images: no registry), if a prometheus binary is here.
    """
    from promdash.stack.local import find_prometheus
    from promdash.stack.runtimes import pick_runtime

    runtime = pick_runtime(choice, progress)
    try:
        return runtime.up(stack, without=without, timeout=timeout, progress=progress)
    except RuntimeUnavailable as exc:
        if choice != "auto" or runtime.name != "docker" or find_prometheus() is None:
            raise
        progress(f"docker: {exc}; using local processes instead")
    runtime = pick_runtime("local", progress)
    return runtime.up(stack, without=without, timeout=timeout, progress=progress)


def down(args: argparse.Namespace) -> None:
    progress = progress_printer()
    stack = Running.find(args.name, progress)
    stack.runtime.down(stack.state, volumes=args.volumes, progress=progress)
    print(f"stack {stack.state.name!r} is down")


def status(args: argparse.Namespace) -> None:
    from promdash import views
    from promdash.stack.state import grafana_password

    stack = Running.find(args.name, notice)
    state = stack.state
    rows = stack.runtime.status(state)
    now = time.time()
    print(f"stack {state.name!r} ({state.runtime} runtime, from {state.stack_file})")
    print(f"  {'SERVICE':<12} {'STATE':<9} {'HEALTH':<10} {'UPTIME':<9} URL")
    for row in rows:
        uptime = views.short_duration(now - row.started_at) if row.started_at else "-"
        print(f"  {row.name:<12} {row.state:<9} {row.health or '-':<10} {uptime:<9} {row.url}")
    if args.secrets and "grafana" in state.urls:
        print(f"  grafana admin password: {grafana_password(state.name)}")


def logs(args: argparse.Namespace) -> None:
    stack = Running.find(args.name, notice)
    for line in stack.runtime.logs(stack.state, args.service, follow=args.follow, tail=args.tail):
        print(line, flush=args.follow)
