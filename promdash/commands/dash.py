"""`promdash dash` (and `promdash` alone): open the dashboard.

`promdash up` opens it too, through `open_dashboard` with the stack's URL.
Textual is imported only in `open_dashboard`: no other command pays for it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from promdash.commands import connection
from promdash.errors import UsageError

if TYPE_CHECKING:
    from promdash.config import Connection


@dataclass(frozen=True)
class DashOptions:
    """The dashboard flags (see `promdash dash --help`)."""

    theme: str | None = None  # None: the remembered theme, else the config file's
    refresh: float | None = None  # None: the shortest scrape interval of the targets
    layout: Literal["tabs", "grid"] = "tabs"
    queries: tuple[str, ...] = ()
    graph_range: float = 900.0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DashOptions:
        return cls(
            theme=args.theme,
            refresh=args.refresh,
            layout=args.layout,
            queries=tuple(args.query),
            graph_range=args.graph_range,
        )


def run(args: argparse.Namespace) -> None:
    open_dashboard(connection(args), DashOptions.from_args(args))


def open_dashboard(conn: Connection, options: DashOptions) -> None:
    from promdash.config import load_config
    from promdash.files import state_root
    from promdash.preferences import remember_theme, remembered_theme
    from promdash.tui.app import make_app
    from promdash.tui.settings import DashSettings

    config = load_config()
    if options.theme is not None:
        _check_theme(options.theme)
        if options.theme != remembered_theme():
            remember_theme(options.theme)
    settings = DashSettings(
        connection=conn,
        theme=options.theme or remembered_theme() or config.theme,
        refresh=options.refresh,
        stack_name=_managed_stack(conn.url),
        layout=options.layout,
        queries=options.queries,
        range_seconds=int(options.graph_range),
        remember_theme=remember_theme,
        history_file=state_root() / "promql-history",
    )
    make_app(settings).run()


def _check_theme(theme: str) -> None:
    from textual.theme import BUILTIN_THEMES

    from promdash.tui.themes import load_themes

    known = {t.name for t in load_themes().themes} | set(BUILTIN_THEMES)
    if theme not in known:
        raise UsageError(f"--theme {theme}: no such theme (themes: {', '.join(sorted(known))})")


def _managed_stack(url: str) -> str | None:
    """The stack promdash started whose Prometheus is `url`, for the Stack panel."""
    from promdash.stack.state import running_stacks

    try:
        stacks = running_stacks()
    except OSError:
        return None
    return next((s.name for s in stacks if s.prometheus_url.rstrip("/") == url.rstrip("/")), None)
