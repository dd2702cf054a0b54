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

    def on_resize(self) -> None:
        self.update(self.describe(), layout=False)

    def describe(self) -> Text:
        """The header, fitted to the bar: parts that matter least go first when it is narrow.

        What the connection does and when it last answered stay; then the server's
        address (cut if it must be), the name, the refresh interval, the version.
        """
        s = self.status
        variables = self.app.theme_variables
        up = rich_colour(variables, "health-up")
        down = rich_colour(variables, "health-down")
        warn = rich_colour(variables, "health-unknown")
        primary = rich_colour(variables, "primary")
        background = rich_colour(variables, "background")
        # (part, how soon it goes when there is no room: 0 never)
        url = Text(f" {s.url} ")
        parts: list[tuple[Text, int]] = [
            (Text(" promdash ", style=f"bold {background} on {primary}"), 2),
            (url, 0),
        ]
        if s.version:
            name = {"victoriametrics": "VictoriaMetrics"}.get(s.flavor, s.flavor.capitalize())
            parts.append((Text(f"│ {name or 'Prometheus'} {s.version} ", style="dim"), 4))
        state = {
            "connected": ("● connected", up),
            "lost": ("● not answering", f"bold {down}"),
            "slow": ("● too slow", f"bold {warn}"),
            "unreadable": ("● unreadable answers", f"bold {down}"),
            "refused": ("● refusing requests", f"bold {down}"),
        }.get(s.state, ("○ connecting…", warn))
        parts.append((Text.assemble("│ ", state), 0))
        if s.last_refresh is not None:
            parts.append((Text(f" │ refreshed {clock_text(s.last_refresh)}"), 0))
        parts.append((Text(f" │ every {short_duration(s.interval)}", style="dim"), 3))
        if s.paused:
            parts.append((Text.assemble(" │ ", ("⏸ PAUSED", f"bold {warn}")), 0))
        width = self.size.width or self.app.size.width
        while sum(p.cell_len for p, _ in parts) > width and any(rank for _, rank in parts):
            parts.remove(max(parts, key=lambda part: part[1]))
        over = sum(p.cell_len for p, _ in parts) - width
        if over > 0:
            # The address gives way last: cut (its start, scheme and host, stays), or
            # left out when too little of it would show to tell servers apart.
            keep = len(s.url) - over - 1
            if keep >= 10:
                url.plain = f" {s.url[:keep]}… "
            else:
                parts = [(part, rank) for part, rank in parts if part is not url]
        text = Text(no_wrap=True, overflow="ellipsis")
        for part, _ in parts:
            text.append_text(part)
        # With nothing before the connection, its separator leads: drop it.
        return text[1:] if text.plain.startswith("│") else text


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
