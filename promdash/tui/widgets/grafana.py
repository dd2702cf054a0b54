"""A Grafana dashboard's panels drawn in a terminal: one widget per panel type.

Each panel widget shows what the screen hands it (`show(PanelData, theme)`: the answers
to its queries, or why there are none) and never asks a server itself. Time series and
legacy graphs are braille plots with promdash's rasteriser, legend and colours, their
axis in the panel's Grafana unit; stat, gauge and bargauge reduce each series (last,
mean, max, ...) and colour values by the panel's thresholds in the theme's status
colours; tables list instant answers as rows with the panel's renames; heatmaps use the
heatmap view; text panels are Markdown. Any other type is a box naming it: a dashboard
never fails to draw because of one panel.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.align import Align
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.markup import escape
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Markdown, Static

from promdash.grafana.model import Panel, Row, Target, Variable
from promdash.grafana.units import format_value
from promdash.present.text import distinct_name, legend_common
from promdash.prom.types import QueryResult
from promdash.tui.plot import (
    PlotLine,
    braille_rows,
    drawn_points,
    legend,
    nice_range,
    time_ticks,
)
from promdash.tui.themes import PLOT_COLOURS, rgb, rich_colour

SPARK = "▁▂▃▄▅▆▇█"
BAR = "█"
BAR_EMPTY = "░"
MAX_SERIES = 10  # plotted lines, as the Graph panel (more cannot be told apart by colour)


# ---------------------------------------------------------------- what a panel is handed


@dataclass(frozen=True, slots=True)
class Answer:
    """One target's answer: the result, or the server's error, with the query as sent."""

    target: Target
    expr: str
    result: QueryResult | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class PanelData:
    answers: tuple[Answer, ...] = ()
    start: float = 0.0
    end: float = 0.0
    step: float = 0.0
    problem: str = ""  # why nothing was asked (a variable it uses failed, not Prometheus)
    variables: Mapping[str, Variable] = field(default_factory=dict)

    def series_count(self) -> int:
        count = 0
        for answer in self.answers:
            result = answer.result
            if result is not None:
                count += len(result.matrix) + len(result.vector) + (result.scalar is not None)
        return count


@dataclass(frozen=True, slots=True)
class Named:
    """A series as a panel shows it: its legend name, points and the answer's refId."""

    name: str
    timestamps: Sequence[float]
    values: Sequence[float]
    ref_id: str
    metric: Mapping[str, str]


_LEGEND = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


def legend_name(metric: Mapping[str, str], legend_format: str, common: Mapping[str, str]) -> str:
    """A series' name as Grafana's Prometheus datasource writes it: the target's
    legendFormat with `{{label}}` replaced, else what sets the series apart."""
    if legend_format and legend_format != "__auto":
        return _LEGEND.sub(lambda m: metric.get(m.group(1), ""), legend_format)
    return distinct_name(metric, common) or metric.get("__name__", "") or "value"


def named_series(data: PanelData) -> list[Named]:
    """Every series of every answer, named by its target's legend, in answer order."""
    found: list[Named] = []
    for answer in data.answers:
        result = answer.result
        if result is None:
            continue
        metrics = [s.metric for s in result.matrix] + [s.metric for s in result.vector]
        common = legend_common(metrics) if len(metrics) > 1 else {}
        fmt = answer.target.legend_format
        for series in result.matrix:
            timestamps, values = drawn_points(series)
            name = legend_name(series.metric, fmt, common)
            found.append(Named(name, timestamps, values, answer.target.ref_id, series.metric))
        for sample in result.vector:
            name = legend_name(sample.metric, fmt, common)
            found.append(
                Named(name, [sample.timestamp], [sample.value], answer.target.ref_id, sample.metric)
            )
        if result.scalar is not None:
            name = fmt or "scalar"
            found.append(Named(name, [result.scalar[0]], [result.scalar[1]], answer.target.ref_id,
                               {}))  # fmt: skip
    return found


# ---------------------------------------------------------------- reducing and colouring


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _last(values: Sequence[float]) -> float:
    return values[-1] if values else math.nan


