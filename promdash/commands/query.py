"""The query commands: targets, query, tail, alerts, metrics, config.

`alerts` adds Alertmanager's side when one is found (promdash.commands.silences).

Each is a small handler given a `Session`: the connection and the output, built
once from the flags by `@command`.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from promdash.commands import connection, say

if TYPE_CHECKING:
    from promdash.config import Connection
    from promdash.prom.client import PromClient
    from promdash.prom.types import MetricMetadata, QueryResult

Format = Literal["table", "json", "csv"]


@dataclass(frozen=True)
class Output:
    """How results are printed: the --output format, and what stdout can show.

    A table is plotted and coloured on a terminal, plain text in a pipe.
    """

    format: Format = "table"
    terminal: bool = False  # stdout is a terminal: range queries are plotted
    color: bool = False
    width: int | None = None  # columns a table fits in; None: a pipe, one line a row

    @classmethod
    def to_stdout(cls, format: Format) -> Output:
        import shutil

        terminal = sys.stdout.isatty()
        color = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        # $COLUMNS sizes a table in a pipe too (`COLUMNS=120 promdash alerts | less`).
        sized = terminal or os.environ.get("COLUMNS")
        return cls(format, terminal, color, shutil.get_terminal_size().columns if sized else None)


@dataclass(frozen=True)
class Session:
    """What every query command works with."""

    connection: Connection
    output: Output


Handler = Callable[[Session, argparse.Namespace], None]


def command(handler: Handler) -> Callable[[argparse.Namespace], None]:
    """`handler` as a command: its session is built from the flags, once."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> None:
        # tail and config have no --output: they print one way.
        output = Output.to_stdout(getattr(args, "output", "table"))
        handler(Session(connection(args), output), args)

    return run


@command
def targets(s: Session, args: argparse.Namespace) -> None:
    from promdash.present import output as present
    from promdash.prom.client import run

    # With --pool the server sends that pool's targets only (Prometheus 2.42 and later).
    found = run(s.connection, lambda c: c.targets(state="active", scrape_pool=args.pool))
    if s.output.format == "json":
        print(present.targets_json(found.active, time.time(), health=args.state, pool=args.pool))
    else:
        print(
            present.targets_text(
                found.active, time.time(), health=args.state, pool=args.pool, color=s.output.color
            )
        )


@command
def query(s: Session, args: argparse.Namespace) -> None:
    if args.range is None:
        _instant_query(s, args.expr, args.time)
    else:
        end = args.time if args.time is not None else time.time()
        _range_query(s, args.expr, end - args.range, end, args.step or _auto_step(args.range))


def _instant_query(s: Session, expr: str, at: float | None) -> None:
    from promdash.present import output as present
    from promdash.prom.client import run

    result = run(s.connection, lambda c: c.query(expr, at))
    if s.output.format == "json":
        print(present.query_json(result, expr, time=at))
    elif s.output.format == "csv":
        print(present.query_csv(result))
    else:
        print(present.instant_text(result))
    _warn(result.warnings)


def _range_query(s: Session, expr: str, start: float, end: float, step: float) -> None:
    from promdash.present import output as present
    from promdash.prom.client import run

    result = run(s.connection, lambda c: c.query_range(expr, start, end, step))
    if s.output.format == "json":
        print(present.query_json(result, expr, start=start, end=end, step=step))
    elif s.output.format == "csv":
        print(present.query_csv(result))
    elif s.output.terminal and result.matrix:
        width, lines = _terminal_size()
        legend = present.legend(result.matrix, color=s.output.color, width=width)
        height = _plot_height(lines, legend)
        print(
            present.plot(
                result.matrix, width, height, title=expr, color=s.output.color, start=start, end=end
            )
        )
        print(legend)
    else:
        print(present.range_text(result))
    _warn(result.warnings)


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        say(f"promdash: warning from the server: {warning}")


def _terminal_size() -> tuple[int, int]:
    """Columns and lines of the terminal, asked each time: a tail's may be resized."""
    import shutil

    columns, lines = shutil.get_terminal_size((100, 30))
    return columns, lines


def _plot_height(lines: int, legend: str, header_lines: int = 0) -> int:
    return max(8, min(lines - (legend.count("\n") + 1) - header_lines - 2, 30))


def _auto_step(range_seconds: float) -> float:
    """About one point per plot column (plotext's y-axis labels take ~10 columns)."""
    from promdash.timefmt import auto_step

    return auto_step(range_seconds, max(_terminal_size()[0] - 10, 20))


# ---------------------------------------------------------------- tail


@command
def tail(s: Session, args: argparse.Namespace) -> None:
    import asyncio

    if s.output.terminal:
        # Alternate screen, cursor hidden; both undone in `finally` whatever happens.
        sys.stdout.write("\x1b[?1049h\x1b[?25l")
        sys.stdout.flush()
    try:
        asyncio.run(_tail(s, args.expr, args.range, args.every, args.step))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a tail ends: not an error
    finally:
        if s.output.terminal:
            sys.stdout.write("\x1b[?25h\x1b[?1049l")
            sys.stdout.flush()


