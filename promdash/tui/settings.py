"""Everything the dashboard needs to start, in one value the CLI and tests build.

Tests and the screenshot script pass a fixed clock, a private themes folder and
no config writer, so the app they make is deterministic and touches nothing of
the user's (posting's `make_posting` does the same with its test config).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx

from promdash.config import Connection

if TYPE_CHECKING:
    # Types only: promdash.stack.runtime loads pydantic and YAML (~0.14 s of start-up).
    from promdash.preferences import GraphMemory
    from promdash.stack.runtime import ServiceStatus

# `auto` opens the overview when the terminal has room for it (OVERVIEW_MIN), else the
# panel asked for; `overview` always opens it; `tabs` opens the panel asked for.
Layout = Literal["auto", "overview", "tabs"]
PanelName = Literal["overview", "targets", "graph", "alerts", "stack", "silences"]
PANELS: tuple[PanelName, ...] = ("overview", "targets", "graph", "alerts", "stack", "silences")
# The key that shows each panel, also the first word of its tab.
PANEL_KEYS: dict[str, str] = {
    "overview": "o",
    "targets": "1",
    "graph": "2",
    "alerts": "3",
    "stack": "4",
    "silences": "5",
}
OVERVIEW_MIN = (100, 30)  # columns, rows

# A graph of the overview: its title and PromQL.
OverviewGraph = tuple[str, str]
# What everyone's Prometheus can show: how many targets of each job are up.
FALLBACK_GRAPH: OverviewGraph = ("targets up per job", "sum by (job) (up)")

DEFAULT_REFRESH = 5.0  # seconds, until the targets tell us their scrape interval
MIN_REFRESH = 1.0
MAX_REFRESH = 60.0


def reported_alertmanager(url: str) -> Connection:
    """A connection to an Alertmanager Prometheus reports, without credentials."""
    from promdash.config import alertmanager_connection

    return alertmanager_connection(url, "reported by Prometheus")


@dataclass(frozen=True)
class DashSettings:
    connection: Connection
    theme: str | None = None  # None: the default theme
    refresh: float | None = None  # seconds; None follows the shortest scrape interval
    stack_name: str | None = None  # a stack promdash manages, for the Stack panel
    layout: Layout = "tabs"
    panel: PanelName = "targets"
    queries: tuple[str, ...] = ()  # graphs to open at start
    range_seconds: int = 900
    clock: Callable[[], float] = time.time
    themes_dir: Path | None = None  # None: the bundled themes
    # Called with the theme name whenever the user picks one; None remembers nothing.
    remember_theme: Callable[[str], None] | None = None
    history_file: Path | None = None  # PromQL history; None keeps it in memory only
    # The overview's graphs at start (commands/dash.py chooses them: the user's own
    # choice for this server, else the stack file's `dashboard:`, else recent graphs).
    overview_graphs: tuple[OverviewGraph, ...] = (FALLBACK_GRAPH,)
    # Remembers graphs opened and the overview's choice per server; None: nothing kept.
    graph_memory: GraphMemory | None = None
    catalog: bool = True  # fetch metric names and metadata for completion
    # Grafana dashboard files D offers (those given with --dashboard first, then the
    # running stack's provisioned ones); `grafana_open` is drawn at start.
    grafana_dashboards: tuple[Path, ...] = ()
    grafana_open: Path | None = None
    # How the Stack panel learns the services' state; None asks the stack's runtime.
    # Snapshot tests pass rows recorded from a real stack (uptimes move with the clock).
    stack_status: Callable[[str], list[ServiceStatus]] | None = None
    # The Alertmanager the flags, the config context or the running stack name; None:
    # ask Prometheus which one it sends alerts to, making its connection with
    # `alertmanager_connect` (None: ask nothing, and the dashboard shows Prometheus's side).
    alertmanager: Connection | None = None
    alertmanager_connect: Callable[[str], Connection] | None = reported_alertmanager
    author: str = ""  # who new silences are by, until the form says otherwise (the login name)
    # Where requests really go; snapshot tests send `connection.url`'s requests to a
    # local server of recorded answers, so the header shows the same URL every run.
    transport: httpx.AsyncBaseTransport | None = None
    # The process is the dashboard's alone (the CLI): what start-up made is frozen out of
    # the collector's passes once the first targets show. An app embedded in another
    # program (tests, scripts) leaves that program's collector alone.
    freeze_start_up: bool = False
