"""The promdash command line: main(), the parser, and the exit codes.

The only place that prints errors and picks exit codes. What each command does
is in promdash/commands/ (one module per family); this module declares the
flags, parses them and maps the errors handlers raise to exit codes.

About 500 lines, most of them flag declarations and their help: kept in one
file so every flag of every command can be read in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from promdash import __version__
from promdash.commands import backtest, dash, dashboards, query, silences, stack
from promdash.errors import (
    APIError,
    AuthError,
    BadQueryError,
    BadResponseError,
    ConfigError,
    DashboardError,
    NoAlertmanager,
    NotPrometheusError,
    OutsideRetention,
    PortInUse,
    PromdashError,
    QueryTimeoutError,
    ReadinessTimeout,
    RuntimeUnavailable,
    StackBusy,
    StackFileError,
    StackNotRunning,
    StateFileError,
    UnreachableError,
    UsageError,
)

EXIT_OK = 0
EXIT_ERROR = 1  # the server rejected the request (bad PromQL), or another failure
EXIT_UNREACHABLE = 2  # the server (Prometheus or Alertmanager) could not be reached
EXIT_STACK_FILE = 3  # bad stack file, config file or Grafana dashboard file
EXIT_UNAVAILABLE = 4  # no Docker engine, no prometheus binary, missing image
EXIT_PORT = 5  # a port the stack needs is taken
EXIT_TIMEOUT = 6  # a service was not ready in time
EXIT_NOT_RUNNING = 7  # the command needs a running stack
EXIT_SLOW = 8  # the server accepted the request but did not answer within --timeout
EXIT_BUSY = 9  # another promdash is changing the stack (up, down, a service action)
EXIT_NO_ALERTMANAGER = 10  # a silence command found no Alertmanager to talk to
EXIT_NO_HISTORY = 11  # backtest: the range starts before the server's oldest sample
EXIT_USAGE = 64  # bad command-line usage
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}   success
  {EXIT_ERROR}   the server rejected the request (bad PromQL, HTTP error), or another failure
  {EXIT_UNREACHABLE}   the server (Prometheus or Alertmanager) could not be reached
  {EXIT_STACK_FILE}   bad stack file, config file or dashboard file (file, line and field are named)
  {EXIT_UNAVAILABLE}   no Docker engine / no prometheus binary / image missing
  {EXIT_PORT}   a port the stack needs is already in use
  {EXIT_TIMEOUT}   a service did not become ready before --timeout
  {EXIT_NOT_RUNNING}   no stack is running (start one with `promdash up`)
  {EXIT_SLOW}   the server accepted the request but did not answer within --timeout
  {EXIT_BUSY}   another promdash is changing this stack and did not finish in time
  {EXIT_NO_ALERTMANAGER}  no Alertmanager found (name one with --alertmanager-url)
  {EXIT_NO_HISTORY}  backtest: the range starts before the oldest sample the server holds
  {EXIT_USAGE}  bad command-line usage
  {EXIT_INTERRUPTED} interrupted (Ctrl-C)
"""

# Exception class -> exit code; the first matching class wins.
_EXIT_FOR: list[tuple[type[BaseException], int]] = [
    (StackFileError, EXIT_STACK_FILE),
    (DashboardError, EXIT_STACK_FILE),
    (RuntimeUnavailable, EXIT_UNAVAILABLE),
    (PortInUse, EXIT_PORT),
    (ReadinessTimeout, EXIT_TIMEOUT),
    (StackNotRunning, EXIT_NOT_RUNNING),
    (StackBusy, EXIT_BUSY),
    (NoAlertmanager, EXIT_NO_ALERTMANAGER),
    (OutsideRetention, EXIT_NO_HISTORY),
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

Handler = Callable[[argparse.Namespace], None]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"promdash: {message} (see `{self.prog} --help`)\n")


# ---------------------------------------------------------------- flag values


