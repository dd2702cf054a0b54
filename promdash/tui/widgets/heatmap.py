"""A histogram drawn as a heatmap: buckets up the side, time along the bottom, each cell
coloured by its count, and a cursor whose cell (time, bounds, count) the last line says.

The cells come from `promdash.present.heatmap`, merged to the room there is; two
bucket rows share one line (the upper half block `▀` takes the upper row's colour,
its background the lower's). Colours are the theme's: from its background through
`plot-1` to `plot-6` (both kept at line contrast on the background by
`theme_defaults`), by the square root of the count as Grafana's heatmap does by
default, so small counts still show beside a peak. A count of 0 and a missing
sample are both left blank, as Grafana hides cells at 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.align import Align
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.widget import Widget

from promdash.present.heatmap import Heatmap, bounds_axis, cell_text
from promdash.present.text import labels_text
from promdash.timefmt import clock_text, value_text
from promdash.tui.plot import time_ticks
from promdash.tui.themes import rich_colour

LEVELS = 16  # colours in the ramp; more cannot be told apart in a terminal
EXPONENT = 0.5  # Grafana's default colour scale: exponential, exponent 0.5


@dataclass(frozen=True, slots=True)
class Ramp:
    """The colours cells take, lowest count first, and those of the frame."""

    levels: tuple[str, ...]
    background: str
    axes: str
    cursor: str


def _parse(value: str | None, fallback: str) -> Color:
    try:
        return Color.parse(value or fallback)
    except ColorParseError:
        return Color.parse(fallback)


def theme_ramp(variables: Mapping[str, str]) -> Ramp:
    """The ramp of a theme: its background, through plot-1, to plot-6."""
    background = _parse(variables.get("background"), "#000000")
    if background.a == 0 or background.ansi == -1:  # the terminal's own: assume dark
        background = Color.parse("#000000")
    cool = Color.parse(rich_colour(dict(variables), "plot-1"))
    hot = Color.parse(rich_colour(dict(variables), "plot-6"))
    levels = []
    for i in range(LEVELS):
        t = (i + 1) / LEVELS
        # The faintest level still stands off the background (a third of the way to plot-1).
        colour = (
            background.blend(cool, 0.3 + 0.7 * t * 2) if t <= 0.5 else cool.blend(hot, t * 2 - 1)
        )
        levels.append(colour.hex6)
    return Ramp(
        tuple(levels),
        background.hex6,
        rich_colour(dict(variables), "plot-axes"),
        _parse(variables.get("foreground"), "#ffffff").hex6,
    )


def level(count: float, top: float) -> int:
    """The ramp index of `count` when the largest is `top`; -1: not drawn (0 or no sample)."""
    if not math.isfinite(count) or count <= 0 or top <= 0:
        return -1
    scaled: float = (count / top) ** EXPONENT
    return min(LEVELS - 1, max(0, math.ceil(scaled * LEVELS) - 1))


def scale_text(ramp: Ramp, top: float) -> Text:
    """The colour scale of the cells drawn: `0 ████████ 12.5`."""
    text = Text("0 ")
    for colour in ramp.levels:
        text.append("█", Style(color=colour))
    text.append(f" {value_text(top)}")
    return text


class HeatmapView(Widget, can_focus=True):
    """Shows one of a list of heatmaps (`n` steps through them) with a cell cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left",
            "move(-1, 0)",
            "Earlier",
            show=False,
            id="heatmap.left",
            tooltip="The cell one step earlier",
        ),
        Binding(
            "right",
            "move(1, 0)",
            "Later",
            show=False,
            id="heatmap.right",
            tooltip="The cell one step later",
        ),
        Binding(
            "up",
            "move(0, 1)",
            "Higher bucket",
            show=False,
            id="heatmap.up",
            tooltip="The bucket above",
        ),
        Binding(
            "down",
            "move(0, -1)",
            "Lower bucket",
            show=False,
            id="heatmap.down",
            tooltip="The bucket below",
        ),
        Binding(
            "n",
            "next_heatmap",
            "Next histogram",
            show=False,
            id="heatmap.next",
            tooltip="Show the next histogram when the query has several (by their labels)",
        ),
    ]

    DEFAULT_CSS = """
    HeatmapView { height: 1fr; min-height: 6; }
    HeatmapView:focus { background-tint: $foreground 4%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heatmaps: list[Heatmap] = []
        self.index = 0
        self.ramp = Ramp(("#888888",), "#000000", "#888888", "#ffffff")
        # The cursor in the cells drawn (after merging to the size); None: not placed yet.
        self.cursor: tuple[int, int] | None = None
        self.placeholder = "No histogram: the query's series carry no `le` and no native buckets."
        self._shown: Heatmap | None = None
        self._drawn_for: tuple[int, int, int] | None = None
        self._version = 0

    # ------------------------------------------------------------ data

    def set_data(self, heatmaps: Sequence[Heatmap], ramp: Ramp) -> None:
        same_shape = [(m.labels, m.rows) for m in heatmaps] == [
            (m.labels, m.rows) for m in self.heatmaps
        ]
        self.heatmaps = list(heatmaps)
        self.ramp = ramp
        if not same_shape:
            self.index = 0
            self.cursor = None
        self.index = min(self.index, max(len(self.heatmaps) - 1, 0))
        self._version += 1
        self.refresh()

    def clear_data(self, placeholder: str) -> None:
        self.placeholder = placeholder
        self.set_data([], self.ramp)

    @property
    def heatmap(self) -> Heatmap | None:
        return self.heatmaps[self.index] if self.heatmaps else None

    # ------------------------------------------------------------ geometry

    def _layout(self) -> tuple[int, int, int]:
        """(title lines, left axis width, grid lines) at the current size."""
        heatmap = self.heatmap
        assert heatmap is not None
        title = 1 if heatmap.labels or len(self.heatmaps) > 1 else 0
        lines = max(self.size.height - title - 2, 1)  # time axis and the cell's line
        axis = max((len(t) for t in bounds_axis(heatmap.rows)), default=1) + 1
        return title, axis, lines

    def shown(self) -> Heatmap | None:
        """The heatmap as drawn: merged to the columns and half-lines there are."""
        heatmap = self.heatmap
        if heatmap is None:
            return None
        key = (self._version, self.size.width, self.size.height)
        if key != self._drawn_for or self._shown is None:
            _, axis, lines = self._layout()
            self._shown = heatmap.resample(max(self.size.width - axis, 1), lines * 2)
            self._drawn_for = key
            self._place_cursor(self._shown)
        return self._shown

    def _place_cursor(self, shown: Heatmap) -> None:
        if shown.columns == 0 or shown.height == 0:
            self.cursor = None
            return
        if self.cursor is None:
            # At first, the latest column's fullest bucket: where a person looks first.
            last = shown.columns - 1
            column = shown.counts[last]
            best = max(range(shown.height), key=lambda r: column[r] if column[r] > 0 else -1)
            self.cursor = (last, best)
        col, row = self.cursor
        self.cursor = (min(max(col, 0), shown.columns - 1), min(max(row, 0), shown.height - 1))

    def selected_text(self) -> str:
        """What the cursor's cell holds, as the last line says it."""
        shown = self.shown()
        if shown is None or self.cursor is None:
            return ""
        cell = shown.cell(*self.cursor)
        when = clock_text(cell.start)
        if cell.end > cell.start:
            when += "–" + clock_text(cell.end)
        return cell_text(cell, when)

    # ------------------------------------------------------------ keys and mouse

    def action_move(self, columns: int, rows: int) -> None:
        shown = self.shown()
        if shown is None or self.cursor is None:
            return
        col, row = self.cursor
        self.cursor = (
            min(max(col + columns, 0), shown.columns - 1),
            min(max(row + rows, 0), shown.height - 1),
        )
        self.refresh()

    def action_next_heatmap(self) -> None:
        if len(self.heatmaps) > 1:
            self.index = (self.index + 1) % len(self.heatmaps)
            self.cursor = None
            self._version += 1
            self.refresh()

    def cell_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (column, row) of the cell drawn at (x, y) of this widget, if any."""
        shown = self.shown()
        if shown is None or shown.columns == 0 or shown.height == 0:
            return None
        title, axis, lines = self._layout()
        width = max(self.size.width - axis, 1)
        if not (axis <= x < axis + width and title <= y < title + lines):
            return None
        line = y - title
        half = (lines - 1 - line) * 2 + 1  # the upper half of the line, counted from below
        return (x - axis) * shown.columns // width, half * shown.height // (lines * 2)

    def _point(self, x: int, y: int) -> None:
        cell = self.cell_at(x, y)
        if cell is not None and cell != self.cursor:
            self.cursor = cell
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._point(event.x, event.y)

    def on_click(self, event: events.Click) -> None:
        self._point(event.x, event.y)
        self.focus()

    # ------------------------------------------------------------ drawing

    def render(self) -> RenderableType:
        shown = self.shown()
        if shown is None or shown.columns == 0 or shown.height == 0:
            return Align.center(Text(self.placeholder, style="dim"), vertical="middle")
        heatmap = self.heatmap
        assert heatmap is not None
        title, axis, lines = self._layout()
        width = max(self.size.width - axis, 1)
        out: list[Text] = []
        axes = Style(color=self.ramp.axes)
        if title:
            head = Text()
            if len(self.heatmaps) > 1:
                head.append(
                    f"histogram {self.index + 1} of {len(self.heatmaps)} (n: next) ", "bold"
                )
            head.append(labels_text(heatmap.labels), axes)
            head.truncate(self.size.width, overflow="ellipsis")
            out.append(head)
        out.extend(self._grid(shown, axis, width, lines, axes))
        out.append(self._time_axis(shown, axis, width, axes))
        status = Text(self.selected_text())
        # The colour scale at the right, when there is room: counts of the cells as drawn
        # (merged ones summed), so it changes with the size and the histogram shown.
        scale = scale_text(self.ramp, shown.max_count())
        if status.cell_len + 3 + scale.cell_len <= self.size.width:
            status.append(" " * (self.size.width - status.cell_len - scale.cell_len))
            status.append_text(scale)
        status.truncate(self.size.width, overflow="ellipsis")
        out.append(status)
        return Text("\n").join(out)

    def _grid(self, shown: Heatmap, axis: int, width: int, lines: int, axes: Style) -> list[Text]:
        halves = lines * 2
        rows_of = [h * shown.height // halves for h in range(halves)]
        cols_of = [x * shown.columns // width for x in range(width)]
        top = shown.max_count()
        levels = self.ramp.levels
        # Colour of each (column, row): a ramp level, None for a blank cell.
        colours: list[list[str | None]] = [
            [levels[lv] if (lv := level(c, top)) >= 0 else None for c in column]
            for column in shown.counts
        ]
        if self.cursor is not None and self.has_focus:
            col, row = self.cursor
            colours[col][row] = self.ramp.cursor
        labels = bounds_axis(shown.rows)
        out = []
        labelled_above = False
        for line in range(lines):
            upper = (lines - 1 - line) * 2 + 1
            lower = upper - 1
            r_up, r_low = rows_of[upper], rows_of[lower]
            # A row's upper bound is written on the line holding its top edge.
            tops = [
                r
                for h, r in ((upper, r_up), (lower, r_low))
                if h + 1 == halves or rows_of[h + 1] != r
            ]
            label = ""
            if tops and not labelled_above:
                label = labels[tops[0]]
            labelled_above = bool(label)
            text = Text(
                label.rjust(axis - 1)[: axis - 1] + "┤" if label else " " * (axis - 1) + "│", axes
            )
            run: list[str] = []
            run_style: Style | None = None
            for x in range(width):
                c = cols_of[x]
                fg, bg = colours[c][r_up], colours[c][r_low]
                if fg is None and bg is None:
                    char, style = " ", None
                elif fg is None:
                    char, style = "▄", Style(color=bg, bgcolor=None)
                elif bg is None:
                    char, style = "▀", Style(color=fg)
                else:
                    char, style = "▀", Style(color=fg, bgcolor=bg)
                if style != run_style and run:
                    text.append("".join(run), run_style)
                    run = []
                run_style = style
                run.append(char)
            if run:
                text.append("".join(run), run_style)
            out.append(text)
        return out

    def _time_axis(self, shown: Heatmap, axis: int, width: int, axes: Style) -> Text:
        """Clock times under the columns they fall in, as many as fit without touching."""
        first, last, n = shown.starts[0], shown.starts[-1], shown.columns
        if last <= first:
            return Text(" " * axis + clock_text(first), axes)
        ticks, _ = time_ticks(first, last, max(2, width // 14))
        chars = [" "] * (axis + width)
        taken = axis
        for t in ticks:
            stamp = clock_text(t, seconds=(last - first) < 600)
            # Columns are equal blocks: a time sits in the middle of its column's block.
            column = (t - first) / (last - first) * (n - 1)
            x = axis + round((column + 0.5) * width / n)
            start = max(min(x - len(stamp) // 2, axis + width - len(stamp)), axis)
            if start < taken:
                continue
            chars[start : start + len(stamp)] = stamp
            taken = start + len(stamp) + 1
        return Text("".join(chars), axes)