async def _tail(
    s: Session, expr: str, range_seconds: float, every: float | None, step: float | None
) -> None:
    import asyncio

    from promdash.errors import PromError
    from promdash.prom.client import PromClient

    async with PromClient(s.connection) as client:
        every = every or await _scrape_interval(client)
        step = step or (_auto_step(range_seconds) if s.output.terminal else every)
        result: QueryResult | None = None
        while True:
            began = time.monotonic()
            end = time.time()
            problem = ""
            try:
                result = await client.query_range(expr, end - range_seconds, end, step)
            except PromError as exc:
                if result is None:
                    raise  # a bad query or a server that was never there: say so and stop
                # A server restarting mid-tail: keep the last graph and keep trying.
                problem = f"last refresh failed: {exc} (retrying)"
            if s.output.terminal:
                frame = _tail_screen(s.output, expr, result, problem, range_seconds, every, end)
                sys.stdout.write("\x1b[H" + frame + "\x1b[J")
            else:
                sys.stdout.write(_tail_lines(result, problem) + "\n")
            sys.stdout.flush()
            await asyncio.sleep(max(0.0, every - (time.monotonic() - began)))


async def _scrape_interval(client: PromClient) -> float:
    from promdash.timefmt import shortest_interval

    targets = await client.targets(state="active")
    return shortest_interval(t.scrape_interval for t in targets.active) or 15.0


def _tail_screen(
    out: Output,
    expr: str,
    result: QueryResult,
    problem: str,
    range_seconds: float,
    every: float,
    end: float,
) -> str:
    """One frame of the tail on a terminal: a header, then the plot and its legend."""
    from promdash.present import output as present
    from promdash.timefmt import format_duration

    header = (
        f"promdash tail  {expr}  range {format_duration(range_seconds)}"
        f"  every {format_duration(every)}  {time.strftime('%H:%M:%S')}  (Ctrl-C quits)"
    )
    width, lines = _terminal_size()
    legend = present.legend(result.matrix, color=out.color, width=width)
    height = _plot_height(lines, legend, header_lines=2 + bool(problem))
    frame = [header]
    if problem:
        frame.append(present.paint(problem, "red", out.color))
    if not result.matrix:
        frame.append("no data yet (the query matched no series in that range)")
        return "\n".join(frame)
    start = end - range_seconds
    frame.append(present.plot(result.matrix, width, height, color=out.color, start=start, end=end))
    frame.append(legend)
    return "\n".join(frame)


def _tail_lines(result: QueryResult, problem: str) -> str:
    """One refresh of the tail in a pipe: the latest value of each series."""
    from promdash.present.text import clip, series_name
    from promdash.timefmt import value_text

    clock = time.strftime("%H:%M:%S")
    lines = [
        f"{clock}  {clip(series_name(s.metric))}  {value_text(s.values[-1])}"
        for s in result.matrix
        if s.values
    ]
    if problem:
        lines.append(f"{clock}  {problem}")
    return "\n".join(lines or [f"{clock}  no data"])


# ---------------------------------------------------------------- alerts, metrics, config


@command
def alerts(s: Session, args: argparse.Namespace) -> None:
    import asyncio

    from promdash.commands.silences import AlertmanagerSide, alertmanager_side
    from promdash.present import output as present
    from promdash.prom.client import run
    from promdash.prom.types import RuleGroup

    async def both(c: PromClient) -> tuple[list[RuleGroup], AlertmanagerSide | None]:
        # Alertmanager's side (when one is found) is asked at the same time as the rules.
        return await asyncio.gather(c.rules(type="alert"), alertmanager_side(args, c))

    groups, side = run(s.connection, both)
    am = side.alerts if side is not None else None
    if s.output.format == "json":
        print(present.alerts_json(groups, state=args.state, alertmanager=am))
    else:
        print(
            present.alerts_text(
                groups,
                time.time(),
                state=args.state,
                color=s.output.color,
                width=s.output.width,
                alertmanager=am,
            )
        )


@command
def metrics(s: Session, args: argparse.Namespace) -> None:
    from promdash.present import output as present
    from promdash.prom.client import run

    entries = present.metric_entries(run(s.connection, _metric_names), args.pattern)
    json_out = s.output.format == "json"
    print(present.metrics_json(entries) if json_out else present.metrics_text(entries))


async def _metric_names(client: PromClient) -> dict[str, list[MetricMetadata]]:
    import asyncio

    # Metadata only covers scraped metrics; __name__ values add recording
    # rules and synthetic series such as `up`, and servers without metadata.
    metadata, names = await asyncio.gather(client.metadata(), client.label_values("__name__"))
    for name in names:
        metadata.setdefault(name, [])
    return metadata


@command
def config(s: Session, args: argparse.Namespace) -> None:
    """Where the config file is, its contexts, and which server commands would use."""
    from promdash.config import config_path, load_config, without_userinfo
    from promdash.preferences import preferences_path, remembered_theme

    settings = load_config()
    path = config_path()
    print(f"config file:  {path}{'' if path.is_file() else ' (not created yet)'}")
    print(f"server:       {s.connection.url}  (from {s.connection.source})")
    print(f"credential:   {s.connection.credential or 'none'}")
    if settings.contexts:
        print("contexts:")
        for name, ctx in sorted(settings.contexts.items()):
            mark = "*" if name == settings.current_context else " "
            print(f"  {mark} {name:<16} {without_userinfo(ctx.url)}")
    if theme := remembered_theme():
        print(f"theme:        {theme}  (remembered in {preferences_path()})")
    elif settings.theme:
        print(f"theme:        {settings.theme}  (from the config file)")
