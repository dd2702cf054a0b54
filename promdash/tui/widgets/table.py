"""A keyed table for live data: rows are replaced by key, drawn a line at a time.

Textual's DataTable renders each cell through Rich on every change (~0.25 ms a
cell here, ~55 ms for a screenful of six columns), and a live panel changes every
visible cell each refresh (a target's "last scrape" age). This table keeps a
cached line per row (a Strip): a refresh re-renders only the visible rows whose
cells changed, each as one Text, and asks Textual to paint only those lines
(a refresh whose rows on screen read the same paints nothing). The cursor
follows its row's key across refreshes, the scroll position stays.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

# A cell is plain text with one style, or a Text when its parts differ (a pool's
# name and its count). Tuples compare fast: a refresh of 2,000 targets compares
# 12,000 cells.
Cell = tuple[str, str] | Text


def cell_text(cell: Cell) -> Text:
    return cell.copy() if isinstance(cell, Text) else Text(cell[0], style=cell[1])


def cell_plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell[0]


@lru_cache(maxsize=512)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style()


def _shown_part(width: int) -> int:
    """Characters of a cell that can show in `width` cells: none is wider than 2 cells.

    Measuring or copying a whole huge cell (a 5 MB label value) on every redraw would
    stall the dashboard; what lies past this many characters is never on screen.
    """
    return 2 * width + 2


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    if len(text) > _shown_part(width):
        text = text[: _shown_part(width)]
    length = cell_len(text)
    if length == width:
        return text
    if length < width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + "…"


def _same_cells(old: Sequence[Cell], new: Sequence[Cell]) -> bool:
    """Whether two rows' cells draw the same (a Text's own == overlooks its style)."""
    if len(old) != len(new):
        return False
    for a, b in zip(old, new, strict=True):
        if isinstance(a, Text) or isinstance(b, Text):
            if not (
                isinstance(a, Text)
                and isinstance(b, Text)
                and a.plain == b.plain
                and a.spans == b.spans
                and a.style == b.style
                and a.justify == b.justify
            ):
                return False
        elif a != b:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Row:
    """A row; `cells` may be a function, called only when the row is on screen.

    A lazy row carries a `version` that changes whenever its cells would: with
    2,000 targets, formatting only the rows in view keeps a refresh cheap.
    """

    key: str
    cells: tuple[Cell, ...] | Callable[[], tuple[Cell, ...]]
    version: Hashable = None
    span: int | None = None  # this cell takes the rest of the line (an error under a target)

    def resolve(self) -> tuple[Cell, ...]:
        return self.cells() if callable(self.cells) else self.cells

    def same_as(self, other: Row) -> bool:
        if self.version is not None or other.version is not None:
            return self.version == other.version
        return self.cells == other.cells


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int


class KeyedTable(ScrollView, can_focus=True):
    """Call `sync(columns, rows)` with the whole wanted content after every refresh."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, id="table.up", tooltip="Previous row"),
        Binding("down", "cursor(1)", "Down", show=False, id="table.down", tooltip="Next row"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.pageup",
                tooltip="One screen up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.pagedown",
                tooltip="One screen down"),
        Binding("home", "edge(0)", "First", show=False, id="table.home", tooltip="First row"),
        Binding("end", "edge(1)", "Last", show=False, id="table.end", tooltip="Last row"),
    ]  # fmt: skip

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--cursor",
    }

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        & > .keyed-table--header { background: $panel; color: $foreground; text-style: bold; }
        /* A light tint (themes.CURSOR_TINTS): status colours are made readable on it. */
        & > .keyed-table--cursor { background: $primary 12%; }
        &:focus > .keyed-table--cursor { background: $primary 22%; text-style: bold; }
        /* The terminal's own palette (an ANSI theme): no tint is known to be readable, and
           reversed, every cell keeps its own colours' contrast. */
        &:ansi > .keyed-table--cursor { background: ansi_default; text-style: reverse; }
        &:ansi:focus > .keyed-table--cursor { text-style: bold reverse; }
    }
    """

    @dataclass
    class RowHighlighted(Message):
        table: KeyedTable
        key: str

        @property
        def control(self) -> KeyedTable:
            return self.table

    @dataclass
    class RowSelected(Message):
        table: KeyedTable
        key: str

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: tuple[Column, ...] = ()
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        # Drawn lines by row key: the cells they show, and the lines by how the row is
        # drawn (cursor, focus, width); a row's lines are dropped when its cells change,
        # so memory stays flat.
        self._strips: dict[str, tuple[tuple[Cell, ...], dict[tuple[object, ...], Strip]]] = {}
        self._header: tuple[tuple[object, ...], Strip] | None = None
        self._style_version = 0
        self.rebuilds = 0  # how often the set or order of rows changed (tests, the benchmark)

    # ------------------------------------------------------------ reading

    @property
    def row_keys(self) -> list[str]:
        return [row.key for row in self._rows]

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        if not self._rows:
            return None
        return self._rows[min(self._cursor, len(self._rows) - 1)].key

    def cells_of(self, key: str) -> tuple[Cell, ...] | None:
        index = self._index.get(key)
        return self._rows[index].resolve() if index is not None else None

    # ------------------------------------------------------------ writing

    def sync(self, columns: Sequence[Column], rows: Sequence[Row]) -> None:
        """Show these rows; the cursor stays on its row's key, the scroll where it was."""
        cursor_key = self.cursor_key
        old_cursor = self._cursor
        new_columns = tuple(columns)
        whole = new_columns != self._columns
        if whole:
            self._columns = new_columns
            self._strips.clear()
        old_rows, old_index = self._rows, self._index
        keys = [r.key for r in rows]
        if keys != [r.key for r in old_rows]:
            self.rebuilds += 1
        top, bottom = self._on_screen()
        strips = self._strips
        for index, row in enumerate(rows):
            at = old_index.get(row.key)
            if at is None or not old_rows[at].same_as(row):
                drawn = strips.get(row.key)
                # A row on screen that reads the same (a lazy row of a new refresh) keeps
                # its lines: Textual paints nothing for it.
                if drawn is None or not top <= index < bottom:
                    strips.pop(row.key, None)  # drawn afresh when next on screen
                elif not _same_cells(drawn[0], row.resolve()):
                    del strips[row.key]
        self._rows = list(rows)
        self._index = dict(zip(keys, range(len(keys)), strict=True))
        if len(strips) > len(self._index):
            self._strips = {key: lines for key, lines in strips.items() if key in self._index}
        width = sum(c.width + 2 for c in self._columns)
        self.virtual_size = Size(width, len(self._rows) + 1)
        if cursor_key is not None and cursor_key in self._index:
            self._cursor = self._index[cursor_key]
        else:
            # The row went away (filtered out, target removed): stay at the same height.
            self._cursor = min(self._cursor, max(len(self._rows) - 1, 0))
        if whole:
            self.refresh()
        else:
            moved = {old_cursor, self._cursor} if old_cursor != self._cursor else set()
            self._paint(i for i in range(top, bottom) if i in moved or self._new_line(i, old_rows))
        new_key = self.cursor_key
        if new_key is not None and new_key != cursor_key:
            self.post_message(self.RowHighlighted(self, new_key))

    def redraw_lazy(self) -> None:
        """The lazy rows read their data anew (their keys and order are the same): the
        lines on screen that now read differently are drawn again, the others when they
        next come into view."""
        top, bottom = self._on_screen()
        changed: list[int] = []
        for key in list(self._strips):
            index = self._index.get(key)
            if index is None:  # a row gone (its lines are kept until too many are)
                del self._strips[key]
                continue
            row = self._rows[index]
            if not callable(row.cells):
                continue
            if not top <= index < bottom:
                del self._strips[key]
            elif not _same_cells(self._strips[key][0], row.resolve()):
                del self._strips[key]
                changed.append(index)
        self._paint(changed)

    def _new_line(self, index: int, old_rows: Sequence[Row]) -> bool:
        """Whether row `index`'s line shows something else than before `old_rows` changed."""
        rows = self._rows
        if index >= len(rows) or index >= len(old_rows):
            return index < len(rows) or index < len(old_rows)  # a row came or went
        return rows[index].key != old_rows[index].key or rows[index].key not in self._strips

    def _on_screen(self) -> tuple[int, int]:
        """The indices of the rows on screen: range(top, bottom)."""
        top = int(self.scroll_y)
        return top, top + max(self.size.height - 1, 0)

    def _paint(self, indices: Iterable[int]) -> None:
        """Ask Textual to paint these rows' lines (once each), not the whole table."""
        top = int(self.scroll_y)
        regions = [Region(0, index - top + 1, self.size.width, 1) for index in indices]
        if regions:
            self.refresh(*regions)

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        if not self._rows:
            return
        old = self._cursor
        self._cursor = max(0, min(row, len(self._rows) - 1))
        if scroll:
            # After the next refresh: a new virtual size is only applied by the layout.
            self.call_after_refresh(self._scroll_to_cursor, animate)
        if old != self._cursor:
            self._refresh_row(old)
            self._refresh_row(self._cursor)
            self.post_message(self.RowHighlighted(self, self._rows[self._cursor].key))

    # ------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_version += 1
        self._strips.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._refresh_row(self._cursor)

    def _on_blur(self, event: events.Blur) -> None:
        self._refresh_row(self._cursor)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _line(self, cells: Sequence[Cell | str], base: Style, span: int | None = None) -> Strip:
        """One row as segments: plain cells directly (the common case), Text through Rich."""
        segments: list[Segment] = []
        columns: list[Column] = list(self._columns)
        if span is not None and span < len(columns):
            rest = sum(c.width + 2 for c in columns[span:]) - 2
            columns = [*columns[:span], Column(columns[span].key, "", rest)]
        for column, cell in zip(columns, cells, strict=False):
            if isinstance(cell, Text):
                shown = _shown_part(column.width)
                part = cell[:shown] if len(cell) > shown else cell.copy()
                part.truncate(column.width, overflow="ellipsis", pad=True)
                # The cell's own base style (a highlight) covers its padding too.
                pad = base + (_style(part.style) if isinstance(part.style, str) else part.style)
                segments.append(Segment(" ", pad))
                rendered = part.render(self.app.console, end="")
                segments.extend(Segment.apply_style(rendered, base))
                segments.append(Segment(" ", pad))
                continue
            text, style = (cell, "") if isinstance(cell, str) else cell
            segments.append(Segment(f" {_fit(text, column.width)} ", base + _style(style)))
        width = self.size.width
        used = Segment.get_line_length(segments)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        focused = self.has_focus
        if y == 0:
            header_key: tuple[object, ...] = (self._columns, width, self._style_version)
            if self._header is None or self._header[0] != header_key:
                style = self.get_component_rich_style("keyed-table--header")
                line = self._line([c.label for c in self._columns], self.rich_style + style)
                self._header = (header_key, line)
            return self._header[1]
        index = int(self.scroll_y) + y - 1
        if not 0 <= index < len(self._rows):
            return Strip.blank(width, self.rich_style)
        row = self._rows[index]
        cursor = index == self._cursor
        key = (cursor, cursor and focused, width, self._style_version)
        drawn = self._strips.get(row.key)
        if drawn is None:
            drawn = self._strips[row.key] = (row.resolve(), {})
        cells, lines = drawn
        strip = lines.get(key)
        if strip is None:
            base = self.rich_style
            if cursor:
                base = base + self.get_component_rich_style("keyed-table--cursor")
            strip = self._line(cells, base, row.span)
            if len(lines) > 8:
                lines.clear()  # widths of past resizes, themes of past switches
            lines[key] = strip
        return strip

    # ------------------------------------------------------------ moving

    def _scroll_to_cursor(self, animate: bool = False) -> None:
        visible = max(self.size.height - 1, 1)
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=animate, immediate=not animate)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=animate, immediate=not animate)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(row=self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self._cursor + direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        self.move_cursor(row=len(self._rows) - 1 if end else 0)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    async def _on_click(self, event: events.Click) -> None:
        if event.y <= 0:
            return
        index = int(self.scroll_y) + event.y - 1
        if not 0 <= index < len(self._rows):
            return
        if index == self._cursor or event.chain > 1:
            # A click on the row under the cursor (or a double click) opens it.
            self.move_cursor(row=index, scroll=False)
            self.action_select()
        else:
            self.move_cursor(row=index, scroll=False)
