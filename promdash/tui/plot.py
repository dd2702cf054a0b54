"""Range graphs: plotext 5 draws the frame, ticks and labels; the lines are ours.

plotext's own line drawing runs per pixel in pure Python: 20 series x 120 points
took ~60 ms a redraw here (bench/bench_tui.py), too slow to live-tail. So plotext
builds the frame with its ticks for the chosen limits (~4 ms), and the series are
rasterised into braille cells (2x4 dots per cell) with the same mapping from data
to columns and rows, then set into the frame's canvas.

plotext keeps one global figure, so this module is only called from the event loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from promdash.present.text import distinct_name, distinct_values, legend_common, series_name
from promdash.prom.types import Histogram, QueryResult, Series
from promdash.timefmt import value_text

RGB = tuple[int, int, int]
Y_AXIS_WIDTH = 10  # columns the y tick labels and the frame take, about

# Dot bits of a braille cell by [row][column] (U+2800 + bits).
_BRAILLE = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True, slots=True)
class PlotLine:
    name: str
    timestamps: Sequence[float]
    values: Sequence[float]
    colour: RGB
    short: str = ""  # the label values alone, for a legend too narrow for `name`
    histogram: bool = False  # native histogram samples, drawn by their count


def plot_columns(width: int) -> int:
    """Columns of the drawing area of a plot `width` cells wide (for choosing the step)."""
    return max(10, width - Y_AXIS_WIDTH)


def segments(
    timestamps: Sequence[float], values: Sequence[float], gap: float
) -> list[tuple[list[float], list[float]]]:
    """Runs of finite points; a hole longer than `gap` (a target that was down) breaks the line."""
    runs: list[tuple[list[float], list[float]]] = []
    xs: list[float] = []
    ys: list[float] = []
    last = -math.inf
    for t, v in zip(timestamps, values, strict=False):
        if not math.isfinite(v):
            if xs:
                runs.append((xs, ys))
                xs, ys = [], []
            continue
        if xs and t - last > gap:
            runs.append((xs, ys))
            xs, ys = [], []
        xs.append(t)
        ys.append(v)
        last = t
    if xs:
        runs.append((xs, ys))
    return runs


def time_ticks(start: float, end: float, count: int) -> tuple[list[float], list[str]]:
    span = max(end - start, 1.0)
    nice = (
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        10800,
        21600,
        43200,
        86400,
    )
    interval = next((n for n in nice if span / n <= count), 86400 * math.ceil(span / 86400 / count))
    fmt = "%H:%M:%S" if interval < 60 else "%H:%M"
    ticks: list[float] = []
    t = math.ceil(start / interval) * interval
    while t <= end:
        ticks.append(t)
        t += interval
    return ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks]


def nice_range(low: float, high: float, count: int) -> tuple[float, float, float]:
    """Limits widened to round numbers and the tick spacing between them."""
    if high <= low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    spacing = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / spacing) * spacing, math.ceil(high / spacing) * spacing, spacing


def _frame(
    width: int,
    height: int,
    start: float,
    end: float,
    low: float,
    high: float,
    spacing: float,
    axes: RGB,
) -> list[Text]:
    import plotext as plt  # ~30 ms: loaded when the first graph is drawn, not at start-up

    plt.clf()
    plt.limit_size(False, False)
    plt.plotsize(width, height)
    plt.canvas_color("default")
    plt.axes_color("default")
    plt.ticks_color(axes)
    plt.frame(True)
    # One invisible point: plotext draws no axes for an empty figure.
    plt.scatter([start], [low], marker=" ")
    plt.xlim(start, end)
    plt.ylim(low, high)
    xticks, xlabels = time_ticks(start, end, max(2, width // 14))
    plt.xticks(xticks, xlabels)
    yticks = [low + i * spacing for i in range(round((high - low) / spacing) + 1)]
    plt.yticks(yticks, [value_text(round(t, 12), compact=True) for t in yticks])
    return list(Text.from_ansi(str(plt.build())).split("\n"))


def braille_rows(
    lines: Sequence[PlotLine],
    cols: int,
    rows: int,
    start: float,
    end: float,
    low: float,
    high: float,
    step: float,
) -> list[Text]:
    """The plot area: `rows` lines of `cols` braille cells (2x4 dots each), every run of
    cells in the colour of the line drawn there. A gap over 2.5 steps breaks a line."""
    bits, owner = _rasterise(lines, cols, rows, start, end, low, high, gap=max(step * 2.5, 1.0))
    styles = [Style(color=f"#{r:02x}{g:02x}{b:02x}") for r, g, b in (ln.colour for ln in lines)]
    canvases = []
    for row in range(rows):
        canvas = Text()
        run: list[str] = []
        run_owner = -1
        for col in range(cols):
            cell = row * cols + col
            cell_bits = bits.get(cell)
            who = owner[cell] if cell_bits else -1
            if who != run_owner and run:
                canvas.append("".join(run), styles[run_owner] if run_owner >= 0 else None)
                run = []
            run_owner = who
            run.append(chr(0x2800 + cell_bits) if cell_bits else " ")
        if run:
            canvas.append("".join(run), styles[run_owner] if run_owner >= 0 else None)
        canvases.append(canvas)
    return canvases


def _rasterise(
    lines: Sequence[PlotLine],
    cols: int,
    rows: int,
    start: float,
    end: float,
    low: float,
    high: float,
    gap: float,
) -> tuple[dict[int, int], dict[int, int]]:
    """Braille dot bits and line index per canvas cell (`row * cols + col`)."""
    dots_x, dots_y = cols * 2, rows * 4
    sx = (dots_x - 1) / max(end - start, 1e-9)
    sy = (dots_y - 1) / max(high - low, 1e-300)
    bits: dict[int, int] = {}
    owner: dict[int, int] = {}

    def dot(px: int, py: int, index: int) -> None:
        if 0 <= px < dots_x and 0 <= py < dots_y:
            cell = (py >> 2) * cols + (px >> 1)
            bits[cell] = bits.get(cell, 0) | _BRAILLE[py & 3][px & 1]
            owner[cell] = index

    for index, line in enumerate(lines):
        for xs, ys in segments(line.timestamps, line.values, gap):
            x0 = round((xs[0] - start) * sx)
            y0 = round((high - ys[0]) * sy)
            dot(x0, y0, index)
            for x, y in zip(xs[1:], ys[1:], strict=True):
                x1 = round((x - start) * sx)
                y1 = round((high - y) * sy)
                # Bresenham between consecutive points.
                dx, dy = abs(x1 - x0), -abs(y1 - y0)
                step_x = 1 if x0 < x1 else -1
                step_y = 1 if y0 < y1 else -1
                err = dx + dy
                px, py = x0, y0
                while px != x1 or py != y1:
                    twice = 2 * err
                    if twice >= dy:
                        err += dy
                        px += step_x
                    if twice <= dx:
                        err += dx
                        py += step_y
                    dot(px, py, index)
                x0, y0 = x1, y1
    return bits, owner


def render_plot(
    lines: Sequence[PlotLine],
    *,
    width: int,
    height: int,
    start: float,
    end: float,
    step: float,
    axes: RGB,
    empty_message: str = "no data in this range",
) -> Text:
    """The plot as Rich text, `width` x `height` cells."""
    width, height = max(width, 20), max(height, 5)
    low, high = math.inf, -math.inf
    for line in lines:
        for value in line.values:
            if math.isfinite(value):
                low = min(low, value)
                high = max(high, value)
    if not math.isfinite(low):
        low, high = 0.0, 1.0
    low, high, spacing = nice_range(low, high, max(2, min(6, height // 4)))
    frame = _frame(width, height, start, end, low, high, spacing, axes)
    plain = [line.plain for line in frame]
    top = next((i for i, text in enumerate(plain) if "┌" in text), None)
    bottom = next((i for i, text in enumerate(plain) if "└" in text), None)
    if top is None or bottom is None or bottom - top < 2:
        return Text("\n").join(frame)
    left, right = plain[top].index("┌"), plain[top].index("┐")
    cols, rows = right - left - 1, bottom - top - 1
    canvases = braille_rows(lines, cols, rows, start, end, low, high, step)
    drawn = any(canvas.plain.strip() for canvas in canvases)
    out = frame[: top + 1]
    for row, canvas in enumerate(canvases):
        framed = frame[top + 1 + row]
        if not drawn and row == rows // 2:
            canvas = Text(empty_message.center(cols)[:cols], style=Style(dim=True))
        out.append(Text.assemble(framed[: left + 1], canvas, framed[right:]))
    out.extend(frame[bottom:])
    return Text("\n").join(out)


# ------------------------------------------------------------ what a graph shows beside its plot

MAX_LINES = 10  # series drawn in one plot; more cannot be told apart by colour
# Labels whose values are numbers (bucket bounds, quantiles): ordered as numbers, so
# `le="2.5"` comes before `le="10.0"` and `le="+Inf"` last, however the server wrote them.
NUMERIC_LABELS = frozenset({"le", "quantile"})
HISTOGRAM_MARK = "◆"
# What a legend says under native histograms, the longest that fits its width.
HISTOGRAM_NOTES = (
    f"{HISTOGRAM_MARK} native histogram: its count is drawn (as histogram_count);"
    " for quantiles, graph histogram_quantile(0.9, rate(…[5m]))",
    f"{HISTOGRAM_MARK} histogram: count drawn; quantiles: histogram_quantile(0.9, rate(…[5m]))",
    f"{HISTOGRAM_MARK} histogram: count drawn; see histogram_quantile(…)",
)


def _label_order(name: str, value: str) -> tuple[int, float, str]:
    if name in NUMERIC_LABELS:
        try:
            number = float(value)  # "+Inf", "1.0", "1e-05" (Go and Python read alike)
        except ValueError:
            pass
        else:
            if not math.isnan(number):
                return 0, number, value
    return 1, 0.0, value


def series_order(metric: Mapping[str, str]) -> tuple[str, list[tuple[str, tuple[int, float, str]]]]:
    """A sort key for series: by name, then labels as Prometheus orders them, but numeric
    labels (`le`, `quantile`) by their number: Prometheus 3 writes `le="1.0"` where 2.x
    wrote `le="1"`, and neither sorts as text (`"10"` before `"2.5"`, `"+Inf"` first)."""
    labels = sorted((k, _label_order(k, v)) for k, v in metric.items() if k != "__name__")
    return metric.get("__name__", ""), labels


def _counts(histograms: Sequence[tuple[float, Histogram]]) -> list[tuple[float, float]]:
    return [(t, h.count) for t, h in histograms]


def drawn_points(series: Series) -> tuple[Sequence[float], Sequence[float]]:
    """A series' points for a line: its float samples and, in time order among them, its
    native histogram samples by their count (what `histogram_count(…)` would give)."""
    if not series.histograms:
        return series.timestamps, series.values
    points = sorted(
        [*zip(series.timestamps, series.values, strict=True), *_counts(series.histograms)]
    )
    return [t for t, _ in points], [v for _, v in points]


@dataclass(frozen=True, slots=True)
class GraphLines:
    """An answer made ready to draw: the lines, and the labels their legend factors out."""

    lines: list[PlotLine]
    series: list[Series]  # every series, in legend order (the table view shows them all)
    common: dict[str, str]  # labels every series shares, `__name__` included
    hidden: int  # series beyond MAX_LINES, not drawn


def graph_lines(result: QueryResult, colours: Sequence[RGB], limit: int = MAX_LINES) -> GraphLines:
    """The series of a range answer as plot lines, each named by what sets it apart."""
    series = list(result.matrix)
    if result.result_type == "scalar" and result.scalar is not None:
        series = [Series({}, [result.scalar[0]], [result.scalar[1]])]
    ordered = sorted(series, key=lambda s: series_order(s.metric))
    common = legend_common([s.metric for s in ordered])
    shown = ordered[:limit]
    lines = []
    for i, s in enumerate(shown):
        timestamps, values = drawn_points(s)
        lines.append(
            PlotLine(
                distinct_name(s.metric, common),
                timestamps,
                values,
                colours[i % len(colours)],
                distinct_values(s.metric, common),
                histogram=bool(s.histograms),
            )
        )
    return GraphLines(lines, ordered, common, len(ordered) - len(shown))


def legend(
    lines: Sequence[PlotLine], common: Mapping[str, str], width: int, rows: int, hidden: int = 0
) -> Text:
    """A legend of `rows` lines at most where every drawn line can be told apart.

    Entries go in equal columns; when they do not fit, each is shortened to its
    label values, and what still does not fit is counted (`+3 more`), never cut
    silently. The labels all series share are said once, first.
    """
    width = max(width, 20)
    text = Text()
    shared = series_name(common) if common else ""
    if shared:
        text.append("all: ", style="dim")
        room = max(width - 5, 10)
        text.append(shared if len(shared) <= room else shared[: room - 1] + "…", style="dim")
        rows -= 1
    histograms = any(line.histogram for line in lines)
    if histograms:
        rows -= 1  # the last line says how histograms are drawn
    rows = max(rows, 1)
    names = [line.name for line in lines]
    short = [line.short or line.name for line in lines]
    for candidate in (names, short):
        cell = max((len(n) for n in candidate), default=0) + 2
        per_row = max(1, (width + 2) // (cell + 2))
        if math.ceil(len(candidate) / per_row) <= rows:
            break
    cell = min(cell, width)
    fits = per_row * rows
    more = len(lines) - fits if len(lines) > fits else 0
    if more:
        fits -= 1  # the last place says how many more
        more += 1
    for index, (line, name) in enumerate(zip(lines[:fits], candidate, strict=False)):
        if index % per_row == 0:
            if text:
                text.append("\n")
        else:
            text.append("  ")
        r, g, b = line.colour
        mark = HISTOGRAM_MARK if line.histogram else "■"
        text.append(f"{mark} ", style=f"#{r:02x}{g:02x}{b:02x}")
        shown = name if len(name) + 2 <= cell else name[: max(cell - 3, 1)] + "…"
        last = (index + 1) % per_row == 0 or index + 1 == min(fits, len(lines))
        text.append(shown if last else shown.ljust(cell - 2))
    if more or hidden:
        extra = []
        if more:
            extra.append(f"+{more} more")
        if hidden:
            extra.append(f"{hidden} series not drawn (limit {MAX_LINES})")
        # `+N more` takes the place kept for it; a count of undrawn series, its own line.
        inline = more and text and fits % per_row
        text.append("  " if inline else "\n" if text else "")
        text.append(" · ".join(extra) + " (v: table of all)", style="bold")
    if histograms:
        note = next((n for n in HISTOGRAM_NOTES if len(n) <= width), HISTOGRAM_NOTES[-1])
        note = note if len(note) <= width else note[: width - 1] + "…"
        text.append(("\n" if text else "") + note, style="italic")
    return text
