"""`promdash dash` (and `promdash` alone): open the dashboard.

`promdash up` opens it too, through `open_dashboard` with the stack's URL.
Textual is imported only in `open_dashboard`: no other command pays for it.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from promdash.commands import AlertmanagerFlags, connection
from promdash.errors import ConfigError, DashboardError, UsageError

if TYPE_CHECKING:
    from promdash.config import Connection
    from promdash.configfile import Config
    from promdash.preferences import GraphMemory
    from promdash.prom.types import Targets
    from promdash.stack.state import StackState
    from promdash.tui.settings import OverviewGraph


@dataclass(frozen=True)
class DashOptions:
    """The dashboard flags (see `promdash dash --help`)."""

    theme: str | None = None  # None: the remembered theme, else the config file's
    refresh: float | None = None  # None: the shortest scrape interval of the targets
    layout: Literal["auto", "overview", "tabs"] = "auto"
    queries: tuple[str, ...] = ()
    graph_range: float = 900.0
    dashboards: tuple[str, ...] = ()  # Grafana dashboard files and folders (--dashboard)
    alertmanager: AlertmanagerFlags = field(default_factory=AlertmanagerFlags)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DashOptions:
        return cls(
            theme=args.theme,
            refresh=args.refresh,
            layout="overview" if args.layout == "grid" else args.layout,
            queries=tuple(args.query),
            graph_range=args.graph_range,
            dashboards=tuple(getattr(args, "dashboard", None) or ()),
            alertmanager=AlertmanagerFlags.from_args(args),
        )


def run(args: argparse.Namespace) -> None:
    open_dashboard(connection(args), DashOptions.from_args(args))


def open_dashboard(conn: Connection, options: DashOptions) -> None:
    # The targets are what a person looks for first: asked now, while Textual and the
    # panels load (some 0.2 s), not once the screen is up.
    first_targets = _ask_targets(conn)
    from promdash.commands.silences import login_name
    from promdash.config import config_path, load_config
    from promdash.files import state_root
    from promdash.preferences import GraphMemory, remember_theme, remembered_theme, server_key
    from promdash.tui.app import make_app
    from promdash.tui.settings import DashSettings

    # A missing config file is the empty config: reading it would only import pydantic
    # (~0.1 s of the launch) to say so.
    config = load_config() if config_path().is_file() else None
    stack = _managed_stack(conn.url)
    # A bad one, given or in the config: one line (exit 3) here, before anything opens.
    listed, opened = grafana_dashboards(
        options.dashboards, config, conn.context, stack.stack_file if stack else None
    )
    memory = GraphMemory(server_key(conn))
    if options.theme is not None:
        _check_theme(options.theme)
        if options.theme != remembered_theme():
            remember_theme(options.theme)
    settings = DashSettings(
        connection=conn,
        # A named one that cannot be used (a token file missing) stops here, in one line;
        # else the dashboard asks Prometheus which Alertmanager it sends alerts to.
        alertmanager=options.alertmanager.named(conn),
        alertmanager_connect=options.alertmanager.reported,
        author=login_name(),
        theme=options.theme or remembered_theme() or (config.theme if config else None),
        refresh=options.refresh,
        stack_name=stack.name if stack else None,
        layout=options.layout,
        queries=options.queries,
        range_seconds=int(options.graph_range),
        remember_theme=remember_theme,
        history_file=state_root() / "promql-history",
        overview_graphs=overview_graphs(memory, stack.stack_file if stack else None),
        graph_memory=memory,
        grafana_dashboards=listed,
        grafana_open=opened,
        freeze_start_up=True,
    )
    app = make_app(settings, first_targets)
    # The app drops the first answer once shown; held here, 5,000 targets would live on
    # for the whole session.
    del first_targets
    # A poll of 5,000 targets and alerts makes some 200,000 objects that live until the
    # next one: with the collector's default thresholds it scanned them over and over
    # (2.7 of the 6.6 % of a core the overview took at 5 s). What the imports made
    # (Textual's widgets, CSS, the modules) is left out of its passes for good (gc.freeze),
    # and it runs after 50,000 new objects instead of 700; cycles are still collected.
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
    app.run()
    if app.return_code:  # Textual said why on the way out; the status says it too
        raise SystemExit(app.return_code)


def _ask_targets(conn: Connection) -> Future[Targets]:
    """The active targets, asked on a thread of its own (its own client and event loop);
    the dashboard's first poll waits for this answer instead of asking again."""
    import asyncio
    import threading

    from promdash.prom.client import PromClient

    asked: Future[Targets] = Future()

    async def ask() -> Targets:
        async with PromClient(conn) as client:
            return await client.targets(state="active")

    def run() -> None:
        if not asked.set_running_or_notify_cancel():
            return  # the dashboard quit before it began: nobody waits for it
        try:
            asked.set_result(asyncio.run(ask()))
        except BaseException as exc:  # the poll raises it, under the one error policy
            asked.set_exception(exc)

    threading.Thread(target=run, name="first-targets", daemon=True).start()
    return asked


