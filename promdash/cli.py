"""The promdash command line: the only place that prints errors and picks exit codes."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from promdash import __version__
from promdash.errors import (
    ConfigError,
    PortInUse,
    PromdashError,
    ReadinessTimeout,
    RuntimeUnavailable,
    StackBusy,
    StackFileError,
    StackNotRunning,
    StateFileError,
    UsageError,
)
from promdash.prom.types import (
    APIError,
    AuthError,
    BadQueryError,
    BadResponseError,
    NotPrometheusError,
    QueryTimeoutError,
    UnreachableError,
)

if TYPE_CHECKING:
    from promdash.config import Connection
    from promdash.prom.client import PromClient

EXIT_OK = 0
EXIT_ERROR = 1  # the server rejected the request (bad PromQL), or another failure
EXIT_UNREACHABLE = 2  # the Prometheus server could not be reached
EXIT_STACK_FILE = 3  # bad stack file or config file
EXIT_UNAVAILABLE = 4  # no Docker engine, no prometheus binary, missing image
EXIT_PORT = 5  # a port the stack needs is taken
EXIT_TIMEOUT = 6  # a service was not ready in time
EXIT_NOT_RUNNING = 7  # the command needs a running stack
EXIT_SLOW = 8  # the server accepted the request but did not answer within --timeout
EXIT_BUSY = 9  # another promdash is changing the stack (up, down, a service action)
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
  {EXIT_SLOW}   the server accepted the request but did not answer within --timeout
  {EXIT_BUSY}   another promdash is changing this stack and did not finish in time
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
    (StackBusy, EXIT_BUSY),
    (StateFileError, EXIT_STACK_FILE),
    (UsageError, EXIT_USAGE),
    (ConfigError, EXIT_STACK_FILE),
    (UnreachableError, EXIT_UNREACHABLE),
    (QueryTimeoutError, EXIT_SLOW),
    (BadResponseError, EXIT_ERROR),
    (BadQueryError, EXIT_ERROR),
    (AuthError, EXIT_ERROR),
    (NotPrometheusError, EXIT_ERROR),
    (APIError, EXIT_ERROR),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"promdash: {message} (see `{self.prog} --help`)\n")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _notice(message: str) -> None:
    _say(f"promdash: {message}")


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
        state = runtime.up(
            stack, without=args.without, timeout=args.ready_timeout, progress=progress
        )
    except RuntimeUnavailable as exc:
        # Auto mode: an engine that answers but cannot get the images (no registry)
        # should not stop a machine that can run the stack as local processes.
        if args.runtime != "auto" or runtime.name != "docker" or not _has_prometheus():
            raise
        progress(f"docker: {exc}; using local processes instead")
        runtime = pick_runtime("local", progress)
        state = runtime.up(
            stack, without=args.without, timeout=args.ready_timeout, progress=progress
        )
    print(f"stack {state.name!r} is up ({state.runtime} runtime)")
    for service, url in state.urls.items():
        print(f"  {service:<12} {url}")
    if args.detach or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("next: `promdash` opens the dashboard, `promdash targets` lists targets,")
        print("      `promdash down` stops the stack.")
        return EXIT_OK
    return cmd_dash(build_parser().parse_args(["dash", "--url", state.prometheus_url]))


def _has_prometheus() -> bool:
    from promdash.stack.local import find_prometheus

    return find_prometheus() is not None


def cmd_down(args: argparse.Namespace) -> int:
    from promdash.stack.runtimes import find_stack, runtime_for

    progress = _progress_printer()
    state = find_stack(args.name, progress)
    runtime_for(state).down(state, volumes=args.volumes, progress=progress)
    print(f"stack {state.name!r} is down")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from promdash import views
    from promdash.stack.runtimes import find_stack, runtime_for
    from promdash.stack.state import grafana_password

    state = find_stack(args.name, _notice)
    rows = runtime_for(state).status(state)
    now = time.time()
    print(f"stack {state.name!r} ({state.runtime} runtime, from {state.stack_file})")
    print(f"  {'SERVICE':<12} {'STATE':<9} {'HEALTH':<10} {'UPTIME':<9} URL")
    for row in rows:
        uptime = views.short_duration(now - row.started_at) if row.started_at else "-"
        print(f"  {row.name:<12} {row.state:<9} {row.health or '-':<10} {uptime:<9} {row.url}")
    if args.secrets and "grafana" in state.urls:
        print(f"  grafana admin password: {grafana_password(state.name)}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    from promdash.stack.runtimes import find_stack, runtime_for

    state = find_stack(args.name, _notice)
    for line in runtime_for(state).logs(state, args.service, follow=args.follow, tail=args.tail):
        print(line, flush=args.follow)
    return EXIT_OK


def _seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def _count(text: str) -> int:
    """argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 0 or more")
    return value


