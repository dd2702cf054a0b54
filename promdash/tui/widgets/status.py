"""The header line (server, version, connection, last refresh) and the stale-data banner."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rich.text import Text
from textual.widgets import Static

from promdash.timefmt import clock_text, short_duration
from promdash.tui.messages import Problem, ServerLost
from promdash.tui.themes import rich_colour

ConnectionState = Literal["connecting", "connected"] | Problem


@dataclass(frozen=True, slots=True)
class Status:
    url: str
    version: str = ""
    flavor: str = ""
    state: ConnectionState = "connecting"
    last_refresh: float | None = None
    interval: float = 5.0
    paused: bool = False
    error: str = ""
    retries: int = 0


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, url: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = Status(url=url)

    def set(self, **changes: object) -> None:
        new = replace(self.status, **changes)  # type: ignore[arg-type]
        if new != self.status:
            self.status = new
            self.update(self.describe(), layout=False)  # one line, always

    def on_mount(self) -> None:
        self.update(self.describe())

    def describe(self) -> Text:
        s = self.status
        variables = self.app.theme_variables
        up = rich_colour(variables, "health-up")
        down = rich_colour(variables, "health-down")
        warn = rich_colour(variables, "health-unknown")
        primary = rich_colour(variables, "primary")
        background = rich_colour(variables, "background")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" promdash ", style=f"bold {background} on {primary}")
        text.append(f" {s.url} ")
        if s.version:
            name = {"victoriametrics": "VictoriaMetrics"}.get(s.flavor, s.flavor.capitalize())
            text.append(f"│ {name or 'Prometheus'} {s.version} ", style="dim")
        text.append("│ ")
        if s.state == "connected":
            text.append("● connected", style=up)
        elif s.state == "lost":
            text.append("● not answering", style=f"bold {down}")
        elif s.state == "slow":
            text.append("● too slow", style=f"bold {warn}")
        elif s.state == "unreadable":
            text.append("● unreadable answers", style=f"bold {down}")
        elif s.state == "refused":
            text.append("● refusing requests", style=f"bold {down}")
        else:
            text.append("○ connecting…", style=warn)
        if s.last_refresh is not None:
            text.append(f" │ refreshed {clock_text(s.last_refresh)}")
        text.append(f" │ every {short_duration(s.interval)}", style="dim")
        if s.paused:
            text.append(" │ ")
            text.append("⏸ PAUSED", style=f"bold {warn}")
        return text


_HEADLINES: dict[Problem, str] = {
    "lost": "No answer from {url}",
    "slow": "Too slow an answer from {url}",
    "unreadable": "{url} answered something promdash cannot read",
    "refused": "{url} refused the request",
}


class Banner(Static):
    """Shown only while polls fail: says what failed, that the data is stale, and that we retry."""

    DEFAULT_CSS = """
    Banner {
        display: none;
        height: auto;
        padding: 0 1;
        background: $error 25%;
        color: $foreground;
        border-left: thick $error;
    }
    Banner.-shown { display: block; }
    """

    def show_problem(self, url: str, lost: ServerLost) -> None:
        text = Text()
        text.append("⚠ " + _HEADLINES[lost.problem].format(url=url), style="bold")
        text.append(f": {lost.error}\n")
        since = lost.since
        kept = f"from {clock_text(since)}" if since is not None else "none received yet"
        text.append(
            f"Panels keep the last data ({kept}), marked stale. "
            f"Retrying every {short_duration(lost.retry_every)} (attempt {lost.tries})…",
            style="dim",
        )
        if lost.hint:
            text.append(f"\n{lost.hint}")
        self.update(text)
        self.add_class("-shown")

    def hide(self) -> None:
        self.remove_class("-shown")
