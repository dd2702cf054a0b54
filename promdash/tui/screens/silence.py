"""Dialogs that change silences: how much longer one lasts (`ExtendScreen`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from promdash.present.text import clip, short_id, silence_remaining
from promdash.prom.am_types import Silence
from promdash.timefmt import date_time_text, parse_seconds

PRESETS = ("30m", "1h", "2h", "1d")


def duration_seconds(text: str) -> float:
    """A silence's duration (`2h`, `30m`, `1d12h`); ValueError in words a person reads."""
    try:
        return parse_seconds(text.strip())
    except ValueError:
        raise ValueError(
            f"{clip(text.strip(), 40)!r} is not a duration of more than 0 (examples: "
            f"{', '.join(PRESETS)}, 1h30m)"
        ) from None


def extended_end(silence: Silence, seconds: float, now: float) -> datetime:
    """When a silence ends once extended by `seconds`: from its end, or from now when it
    has ended (Alertmanager then saves it again under a new ID)."""
    start = max(silence.ends_at.timestamp(), now) if silence.state != "expired" else now
    return datetime.fromtimestamp(start, UTC) + timedelta(seconds=seconds)


class ExtendScreen(ModalScreen[float | None]):
    """Asks how much longer a silence lasts; dismissed with seconds, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="extend.cancel", tooltip="Change nothing"),
    ]
    DEFAULT_CSS = """
    ExtendScreen { align: center middle; }
    ExtendScreen > Vertical {
        width: 64; max-width: 100%; height: auto; padding: 1 2;
        background: $surface; border: thick $primary;
    }
    ExtendScreen Label { width: 100%; }
    ExtendScreen #extend-hint { color: $text-muted; }
    ExtendScreen #extend-error { color: $error; height: auto; }
    """

    def __init__(self, silence: Silence, now: float) -> None:
        super().__init__()
        self.silence = silence
        self.now = now

    def compose(self):  # type: ignore[no-untyped-def]
        silence = self.silence
        if silence.state == "expired":
            was = "expired; it comes back from now, under a new ID"
        else:
            ends = date_time_text(silence.ends_at.timestamp())
            was = f"ends {ends}, {silence_remaining(silence, self.now)}"
        with Vertical():
            yield Label(f"Extend silence {short_id(silence.id)} ({was}) by:", id="extend-prompt")
            yield Input(value="1h", id="extend-input")
            yield Label("", id="extend-hint")
            yield Static("", id="extend-error")

    def on_mount(self) -> None:
        self._show_end("1h")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._show_end(event.value)

    def _show_end(self, text: str) -> None:
        try:
            end = extended_end(self.silence, duration_seconds(text), self.now)
            said = f"new end {date_time_text(end.timestamp())}"
        except ValueError:
            said = f"a duration: {', '.join(PRESETS)}"
        hint = self.query_one("#extend-hint", Label)
        hint.update(f"{said} · Enter goes on to confirm · Esc cancels")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            seconds = duration_seconds(event.value)
        except ValueError as exc:
            self.query_one("#extend-error", Static).update(str(exc))
            return
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)
