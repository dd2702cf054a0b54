"""A small dialog asking for a custom graph range such as `2h` or `3d`."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from promdash.present.text import clip
from promdash.timefmt import parse_seconds, short_duration


class RangeScreen(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="range.cancel", tooltip="Keep the current range"),
    ]
    # Wide enough for the prompt on one line, never wider than the screen; the texts
    # take the dialog's width and wrap in it rather than run past its edge.
    DEFAULT_CSS = """
    RangeScreen { align: center middle; }
    RangeScreen > Vertical {
        width: 60; max-width: 100%; height: auto; padding: 1 2;
        background: $surface; border: thick $primary;
    }
    RangeScreen Label { width: 100%; }
    RangeScreen #range-hint { color: $text-muted; }
    RangeScreen #range-error { color: $error; height: auto; }
    """

    def __init__(self, current: int) -> None:
        super().__init__()
        self.current = current

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical():
            yield Label("Graph range (a Prometheus duration: 30m, 2h, 3d)", id="range-prompt")
            yield Input(value=short_duration(self.current), id="range-input")
            yield Label("Enter applies it · Esc keeps the current range", id="range-hint")
            yield Static("", id="range-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            seconds = parse_seconds(event.value)
        except ValueError:
            seconds = 0
        if seconds < 60:
            self.query_one("#range-error", Static).update(
                f"{clip(event.value, 40)!r} is not a duration of at least 1m "
                "(examples: 30m, 2h, 3d)"
            )
            return
        self.dismiss(int(seconds))

    def action_cancel(self) -> None:
        self.dismiss(None)
