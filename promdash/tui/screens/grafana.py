"""One Grafana dashboard, live: its variables on top, its panels where its grid puts them.

The screen owns the work: a worker resolves the variables (each after those it uses; one
the server refuses keeps the file's selection and says why on the bar) and then asks
the queries of the panels on screen, several at once, handing each panel its answers as
they come. Panels scrolled into view are asked then; the others wait. Changing a
variable or the time range resolves and asks again; a timer asks again at the
dashboard's own refresh (else promdash's interval), never while the last poll runs.

Keys: arrows move between panels by where they stand, Tab in layout order; Enter or f
draws the focused panel full screen, Escape comes back (then leaves); Enter on a row
opens or closes it; t / T step through the time ranges; r asks again now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region
from textual.markup import escape
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option as ListOption
from textual.worker import Worker

from promdash.errors import DashboardError, PromdashError
from promdash.grafana.layout import Layout, layout
from promdash.grafana.model import ALL, Dashboard, GridPos, Panel, Row, Target, Variable
from promdash.grafana.variables import (
    by_name,
    expand_target,
    interpolate,
    load_checked,
    parse_interval,
    resolve_each,
    time_range,
)
from promdash.tui.widgets.grafana import (
    Answer,
    GrafanaPanel,
    PanelData,
    RowHeader,
    RowToggled,
    TextPanel,
    VariableButton,
    VariableChosen,
    make_panel,
)

if TYPE_CHECKING:
    from promdash.prom.client import PromClient

PRESETS = ("now-15m", "now-1h", "now-6h", "now-24h", "now-7d")
PARALLEL = 8  # queries in flight at once
# Grafana's own pseudo datasources: annotations and panels' data, not a server's.
_NOT_A_SERVER = ("-- Grafana --", "-- Dashboard --", "grafana", "datasource")


def time_presets(start: str) -> list[str]:
    """The ranges t steps through: the dashboard's own first, then the presets."""
    return [start, *(p for p in PRESETS if p != start)]


def range_text(start: str, end: str) -> str:
    if end == "now" and start.startswith("now-"):
        return f"last {start[4:]}"
    return f"{start} to {end}"


def reflow(
    items: Sequence[Panel | Row], opened: Mapping[int, bool]
) -> list[tuple[int, Panel | Row]]:
    """What is shown, each with its index in `items` (the dashboard's layout), rows at
    their own line and an open row's panels right under it: opening or closing a row
    moves what is below it, as in Grafana."""
    shown: list[tuple[int, Panel | Row]] = []
    bottom = 0
    for index, item in enumerate(items):
        if not isinstance(item, Row):
            shown.append((index, item))
            bottom = max(bottom, item.grid.y + item.grid.h)
            continue
        row_y = bottom
        shown.append((index, replace(item, grid=replace(item.grid, y=row_y, h=1))))
        bottom = row_y + 1
        if opened.get(index, not item.collapsed) and item.panels:
            top = min(p.grid.y for p in item.panels)
            for k, panel in enumerate(item.panels):
                grid = panel.grid
                moved = replace(
                    panel, grid=GridPos(grid.x, grid.y - top + row_y + 1, grid.w, grid.h)
                )
                shown.append((_nested(index, k), moved))
                bottom = max(bottom, moved.grid.y + grid.h)
    return shown


def _nested(row: int, k: int) -> int:
    """The widget index of a row's k-th panel: after every top-level index."""
    return 10_000 * (row + 1) + k


def _not_prometheus(panel: Panel, target: Target) -> str:
    source = target.datasource or panel.datasource
    if source is None:
        return ""
    if source.type and "$" not in source.type and source.type != "prometheus":
        return "" if source.uid == "-- Mixed --" else f"datasource {source.type}, not Prometheus"
    if source.name in _NOT_A_SERVER or source.uid in _NOT_A_SERVER:
        return f"datasource {source.name or source.uid}, not Prometheus"
    return ""


