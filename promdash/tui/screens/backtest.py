"""The Backtest screen: when would an alerting rule have fired, and what if it changed?

`b` on a rule in the Alerts panel (or an alert in the overview) opens it for that
rule as the server evaluates it: the expression's values over the range (the left
side of its top-level comparison with a number, the threshold drawn as a line),
a band of inactive/pending/firing per alert below, and how often it fired. The
expression and `for` are edited in place; Enter backtests the edit over the same
evaluation ticks, its counts beside the rule's own. The work is promdash.backtest's
(the same as `promdash backtest`), on a worker of this screen; what goes wrong is
a line on the screen.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from promdash.backtest import Backtest, Rule, backtest, plan, server_rule
from promdash.backtest.threshold import Threshold, threshold
from promdash.errors import PromdashError, UsageError
from promdash.present.text import clip
from promdash.prom.types import QueryResult
from promdash.timefmt import (
    clock_text,
    format_duration,
    parse_duration,
    short_duration,
    value_text,
)
from promdash.tui.plot import PlotLine, graph_lines, plot_columns
from promdash.tui.themes import plot_colours, rgb, rich_colour
from promdash.tui.widgets.alerts import state_colours
from promdash.tui.widgets.backtest import BacktestView, bands, comparison, plot_step
from promdash.tui.widgets.panel import show

if TYPE_CHECKING:
    from promdash.prom.client import PromClient

RANGES = (900, 3600, 6 * 3600, 86400, 2 * 86400, 7 * 86400)
DEFAULT_RANGE = 6 * 3600


@dataclasses.dataclass
class _Drawn:
    """The last answer drawn, kept to draw again (a theme change)."""

    original: Backtest
    edit: Backtest
    values: QueryResult | None  # the plotted expression over the range
    line: Threshold | None  # the edit's threshold
    was: Threshold | None  # the rule's own, drawn too when it differs


class BacktestScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="backtest.close", tooltip="Back to the dashboard"),
        Binding("e", "edit", "Edit", id="backtest.edit",
                tooltip="Edit the expression (Tab: its for); Enter backtests the edit beside "
                "the rule"),
        Binding("t", "range(1)", "Longer", id="backtest.longer",
                tooltip="Backtest a longer range: 15m → 1h → 6h → 24h → 2d → 7d"),
        Binding("T", "range(-1)", "Shorter", id="backtest.shorter",
                tooltip="Backtest a shorter range: 7d → 2d → 24h → 6h → 1h → 15m"),
        Binding("r", "again", "Again", show=False, id="backtest.again",
                tooltip="Backtest the rule and the edit again, up to now"),
        Binding("o", "original", "Original", show=False, id="backtest.original",
                tooltip="Put the rule's own expression and for back in the inputs"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    BacktestScreen #backtest-title { height: 1; background: $panel; padding: 0 1; }
    BacktestScreen #backtest-inputs { height: 1; }
    BacktestScreen #backtest-inputs Label { padding: 0 1; color: $text-muted; }
    BacktestScreen #backtest-expr { width: 1fr; }
    BacktestScreen #backtest-for { width: 10; }
    BacktestScreen #backtest-compare { height: auto; max-height: 2; padding: 0 1; }
    BacktestScreen #backtest-message { height: auto; max-height: 2; padding: 0 1;
        color: $text-muted; }
    BacktestScreen #backtest-message.-error { color: $error; }
    BacktestScreen #backtest-message.-warn { color: $warning; }
    """

    def __init__(
        self,
        name: str,
        group: str,
        client: PromClient,
        *,
        range_seconds: int = DEFAULT_RANGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.rule_name, self.group = name, group
        self.client = client
        self.range_seconds = range_seconds
        self.clock = clock
        self.rule: Rule | None = None  # as the server has it, once asked
        self.original: Backtest | None = None  # the rule over the window
        self.edit: Backtest | None = None  # the edit over the same ticks
        self.problem = ""  # what went wrong in the last run
        self._drawn: _Drawn | None = None
        self._plot_problem = ""

    # ------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        yield Static(f"Backtest {self.rule_name}", id="backtest-title")
        with Horizontal(id="backtest-inputs"):
            yield Label("expr")
            # The cursor goes to the end, nothing selected: an edit changes a threshold
            # or a duration, rarely the whole expression.
            yield Input(id="backtest-expr", compact=True, select_on_focus=False,
                        placeholder="the rule's expression")  # fmt: skip
            yield Label("for")
            yield Input(id="backtest-for", compact=True, select_on_focus=False, placeholder="0s")
        yield Static("", id="backtest-compare")
        yield Static("", id="backtest-message")
        yield BacktestView(id="backtest-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(BacktestView).focus()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._run()

    @property
    def view(self) -> BacktestView:
        return self.query_one(BacktestView)

    @property
    def expr_input(self) -> Input:
        return self.query_one("#backtest-expr", Input)

    @property
    def for_input(self) -> Input:
        return self.query_one("#backtest-for", Input)

    # ------------------------------------------------------------ actions

    def action_close(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        self.expr_input.focus()
        self.expr_input.cursor_position = len(self.expr_input.value)

    def action_range(self, step: int) -> None:
        longer = [r for r in RANGES if r > self.range_seconds]
        shorter = [r for r in RANGES if r < self.range_seconds]
        wanted = (longer[:1] if step > 0 else shorter[-1:]) or [self.range_seconds]
        if wanted[0] != self.range_seconds:
            self.range_seconds = wanted[0]
            self._run(again=True)

    def action_again(self) -> None:
        self._run(again=True)

    def action_original(self) -> None:
        if self.rule is not None:
            self._fill(self.rule)
            self._run()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._run()

    def _fill(self, rule: Rule) -> None:
        self.expr_input.value = rule.expr
        self.for_input.value = format_duration(rule.hold) if rule.hold else "0s"

    def _edited(self, rule: Rule) -> Rule:
        """The rule with the inputs' expression and `for`."""
        expr = self.expr_input.value.strip()
        if not expr:
            raise UsageError("the expression is empty")
        said = self.for_input.value.strip() or "0s"
        try:
            hold = parse_duration(said)
        except ValueError as exc:
            raise UsageError(f"for: {exc}") from None
        # An input holds one line: a rule written over several is the same rule.
        if expr.split() == rule.expr.split() and hold == rule.hold:
            return rule
        return dataclasses.replace(rule, expr=expr, hold=hold)

    # ------------------------------------------------------------ the work

    def _say(self, text: str, kind: str = "") -> None:
        message = self.query_one("#backtest-message", Static)
        message.set_class(kind == "error", "-error")
        message.set_class(kind == "warn", "-warn")
        show(message, Text(text))

    @work(exclusive=True, group="backtest", exit_on_error=False)
    async def _run(self, again: bool = False) -> None:
        """Backtest the rule (again, over a new window, with `again` or a new range) and
        the edit over the same ticks, then draw them."""
        client = self.client
        span = short_duration(self.range_seconds)
        self._say(f"Backtesting over the last {span}…")
        self.problem = ""
        self.edit = None

        def progress(done: int, total: int) -> None:
            if total > 1:
                self._say(f"Backtesting over the last {span}: {done}/{total} range queries")

        try:
            if self.rule is None:
                self.rule = await server_rule(client, self.rule_name, self.group or None)
                self._fill(self.rule)
            rule = self.rule
            if self.original is None or again:
                self.original = None
                end = self.clock()
                planned = await plan(client, rule, end - self.range_seconds, end, fit_start=True)
                self.original = await backtest(client, planned, progress)
            original = self.original
            edited = self._edited(rule)
            edit = original
            if edited is not rule:
                edit = await backtest(client, dataclasses.replace(original.plan, rule=edited),
                                      progress)  # fmt: skip
            self.edit = edit
            line, was = threshold(edited.expr), threshold(rule.expr)
            self._plot_problem = ""
            values = await self._values(edit, line)
        except PromdashError as exc:
            self.problem = str(exc)
            self._title()
            self._compare()
            self._say(self.problem, "error")
            if self.original is None:
                self.view.clear(f"No backtest: {clip(self.problem, 300)}")
            return
        self._drawn = _Drawn(original, edit, values, line, was)
        self._title()
        self._compare()
        self._draw()
        said = [*original.plan.notices, *original.warnings]
        if self._plot_problem:
            said.insert(0, self._plot_problem)
        if edit is not original:
            said += [w for w in edit.warnings if w not in said]
        self._say(" · ".join(said), "warn" if said else "")

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        # Not a problem a user can cause (those are said above): a bug, said here too
        # (the app's one handler tells it as every worker's), never a screen stuck on
        # "Backtesting…".
        if event.worker.group == "backtest" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self._say(f"unexpected error: {type(error).__name__}: {error}", "error")

    async def _values(self, result: Backtest, line: Threshold | None) -> QueryResult | None:
        """What the plot draws: the compared side of the threshold, else the expression."""
        planned = result.plan
        width = self.view.size.width or self.app.size.width
        step = plot_step(planned.every, planned.end - planned.start, plot_columns(width))
        expr = line.left if line is not None else planned.rule.expr
        try:
            return await self.client.query_range(expr, planned.start, planned.end, step)
        except PromdashError as exc:  # the states stand without the plot: said, not lost
            self._plot_problem = f"the plot's values: {exc}"
            return None

    # ------------------------------------------------------------ drawing

    def _title(self) -> None:
        text = Text()
        text.append(f"Backtest {self.rule_name}", style="bold")
        if self.group:
            text.append(f" ({self.group})", style="dim")
        result = self.edit or self.original
        if result is not None:
            planned = result.plan
            held = planned.end - planned.start
            # A range longer than the server's history starts at its oldest sample.
            span = short_duration(self.range_seconds)
            if held < self.range_seconds - 1:
                span = f"{short_duration(held)} held of {span}"
            text.append(
                f" · last {span}, {clock_text(planned.start, seconds=False)}→"
                f"{clock_text(planned.end, seconds=False)}"
            )
            text.append(
                f" · every {format_duration(planned.every)}, {result.ticks.count:,} evaluations",
                style="dim",
            )
        show(self.query_one("#backtest-title", Static), text)

    def _compare(self) -> None:
        rule = self.rule
        edited = False
        if rule is not None:
            try:
                edited = self._edited(rule) is not rule
            except PromdashError:
                edited = True
        colours = state_colours(self.app.theme_variables)
        width = self.size.width or self.app.size.width
        text = comparison(
            self.original, self.edit, colours, edited=edited, problem=self.problem,
            width=width - 2,
        )  # fmt: skip
        show(self.query_one("#backtest-compare", Static), text)

    def _draw(self) -> None:
        drawn = self._drawn
        if drawn is None:
            return
        variables = self.app.theme_variables
        planned = drawn.edit.plan
        start, end = planned.start, planned.end
        step = plot_step(planned.every, end - start, plot_columns(self.view.size.width or 80))
        lines: list[PlotLine] = []
        plotted = []
        if drawn.values is not None:
            made = graph_lines(drawn.values, plot_colours(variables))
            lines = list(made.lines)
            plotted = [
                (s.metric, ln.colour) for s, ln in zip(made.series, made.lines, strict=False)
            ]
        ticks = [start + i * step for i in range(int((end - start) // step) + 1)] + [end]

        def level(name: str, at: Threshold, colour: str) -> PlotLine:
            return PlotLine(name, ticks, [at.value] * len(ticks), rgb(variables, colour))

        was, line = drawn.was, drawn.line
        if was is not None and line is not None and was != line and was.left == line.left:
            lines.append(level("the rule's threshold", was, "plot-axes"))
        if drawn.line is not None:
            lines.append(level("threshold", drawn.line, "alert-firing"))
        edited = drawn.edit is not drawn.original
        legend = Text()
        if line is not None:
            legend.append(
                f"━ {line.op} {value_text(line.value)}", rich_colour(variables, "alert-firing")
            )
            legend.append(" threshold", style="dim")
            if was is not None and was != line and was.left == line.left:
                legend.append(
                    f"  ━ {was.op} {value_text(was.value)}", rich_colour(variables, "plot-axes")
                )
                legend.append(" the rule's", style="dim")
            legend.append("  · the values compared", style="dim")
        else:
            legend.append(
                "values of the expression (no comparison with a number: no threshold)", style="dim"
            )
        self.view.show(
            lines,
            bands(drawn.edit, drawn.original if edited else None, plotted),
            (start, end, step),
            axes=rgb(variables, "plot-axes"),
            colours=state_colours(variables),
            empty="the expression has no values in this range",
            legend=legend,
        )

    def on_resize(self) -> None:
        self._compare()  # side by side, or one under the other

    def _theme_changed(self, theme: Theme) -> None:
        self._compare()
        self._draw()
