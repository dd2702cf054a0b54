"""A service's log, following new lines, over the dashboard.

The app starts the worker that follows the log (the poller owns every worker)
and stops it when this screen is dismissed; the worker posts `LogLines` here.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Log

from promdash.tui.messages import LogLines


def new_lines(before: list[str], after: list[str]) -> tuple[list[str], bool]:
    """Lines of `after` not yet shown, and whether the log must be shown afresh.

    Both are tails of the same file: find the longest end of `before` that starts
    `after`. No overlap means the log was rotated or truncated.
    """
    if after == before:
        return [], False
    if not before:
        return after, False
    for overlap in range(min(len(before), len(after)), 0, -1):
        if before[-overlap:] == after[:overlap]:
            return after[overlap:], False
    return after, True


class LogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="logs.close", tooltip="Back to the dashboard"),
        Binding(
            "end",
            "follow",
            "Follow",
            id="logs.follow",
            tooltip="Jump to the newest line and keep following",
        ),
    ]

    DEFAULT_CSS = """
    LogScreen { align: center middle; }
    LogScreen > Vertical {
        width: 95%; height: 90%; background: $surface; border: thick $primary;
    }
    LogScreen #log-title { padding: 0 1; background: $panel; width: 1fr; }
    LogScreen Log { height: 1fr; }
    """

    def __init__(self, stack: str, service: str) -> None:
        super().__init__()
        self.stack = stack
        self.service = service

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical():
            yield Label(
                f"log of {self.service} (stack {self.stack}) — following; Esc closes",
                id="log-title",
            )
            yield Log(max_lines=5000, auto_scroll=True, id="log")

    def on_log_lines(self, message: LogLines) -> None:
        log = self.query_one(Log)
        if message.replace:
            log.clear()
        log.write_lines(message.lines)

    def action_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = True
        log.scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