# ---------------------------------------------------------------- query commands
# httpx, the client and plotext are imported inside the handlers: `promdash query`
# must print its answer within 0.4 s, and `promdash --help` should not pay for them.


def _add_connection_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "connection",
        "the server is --url, else --context, else $PROMDASH_URL, else the config\n"
        "file's current-context, else the running promdash stack, else 127.0.0.1:9090",
    )
    g.add_argument("--url", help="Prometheus (or compatible) base URL")
    g.add_argument("--context", help="a named context of the config file ($PROMDASH_CONFIG)")
    g.add_argument(
        "--token-file",
        metavar="FILE",
        help="send the bearer token in FILE (or set $PROMDASH_TOKEN)",
    )
    g.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="K=V",
        help="extra HTTP header (repeatable), e.g. X-Scope-OrgID=tenant1",
    )
    g.add_argument("--ca", metavar="FILE", help="trust this CA bundle for https")
    g.add_argument("--cert", metavar="FILE", help="client certificate for mutual TLS")
    g.add_argument("--key", metavar="FILE", help="private key of --cert")
    g.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    g.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="give up on a request after this long (default: 10)",
    )


def _connection(args: argparse.Namespace) -> Connection:
    from promdash.config import resolve_connection
    from promdash.stack.state import stack_prometheus

    return resolve_connection(
        url=args.url,
        context=args.context,
        token_file=args.token_file,
        headers=args.header,
        ca_file=args.ca,
        cert_file=args.cert,
        key_file=args.key,
        insecure=args.insecure,
        timeout=args.timeout,
        stack_url=stack_prometheus,
    )


def _use_color(stream: object = None) -> bool:
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(
        isatty and isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )


def _duration_arg(text: str) -> float:
    from promdash.prom.client import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _step_arg(text: str) -> float | None:
    return None if text == "auto" else _duration_arg(text)


def _time_arg(text: str) -> float:
    from promdash.prom.client import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        _say(f"promdash: warning from the server: {warning}")


def _plot_size(legend_lines: int, header_lines: int = 0) -> tuple[int, int]:
    import shutil

    columns, lines = shutil.get_terminal_size((100, 30))
    height = max(8, min(lines - legend_lines - header_lines - 2, 30))
    return columns, height


def _auto_step(range_seconds: float) -> float:
    """About one point per plot column (plotext's y-axis labels take ~10 columns)."""
    import shutil

    columns = max(shutil.get_terminal_size((100, 30)).columns - 10, 20)
    return max(round(range_seconds / columns, 3), 0.001)


def cmd_targets(args: argparse.Namespace) -> int:
    from promdash import views
    from promdash.prom.client import run

    targets = run(_connection(args), lambda c: c.targets(state="active"))
    if args.json:
        print(views.targets_json(targets.active, time.time(), health=args.state, pool=args.pool))
    else:
        print(
            views.targets_text(
                targets.active, time.time(), health=args.state, pool=args.pool, color=_use_color()
            )
        )
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    from promdash import views
    from promdash.prom.client import run

    conn = _connection(args)
    if args.range is None:
        result = run(conn, lambda c: c.query(args.expr, args.time))
        if args.json:
            print(views.query_json(result, args.expr, time=args.time))
        elif args.csv:
            print(views.query_csv(result))
        else:
            print(views.instant_text(result))
        _warn(result.warnings)
        return EXIT_OK

    end = args.time if args.time is not None else time.time()
    start = end - args.range
    step = args.step or _auto_step(args.range)
    result = run(conn, lambda c: c.query_range(args.expr, start, end, step))
    if args.json:
        print(views.query_json(result, args.expr, start=start, end=end, step=step))
    elif args.csv:
        print(views.query_csv(result))
    elif sys.stdout.isatty() and result.matrix:
        color = _use_color()
        legend = views.legend(result.matrix, color=color)
        width, height = _plot_size(legend.count("\n") + 1)
        print(
            views.plot(
                result.matrix, width, height, title=args.expr, color=color, start=start, end=end
            )
        )
        print(legend)
    else:
        print(views.range_text(result))
    _warn(result.warnings)
    return EXIT_OK


