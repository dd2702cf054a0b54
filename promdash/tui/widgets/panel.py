"""What every dashboard panel shares: shown or hidden, stale or fresh; and the table panels'
filter word, detail line and Enter."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static, Tab

from promdash.tui.widgets.table import KeyedTable

Clock = Callable[[], float]


class Panel(Vertical):
    """A panel renders only while shown; data that arrives while hidden waits for `set_shown`."""

    panel_name: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self.clock = clock  # "3s ago" is measured against it (tests and snapshots fix it)
        self.shown = False
        self._dirty = False

    def set_shown(self, shown: bool) -> None:
        was = self.shown
        self.shown = shown
        if shown and not was and self._dirty:
            self._dirty = False
            self.redraw()

    def changed(self) -> None:
        """New data arrived: draw it now if shown, else when the panel is next shown."""
        if self.shown:
            self._dirty = False
            self.redraw()
        else:
            self._dirty = True

    def redraw(self) -> None:
        """Present the panel's current data (subclasses)."""

    def set_stale(self, stale: bool) -> None:
        self.set_class(stale, "-stale")

    def on_theme_changed(self) -> None:
        """Colours come from the theme's variables: draw again with the new ones."""
        self.changed()


class TablePanel(Panel):
    """A panel around one KeyedTable (`#{table_id}`).

    A detail line follows the cursor; Enter or a click on the cursor's row opens
    the row; a filter word (`health: all`), if the panel has one, cycles on a
    key or a click. Subclasses say what a row's detail is and what opening does.
    """

    table_id: ClassVar[str] = ""
    filter_name: ClassVar[str] = ""  # what the filter label says, e.g. "health"
    filter_values: ClassVar[tuple[str, ...]] = ("all",)

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self.filter_value = self.filter_values[0]

    def on_mount(self) -> None:
        if self.filter_name:
            self._show_filter()

    @property
    def table(self) -> KeyedTable:
        return self.query_one(f"#{self.table_id}", KeyedTable)

    def has_data(self) -> bool:
        return False

    def on_resize(self, event: Resize) -> None:
        if self.has_data():
            self.call_after_refresh(self.changed)

    def select(self, key: str) -> None:
        """Put the cursor on row `key` (a row opened from the overview)."""
        if self.has_data():
            self.redraw()
        keys = self.table.row_keys
        if key in keys:
            self.table.move_cursor(row=keys.index(key))

    # ------------------------------------------------------------ filtering

    def _show_filter(self) -> None:
        text = Text.assemble((f"{self.filter_name}: ", "dim"), (self.filter_value, "bold"))
        show(self.query_one(FilterLabel), text)

    def filter_choices(self) -> tuple[str, ...]:
        """The values the filter cycles through now (a panel may offer more with more data)."""
        return self.filter_values

    def cycle_filter(self) -> None:
        values = self.filter_choices()
        at = values.index(self.filter_value) if self.filter_value in values else -1
        self.set_filter(values[(at + 1) % len(values)])

    def set_filter(self, value: str) -> None:
        self.filter_value = value
        self._show_filter()
        self.changed()

    # ------------------------------------------------------------ selection

    @on(KeyedTable.RowHighlighted)
    def _highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self.show_detail(event.key)

    @on(KeyedTable.RowSelected)
    def _selected(self, event: KeyedTable.RowSelected) -> None:
        self.open_key(event.key)

    def action_open_selected(self) -> None:
        self.open_key(self.table.cursor_key)

    def show_detail(self, key: str | None) -> None:
        """Say more about the row under the cursor (subclasses)."""

    def open_key(self, key: str | None) -> None:
        """Enter on a row (subclasses)."""


class FilterLabel(Static):
    """`health: all`; a click cycles the filter like its key."""

    def on_click(self) -> None:
        self.query_ancestor(TablePanel).cycle_filter()


def show(static: Static, text: Text | str) -> None:
    """Update a Static only when its text changed, and re-lay out only when its size may have.

    `Static.update` lays the whole screen out again by default; on a live panel
    that ran every refresh for text of the same size.
    """
    new = text if isinstance(text, Text) else Text(text)
    old: Text | None = getattr(static, "_promdash_text", None)
    if old is not None and old == new:
        return
    same_size = (
        old is not None
        and old.cell_len == new.cell_len
        and old.plain.count("\n") == new.plain.count("\n")
    )
    static._promdash_text = new  # type: ignore[attr-defined]
    static.update(new, layout=not same_size)


def relabel(tab: Tab, label: str) -> None:
    """Give a tab a new label, only when it changed: every poll relabels the panel tabs.

    `Tabs` moves its underline to the relabelled tab's new width by itself.
    """
    if tab.label_text != label:
        tab.label = label
