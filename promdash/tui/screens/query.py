"""A dialog asking for a PromQL expression, with completion: a graph of the overview."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from promdash.tui.completion import Catalog
from promdash.tui.widgets.promql import History, PromQLEditor


class QueryScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="query.cancel", tooltip="Change nothing"),
    ]
    DEFAULT_CSS = """
    QueryScreen { align: center middle; }
    QueryScreen > Vertical {
        width: 90%; max-width: 120; height: auto; max-height: 80%;
        padding: 1 2; background: $surface; border: thick $primary;
    }
    QueryScreen Label { width: 1fr; }
    """

    def __init__(self, what: str, current: str, catalog: Catalog, history: History) -> None:
        super().__init__()
        self.what = what
        self.current = current
        self.catalog = catalog
        self.history = history

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical():
            yield Label(f"{self.what}: a PromQL expression (Enter to graph it, Esc to cancel)")
            yield PromQLEditor(self.catalog, self.history, self.current)

    def on_mount(self) -> None:
        self.query_one(PromQLEditor).input.focus()

    @on(PromQLEditor.Submitted)
    def _submitted(self, event: PromQLEditor.Submitted) -> None:
        event.stop()
        self.dismiss(event.query.strip() or None)

    @on(PromQLEditor.Left)
    def _left(self, event: PromQLEditor.Left) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
