"""Grafana's grid (24 columns, rows of about 30 px) scaled to a terminal of W x H cells.

Columns scale to the width: a panel from column x to x + w spans the cells between
round(x * W / 24) and round((x + w) * W / 24), so neighbours meet without gaps. Rows
scale so that 24 grid rows, about what a 1080-pixel browser shows, fill the height
(H / 24 cells per grid row); a row panel's header is always one line. A panel gets at
least the lines it needs to be read (`MIN_HEIGHT`); the grid's lines below it move down
instead, so panels that sat side by side stay side by side and none overlap. What does
not fit in H is below it: `Layout.height` is the whole, for scrolling.

When the terminal is too narrow for a panel's minimum width (`MIN_WIDTH`), the panels
are stacked one under another at full width, in layout order, as Grafana does on a
phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promdash.grafana.model import GridPos, Panel, Row

COLUMNS = 24
ROWS_PER_SCREEN = 24  # grid rows Grafana shows in a 1080-pixel-high browser, about

# Lines (with the border) below which a panel says nothing; row headers are one line.
MIN_HEIGHT = {"timeseries": 6, "graph": 6, "heatmap": 6, "table": 4, "row": 1}
DEFAULT_MIN_HEIGHT = 3
# Cells below which a panel's content cannot be read.
MIN_WIDTH = {"timeseries": 20, "graph": 20, "heatmap": 20, "table": 20, "text": 12}
DEFAULT_MIN_WIDTH = 8


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Layout:
    rects: tuple[Rect, ...]  # one per item, in the items' order
    height: int  # lines of the whole dashboard: more than the screen means scrolling
    stacked: bool  # the terminal was too narrow for the grid


def layout(items: Sequence[Panel | Row], width: int, height: int) -> Layout:
    """Rectangles for `items` (what `Dashboard.visible()` gives) on a `width` x `height`
    terminal area, in cells."""
    kinds = ["row" if isinstance(item, Row) else item.type for item in items]
    grids = [item.grid for item in items]
    columns = [_columns(grid, width) for grid in grids]
    if any(
        w < min(MIN_WIDTH.get(kind, DEFAULT_MIN_WIDTH), width) and kind != "row"
        for (_, w), kind in zip(columns, kinds, strict=True)
    ):
        return _stacked(kinds, grids, width, height)
    lines = _row_lines(grids, kinds, height)
    rects = tuple(
        Rect(x, lines[g.y], w, lines[g.y + g.h] - lines[g.y])
        for (x, w), g in zip(columns, grids, strict=True)
    )
    return Layout(rects, max((r.y + r.height for r in rects), default=0), stacked=False)


def _columns(grid: GridPos, width: int) -> tuple[int, int]:
    left = max(0, min(grid.x, COLUMNS))
    right = max(left, min(grid.x + grid.w, COLUMNS))
    x = round(left * width / COLUMNS)
    return x, round(right * width / COLUMNS) - x


def _scale(height: int) -> float:
    return max(height, 1) / ROWS_PER_SCREEN


def _min_height(kind: str) -> int:
    return MIN_HEIGHT.get(kind, DEFAULT_MIN_HEIGHT)


def _row_lines(grids: Sequence[GridPos], kinds: Sequence[str], height: int) -> list[int]:
    """The terminal line each grid row starts on (index: grid row, 0 to the bottom)."""
    bottom = max((g.y + g.h for g in grids), default=0)
    header_rows = {g.y for g, kind in zip(grids, kinds, strict=True) if kind == "row"}
    scale = _scale(height)
    lines = [0]
    exact = 0.0
    for grid_row in range(bottom):
        # A row header's grid row is one line; the others take their share of the screen.
        exact += 1 if grid_row in header_rows else scale
        lines.append(max(lines[-1], math.floor(exact + 0.5)))  # halves up, evenly
    # Minimum heights, by bottom edge: a panel too short pushes every line below it down
    # (which only lengthens panels crossing those lines, never shortens one).
    order = sorted(range(len(grids)), key=lambda i: grids[i].y + grids[i].h)
    for i in order:
        grid, kind = grids[i], kinds[i]
        if grid.h <= 0:
            continue
        wanted = 1 if kind == "row" else _min_height(kind)
        short = wanted - (lines[grid.y + grid.h] - lines[grid.y])
        if short > 0:
            for j in range(grid.y + grid.h, len(lines)):
                lines[j] += short
    return lines


def _stacked(kinds: Sequence[str], grids: Sequence[GridPos], width: int, height: int) -> Layout:
    scale = _scale(height)
    rects = []
    y = 0
    for kind, grid in zip(kinds, grids, strict=True):
        lines = 1 if kind == "row" else max(_min_height(kind), round(grid.h * scale))
        rects.append(Rect(0, y, width, lines))
        y += lines
    return Layout(tuple(rects), y, stacked=True)