def _check_theme(theme: str) -> None:
    from textual.theme import BUILTIN_THEMES

    from promdash.tui.themes import load_themes

    known = {t.name for t in load_themes().themes} | set(BUILTIN_THEMES)
    if theme not in known:
        raise UsageError(f"--theme {theme}: no such theme (themes: {', '.join(sorted(known))})")


def overview_graphs(memory: GraphMemory, stack_file: str | None) -> tuple[OverviewGraph, ...]:
    """The overview's graphs at start, from the first source that has any.

    The user's own choice for this server (even none: they removed them all), else
    the `dashboard:` graphs of the stack file promdash started this server from,
    else the two graphs the user opened last here, else one any Prometheus can show.
    """
    from promdash.tui.settings import FALLBACK_GRAPH

    chosen = memory.overview()
    if chosen is not None:
        return tuple(chosen)
    if stack_file and (graphs := _stack_graphs(Path(stack_file))):
        return graphs
    if recent := memory.recent()[:2]:
        return tuple((query, query) for query in recent)
    return (FALLBACK_GRAPH,)


def _stack_graphs(path: Path) -> tuple[OverviewGraph, ...]:
    """The stack file's `dashboard:` graphs; none when the file is gone or no longer valid
    (it was checked when the stack started; the dashboard is no place to report it)."""
    from promdash.errors import StackFileError
    from promdash.stack.model import load_stack

    try:
        stack = load_stack(path)
    except StackFileError:
        return ()
    return tuple((graph.title, graph.query) for graph in stack.dashboard.graphs)


def grafana_dashboards(
    given: Sequence[str], config: Config | None, context: str | None, stack_file: str | None
) -> tuple[tuple[Path, ...], Path | None]:
    """The Grafana dashboards D lists, and the one drawn at start.

    Listed: those given (--dashboard, files or folders), then the `dashboards:` of the
    config context in use, then those the running stack provisions; each once. Drawn at
    start: the first one given. Each is read and checked now: a missing one, or one that
    cannot be drawn, is one line (exit 3) naming it, and for the config's, its line there.
    """
    from_flags = [file for path in given for file in _grafana_files(path)]
    from_config: list[Path] = []
    ctx = config.contexts.get(context) if config is not None and context else None
    for i, path in enumerate(ctx.dashboards if ctx else ()):
        try:
            from_config += _grafana_files(path)
        except DashboardError as exc:
            where = config.where("contexts", ctx.name, "dashboards", i) if config and ctx else ""
            raise ConfigError(f"{where}: {exc}") from None
    listed = tuple(dict.fromkeys([*from_flags, *from_config, *_provisioned(stack_file)]))
    return listed, from_flags[0] if from_flags else None


def _grafana_files(path: str) -> list[Path]:
    """The dashboard file at `path`, or every *.json in the folder at `path` (by name),
    each read and checked: one that cannot be drawn is one `DashboardError` line."""
    found = Path(path).expanduser()
    if found.is_dir():
        files = sorted(
            p for p in found.glob("*.json") if p.is_file() and not p.name.startswith(".")
        )
        if not files:
            raise DashboardError(f"{path}: no Grafana dashboard (*.json) in this folder")
        return [_grafana_file(file) for file in files]
    if not found.exists():
        raise DashboardError(f"{path}: no such file or folder")
    return [_grafana_file(found)]


def _grafana_file(path: Path) -> Path:
    from promdash.grafana.variables import load_checked

    load_checked(path)
    return path.resolve()


def _provisioned(stack_file: str | None) -> list[Path]:
    """The Grafana dashboards the running stack provisions (its grafana `provisioning`
    folder's `dashboards/*.json`); none when it has none or its file is gone."""
    if not stack_file:
        return []  # before the imports: the stack's model loads pydantic (~0.1 s)
    from promdash.errors import StackFileError
    from promdash.stack.model import load_stack

    try:
        stack = load_stack(Path(stack_file))
    except StackFileError:
        return []
    folder = Path(stack_file).parent / stack.grafana.provisioning / "dashboards"
    return sorted(p.resolve() for p in folder.glob("*.json"))


def _managed_stack(url: str) -> StackState | None:
    """The stack promdash started whose Prometheus is `url`, for the Stack panel."""
    from promdash.stack.state import running_stacks

    try:
        stacks = running_stacks()
    except OSError:
        return None
    return next((s for s in stacks if s.prometheus_url.rstrip("/") == url.rstrip("/")), None)
