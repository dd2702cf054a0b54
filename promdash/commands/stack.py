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

if TYPE_CHECKING:
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
    from promdash.stack import runtimes
    from promdash.stack.model import load_stack

    stack = load_stack(args.stack)
    if args.publish_all:
        stack = stack.model_copy(update={"publish": "all"})
    state = runtimes.up(
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


def down(args: argparse.Namespace) -> None:
    progress = progress_printer()
    stack = Running.find(args.name, progress)
    stack.runtime.down(stack.state, volumes=args.volumes, progress=progress)
    print(f"stack {stack.state.name!r} is down")


def status(args: argparse.Namespace) -> None:
    from promdash.stack.state import grafana_password
    from promdash.timefmt import short_duration

    stack = Running.find(args.name, notice)
    state = stack.state
    rows = stack.runtime.status(state)
    now = time.time()
    print(f"stack {state.name!r} ({state.runtime} runtime, from {state.stack_file})")
    print(f"  {'SERVICE':<12} {'STATE':<9} {'HEALTH':<10} {'UPTIME':<9} URL")
    for row in rows:
        uptime = short_duration(now - row.started_at) if row.started_at else "-"
        print(f"  {row.name:<12} {row.state:<9} {row.health or '-':<10} {uptime:<9} {row.url}")
    if args.secrets and "grafana" in state.urls:
        print(f"  grafana admin password: {grafana_password(state.name)}")


def logs(args: argparse.Namespace) -> None:
    stack = Running.find(args.name, notice)
    written = False
    for line in stack.runtime.logs(stack.state, args.service, follow=args.follow, tail=args.tail):
        print(line, flush=args.follow)
        written = True
    if not written and not args.follow:
        notice(f"{args.service} has written nothing to its log yet")