def cmd_tail(args: argparse.Namespace) -> int:
    import asyncio

    conn = _connection(args)
    tty = sys.stdout.isatty()
    if tty:
        # Alternate screen, cursor hidden; both undone in `finally` whatever happens.
        sys.stdout.write("\x1b[?1049h\x1b[?25l")
        sys.stdout.flush()
    try:
        asyncio.run(_tail(args, conn, tty))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a tail ends: not an error
    finally:
        if tty:
            sys.stdout.write("\x1b[?25h\x1b[?1049l")
            sys.stdout.flush()
    return EXIT_OK


async def _scrape_interval(client: PromClient) -> float:
    from promdash.prom.client import parse_duration

    targets = await client.targets(state="active")
    intervals = []
    for target in targets.active:
        try:
            intervals.append(parse_duration(target.scrape_interval))
        except ValueError:
            continue
    return min(intervals, default=15.0)


async def _tail(args: argparse.Namespace, conn: Connection, tty: bool) -> None:
    import asyncio

    from promdash import views
    from promdash.prom.client import PromClient, format_duration
    from promdash.prom.types import PromError

    async with PromClient(conn) as client:
        every = args.every or await _scrape_interval(client)
        step = args.step or (_auto_step(args.range) if tty else every)
        first = True
        while True:
            began = time.monotonic()
            end = time.time()
            problem = ""
            try:
                result = await client.query_range(args.expr, end - args.range, end, step)
            except PromError as exc:
                if first:
                    raise  # a bad query or a server that was never there: say so and stop
                # A server restarting mid-tail: keep the last graph and keep trying.
                problem = f"last refresh failed: {exc} (retrying)"
            first = False
            clock = time.strftime("%H:%M:%S")
            if tty:
                color = _use_color()
                header = (
                    f"promdash tail  {args.expr}  range {format_duration(args.range)}"
                    f"  every {format_duration(every)}  {clock}  (Ctrl-C quits)"
                )
                legend = views.legend(result.matrix, color=color)
                width, height = _plot_size(legend.count("\n") + 1, header_lines=2 + bool(problem))
                frame = [header]
                if problem:
                    frame.append(views.paint(problem, "red", color))
                if result.matrix:
                    frame += [
                        views.plot(
                            result.matrix,
                            width,
                            height,
                            color=color,
                            start=end - args.range,
                            end=end,
                        ),
                        legend,
                    ]
                else:
                    frame.append("no data yet (the query matched no series in that range)")
                sys.stdout.write("\x1b[H" + "\n".join(frame) + "\x1b[J")
            else:
                lines = [
                    f"{clock}  {views.clip(views.series_name(s.metric))}  "
                    f"{views.format_value(s.values[-1])}"
                    for s in result.matrix
                    if s.values
                ]
                if problem:
                    lines.append(f"{clock}  {problem}")
                sys.stdout.write("\n".join(lines or [f"{clock}  no data"]) + "\n")
            sys.stdout.flush()
            await asyncio.sleep(max(0.0, every - (time.monotonic() - began)))


def cmd_alerts(args: argparse.Namespace) -> int:
    from promdash import views
    from promdash.prom.client import run

    groups = run(_connection(args), lambda c: c.rules(type="alert"))
    if args.json:
        print(views.alerts_json(groups, state=args.state))
    else:
        print(views.alerts_text(groups, time.time(), state=args.state, color=_use_color()))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    """Where the config file is, its contexts, and which server commands would use."""
    from promdash.config import config_path, load_config, without_userinfo

    config = load_config()
    conn = _connection(args)
    path = config_path()
    print(f"config file:  {path}{'' if path.is_file() else ' (not created yet)'}")
    print(f"server:       {conn.url}  (from {conn.source})")
    print(f"credential:   {conn.credential or 'none'}")
    if config.contexts:
        print("contexts:")
        for name, ctx in sorted(config.contexts.items()):
            mark = "*" if name == config.current_context else " "
            print(f"  {mark} {name:<16} {without_userinfo(ctx.url)}")
    from promdash.preferences import preferences_path, remembered_theme

    if theme := remembered_theme():
        print(f"theme:        {theme}  (remembered in {preferences_path()})")
    elif config.theme:
        print(f"theme:        {config.theme}  (from the config file)")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    import asyncio

    from promdash import views
    from promdash.prom.client import run
    from promdash.prom.types import MetricMetadata

    async def fetch(client: PromClient) -> dict[str, list[MetricMetadata]]:
        # Metadata only covers scraped metrics; __name__ values add recording
        # rules and synthetic series such as `up`, and servers without metadata.
        metadata, names = await asyncio.gather(client.metadata(), client.label_values("__name__"))
        for name in names:
            metadata.setdefault(name, [])
        return metadata

    entries = views.metric_entries(run(_connection(args), fetch), args.pattern)
    print(views.metrics_json(entries) if args.json else views.metrics_text(entries))
    return EXIT_OK


