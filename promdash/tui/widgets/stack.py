"""The Stack panel: the services of the stack promdash started, with stop/start/restart and logs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

from promdash.timefmt import clock_text, short_duration
from promdash.tui.messages import LogsRequested, StackActionRequested
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.panel import Clock, TablePanel, show
from promdash.tui.widgets.table import Column, KeyedTable, Row

if TYPE_CHECKING:
    # Types only: promdash.stack.runtime loads pydantic and YAML (~0.14 s of start-up).
    from promdash.stack.runtime import ServiceStatus

_ACTION_WORDS = {"stop": "stopping…", "start": "starting…", "restart": "restarting…"}


class StackPanel(TablePanel):
    panel_name = "stack"
    title = "Stack"
    table_id = "stack-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "stop",
            "Stop",
            id="stack.stop",
            tooltip="Stop the selected service (runs in the background)",
        ),
        Binding(
            "s", "start", "Start", id="stack.start", tooltip="Start the selected service again"
        ),
        Binding(
            "R",
            "restart",
            "Restart",
            id="stack.restart",
            tooltip="Stop, then start the selected service",
        ),
        Binding(
            "l",
            "logs",
            "Logs",
            id="stack.logs",
            tooltip="Show the selected service's log, following new lines",
        ),
    ]

    DEFAULT_CSS = """
    StackPanel #stack-summary { height: auto; padding: 0 1; }
    StackPanel #stack-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self.stack_name: str | None = None
        self.rows: list[ServiceStatus] | None = None
        self.fetched_at: float | None = None
        self.busy: dict[str, str] = {}  # service -> "stopping…" while an action runs

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="stack-summary")
        yield KeyedTable(id="stack-table")
        yield Static(
            "x stop · s start · R restart · l logs — actions run in the background", id="stack-hint"
        )

    def show_status(self, stack: str, rows: list[ServiceStatus], at: float) -> None:
        self.stack_name = stack
        self.rows = rows
        self.fetched_at = at
        self.changed()

    def set_busy(self, service: str, doing: str | None) -> None:
        if doing:
            self.busy[service] = doing
        else:
            self.busy.pop(service, None)
        self.changed()

    def redraw(self) -> None:
        summary = self.query_one("#stack-summary", Static)
        if self.rows is None:
            show(summary, Text("Reading the stack's state…", style="dim"))
            return
        variables = self.app.theme_variables
        good = rich_colour(variables, "health-up")
        bad = rich_colour(variables, "health-down")
        busy = rich_colour(variables, "health-unknown")
        now = self.clock()
        table = self.table
        width = table.size.width or self.app.size.width
        rows = []
        for row in self.rows:
            doing = self.busy.get(row.name)
            if doing:
                state = (doing, f"bold {busy}")
            else:
                state = (row.state, f"bold {good if row.state == 'running' else bad}")
            health = (
                row.health or "-",
                good if row.health == "healthy" else bad if row.health else "dim",
            )
            uptime = short_duration(now - row.started_at) if row.started_at else "-"
            rows.append(
                Row(
                    row.name,
                    (
                        (row.name, "bold"),
                        state,
                        health,
                        (uptime, ""),
                        (row.url, ""),
                        (row.detail, "dim"),
                    ),
                )
            )
        columns = (
            Column("service", "Service", 14),
            Column("state", "State", 12),
            Column("health", "Health", 10),
            Column("uptime", "Uptime", 9),
            Column("url", "URL", 28),
            Column("detail", "Detail", max(10, width - 14 - 12 - 10 - 9 - 28 - 14)),
        )
        text = Text()
        text.append(f"stack {self.stack_name}", style="bold")
        running = sum(r.state == "running" for r in self.rows)
        text.append(f" · {running}/{len(self.rows)} running")
        if self.fetched_at is not None:
            text.append(f" · checked {clock_text(self.fetched_at)}", style="dim")
        with self.app.batch_update():
            table.sync(columns, rows)
            show(summary, text)

    def has_data(self) -> bool:
        return self.rows is not None

    def selected(self) -> str | None:
        return self.table.cursor_key

    def _act(self, action: str, service: str | None = None) -> None:
        """Ask for `action` ("stop", "start", "restart", "logs") on a service, else the selected."""
        service = service or self.selected()
        if service is None or self.stack_name is None:
            if action != "logs":
                self.app.notify("No service selected.", severity="warning")
            return
        if action == "logs":
            self.post_message(LogsRequested(self.stack_name, service).set_sender(self))
            return
        self.set_busy(service, _ACTION_WORDS[action])
        # Its own even when the palette asked: it must bubble up to the app.
        self.post_message(StackActionRequested(self.stack_name, service, action).set_sender(self))

    def action_stop(self) -> None:
        self._act("stop")

    def action_start(self) -> None:
        self._act("start")

    def action_restart(self) -> None:
        self._act("restart")

    def action_logs(self) -> None:
        self._act("logs")

    def action_service(self, action: str, service: str) -> None:
        """`action` ("stop", "start", "restart", "logs") on a service named by the palette."""
        if self.stack_name is not None:
            self._act(action, service)

    def open_key(self, key: str | None) -> None:
        """Enter on a service follows its log."""
        if key is not None:
            self._act("logs", key)