def _first(values: Sequence[float]) -> float:
    return values[0] if values else math.nan


REDUCERS: dict[str, Callable[[Sequence[float]], float]] = {
    # "Not null" leaves out what a null or NaN sample becomes, not ±Inf (1/0 is +Inf).
    "lastNotNull": lambda v: _last([x for x in v if not math.isnan(x)]),
    "last": _last,
    "firstNotNull": lambda v: _first([x for x in v if not math.isnan(x)]),
    "first": _first,
    "mean": lambda v: sum(_finite(v)) / len(_finite(v)) if _finite(v) else math.nan,
    "max": lambda v: max(_finite(v), default=math.nan),
    "min": lambda v: min(_finite(v), default=math.nan),
    "sum": lambda v: sum(_finite(v)),
    "count": lambda v: float(len(v)),
    "range": lambda v: max(_finite(v)) - min(_finite(v)) if _finite(v) else math.nan,
    "delta": lambda v: _last(_finite(v)) - _first(_finite(v)) if _finite(v) else math.nan,
    "diff": lambda v: _last(_finite(v)) - _first(_finite(v)) if _finite(v) else math.nan,
    "median": lambda v: sorted(_finite(v))[len(_finite(v)) // 2] if _finite(v) else math.nan,
}
REDUCERS["current"] = REDUCERS["lastNotNull"]  # singlestat's valueName
REDUCERS["avg"] = REDUCERS["mean"]
REDUCERS["total"] = REDUCERS["sum"]


def reduce_values(values: Sequence[float], calcs: Sequence[str]) -> float:
    """The panel's reduce (its first calc; Grafana's default is lastNotNull)."""
    calc = calcs[0] if calcs else "lastNotNull"
    return REDUCERS.get(calc, REDUCERS["lastNotNull"])(values)


# Grafana's named colours by the status they stand for on a dashboard.
_NAMED = {
    "green": "health-up",
    "red": "health-down",
    "yellow": "health-unknown",
    "orange": "health-unknown",
    "blue": "plot-1",
    "purple": "plot-5",
}


def threshold_colour(colour: str, theme: Mapping[str, str]) -> str:
    """A threshold's colour as the theme's: greens are `health-up`, reds `health-down`,
    yellows and oranges `health-unknown` (Grafana's names, shades and hex alike), blues
    and purples plot colours; `text` and anything unreadable the foreground."""
    variables = dict(theme)
    name = colour.strip().lower()
    for word, variable in _NAMED.items():
        if word in name:  # dark-red, semi-dark-green, super-light-yellow, ...
            return rich_colour(variables, variable)
    try:
        parsed = Color.parse(name)
    except ColorParseError:
        return rich_colour(variables, "foreground")
    hue, saturation, _ = parsed.hsl
    if saturation < 0.15:
        return rich_colour(variables, "foreground")
    degrees = hue * 360
    if degrees < 20 or degrees >= 330:
        return rich_colour(variables, "health-down")
    if degrees < 70:
        return rich_colour(variables, "health-unknown")
    if degrees < 170:
        return rich_colour(variables, "health-up")
    return rich_colour(variables, "plot-5" if degrees >= 260 else "plot-1")


def value_colour(panel: Panel, value: float, theme: Mapping[str, str]) -> str:
    if panel.thresholds is None or not panel.thresholds.steps or not math.isfinite(value):
        return rich_colour(dict(theme), "foreground")
    step = panel.thresholds.active(value, panel.min, panel.max)
    return threshold_colour(step.color, theme)


def unit_text(panel: Panel, value: float) -> str:
    return format_value(value, panel.unit, panel.decimals)


def sparkline(values: Sequence[float], width: int) -> str:
    """`values` in `width` block characters (each column the mean of its points)."""
    points = _finite(values)
    if not points or width <= 0:
        return ""
    columns = []
    for c in range(width):
        lo, hi = (
            c * len(points) // width,
            max((c + 1) * len(points) // width, c * len(points) // width + 1),
        )
        chunk = points[lo:hi] or [points[min(lo, len(points) - 1)]]
        columns.append(sum(chunk) / len(chunk))
    low, high = min(columns), max(columns)
    span = high - low
    return "".join(
        SPARK[0 if span == 0 else min(len(SPARK) - 1, int((v - low) / span * len(SPARK)))]
        for v in columns
    )


def bar(fraction: float, width: int) -> tuple[str, str]:
    filled = 0 if not math.isfinite(fraction) else round(max(0.0, min(fraction, 1.0)) * width)
    return BAR * filled, BAR_EMPTY * (width - filled)


# ---------------------------------------------------------------- messages


class RowToggled(Message):
    """A row header was opened or closed (Enter on it)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class VariableChosen(Message):
    """Enter on a variable of the bar: the screen offers its values."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


# ---------------------------------------------------------------- the variables bar


class VariableButton(Static, can_focus=True):
    """One variable and its current value(s); Enter (or a click) asks to change it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Change", id="grafana.variable.choose",
                tooltip="Pick this variable's value(s): the panels are drawn again"),
    ]  # fmt: skip
    DEFAULT_CSS = """
    VariableButton { width: auto; height: 1; padding: 0 1; margin-right: 1;
                     background: $boost; }
    VariableButton:focus { background: $accent 40%; text-style: bold; }
    VariableButton.-problem { color: $error; }
    """

    def __init__(self, variable: Variable) -> None:
        super().__init__(id=f"var-{variable.name}")
        self.variable = variable
        self.problem = ""
        self.update(self._text())

    def set_variable(self, variable: Variable, problem: str = "") -> None:
        self.variable = variable
        self.problem = problem
        self.set_class(bool(problem), "-problem")
        self.tooltip = escape(problem) if problem else None
        self.update(self._text())

    def _text(self) -> Text:
        v = self.variable
        text = Text()
        text.append(f"{v.label or v.name}: ", style="dim")
        values = ", ".join(v.current_text) if v.current_text else "…"
        text.append(values if len(values) <= 40 else values[:39] + "…")
        text.append(" ▾" if v.type not in ("constant",) else "")
        if self.problem:
            text.append(" ⚠")
        return text

    def action_choose(self) -> None:
        self.post_message(VariableChosen(self.variable.name))

    def on_click(self) -> None:
        self.post_message(VariableChosen(self.variable.name))


# ---------------------------------------------------------------- panels


class GrafanaPanel(Widget, can_focus=True):
    """One panel: its title in the border, its drawing or why there is none inside."""

    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    GrafanaPanel {
        position: absolute; border: round $panel-lighten-2; border-title-color: $foreground;
        border-subtitle-color: $error; padding: 0;
    }
    GrafanaPanel:focus { border: round $accent; border-title-style: bold; }
    """

    def __init__(self, panel: Panel, index: int) -> None:
        super().__init__(id=f"panel-{index}")
        self.panel = panel
        self.index = index
        self.data: PanelData | None = None
        self.theme_vars: Mapping[str, str] = {}
        self.shown = 0  # answers shown (tests wait on it)
        # A dashboard's words are shown as written: `Disk [/dev/sda]` is not markup.
        self.border_title = escape(panel.title or panel.type)
        self.tooltip = escape(panel.description) if panel.description else None

    def show(self, data: PanelData, theme: Mapping[str, str]) -> None:
        self.data = data
        self.theme_vars = theme
        errors = [a for a in data.answers if a.error]
        self.border_subtitle = (
            f"{len(errors)} of {len(data.answers)} queries failed"
            if errors and len(errors) < len(data.answers)
            else ""
        )
        self.shown += 1
        self.refresh()

    def status(self) -> str | None:
        """What the panel says instead of a drawing: loading, an error, "no data"."""
        data = self.data
        if data is None:
            return "loading…"
        if data.problem:
            return data.problem
        if not data.answers:
            return "no queries"
        errors = [a.error for a in data.answers if a.error]
        if errors and len(errors) == len(data.answers):
            return "error: " + errors[0]
        if data.series_count() == 0:
            return "no data"
        return None

    def render(self) -> RenderableType:
        said = self.status()
        if said is not None:
            style = (
                "bold " + rich_colour(dict(self.theme_vars), "health-down")
                if said.startswith("error")
                else "dim"
            )
            return Align.center(Text(said, style=style, justify="center"), vertical="middle")
        width, height = self.content_size
        try:
            return self.draw(max(width, 1), max(height, 1))
        except Exception as exc:  # one panel's odd JSON or answer never takes the screen down
            return Align.center(Text(f"cannot draw: {exc}", style="dim"), vertical="middle")

    def draw(self, width: int, height: int) -> RenderableType:
        return Text("")


class NotDrawnPanel(GrafanaPanel):
    def status(self) -> str | None:
        return f"{self.panel.type or 'panel'}: not drawn here"


class TimeSeriesPanel(GrafanaPanel):
    """timeseries and the legacy graph: lines in the panel's unit, stacked if it says so."""

    def lines(self) -> tuple[list[PlotLine], int]:
        assert self.data is not None
        series = named_series(self.data)
        panel = self.panel
        if panel.shown_only:
            series = [s for s in series if s.name in panel.shown_only]
        series = [s for s in series if s.name not in panel.hidden_series]
        hidden = max(len(series) - MAX_SERIES, 0)
        series = series[:MAX_SERIES]
        colours = [rgb(dict(self.theme_vars), f"plot-{i}") for i in range(1, PLOT_COLOURS + 1)]
        stacked = _stack([(s.timestamps, s.values) for s in series], panel.stacking)
        lines = [
            PlotLine(s.name, ts, vs, colours[i % len(colours)])
            for i, (s, (ts, vs)) in enumerate(zip(series, stacked, strict=True))
        ]
        return lines, hidden

    def draw(self, width: int, height: int) -> RenderableType:
        assert self.data is not None
        lines, hidden = self.lines()
        legend_rows = 0 if height < 7 else min(max(1, height // 5), len(lines) + (hidden > 0))
        below = legend_text(lines, width, legend_rows, hidden) if legend_rows else Text()
        legend_rows = len(below.plain.splitlines())  # the lines it took, the rest for the plot
        plot = graph_text(
            lines,
            width=width,
            height=height - legend_rows,
            start=self.data.start,
            end=self.data.end,
            step=self.data.step,
            panel=self.panel,
            theme=self.theme_vars,
        )
        if not legend_rows:
            return plot
        return Group(plot, below)


def legend_text(lines: Sequence[PlotLine], width: int, rows: int, hidden: int) -> Text:
    """promdash's legend, pointing at this screen's way to see every series."""
    text = legend(lines, {}, width, rows, hidden)
    at = text.plain.find(" (v: table of all)")
    if at < 0:
        return text
    return Text.assemble(text[:at], (" (f: full screen)", "bold"), text[at + 18 :])


def _stack(
    series: Sequence[tuple[Sequence[float], Sequence[float]]], mode: str
) -> list[tuple[Sequence[float], Sequence[float]]]:
    """Series as drawn: each on top of those before it (normal) or as shares of the
    total at each time (percent, 0 to 1); unstacked as they are."""
    if mode not in ("normal", "percent") or not series:
        return list(series)
    totals: dict[float, float] = {}
    if mode == "percent":
        for ts, vs in series:
            for t, v in zip(ts, vs, strict=False):
                if math.isfinite(v):
                    totals[t] = totals.get(t, 0.0) + v
    below: dict[float, float] = {}
    out: list[tuple[Sequence[float], Sequence[float]]] = []
    for ts, vs in series:
        values = []
        for t, v in zip(ts, vs, strict=False):
            if not math.isfinite(v):
                values.append(v)
                continue
            if mode == "percent":
                v = v / totals[t] if totals.get(t) else 0.0
            below[t] = below.get(t, 0.0) + v
            values.append(below[t])
        out.append((ts, values))
    return out


def graph_text(
    lines: Sequence[PlotLine],
    *,
    width: int,
    height: int,
    start: float,
    end: float,
    step: float,
    panel: Panel,
    theme: Mapping[str, str],
) -> Text:
    """A plot `width` x `height`: value ticks in the panel's unit on the left, braille
    lines (promdash's rasteriser), times along the bottom."""
    height = max(height, 3)
    low, high = math.inf, -math.inf
    for line in lines:
        for v in line.values:
            if math.isfinite(v):
                low, high = min(low, v), max(high, v)
    if not math.isfinite(low):
        low, high = 0.0, 1.0
    if panel.stacking == "percent" and panel.min is None and panel.max is None:
        low, high = 0.0, 1.0
    rows = height - 1
    # The panel's min and max are the axis' ends as written; the data's are widened to
    # round numbers. Either way the ticks are spaced for the range drawn.
    low = panel.min if panel.min is not None else low
    high = panel.max if panel.max is not None else high
    nice_low, nice_high, spacing = nice_range(low, high, max(2, min(5, rows // 2)))
    low = panel.min if panel.min is not None else nice_low
    high = panel.max if panel.max is not None else nice_high
    if high <= low:
        high = low + 1
    unit = "percentunit" if panel.stacking == "percent" and not panel.unit else panel.unit
    ticks: dict[int, str] = {}
    value = math.ceil(low / spacing) * spacing if spacing > 0 else low
    while value <= high + spacing * 1e-9 and spacing > 0:
        row = round((high - value) / (high - low) * (rows - 1))
        ticks.setdefault(row, format_value(round(value, 12), unit, panel.decimals))
        value += spacing
    label_width = min(max((len(t) for t in ticks.values()), default=1), max(width // 3, 4))
    cols = max(width - label_width - 1, 2)
    axes = Style(color=rich_colour(dict(theme), "plot-axes"))
    out = Text(no_wrap=True, overflow="crop")
    canvases = braille_rows(lines, cols, rows, start, end, low, high, step)
    for row, canvas in enumerate(canvases):
        label = ticks.get(row, "")
        out.append(label[:label_width].rjust(label_width), axes)
        out.append("┤" if row in ticks else "│", axes)
        out.append_text(canvas)
        out.append("\n")
    times = [" "] * cols
    xticks, xlabels = time_ticks(start, end, max(2, cols // 10))
    span = max(end - start, 1e-9)
    for t, label in zip(xticks, xlabels, strict=True):
        at = round((t - start) / span * (cols - 1)) - len(label) // 2
        at = max(0, min(at, cols - len(label)))
        if all(c == " " for c in times[max(at - 1, 0) : at + len(label) + 1]):
            times[at : at + len(label)] = list(label)
    out.append(" " * label_width + "└", axes)
    out.append("".join(times), axes)
    return out


class StatPanel(GrafanaPanel):
    """stat and singlestat: each series reduced to one value, coloured by the thresholds,
    with a sparkline below when the panel's graph mode is area."""

    def values(self) -> list[tuple[Named, float]]:
        assert self.data is not None
        return [(s, reduce_values(s.values, self.panel.calcs)) for s in named_series(self.data)]

    def draw(self, width: int, height: int) -> RenderableType:
        values = self.values()
        count = len(values)
        # As many side by side as their names fit; more when the lines run out.
        longest = max((len(s.name) for s, _ in values), default=0) if count > 1 else 0
        per_row = max(1, min(count, width // max(longest + 2, 14)))
        if math.ceil(count / per_row) * 2 > height:
            per_row = max(1, min(count, width // 14 or 1))
        rows_needed = math.ceil(count / per_row)
        cell_height = max(height // max(rows_needed, 1), 1)
        shown = values[: per_row * max(height // max(cell_height, 1), 1)]
        cell_width = max(width // per_row, 1)
        spark = self.panel.graph_mode == "area" and cell_height >= 3
        out = Text(no_wrap=True, overflow="ellipsis")
        for start in range(0, len(shown), per_row):
            chunk = shown[start : start + per_row]
            named = count > 1
            lines: list[list[tuple[str, str]]] = [[] for _ in range(cell_height)]
            for series, value in chunk:
                colour = value_colour(self.panel, value, self.theme_vars)
                text = unit_text(self.panel, value)
                cell: list[tuple[str, str]] = []
                if named and cell_height >= 2:
                    cell.append((series.name, "dim"))
                cell.append((text, f"bold {colour}"))
                if spark and len(series.values) > 1:
                    cell.append((sparkline(series.values, cell_width - 2), colour))
                top = max((cell_height - len(cell)) // 2, 0)
                for i in range(cell_height):
                    k = i - top
                    lines[i].append(cell[k] if 0 <= k < len(cell) else ("", ""))
            for i, parts in enumerate(lines):
                for label, style in parts:
                    label = label if len(label) <= cell_width - 1 else label[: cell_width - 2] + "…"
                    out.append(label.center(cell_width), style or None)
                if i < len(lines) - 1 or start + per_row < len(shown):
                    out.append("\n")
        return out


class GaugePanel(StatPanel):
    """gauge: the value over a bar from min to max (0 to 100 unless the panel says)."""

    def draw(self, width: int, height: int) -> RenderableType:
        values = self.values()
        out = Text(no_wrap=True, overflow="ellipsis")
        low = self.panel.min if self.panel.min is not None else 0.0
        high = self.panel.max if self.panel.max is not None else 100.0
        per = max(height // max(len(values), 1), 1)
        for i, (series, value) in enumerate(values[: max(height, 1)]):
            colour = value_colour(self.panel, value, self.theme_vars)
            label = unit_text(self.panel, value)
            if len(values) > 1:
                label = f"{series.name}  {label}"
            out.append(label.center(width)[:width], f"bold {colour}")
            if per >= 2:
                filled, empty = bar((value - low) / (high - low) if high > low else math.nan,
                                    max(width - 2, 1))  # fmt: skip
                out.append("\n ")
                out.append(filled, colour)
                out.append(empty, "dim")
            if i < len(values) - 1:
                out.append("\n")
        return Align.center(out, vertical="middle")


class BarGaugePanel(StatPanel):
    """bargauge: one bar per series, its name on the left and value on the right."""

    def draw(self, width: int, height: int) -> RenderableType:
        values = self.values()
        finite = [v for _, v in values if math.isfinite(v)]
        low = self.panel.min if self.panel.min is not None else min(0.0, *finite) if finite else 0
        high = self.panel.max if self.panel.max is not None else max(finite, default=1.0)
        names = max((len(s.name) for s, _ in values), default=0)
        name_width = min(names, width // 3)
        texts = [unit_text(self.panel, v) for _, v in values]
        value_width = max((len(t) for t in texts), default=0)
        room = max(width - name_width - value_width - 2 - (1 if name_width else 0), 1)
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, ((series, value), text) in enumerate(zip(values[:height], texts, strict=False)):
            colour = value_colour(self.panel, value, self.theme_vars)
            if name_width:
                name = (
                    series.name
                    if len(series.name) <= name_width
                    else series.name[: name_width - 1] + "…"
                )
                out.append(name.ljust(name_width) + " ", "dim")
            filled, empty = bar((value - low) / (high - low) if high > low else 1.0, room)
            out.append(filled, colour)
            out.append(empty, "dim")
            out.append(" " + text.rjust(value_width), f"bold {colour}")
            if i < min(len(values), height) - 1:
                out.append("\n")
        return out


class TablePanel(GrafanaPanel):
    """table: one row per series (the last value of a range answer), its labels as
    columns, the value in the panel's unit; the panel's renames and hidden columns."""

    def table_rows(self) -> tuple[list[str], list[list[str]]]:
        assert self.data is not None
        series = named_series(self.data)
        refs = sorted({s.ref_id for s in series})
        labels: list[str] = []
        for s in series:
            for name in sorted(s.metric, key=lambda n: (n != "__name__", n)):
                if name not in labels:
                    labels.append(name)
        values = ["Value" if len(refs) <= 1 else f"Value #{r}" for r in refs]
        columns = ["Time", *labels, *values]
        rows = []
        for s in series:
            finite = [(t, v) for t, v in zip(s.timestamps, s.values, strict=False)]
            at, value = finite[-1] if finite else (math.nan, math.nan)
            column = "Value" if len(refs) <= 1 else f"Value #{s.ref_id}"
            row = {"Time": time.strftime("%H:%M:%S", time.localtime(at)) if math.isfinite(at)
                   else "", column: unit_text(self.panel, value)}  # fmt: skip
            row |= {k: v for k, v in s.metric.items()}
            rows.append(row)
        shown = [c for c in columns if c not in self.panel.hidden_columns]
        return (
            [self.panel.renames.get(c, c) for c in shown],
            [[row.get(c, "") for c in shown] for row in rows],
        )

    def draw(self, width: int, height: int) -> RenderableType:
        header, rows = self.table_rows()
        table = Table(box=None, expand=True, padding=(0, 1), header_style="bold",
                      show_edge=False)  # fmt: skip
        for name in header:
            table.add_column(name, no_wrap=True, overflow="ellipsis")
        room = max(height - 1, 1)
        if len(rows) > room:
            room -= 1
        for row in rows[:room]:
            table.add_row(*row)
        if len(rows) > room:
            return Group(table, Text(f"+{len(rows) - room} more rows (f: full screen)", "dim"))
        return table


class HeatmapPanel(GrafanaPanel):
    """heatmap: the buckets of the answer over time (promdash's heatmap view)."""

    def compose(self) -> ComposeResult:
        from promdash.tui.widgets.heatmap import HeatmapView

        view = HeatmapView()
        view.can_focus = False  # the panel is focused; arrows move between panels
        yield view

    def show(self, data: PanelData, theme: Mapping[str, str]) -> None:
        from promdash.present.heatmap import heatmaps
        from promdash.tui.widgets.heatmap import HeatmapView, theme_ramp

        super().show(data, theme)
        view = self.query_one(HeatmapView)
        said = self.status()
        view.display = said is None
        if said is not None:
            return
        maps = []
        for answer in data.answers:
            if answer.result is not None:
                window = (data.start, data.end, data.step) if answer.result.matrix else None
                maps.extend(heatmaps(answer.result, window))
        if maps:
            view.set_data(maps, theme_ramp(theme))
        else:
            view.clear_data("no histogram: the answer has no `le` buckets")


class TextPanel(GrafanaPanel):
    """text: the panel's Markdown (variables replaced by the screen)."""

    DEFAULT_CSS = """
    TextPanel > Markdown { margin: 0; padding: 0 1; background: transparent; }
    """

    def compose(self) -> ComposeResult:
        yield Markdown(self.panel.content)

    def set_content(self, text: str) -> None:
        self.query_one(Markdown).update(text)

    def status(self) -> str | None:
        return None

    def render(self) -> RenderableType:
        return Text("")


class RowHeader(Widget, can_focus=True):
    """A row: ▾ open, ▸ collapsed (with how many panels it hides); Enter toggles."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "toggle_row", "Open/close row", id="grafana.row.toggle",
                tooltip="Show or hide the row's panels"),
    ]  # fmt: skip
    DEFAULT_CSS = """
    RowHeader { position: absolute; height: 1; color: $foreground; text-style: bold;
                background: $boost; }
    RowHeader:focus { background: $accent 40%; }
    """

    def __init__(self, row: Row, index: int) -> None:
        super().__init__(id=f"panel-{index}")
        self.row = row
        self.index = index
        self.collapsed = row.collapsed

    def render(self) -> RenderableType:
        if self.collapsed:
            count = len(self.row.panels)
            return Text(f"▸ {self.row.title}  ({count} panel{'s' if count != 1 else ''})")
        return Text(f"▾ {self.row.title}")

    def action_toggle_row(self) -> None:
        self.post_message(RowToggled(self.index))


PANEL_TYPES: dict[str, type[GrafanaPanel]] = {
    "timeseries": TimeSeriesPanel,
    "graph": TimeSeriesPanel,
    "stat": StatPanel,
    "singlestat": StatPanel,
    "gauge": GaugePanel,
    "bargauge": BarGaugePanel,
    "table": TablePanel,
    "table-old": TablePanel,
    "heatmap": HeatmapPanel,
    "text": TextPanel,
}


def make_panel(item: Panel | Row, index: int) -> GrafanaPanel | RowHeader:
    if isinstance(item, Row):
        return RowHeader(item, index)
    return PANEL_TYPES.get(item.type, NotDrawnPanel)(item, index)
