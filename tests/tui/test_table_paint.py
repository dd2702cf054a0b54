"""A refresh paints only the table lines that read differently (issue 12).

At 5,000 targets every poll brings new rows; most lines on screen read the same
(a pool's count, an error), and a refresh that repaints them all costs the
terminal's whole screen of work each time. The lines Textual asks the table for
are what it paints: they are counted here.
"""

from __future__ import annotations

from functools import partial

from textual.app import App
from textual.strip import Strip

from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row

COLUMNS = (Column("name", "Name", 10), Column("value", "Value", 10))


class CountingTable(KeyedTable):
    """Notes the rows (not the header) Textual asks it to draw."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn: list[int] = []

    def render_line(self, y: int) -> Strip:
        if y:
            self.drawn.append(y)
        return super().render_line(y)


class _App(App[None]):
    def compose(self):  # type: ignore[no-untyped-def]
        yield CountingTable()


def _cells(values: dict[str, str], key: str) -> tuple[Cell, ...]:
    return ((key, ""), (values[key], ""))


def _rows(values: dict[str, str], version: int) -> list[Row]:
    """Lazy rows, as the panels make them: a new version every refresh."""
    return [Row(key, partial(_cells, values, key), version) for key in values]


async def test_a_refresh_paints_only_the_lines_that_read_differently() -> None:
    values = {f"r{i:03d}": "same" for i in range(100)}
    app = _App()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(CountingTable)
        table.sync(COLUMNS, _rows(values, 1))
        await pilot.pause()
        assert len(table.drawn) >= 10  # the first time: every line on screen

        table.drawn.clear()
        table.sync(COLUMNS, _rows(values, 2))  # new rows, reading the same
        await pilot.pause()
        assert table.drawn == []

        values["r003"] = "changed"
        table.sync(COLUMNS, _rows(values, 3))
        await pilot.pause()
        assert table.drawn == [4]  # r003's line, under the header
        assert "changed" in table.render_line(4).text


async def test_rows_reading_new_data_repaint_only_their_changed_lines_on_screen() -> None:
    values = {f"r{i:03d}": "old" for i in range(100)}
    app = _App()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(CountingTable)
        table.sync(COLUMNS, _rows(values, 1))
        await pilot.pause()
        table.drawn.clear()

        values["r001"] = values["r090"] = "new"  # one row on screen, one far below
        table.redraw_lazy()
        await pilot.pause()
        assert table.drawn == [2]
        assert "new" in table.render_line(2).text

        table.focus()
        await pilot.press("end")
        await pilot.pause()
        y = table.cursor_row - int(table.scroll_y) + 1
        assert "r099" in table.render_line(y).text
        lines = [table.render_line(y).text for y in range(1, table.size.height)]
        assert any("r090" in line and "new" in line for line in lines)