# ---------------------------------------------------------------- the dashboard


def _add_dash_flags(p: argparse.ArgumentParser) -> None:
    _add_connection_flags(p)
    g = p.add_argument_group("dashboard")
    g.add_argument(
        "--theme",
        metavar="NAME",
        help="promdash-dark (default), promdash-light, promdash-high-contrast, a file of "
        "themes/ or a textual theme; the last one chosen is remembered in the state directory",
    )
    g.add_argument(
        "--refresh",
        type=_duration_arg,
        metavar="DURATION",
        help="refresh every DURATION (default: the shortest scrape interval of the targets)",
    )
    g.add_argument(
        "--layout",
        choices=["tabs", "grid"],
        default="tabs",
        help="one panel at a time, or graph, targets and alerts together (default: tabs)",
    )
    g.add_argument(
        "--query",
        action="append",
        default=[],
        metavar="EXPR",
        help="open a graph of EXPR at start (repeatable)",
    )
    g.add_argument(
        "--graph-range",
        type=_duration_arg,
        default=900.0,
        metavar="DURATION",
        help="range of the graphs (default: 15m)",
    )


def _managed_stack(url: str) -> str | None:
    """The stack promdash started whose Prometheus is `url`, for the Stack panel."""
    from promdash.stack.state import running_stacks

    try:
        stacks = running_stacks()
    except OSError:
        return None
    return next((s.name for s in stacks if s.prometheus_url.rstrip("/") == url.rstrip("/")), None)


