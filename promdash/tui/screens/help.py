"""The help screen: every key, made from the bindings themselves so it never goes stale."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from promdash.tui.bindings import APP_BINDINGS
from promdash.tui.screens.backtest import BacktestScreen
from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.widgets.alerts import AlertsPanel
from promdash.tui.widgets.graph import GraphPanel
from promdash.tui.widgets.graphview import GraphView
from promdash.tui.widgets.heatmap import HeatmapView
from promdash.tui.widgets.overview import OverviewPanel
from promdash.tui.widgets.promql import PromQLInput
from promdash.tui.widgets.silences import SilencesPanel
from promdash.tui.widgets.stack import StackPanel
from promdash.tui.widgets.targets import TargetsPanel


def binding_sections() -> list[tuple[str, list[Binding]]]:
    def only(bindings: list[BindingType]) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding)]

    return [
        ("Everywhere", only(APP_BINDINGS) + only(DashboardScreen.BINDINGS)),
        ("Overview", only(OverviewPanel.BINDINGS)),
        ("Targets", only(TargetsPanel.BINDINGS)),
        ("Graph", only(GraphPanel.BINDINGS) + only(GraphView.BINDINGS)),
        ("Heatmap (H on a graph of histograms)", only(HeatmapView.BINDINGS)),
        ("PromQL input", only(PromQLInput.BINDINGS)),
        ("Alerts", only(AlertsPanel.BINDINGS)),
        ("Backtest (b on a rule)", only(BacktestScreen.BINDINGS)),
        ("Stack", only(StackPanel.BINDINGS)),
        ("Silences (with an Alertmanager)", only(SilencesPanel.BINDINGS)),
    ]


def _key(binding: Binding) -> str:
    names = {
        "slash": "/",
        "question_mark": "?",
        "plus": "+",
        "minus": "-",
        "equals_sign": "=",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "escape": "Esc",
        "enter": "Enter",
        "tab": "Tab",
        "ctrl+space": "Ctrl+Space",
        "up": "↑",
        "down": "↓",
    }
    keys = [names.get(k.strip(), k.strip()) for k in binding.key.split(",")]
    return " ".join(k.replace("ctrl+", "Ctrl+") for k in keys)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark,f1",
            "close",
            "Close",
            id="help.close",
            tooltip="Back to the dashboard",
        ),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100; max-width: 95%; height: 90%; background: $surface; border: thick $primary;
        padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; padding: 0 0 1 0; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical():
            yield Static(
                "promdash keys — also in the command palette (Ctrl+P), with the mouse on tabs, "
                "rows and range choices. Esc closes.",
                id="help-title",
            )
            with VerticalScroll():
                yield Static(self.keys_table())

    def keys_table(self) -> Table:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", style="bold", width=14, no_wrap=True)
        table.add_column("what")
        for title, bindings in binding_sections():
            table.add_row(Text(title, style="bold underline"), "")
            for binding in bindings:
                what = Text(binding.description or binding.action, style="bold")
                if binding.tooltip:
                    what.append(f" — {binding.tooltip}", style="not bold")
                table.add_row(_key(binding), what)
            table.add_row("", "")
        return table

    def action_close(self) -> None:
        self.dismiss(None)