def _seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def _count(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 0 or more")
    return value


# The client (and httpx with it) is imported only when a duration or time is given.


def _duration(text: str) -> float:
    from promdash.timefmt import parse_seconds

    try:
        return parse_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _step(text: str) -> float | None:
    return None if text == "auto" else _duration(text)


def _positive_duration(text: str) -> float:
    """A duration of more than 0 (`2h`, `90m`): `-1h` says so instead of "not a duration"."""
    if text.strip().startswith("-"):
        raise argparse.ArgumentTypeError(f"{text!r}: a duration must be more than 0")
    return _duration(text)


def _time(text: str) -> float:
    from promdash.timefmt import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---------------------------------------------------------------- shared flags
# The connection and dashboard flags may come before the command as well as after
# it (`promdash --url X targets`). Each group is declared once and built twice: with
# its defaults for the main parser, and for the commands with every default SUPPRESS
# ("not given"). argparse copies a command's parsed values over the main parser's,
# so a real default there would undo a flag given before the command.


def _shared_group(
    title: str, description: str | None, after_command: bool
) -> tuple[_Parser, argparse._ArgumentGroup]:
    parent = _Parser(add_help=False, argument_default=argparse.SUPPRESS if after_command else None)
    return parent, parent.add_argument_group(title, description)


def _default(value: object, after_command: bool) -> object:
    """A flag's own default: `value` before the command, "not given" in a command's copy."""
    return argparse.SUPPRESS if after_command else value


def connection_options(*, after_command: bool = False) -> _Parser:
    parent, g = _shared_group(
        "connection",
        "the server is --url, else --context, else $PROMDASH_URL, else the config\n"
        "file's current-context, else the running promdash stack, else 127.0.0.1:9090",
        after_command,
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
        default=_default([], after_command),
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
    return parent


def dash_options(*, after_command: bool = False) -> _Parser:
    parent, g = _shared_group("dashboard", None, after_command)
    g.add_argument(
        "--theme",
        metavar="NAME",
        help="promdash-dark (default), promdash-light, promdash-high-contrast, a file of "
        "themes/ or a textual theme; the last one chosen is remembered in the state directory",
    )
    g.add_argument(
        "--refresh",
        type=_duration,
        metavar="DURATION",
        help="refresh every DURATION (default: the shortest scrape interval of the targets)",
    )
    g.add_argument(
        "--layout",
        choices=["auto", "overview", "tabs", "grid"],
        default=_default("auto", after_command),
        help="open on the overview (targets, alerts and graphs together) or on one panel; "
        "auto: the overview when the terminal has at least 100x30 cells (default: auto; "
        "grid is the old name of overview)",
    )
    g.add_argument(
        "--query",
        action="append",
        default=_default([], after_command),
        metavar="EXPR",
        help="open a graph of EXPR at start (repeatable)",
    )
    g.add_argument(
        "--dashboard",
        action="append",
        default=_default([], after_command),
        metavar="PATH",
        help="draw the Grafana dashboard PATH (JSON) at start; D opens it again, or a "
        "list when there are several (repeatable; a folder gives every *.json in it, by "
        "name; the config context's dashboards: and the running stack's provisioned "
        "dashboards are listed too)",
    )
    g.add_argument(
        "--graph-range",
        type=_duration,
        default=_default(900.0, after_command),
        metavar="DURATION",
        help="range of the graphs (default: 15m)",
    )
    return parent


def output_options(
    *formats: query.Format, csv: str = "a column per label, then timestamp and value"
) -> _Parser:
    """-o/--output offering `formats`; --json and --csv stay as aliases (scripts use them)."""
    parent = _Parser(add_help=False)
    choice = parent.add_mutually_exclusive_group()
    choice.add_argument(
        "-o",
        "--output",
        choices=formats,
        help="table (default): a plot and colours on a terminal, plain text in a pipe; "
        "json: schema in docs/json-output.md" + (f"; csv: {csv}" if "csv" in formats else ""),
    )
    choice.add_argument(
        "--json", dest="output", action="store_const", const="json", help="same as -o json"
    )
    if "csv" in formats:
        choice.add_argument(
            "--csv", dest="output", action="store_const", const="csv", help="same as -o csv"
        )
    parent.set_defaults(output="table")
    return parent


def alertmanager_options(*, after_command: bool = False) -> _Parser:
    parent, g = _shared_group(
        "alertmanager",
        "the Alertmanager is --alertmanager-url, else the alertmanager: block of the config\n"
        "context in use, else the running promdash stack's, else one Prometheus reports\n"
        "(/api/v1/alertmanagers) that answers from here; its credentials are its own",
        after_command,
    )
    g.add_argument("--alertmanager-url", metavar="URL", help="Alertmanager base URL")
    g.add_argument(
        "--alertmanager-token-file", metavar="FILE", help="send the bearer token in FILE"
    )
    g.add_argument(
        "--alertmanager-header",
        action="append",
        default=_default([], after_command),
        metavar="K=V",
        help="extra HTTP header (repeatable)",
    )
    g.add_argument("--alertmanager-ca", metavar="FILE", help="trust this CA bundle for https")
    g.add_argument("--alertmanager-cert", metavar="FILE", help="client certificate for mutual TLS")
    g.add_argument("--alertmanager-key", metavar="FILE", help="private key of --alertmanager-cert")
    g.add_argument(
        "--alertmanager-insecure",
        action="store_true",
        help="do not verify the Alertmanager's TLS certificate",
    )
    return parent


def stack_name_option() -> _Parser:
    parent = _Parser(add_help=False)
    parent.add_argument("--name", help="stack name (default: the most recently started stack)")
    return parent


# ---------------------------------------------------------------- the commands


def _command(
    sub: argparse._SubParsersAction[_Parser],
    name: str,
    help: str,
    handler: Handler,
    *parents: _Parser,
) -> _Parser:
    command = sub.add_parser(
        name,
        help=help,
        description=help,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    command.set_defaults(handler=handler)
    return command


def _stack_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    up = _command(
        sub, "up", "start the demo stack (or --stack FILE) and wait until every target is up",
        stack.up,
    )  # fmt: skip
    up.add_argument(
        "--stack", type=Path, metavar="FILE", help="stack file (default: the bundled demo stack)"
    )
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
    _stack_inspection_commands(sub, stack_name_option())


def _stack_inspection_commands(sub: argparse._SubParsersAction[_Parser], name: _Parser) -> None:
    down = _command(sub, "down", "stop and remove what `promdash up` started", stack.down, name)
    down.add_argument("--volumes", action="store_true", help="also remove the stack's data")

    status = _command(
        sub, "status", "list the stack's services, state, health, uptime and URLs",
        stack.status, name,
    )  # fmt: skip
    status.add_argument(
        "--secrets", action="store_true", help="also show the Grafana admin password"
    )

    logs = _command(sub, "logs", "show a service's log", stack.logs, name)
    logs.add_argument("service", help="service name, e.g. prometheus or random-3")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument(
        "--tail", type=_count, default=100, metavar="N", help="lines to show first (default: 100)"
    )


def _query_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    server = connection_options(after_command=True)
    table_or_json = output_options("table", "json")

    targets = _command(
        sub, "targets", "list scrape targets by pool: health, last scrape, last error",
        query.targets, table_or_json, server,
    )  # fmt: skip
    targets.add_argument(
        "--state", choices=["up", "down", "unknown"], help="only targets with this health"
    )
    targets.add_argument(
        "--pool", metavar="NAME", help="only this scrape pool (job), asked of the server"
    )

    _query_command(sub, server)
    _tail_command(sub, server)

    alerts = _command(
        sub, "alerts", "list alerting rules and their alerts, inactive ones too, with "
        "Alertmanager's side (active, silenced, inhibited; receivers) when one is found",
        query.alerts, table_or_json, server, alertmanager_options(after_command=True),
    )  # fmt: skip
    alerts.add_argument(
        "--state", choices=["firing", "pending", "inactive"], help="only alerts in this state"
    )

    _command(
        sub, "config", "show the config file, its contexts and which server is used",
        query.config, server,
    )  # fmt: skip

    metrics = _command(
        sub, "metrics", "list metric names with their type and help",
        query.metrics, table_or_json, server,
    )  # fmt: skip
    metrics.add_argument(
        "pattern",
        nargs="?",
        metavar="PATTERN",
        help="only names matching this (case-insensitive regular expression)",
    )


def _silence_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    server = connection_options(after_command=True)
    am = alertmanager_options(after_command=True)
    listing = _command(
        sub, "silences", "list Alertmanager's silences: matchers, state, times, author, comment "
        "and how many current alerts each mutes",
        silences.list_silences,
        output_options("table", "json", "csv", csv="a row per silence, matchers as amtool writes"),
        server, am,
    )  # fmt: skip
    listing.add_argument(
        "--state",
        choices=["active", "pending", "expired", "all"],
        help="only silences in this state (default: active and pending)",
    )

    silence = sub.add_parser(
        "silence",
        help="add or expire an Alertmanager silence",
        description="add or expire an Alertmanager silence (through its API v2)",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = silence.add_subparsers(
        dest="silence_action", metavar="ACTION", required=True, parser_class=_Parser
    )
    add = _command(
        actions, "add", "silence the alerts MATCHERs match for --for; prints the new ID",
        silences.add, server, am,
    )  # fmt: skip
    add.add_argument(
        "matchers",
        nargs="*",
        metavar="MATCHER",
        help="name=value, name!=value, name=~regex or name!~regex (amtool's syntax; values "
        'may be quoted: instance="a:1"); a silence mutes the alerts all of them match',
    )
    add.add_argument(
        "--for",
        dest="duration",
        type=_positive_duration,
        required=True,
        metavar="DURATION",
        help="how long, from now: 2h, 30m, 1d12h",
    )
    add.add_argument("--comment", required=True, metavar="TEXT", help="why (shown to others)")
    add.add_argument("--author", metavar="NAME", help="who (default: your login name)")

    expire = _command(
        actions, "expire", "end silences now; their alerts are active again",
        silences.expire, server, am,
    )  # fmt: skip
    expire.add_argument(
        "ids",
        nargs="+",
        metavar="ID",
        help="a silence ID (`promdash silences`), or its first characters (`promdash alerts`)",
    )


def _dashboard_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    dashboard = sub.add_parser(
        "dashboard",
        help="check Grafana dashboard files against the server",
        description="Grafana dashboards (JSON model files) and the server",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = dashboard.add_subparsers(
        dest="dashboard_action", metavar="ACTION", required=True, parser_class=_Parser
    )
    check = _command(
        actions, "check", "which panels and variables promdash can draw, and each query run "
        "once against the server (series, no data, or its error); exits 1 when the server "
        "rejects a query, 0 otherwise (no data included)",
        dashboards.check, output_options("table", "json"), connection_options(after_command=True),
    )  # fmt: skip
    check.add_argument("files", nargs="+", metavar="FILE", help="a Grafana dashboard JSON file")


def _backtest_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    bt = _command(
        sub, "backtest", "when would an alerting rule have been pending and firing over a past "
        "range? evaluates it at each tick as Prometheus does (see the README for where a "
        "backtest can differ); exits 11 when the range starts before the server's oldest sample",
        backtest.backtest,
        output_options("table", "json", "csv", csv="a row per pending or firing stretch"),
        connection_options(after_command=True),
    )  # fmt: skip
    bt.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="the alerting rule of this name on the server (or in --rules FILE; with --expr, "
        "the alert's name)",
    )
    rule = bt.add_argument_group("the rule")
    rule.add_argument("--group", metavar="NAME", help="the rule of NAME in this group")
    rule.add_argument(
        "--rule-labels",
        action="append",
        default=[],
        metavar="K=V",
        help="the rule of NAME with this label (repeatable): for rules of one name in one group",
    )
    rule.add_argument(
        "--rules", metavar="FILE", help="a Prometheus rule file or a promdash stack file"
    )
    rule.add_argument("--rule", metavar="NAME", help="the alerting rule of --rules FILE")
    rule.add_argument("--expr", metavar="EXPR", help="a rule given here: its PromQL expression")
    rule.add_argument(
        "--for", dest="hold", metavar="DURATION", help="its `for` (also changes a named rule's)"
    )
    rule.add_argument(
        "--keep-firing-for",
        metavar="DURATION",
        help="its keep_firing_for (also changes a named rule's)",
    )
    rule.add_argument(
        "--labels",
        action="append",
        default=[],
        metavar="K=V",
        help="a label the rule adds to its alerts (repeatable; also added to a named rule's)",
    )
    when = bt.add_argument_group("when")
    when.add_argument(
        "--range",
        type=_duration,
        metavar="DURATION",
        help="how far back from --end (default: 6h, or from the oldest sample the server holds)",
    )
    when.add_argument(
        "--start", type=_time, metavar="T", help="start of the range (not with --range)"
    )
    when.add_argument(
        "--end",
        type=_time,
        metavar="T",
        help="end of the range: now, --end=-1h (that long ago; with `=`), Unix seconds or "
        "RFC 3339 (default: now)",
    )
    when.add_argument(
        "--every",
        type=_duration,
        metavar="DURATION",
        help="evaluation interval (default: the rule group's, else the server's "
        "evaluation_interval, else 1m)",
    )


def _query_command(sub: argparse._SubParsersAction[_Parser], server: _Parser) -> None:
    q = _command(
        sub, "query", "run a PromQL query: instant, or over --range (plotted in a terminal)",
        query.query, output_options("table", "json", "csv"), server,
    )  # fmt: skip
    q.add_argument("expr", metavar="EXPR", help="PromQL expression, e.g. 'rate(up[5m])'")
    q.add_argument(
        "--time",
        type=_time,
        metavar="T",
        help="evaluation time (end of the range with --range): now, --time=-15m "
        "(that long ago), Unix seconds or RFC 3339 (default: now)",
    )
    q.add_argument(
        "--range",
        type=_duration,
        metavar="DURATION",
        help="query a range ending now (or at --time), e.g. 15m or 1h",
    )
    q.add_argument(
        "--step",
        type=_step,
        metavar="auto|DURATION",
        help="range resolution; auto = about one point per terminal column",
    )


def _tail_command(sub: argparse._SubParsersAction[_Parser], server: _Parser) -> None:
    tail = _command(
        sub, "tail", "live graph of a PromQL expression, redrawn every scrape interval",
        query.tail, server,
    )  # fmt: skip
    tail.add_argument("expr", metavar="EXPR", help="PromQL expression")
    tail.add_argument(
        "--range",
        type=_duration,
        default=300.0,
        metavar="DURATION",
        help="how much history the graph shows (default: 5m)",
    )
    tail.add_argument(
        "--every",
        type=_duration,
        metavar="DURATION",
        help="redraw interval (default: the server's shortest scrape interval)",
    )
    tail.add_argument(
        "--step", type=_step, metavar="auto|DURATION", help="range resolution (default: auto)"
    )


def build_parser() -> argparse.ArgumentParser:
    # `promdash --url URL` (no command) opens the dashboard: the main parser takes
    # the connection and dashboard flags too.
    parser = _Parser(
        prog="promdash",
        description="Run and watch Prometheus from your terminal. "
        "With no command, opens the dashboard.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[connection_options(), dash_options(), alertmanager_options()],
    )
    parser.add_argument("--version", action="version", version=f"promdash {__version__}")
    parser.set_defaults(handler=dash.run)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _stack_commands(sub)
    _query_commands(sub)
    _silence_commands(sub)
    _dashboard_commands(sub)
    _backtest_command(sub)
    _command(
        sub, "dash", "open the dashboard (what `promdash` with no command does)", dash.run,
        connection_options(after_command=True), dash_options(after_command=True),
        alertmanager_options(after_command=True),
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        # Imports are done: from here on Ctrl-C is a KeyboardInterrupt handled
        # below, parsing included (see promdash/__main__.py). Only the main
        # thread may set handlers.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)
        args = build_parser().parse_args(argv)
        args.handler(args)
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
    return EXIT_OK


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
