"""What the Backtest screen draws: the expression's values with the threshold, a band of
states per alert under them, and the original rule's counts beside the edit's.

The bands are the strips `promdash backtest` prints (its characters, the Alerts
panel's state colours from the theme's `alert-*` variables), laid under the plot's
own columns so a firing sits under the values that made it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.align import Align
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from promdash.backtest import AlertHistory, Backtest, Interval, strip
from promdash.present.backtest import STRIP_CHAR
from promdash.present.text import common_labels, labels_text
from promdash.timefmt import short_duration
from promdash.tui.plot import RGB, PlotLine, render_plot

NAME_ROOM = 28  # columns for the alerts' names right of the bands (a fifth of a wide screen)


@dataclass(frozen=True, slots=True)
class Band:
    """One line under the plot: an alert's states over the range."""

    name: str  # what tells the alert apart from the rule's others
    intervals: Sequence[Interval]
    fired: int
    original: bool = False  # the rule as the server has it, under the edit's line
    colour: RGB | None = None  # its series' line in the plot, when one matches
    short: str = ""  # the name's label values alone, for a narrow column


def _key(alert: AlertHistory) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(alert.labels.items()))


def bands(
    edit: Backtest,
    original: Backtest | None,
    plotted: Sequence[tuple[Mapping[str, str], RGB]] = (),
) -> list[Band]:
    """A band per alert of the edit and, when the edit differs from the rule (`original`
    given), the rule's own band under each, alerts of either listed once. `plotted`: the
    plot's series (labels, colour), each naming the alerts it made in its colour."""
    alerts = {_key(a): a for a in edit.alerts}
    before = {_key(a): a for a in original.alerts} if original is not None else {}
    every = [*alerts.values(), *(a for k, a in before.items() if k not in alerts)]
    rule = edit.plan.rule
    skip = {"alertname", *rule.labels, *common_labels([a.labels for a in every])}
    out = []
    for key in sorted({*alerts, *before}):
        labels = dict(key)
        name = labels_text(labels, skip) or rule.name
        short = ", ".join(v for k, v in key if k not in skip) or rule.name
        colour = next((c for metric, c in plotted if _made(metric, labels)), None)
        now = alerts.get(key)
        out.append(Band(name, now.intervals if now else (), now.times_fired if now else 0,
                        colour=colour, short=short))  # fmt: skip
        if original is not None:
            was = before.get(key)
            intervals = was.intervals if was else ()
            out.append(Band("", intervals, was.times_fired if was else 0, original=True))
    return out


