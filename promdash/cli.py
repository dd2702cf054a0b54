"""The promdash command line: the only place that prints errors and picks exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from promdash import __version__
from promdash.errors import (
    PortInUse,
    PromdashError,
    ReadinessTimeout,
    RuntimeUnavailable,
    StackFileError,
    StackNotRunning,
)

EXIT_OK = 0
EXIT_ERROR = 1  # the server rejected the request (bad PromQL), or another failure
EXIT_UNREACHABLE = 2  # the Prometheus server could not be reached
EXIT_STACK_FILE = 3  # bad stack file or config file
EXIT_UNAVAILABLE = 4  # no Docker engine, no prometheus binary, missing image
EXIT_PORT = 5  # a port the stack needs is taken
EXIT_TIMEOUT = 6  # a service was not ready in time
EXIT_NOT_RUNNING = 7  # the command needs a running stack
EXIT_USAGE = 64  # bad command-line usage
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}   success
  {EXIT_ERROR}   the server rejected the request (bad PromQL, HTTP error), or another failure
  {EXIT_UNREACHABLE}   the Prometheus server could not be reached
  {EXIT_STACK_FILE}   bad stack file or config file (file, line and field are named)
  {EXIT_UNAVAILABLE}   no Docker engine / no prometheus binary / image missing
  {EXIT_PORT}   a port the stack needs is already in use
  {EXIT_TIMEOUT}   a service did not become ready before --timeout
  {EXIT_NOT_RUNNING}   no stack is running (start one with `promdash up`)
  {EXIT_USAGE}  bad command-line usage
  {EXIT_INTERRUPTED} interrupted (Ctrl-C)
"""

# Exception class -> exit code; the first matching class wins.
_EXIT_FOR: list[tuple[type[BaseException], int]] = [
    (StackFileError, EXIT_STACK_FILE),
    (RuntimeUnavailable, EXIT_UNAVAILABLE),
    (PortInUse, EXIT_PORT),
    (ReadinessTimeout, EXIT_TIMEOUT),
    (StackNotRunning, EXIT_NOT_RUNNING),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"promdash: {message} (see `{self.prog} --help`)\n")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress_printer() -> Callable[[str], None]:
    start = time.monotonic()

    def show(message: str) -> None:
        _say(f"[{time.monotonic() - start:5.1f}s] {message}")

    return show


# ---------------------------------------------------------------- stack commands


def cmd_up(args: argparse.Namespace) -> int:
    from promdash.stack.model import load_stack
    from promdash.stack.runtimes import pick_runtime

    stack = load_stack(Path(args.stack) if args.stack else None)
    if args.publish_all:
        stack = stack.model_copy(update={"publish": "all"})
    progress = _progress_printer()
    runtime = pick_runtime(args.runtime, progress)
    try:
        state = runtime.up(stack, without=args.without, timeout=args.timeout, progress=progress)
    except RuntimeUnavailable as exc:
        # Auto mode: an engine that answers but cannot get the images (no registry)
        # should not stop a machine that can run the stack as local processes.
        if args.runtime != "auto" or runtime.name != "docker" or not _has_prometheus():
            raise
        progress(f"docker: {exc}; using local processes instead")
        runtime = pick_runtime("local", progress)
        state = runtime.up(stack, without=args.without, timeout=args.timeout, progress=progress)
    print(f"stack {state.name!r} is up ({state.runtime} runtime)")
    for service, url in state.urls.items():
        print(f"  {service:<12} {url}")
    print("next: `promdash` opens the dashboard, `promdash targets` lists targets,")
    print("      `promdash down` stops the stack.")
    return EXIT_OK


def _has_prometheus() -> bool:
    from promdash.stack.local import find_prometheus

    return find_prometheus() is not None


def cmd_down(args: argparse.Namespace) -> int:
    from promdash.stack.runtimes import runtime_for, state_for

    state = state_for(args.name)
    runtime_for(state).down(state, volumes=args.volumes, progress=_progress_printer())
    print(f"stack {state.name!r} is down")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from promdash.stack.runtimes import runtime_for, state_for
    from promdash.stack.state import grafana_password

    state = state_for(args.name)
    rows = runtime_for(state).status(state)
    now = time.time()
    print(f"stack {state.name!r} ({state.runtime} runtime, from {state.stack_file})")
    print(f"  {'SERVICE':<12} {'STATE':<9} {'HEALTH':<10} {'UPTIME':<9} URL")
    for row in rows:
        uptime = _ago(now - row.started_at) if row.started_at else "-"
        print(f"  {row.name:<12} {row.state:<9} {row.health or '-':<10} {uptime:<9} {row.url}")
    if args.secrets and "grafana" in state.urls:
        print(f"  grafana admin password: {grafana_password(state.name)}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    from promdash.stack.runtimes import runtime_for, state_for

    state = state_for(args.name)
    for line in runtime_for(state).logs(state, args.service, follow=args.follow, tail=args.tail):
        print(line, flush=args.follow)
    return EXIT_OK


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


# ---------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="promdash",
        description="Run and watch Prometheus from your terminal. "
        "With no command, opens the dashboard.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"promdash {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help: str, handler: Callable[[argparse.Namespace], int]) -> _Parser:
        p: _Parser = sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(handler=handler)
        return p

    up = command("up", "start the demo stack (or --stack FILE) and wait until every target is up", cmd_up)
    up.add_argument("--stack", metavar="FILE", help="stack file (default: the bundled demo stack)")
    up.add_argument(
        "--runtime",
        choices=["auto", "docker", "local"],
        default="auto",
        help="docker when an engine answers, else local processes (default: auto)",
    )
    up.add_argument("--without", action="append", default=[], metavar="SERVICE",
                    help="leave a service out (repeatable), e.g. --without grafana")
    up.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                    help="give up waiting for readiness after this long (default: 120)")
    up.add_argument("--publish-all", action="store_true",
                    help="publish ports on every interface instead of 127.0.0.1")
    up.add_argument("--detach", action="store_true",
                    help="return once the stack is ready instead of opening the dashboard")

    for name, help_text, handler in (
        ("down", "stop and remove what `promdash up` started", cmd_down),
        ("status", "list the stack's services, state, health, uptime and URLs", cmd_status),
    ):
        p = command(name, help_text, handler)
        p.add_argument("--name", help="stack name (default: the most recently started stack)")
        if name == "down":
            p.add_argument("--volumes", action="store_true", help="also remove the stack's data")
        if name == "status":
            p.add_argument("--secrets", action="store_true",
                           help="also show the Grafana admin password")

    logs = command("logs", "show a service's log", cmd_logs)
    logs.add_argument("service", help="service name, e.g. prometheus or random-3")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--tail", type=int, default=100, help="lines to show first (default: 100)")
    logs.add_argument("--name", help="stack name (default: the most recently started stack)")

    # BEGIN query commands (promdash/prom client)
    # END query commands

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        _say("promdash: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of a pipe went away (`promdash targets | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except PromdashError as exc:
        _say(f"promdash: {exc}")
        return next((code for cls, code in _EXIT_FOR if isinstance(exc, cls)), EXIT_ERROR)


if __name__ == "__main__":
    sys.exit(main())