class VariablePicker(ModalScreen[tuple[str, ...] | None]):
    """A variable's values: Enter picks one (or, for a multi-value variable, confirms
    those ticked with Space); Escape changes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="grafana.picker.cancel"),
        Binding("enter", "confirm", "Choose", priority=True, id="grafana.picker.confirm"),
    ]
    DEFAULT_CSS = """
    VariablePicker { align: center middle; }
    VariablePicker > Vertical { width: 60; max-width: 90%; height: auto; max-height: 80%;
                                padding: 0 1; background: $surface; border: thick $primary; }
    VariablePicker OptionList, VariablePicker SelectionList { height: auto; max-height: 20; }
    """

    def __init__(self, variable: Variable) -> None:
        super().__init__()
        self.variable = variable

    def compose(self) -> ComposeResult:
        v = self.variable
        with Vertical():
            how = "Space ticks, Enter confirms" if v.multi else "Enter picks"
            yield Label(f"{escape(v.label or v.name)}: {how}, Esc cancels")
            if v.multi:
                yield SelectionList[str](
                    *[(escape(o.text), o.value, o.value in v.current_value) for o in v.options]
                )
            else:
                yield OptionList(*[ListOption(escape(o.text), id=o.value) for o in v.options])

    def on_mount(self) -> None:
        if self.variable.multi:
            choices = self.query_one(SelectionList)
            choices.highlighted = 0
            choices.focus()
            return
        options = self.query_one(OptionList)
        values = [o.value for o in self.variable.options]
        current = self.variable.current_value
        options.highlighted = values.index(current[0]) if current and current[0] in values else 0
        options.focus()

    def action_confirm(self) -> None:
        if self.variable.multi:
            chosen: tuple[str, ...] = tuple(self.query_one(SelectionList).selected)
            self.dismiss(chosen or None)
            return
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.dismiss(None)
            return
        picked = options.get_option_at_index(options.highlighted).id
        self.dismiss((picked,) if picked is not None else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def choose(variable: Variable, values: Sequence[str]) -> Variable:
    """`variable` with `values` selected, as Grafana's picker does: ticking a value while
    All is ticked means that value (All goes), ticking All means All alone; nothing
    ticked keeps what was selected."""
    by_value = {o.value: o for o in variable.options}
    kept = [v for v in values if v in by_value] or list(variable.current_value)
    if ALL in kept and len(kept) > 1:
        kept = [v for v in kept if v != ALL] if variable.is_all else [ALL]
    return replace(
        variable,
        current_value=tuple(kept),
        current_text=tuple(by_value[v].text if v in by_value else v for v in kept),
        options=tuple(replace(o, selected=o.value in kept) for o in variable.options),
    )


class Board(VerticalScroll, inherit_bindings=False):
    """The panels' scrolling area. Its arrows are the screen's (from panel to panel),
    which scrolls it to the panel focused; the mouse wheel still scrolls it."""


class GrafanaScreen(Screen[None]):
    """One Grafana dashboard drawn live (see the module's docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="grafana.back",
                tooltip="Leave full screen, else go back to where you were"),
        Binding("enter,f", "full_screen", "Full screen", id="grafana.full",
                tooltip="Draw the focused panel over the whole screen"),
        Binding("up", "move(0, -1)", "Up", show=False, id="grafana.up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="grafana.down"),
        Binding("left", "move(-1, 0)", "Left", show=False, id="grafana.left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="grafana.right"),
        Binding("t", "time(1)", "Time range", id="grafana.time",
                tooltip="The next time range: the dashboard's own, 15m, 1h, 6h, 24h, 7d"),
        Binding("T", "time(-1)", "Previous range", show=False, id="grafana.time_back"),
        Binding("v", "variables", "Variables", id="grafana.variables",
                tooltip="Focus the variables bar (Enter on one changes it)"),
        Binding("r", "refresh", "Refresh", id="grafana.refresh", tooltip="Ask again now"),
    ]  # fmt: skip
    DEFAULT_CSS = """
    GrafanaScreen #grafana-title { height: 1; background: $panel; padding: 0 1; }
    GrafanaScreen #grafana-variables { height: auto; max-height: 3; padding: 0 1; }
    GrafanaScreen #grafana-board { height: 1fr; scrollbar-size-vertical: 1; }
    GrafanaScreen #grafana-grid { height: auto; width: 1fr; }
    """

    def __init__(self, dashboard: Dashboard, client: PromClient, *, interval: float = 15.0) -> None:
        super().__init__()
        self.dashboard = dashboard
        self.client = client
        self.variables: list[Variable] = list(dashboard.variables)
        self.problems: dict[str, str] = {}
        self.presets = time_presets(dashboard.time_from)
        self.time_from, self.time_to = dashboard.time_from, dashboard.time_to
        try:
            self.every = parse_interval(dashboard.refresh) if dashboard.refresh else interval
        except ValueError:
            self.every = interval
        self.every = max(self.every, 1.0)
        self.opened: dict[int, bool] = {}
        self.shown: list[tuple[int, Panel | Row]] = []
        self.placed: Layout | None = None
        self.widgets: dict[int, GrafanaPanel | RowHeader] = {}
        self.resolved = False
        self.refreshed = ""
        self.polls = 0  # polls finished (tests wait on it)
        self._worker: Worker[None] | None = None
        self._asked: set[int] = set()  # panels asked since the last change

    # ------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        yield Static(id="grafana-title")
        with Horizontal(id="grafana-variables"):
            for variable in self.dashboard.variables:
                if variable.hide != 2:
                    yield VariableButton(variable)
        with Board(id="grafana-board"), Widget(id="grafana-grid"):
            for index, item in enumerate(self.dashboard.layout):
                yield self._widget(index, item)
                if isinstance(item, Row):
                    for k, panel in enumerate(item.panels):
                        yield self._widget(_nested(index, k), panel)
        yield Footer()

    def _widget(self, index: int, item: Panel | Row) -> GrafanaPanel | RowHeader:
        widget = make_panel(item, index)
        self.widgets[index] = widget
        return widget

    def on_mount(self) -> None:
        self._title()
        self.query_one("#grafana-variables").display = any(
            v.hide != 2 for v in self.dashboard.variables
        )
        board = self.query_one("#grafana-board", Board)
        self.watch(board, "scroll_y", self._scrolled, init=False)
        self.set_interval(self.every, self._tick)
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        self.relayout()
        focusable = [w for i, w in self.widgets.items() if w.display]
        if focusable:
            focusable[0].focus()
        self.poll(resolve_variables=True)

    def on_resize(self) -> None:
        self.relayout()

    def relayout(self) -> None:
        board = self.query_one("#grafana-board", Board)
        width, height = board.size
        if width <= 0 or height <= 0:
            return
        width -= 1  # the scrollbar's column
        self.shown = reflow(self.dashboard.layout, self.opened)
        self.placed = layout([item for _, item in self.shown], width, height)
        visible = {index for index, _ in self.shown}
        for index, widget in self.widgets.items():
            widget.display = index in visible
        for (index, _), rect in zip(self.shown, self.placed.rects, strict=True):
            widget = self.widgets[index]
            widget.styles.offset = (rect.x, rect.y)
            widget.styles.width = rect.width
            widget.styles.height = rect.height
        self.query_one("#grafana-grid").styles.height = self.placed.height

    def _title(self) -> None:
        text = f"{self.dashboard.title}  ·  {range_text(self.time_from, self.time_to)}"
        text += f"  ·  every {self.every:g}s"
        if self.refreshed:
            text += f"  ·  refreshed {self.refreshed}"
        self.query_one("#grafana-title", Static).update(escape(text))

    # ------------------------------------------------------------ polling

    def _tick(self) -> None:
        if self._worker is not None and self._worker.is_running:
            return  # the next poll starts after the last one ends
        if self.app.screen is not self and not isinstance(self.app.screen, VariablePicker):
            return
        self.poll(resolve_variables=any(v.refresh == 2 for v in self.variables))

    def _scrolled(self, _: float) -> None:
        if self.resolved and (self._worker is None or not self._worker.is_running):
            wanted = [i for i in self.on_screen() if i not in self._asked]
            if wanted:
                self.poll(only=wanted)

    def poll(self, *, resolve_variables: bool = False, only: Sequence[int] | None = None) -> None:
        self._worker = self._fetch(resolve_variables or not self.resolved, only)

    def on_screen(self) -> list[int]:
        """Panels (not rows) on the screen now: the focused one when it is full screen."""
        if self.maximized is not None and isinstance(self.maximized, GrafanaPanel):
            return [self.maximized.index]
        if self.placed is None:
            return []
        board = self.query_one("#grafana-board", Board)
        top, bottom = board.scroll_y, board.scroll_y + board.size.height
        return [
            index
            for (index, item), rect in zip(self.shown, self.placed.rects, strict=True)
            if not isinstance(item, Row) and rect.y < bottom and rect.y + rect.height > top
        ]

    @work(exclusive=True, group="grafana")
    async def _fetch(self, resolve_variables: bool, only: Sequence[int] | None) -> None:
        start, end = time_range(self.time_from, self.time_to)
        if resolve_variables:
            await self._resolve(start, end)
            self._asked.clear()
        variables = by_name(self.variables)
        items = dict(self.shown)
        wanted = [i for i in (only if only is not None else self.on_screen()) if i in items]
        gate = asyncio.Semaphore(PARALLEL)
        theme = self.app.theme_variables

        async def one(index: int) -> None:
            panel = items[index]
            assert isinstance(panel, Panel)
            widget = self.widgets[index]
            assert isinstance(widget, GrafanaPanel)
            if isinstance(widget, TextPanel):
                widget.set_content(interpolate(panel.content, variables))
                return
            try:
                data = await self._panel_data(panel, widget, variables, start, end, gate)
            except Exception as exc:  # a panel's JSON no query can be made of: that panel says so
                data = PanelData(problem=f"error: {exc}")
            widget.show(data, theme)

        self._asked.update(wanted)
        await asyncio.gather(*(one(i) for i in wanted))
        if self not in self.app.screen_stack:
            return  # closed meanwhile: its title is gone (Escape during a poll crashed the app)
        self.refreshed = time.strftime("%H:%M:%S")
        self.polls += 1
        self._title()

    async def _panel_data(
        self,
        panel: Panel,
        widget: GrafanaPanel,
        variables: Mapping[str, Variable],
        start: float,
        end: float,
        gate: asyncio.Semaphore,
    ) -> PanelData:
        used = set().union(*(_names(t.expr) for t in panel.targets)) if panel.targets else set()
        failed = sorted(used & self.problems.keys())
        if failed:
            return PanelData(problem="not asked: it uses " + ", ".join(f"${n}" for n in failed))
        columns = max(widget.size.width - 8, 10) if widget.size.width else 100
        answers: list[Answer] = []
        step_used = 0.0
        for target in panel.targets:
            if target.hide or not target.expr.strip():
                continue
            why = _not_prometheus(panel, target)
            if why:
                answers.append(Answer(target, target.expr, error=why))
                continue
            expr, step = expand_target(
                panel, target, variables, start=start, end=end, max_data_points=columns
            )
            step_used = step_used or step
            instant = target.instant and not target.range
            async with gate:
                try:
                    if instant:
                        result = await self.client.query(expr, end)
                    else:
                        result = await self.client.query_range(expr, start, end, step)
                except PromdashError as exc:
                    answers.append(Answer(target, expr, error=str(exc)))
                    continue
            answers.append(Answer(target, expr, result))
        return PanelData(tuple(answers), start, end, step_used or 1.0, variables=variables)

    async def _resolve(self, start: float, end: float) -> None:
        """Each variable after those it uses, keeping the user's selections; one the
        server refuses keeps its selection, and those using it are not asked."""
        found = await resolve_each(
            self.variables, self.client, start=start, end=end,
            dashboard=self.dashboard.source,
            errors=(PromdashError, ValueError),  # ValueError: a query it cannot read
        )  # fmt: skip
        self.variables = found.variables
        problems = self.problems = found.problems
        self.resolved = True
        for v in self.variables:
            for button in self.query(VariableButton):
                if button.variable.name == v.name:
                    button.set_variable(v, problems.get(v.name, ""))

    # ------------------------------------------------------------ keys

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
            self.relayout()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_full_screen(self) -> None:
        widget = self.focused
        if isinstance(widget, GrafanaPanel) and self.maximized is None:
            # The grid's place is in the panel's own styles, over the maximized CSS.
            widget.styles.offset = (0, 0)
            widget.styles.width = "100%"
            widget.styles.height = "100%"
            self.maximize(widget, container=False)
            self.poll(only=[widget.index])

    def action_move(self, dx: int, dy: int) -> None:
        if self.maximized is not None or self.placed is None:
            return
        rects = {
            index: rect for (index, _), rect in zip(self.shown, self.placed.rects, strict=True)
        }
        focused = self.focused
        here = getattr(focused, "index", None)
        if here not in rects:
            first = next(iter(rects), None)
            if first is not None:
                self.widgets[first].focus()
            return
        r = rects[here]
        # The nearest panel that way: by the gap to it, then by how far it stands aside
        # (0 when they share columns or lines), then by their centres.
        best: tuple[tuple[int, int, float], int] | None = None
        for index, o in rects.items():
            if index == here:
                continue
            if dx:
                gap = o.x - (r.x + r.width) if dx > 0 else r.x - (o.x + o.width)
                aside = max(o.y - (r.y + r.height), r.y - (o.y + o.height), 0)
                centres = abs((o.y + o.height / 2) - (r.y + r.height / 2))
            else:
                gap = o.y - (r.y + r.height) if dy > 0 else r.y - (o.y + o.height)
                aside = max(o.x - (r.x + r.width), r.x - (o.x + o.width), 0)
                centres = abs((o.x + o.width / 2) - (r.x + r.width / 2))
            if gap < 0:
                continue
            score = (gap + 2 * aside, aside, centres)
            if best is None or score < best[0]:
                best = (score, index)
        if best is not None:
            self.widgets[best[1]].focus()

    @on(events.DescendantFocus)
    def _focused(self, event: events.DescendantFocus) -> None:
        """Panels stand where the grid puts them (offsets), which textual's own scrolling
        to a focused widget does not see: the board scrolls to the panel's place."""
        index = getattr(event.widget, "index", None)
        if self.placed is None or index is None:
            return
        for (shown, _), rect in zip(self.shown, self.placed.rects, strict=True):
            if shown == index:
                board = self.query_one("#grafana-board", Board)
                # After textual's own scrolling to the widget's place before the offset.
                self.call_after_refresh(
                    board.scroll_to_region,
                    Region(rect.x, rect.y, rect.width, rect.height),
                    animate=False,
                )
                return

    def action_time(self, direction: int) -> None:
        presets = self.presets
        now = presets.index(self.time_from) if self.time_from in presets else 0
        self.time_from = presets[(now + direction) % len(presets)]
        self.time_to = self.dashboard.time_to if self.time_from == presets[0] else "now"
        self._title()
        self.poll(resolve_variables=True)

    def action_variables(self) -> None:
        buttons = list(self.query(VariableButton))
        if buttons:
            buttons[0].focus()

    def action_refresh(self) -> None:
        self.poll()

    @on(RowToggled)
    def _row_toggled(self, message: RowToggled) -> None:
        message.stop()
        item = self.dashboard.layout[message.index]
        assert isinstance(item, Row)
        header = self.widgets[message.index]
        assert isinstance(header, RowHeader)
        header.collapsed = not header.collapsed
        self.opened[message.index] = not header.collapsed
        header.refresh()
        self.relayout()
        if not header.collapsed:
            self.call_after_refresh(lambda: self.poll(only=[
                _nested(message.index, k) for k in range(len(item.panels))
            ]))  # fmt: skip

    @on(VariableChosen)
    def _variable_chosen(self, message: VariableChosen) -> None:
        message.stop()
        variable = next((v for v in self.variables if v.name == message.name), None)
        if variable is None or not variable.options:
            return

        def picked(values: tuple[str, ...] | None) -> None:
            if values is None:
                return
            self.variables = [
                choose(v, values) if v.name == message.name else v for v in self.variables
            ]
            for button in self.query(VariableButton):
                if button.variable.name == message.name:
                    button.set_variable(choose(variable, values))
            self.poll(resolve_variables=True)

        self.app.push_screen(VariablePicker(variable), picked)


def _names(text: str) -> set[str]:
    from promdash.grafana.variables import references

    return references(text)


def load_screen(path: str | Path, client: PromClient, *, interval: float = 15.0) -> GrafanaScreen:
    """The screen for a dashboard file; `DashboardError` (one line) when it cannot be used."""
    return GrafanaScreen(load_checked(path), client, interval=interval)


class DashboardsScreen(ModalScreen[None]):
    """Grafana dashboards found (the stack's provisioned ones, those given): Enter opens
    one; a file that cannot be used says why here and the list stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="grafana.list.close"),
    ]
    DEFAULT_CSS = """
    DashboardsScreen { align: center middle; }
    DashboardsScreen > Vertical { width: 80; max-width: 95%; height: auto; max-height: 80%;
                                  padding: 0 1; background: $surface; border: thick $primary; }
    DashboardsScreen OptionList { height: auto; max-height: 20; }
    DashboardsScreen #grafana-list-problem { color: $error; height: auto; }
    """

    def __init__(
        self, files: Sequence[Path], client: PromClient, *, interval: float = 15.0
    ) -> None:
        super().__init__()
        self.files = list(files)
        self.client = client
        self.interval = interval

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Grafana dashboards: Enter opens one, Esc closes")
            yield OptionList(
                *[ListOption(escape(_listed(f)), id=str(i)) for i, f in enumerate(self.files)]
            )
            yield Static("", id="grafana-list-problem")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if not self.files:
            self.query_one("#grafana-list-problem", Static).update(
                "No dashboards found: give one with --dashboard FILE."
            )

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        path = self.files[int(event.option.id or 0)]
        try:
            screen = load_screen(path, self.client, interval=self.interval)
        except DashboardError as exc:
            self.query_one("#grafana-list-problem", Static).update(escape(str(exc)))
            return
        self.dismiss(None)
        self.app.push_screen(screen)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _listed(path: Path) -> str:
    import json

    try:
        title = json.loads(path.read_text(encoding="utf-8")).get("title", "")
    except (OSError, ValueError, AttributeError):
        title = ""
    return f"{title}  ({path.name})" if title else path.name