def _made(metric: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a series of these labels could have made the alert (it has them all)."""
    return all(labels.get(k) == v for k, v in metric.items() if k != "__name__")


class BacktestView(Widget, can_focus=True):
    """The plot over the range with the bands below it, drawn to the widget's size."""

    DEFAULT_CSS = """
    BacktestView { height: 1fr; min-height: 8; }
    BacktestView:focus { background-tint: $foreground 4%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = "Backtesting…"
        self.lines: Sequence[PlotLine] = ()
        self.bands: Sequence[Band] = ()
        self.window = (0.0, 1.0, 1.0)
        self.axes: RGB = (128, 128, 128)
        self.colours: dict[str, str] = {}
        self.empty = "no data in this range"
        self.legend: Text | None = None
        self.drawn = False

    def show(
        self,
        lines: Sequence[PlotLine],
        bands: Sequence[Band],
        window: tuple[float, float, float],
        *,
        axes: RGB,
        colours: dict[str, str],
        empty: str = "no data in this range",
        legend: Text | None = None,
    ) -> None:
        self.lines, self.bands, self.window = lines, bands, window
        self.axes, self.colours, self.empty = axes, colours, empty
        self.legend = legend
        self.drawn = True
        self.refresh()

    def clear(self, placeholder: str) -> None:
        self.placeholder = placeholder
        self.drawn = False
        self.refresh()

    def render(self) -> RenderableType:
        if not self.drawn:
            return Align.center(Text(self.placeholder, style="dim"), vertical="middle")
        width, height = self.size
        return backtest_plot(
            self.lines, self.bands, self.window, width, height, self.axes, self.colours,
            self.empty, self.legend,
        )  # fmt: skip


def backtest_plot(
    lines: Sequence[PlotLine],
    rows: Sequence[Band],
    window: tuple[float, float, float],
    width: int,
    height: int,
    axes: RGB,
    colours: Mapping[str, str],
    empty: str = "no data in this range",
    legend: Text | None = None,
) -> Text:
    """The plot (promdash's braille plot) `width` x `height` with the bands under its
    columns, each alert's count and name on its right, and `legend` last; bands that do
    not fit (a third of the height at most) are counted."""
    start, end, step = window
    room = max(2, height // 3)
    shown = list(rows) if len(rows) <= room else list(rows[: room - 1])
    more = len(rows) - len(shown)
    band_rows = max(len(shown) + (1 if more else 0), 1) + (1 if legend else 0)
    names = max((len(_label(b)) for b in rows), default=0)
    right = min(names + 1, max(NAME_ROOM, width // 5), width // 3) if names else 0
    plot = render_plot(
        lines, width=width - right, height=max(height - band_rows, 5), start=start, end=end,
        step=step, axes=axes, empty_message=empty,
    )  # fmt: skip
    plain = plot.plain.split("\n")
    top = next((i for i, line in enumerate(plain) if "┌" in line), None)
    if top is None:
        return plot
    left, cols = plain[top].index("┌"), plain[top].index("┐") - plain[top].index("┌") - 1
    out = [plot]
    axis = Style(color="#{:02x}{:02x}{:02x}".format(*axes))
    for band in shown:
        out.append(_band_line(band, start, end, left, cols, right, colours, axis))
    if more:
        said = f"{' ' * (left + 1)}+{more} more lines (promdash backtest lists every alert)"
        out.append(Text(said[: max(width, 1)], style="dim"))
    if not rows:
        out.append(Text(" " * (left + 1) + "never pending or firing in this range", style="dim"))
    if legend:
        out.append(Text(" " * (left + 1)).append_text(legend))
    return Text("\n").join(out)


def _label(band: Band, short: bool = False) -> str:
    """What a band's line says right of it: `6× instance="a"` (`6× a`), `6× ↳ the rule`."""
    name = "↳ the rule" if band.original else band.short if short else band.name
    return f"{band.fired}× {name}"


def _band_line(
    band: Band,
    start: float,
    end: float,
    left: int,
    cols: int,
    right: int,
    colours: Mapping[str, str],
    axis: Style,
) -> Text:
    text = Text(" " * left, no_wrap=True, overflow="crop")
    text.append("▕" if not band.original else " ", axis)
    states = strip(band.intervals, start, end, cols)
    run = 0
    for index, state in enumerate(states):
        if index + 1 == len(states) or states[index + 1] != state:
            style = colours.get(state, "")
            if band.original:
                style = f"{style} dim"
            text.append(STRIP_CHAR[state] * (index + 1 - run), style)
            run = index + 1
    if right:
        name = _label(band)
        if len(name) > right - 1 and band.short:
            name = _label(band, short=True)
        if len(name) > right - 1:
            name = name[: max(right - 2, 1)] + "…"
        colour = band.colour
        style = "dim" if band.original else "#{:02x}{:02x}{:02x}".format(*colour) if colour else ""
        text.append(" " + name, style)
    return text


# ------------------------------------------------------------ the counts side by side


def _side(result: Backtest) -> tuple[int, float, int]:
    return result.times_fired, result.firing_seconds, len(result.alerts)


def _times(n: int) -> str:
    return f"{n:,} time{'' if n == 1 else 's'}"


def counts_text(label: str, result: Backtest | None, colours: Mapping[str, str],
                problem: str = "", change: str = "") -> Text:  # fmt: skip
    """`original: fired 6 times, firing 1m 12s (1 alert)`; `change` after the times."""
    text = Text()
    text.append(f"{label}: ", style="bold")
    if result is None:
        text.append(problem or "…", style=colours.get("firing", "") if problem else "dim")
        return text
    fired, firing, alerts = _side(result)
    text.append(
        f"fired {_times(fired)}", style=f"bold {colours.get('firing', '')}" if fired else ""
    )
    if change:
        text.append(f" ({change})", style="bold")
    if fired:
        text.append(f", firing {short_duration(firing)}")
    if alerts:
        text.append(f" ({alerts} alert{'' if alerts == 1 else 's'})", style="dim")
    return text


def comparison(
    original: Backtest | None,
    edit: Backtest | None,
    colours: Mapping[str, str],
    *,
    edited: bool,
    problem: str = "",
    width: int = 80,
) -> Text:
    """The rule's counts and the edit's side by side (one under the other when narrow);
    before an edit, the rule's alone with how to make one."""
    # What went wrong is said below, once.
    ours = counts_text("original", original, colours, "not run" if problem else "")
    if not edited:
        hint = "  — edit the expression or for, Enter runs it"
        if original is None or len(ours) + len(hint) > width:
            return ours
        return ours.append(hint, style="dim")
    said = ""
    if edit is not None and original is not None:
        change = edit.times_fired - original.times_fired
        said = f"{abs(change)} {'more' if change > 0 else 'fewer'}" if change else "as many"
    theirs = counts_text("edit", edit, colours, "not run" if problem else "", said)
    gap = max(2, (width // 2) - len(ours))
    if len(ours) + gap + len(theirs) <= width:
        return Text.assemble(ours, " " * gap, theirs)
    return Text("\n").join([ours, theirs])


def plot_step(every: float, span: float, columns: int) -> float:
    """The plot's step: about one point per dot column (two per cell), never finer than
    the rule's evaluation interval (what the backtest saw)."""
    return max(every, float(math.ceil(span / max(columns * 2, 1))))