def cmd_dash(args: argparse.Namespace) -> int:
    # Textual loads only here: the other commands never pay for it.
    from textual.theme import BUILTIN_THEMES

    from promdash.config import load_config
    from promdash.files import state_root
    from promdash.preferences import remember_theme, remembered_theme
    from promdash.tui.app import make_app
    from promdash.tui.settings import DashSettings
    from promdash.tui.themes import load_themes

    connection = _connection(args)
    config = load_config()
    theme = getattr(args, "theme", None)
    if theme is not None:
        known = {t.name for t in load_themes().themes} | set(BUILTIN_THEMES)
        if theme not in known:
            _say(f"promdash: --theme {theme}: no such theme (themes: {', '.join(sorted(known))})")
            return EXIT_USAGE
        if theme != remembered_theme():
            remember_theme(theme)
    settings = DashSettings(
        connection=connection,
        theme=theme or remembered_theme() or config.theme,
        refresh=getattr(args, "refresh", None),
        stack_name=_managed_stack(connection.url),
        layout=getattr(args, "layout", "tabs"),
        queries=tuple(getattr(args, "query", ())),
        range_seconds=int(getattr(args, "graph_range", 900.0)),
        remember_theme=remember_theme,
        history_file=state_root() / "promql-history",
    )
    make_app(settings).run()
    return EXIT_OK


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

    up = command(
        "up", "start the demo stack (or --stack FILE) and wait until every target is up", cmd_up
    )
    up.add_argument("--stack", metavar="FILE", help="stack file (default: the bundled demo stack)")
    up.add_argument(
        "--runtime",
        choices=["auto", "docker", "local"],
        default="auto",
        help="docker when an engine answers, else local processes (default: auto)",
    )
    up.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="SERVICE",
        help="leave a service out (repeatable), e.g. --without grafana",
    )
    up.add_argument(
        "--timeout",
        dest="ready_timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="give up waiting for readiness after this long (default: 120)",
    )
    up.add_argument(
        "--publish-all",
        action="store_true",
        help="publish ports on every interface instead of 127.0.0.1",
    )
    up.add_argument(
        "--detach",
        action="store_true",
        help="return once the stack is ready instead of opening the dashboard",
    )

    for name, help_text, handler in (
        ("down", "stop and remove what `promdash up` started", cmd_down),
        ("status", "list the stack's services, state, health, uptime and URLs", cmd_status),
    ):
        p = command(name, help_text, handler)
        p.add_argument("--name", help="stack name (default: the most recently started stack)")
        if name == "down":
            p.add_argument("--volumes", action="store_true", help="also remove the stack's data")
        if name == "status":
            p.add_argument(
                "--secrets", action="store_true", help="also show the Grafana admin password"
            )

    logs = command("logs", "show a service's log", cmd_logs)
    logs.add_argument("service", help="service name, e.g. prometheus or random-3")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument(
        "--tail", type=_count, default=100, metavar="N", help="lines to show first (default: 100)"
    )
    logs.add_argument("--name", help="stack name (default: the most recently started stack)")

    # BEGIN query commands (promdash/prom client)
    targets = command(
        "targets", "list scrape targets by pool: health, last scrape, last error", cmd_targets
    )
    targets.add_argument(
        "--state", choices=["up", "down", "unknown"], help="only targets with this health"
    )
    targets.add_argument("--pool", metavar="NAME", help="only this scrape pool (job)")
    targets.add_argument(
        "--json", action="store_true", help="JSON output (schema: docs/json-output.md)"
    )
    _add_connection_flags(targets)

    query = command(
        "query", "run a PromQL query: instant, or over --range (plotted in a terminal)", cmd_query
    )
    query.add_argument("expr", metavar="EXPR", help="PromQL expression, e.g. 'rate(up[5m])'")
    query.add_argument(
        "--time",
        type=_time_arg,
        metavar="T",
        help="evaluation time (end of the range with --range): now, --time=-15m "
        "(that long ago), Unix seconds or RFC 3339 (default: now)",
    )
    query.add_argument(
        "--range",
        type=_duration_arg,
        metavar="DURATION",
        help="query a range ending now (or at --time), e.g. 15m or 1h",
    )
    query.add_argument(
        "--step",
        type=_step_arg,
        default=None,
        metavar="auto|DURATION",
        help="range resolution; auto = about one point per terminal column",
    )
    query_format = query.add_mutually_exclusive_group()
    query_format.add_argument(
        "--json", action="store_true", help="JSON output (schema: docs/json-output.md)"
    )
    query_format.add_argument(
        "--csv", action="store_true", help="CSV: a column per label, then timestamp and value"
    )
    _add_connection_flags(query)

    tail = command(
        "tail", "live graph of a PromQL expression, redrawn every scrape interval", cmd_tail
    )
    tail.add_argument("expr", metavar="EXPR", help="PromQL expression")
    tail.add_argument(
        "--range",
        type=_duration_arg,
        default=300.0,
        metavar="DURATION",
        help="how much history the graph shows (default: 5m)",
    )
    tail.add_argument(
        "--every",
        type=_duration_arg,
        metavar="DURATION",
        help="redraw interval (default: the server's shortest scrape interval)",
    )
    tail.add_argument(
        "--step",
        type=_step_arg,
        default=None,
        metavar="auto|DURATION",
        help="range resolution (default: auto)",
    )
    _add_connection_flags(tail)

    alerts = command(
        "alerts", "list alerting rules and their alerts, inactive ones too", cmd_alerts
    )
    alerts.add_argument(
        "--state", choices=["firing", "pending", "inactive"], help="only alerts in this state"
    )
    alerts.add_argument(
        "--json", action="store_true", help="JSON output (schema: docs/json-output.md)"
    )
    _add_connection_flags(alerts)

    config = command(
        "config", "show the config file, its contexts and which server is used", cmd_config
    )
    _add_connection_flags(config)

    metrics = command("metrics", "list metric names with their type and help", cmd_metrics)
    metrics.add_argument(
        "pattern",
        nargs="?",
        metavar="PATTERN",
        help="only names matching this (case-insensitive regular expression)",
    )
    metrics.add_argument(
        "--json", action="store_true", help="JSON output (schema: docs/json-output.md)"
    )
    _add_connection_flags(metrics)
    # END query commands

    # BEGIN dashboard (promdash/tui)
    dash = command("dash", "open the dashboard (what `promdash` with no command does)", cmd_dash)
    _add_dash_flags(dash)
    # The same flags before any command: `promdash --url URL` opens the dashboard too.
    _add_dash_flags(parser)
    # END dashboard

    # A flag given before the command (`promdash --url X targets`) must not be reset by
    # the command's own copy of it: those copies default to "not given".
    shared = {a.dest for a in parser._actions if a.option_strings} - {"help", "version"}
    for command_parser in sub.choices.values():
        for action in command_parser._actions:
            if action.dest in shared:
                action.default = argparse.SUPPRESS
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Imports are done: from here on Ctrl-C is a KeyboardInterrupt we handle
    # (see promdash/__main__.py). Only the main thread may set handlers.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        handler = cmd_dash  # no command: open the dashboard
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        # A Ctrl-C that lands inside asyncio.run before its coroutine starts would
        # add a "coroutine was never awaited" warning to this one line.
        warnings.simplefilter("ignore", RuntimeWarning)
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
