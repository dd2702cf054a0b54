"""Every theme the dashboard offers keeps health, alert state and plot lines readable.

The dashboard runs against a real Prometheus and switches to each theme that `t` and
the command palette offer (`App.available_themes`: textual's own and promdash's), as
a user does. Colours come from the running app: the theme variables through
`rich_colour`, as the panels read them, and the backgrounds its widgets really draw
(the table, its cursor row focused or not, the header, the plot, a changed alert's
row). Contrast is WCAG's: text at least 4.5:1, plot lines at least 3:1.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.style import Style
from textual.color import Color
from textual.widget import Widget

from promdash.tui.app import PromdashApp
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.plotview import PlotView
from promdash.tui.widgets.table import KeyedTable
from promdash.tui.widgets.targets import FilterInput
from tests.conftest import RunningStack
from tests.tui.helpers import SIZE, dash, rows_matching, wait_for

pytestmark = pytest.mark.prometheus

TEXT = 4.5
LINE = 3.0
STATUS = (
    "health-up",
    "health-down",
    "health-unknown",
    "alert-inactive",
    "alert-pending",
    "alert-firing",
)
PLOT_LINES = tuple(f"plot-{i}" for i in range(1, 11))


def contrast(a: Color, b: Color) -> float:
    """WCAG 2's contrast ratio of two opaque colours, 1 to 21."""

    def luminance(c: Color) -> float:
        def linear(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b)

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _terminal(app: PromdashApp) -> Color:
    """An ANSI theme draws on the terminal's own background: the one its `dark` says."""
    return Color(0, 0, 0) if app.current_theme.dark else Color(255, 255, 255)


def _colour(rich: RichColor | None, app: PromdashApp) -> Color:
    if rich is None or rich.is_default:
        return _terminal(app)
    return Color.from_rich_color(rich, ansi=False)  # an ANSI colour as textual's RGB for it


def _background(style: Style, app: PromdashApp) -> Color:
    return _colour(style.bgcolor, app)


def _variable(app: PromdashApp, name: str) -> Color:
    return Color.parse(rich_colour(app.theme_variables, name))


async def _switch(pilot: Any, app: PromdashApp, theme: str, focus: Widget) -> None:
    app.theme = theme
    focus.focus()
    await pilot.pause()
    await pilot.pause()


async def _targets_shown(pilot: Any, app: PromdashApp, stack: RunningStack) -> KeyedTable:
    table = app.dashboard.targets.table
    up = f"{len(stack.stack.exporters.instances)}/{len(stack.stack.exporters.instances)} up"
    await wait_for(pilot, lambda: rows_matching(table, up), timeout=45, what=f"a pool {up}")
    return table


async def test_status_and_plot_colours_are_readable_in_every_theme(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url)
    problems: list[str] = []
    worst: dict[str, tuple[float, str]] = {}

    def check(theme: str, what: str, ratio: float, need: float) -> None:
        if ratio < need:
            problems.append(f"{theme}: {what} {ratio:.2f}:1 (needs {need:g})")
        kind = "text" if need == TEXT else "line"
        if ratio < worst.get(kind, (99.0, ""))[0]:
            worst[kind] = (ratio, f"{theme}: {what}")

    async with app.run_test(size=SIZE) as pilot:
        table = await _targets_shown(pilot, app, local_stack)
        status_bar = app.dashboard.status
        plot = app.dashboard.query(PlotView).first()
        other = app.dashboard.query_one(FilterInput)
        for theme in sorted(app.available_themes):
            await _switch(pilot, app, theme, other)
            cursor = table.get_component_rich_style("keyed-table--cursor")
            await _switch(pilot, app, theme, table)
            cursor_focus = table.get_component_rich_style("keyed-table--cursor")
            text_on = {
                "table": _background(table.rich_style, app),
                "cursor row": _background(cursor, app),
                "focused cursor row": _background(cursor_focus, app),
                "header": _background(status_bar.rich_style, app),
                "changed alert row": _variable(app, "changed-background"),
            }
            plot_on = _background(plot.rich_style, app)
            for name in STATUS:
                for where, background in text_on.items():
                    ratio = contrast(_variable(app, name), background)
                    check(theme, f"{name} on the {where}", ratio, TEXT)
            check(theme, "plot axes", contrast(_variable(app, "plot-axes"), plot_on), TEXT)
            for name in PLOT_LINES:
                check(theme, name, contrast(_variable(app, name), plot_on), LINE)
            # What the focused cursor row really draws ("3/3 up" on the pool row).
            line = table.render_line(table.cursor_row - int(table.scroll_y) + 1)
            status_colours = {_variable(app, name) for name in STATUS}
            drawn = 0
            for segment in line:
                if segment.style and segment.text.strip():
                    fg = _colour(segment.style.color, app)
                    if fg in status_colours:
                        ratio = contrast(fg, _background(segment.style, app))
                        check(theme, f"{segment.text.strip()!r} on the cursor row", ratio, TEXT)
                        drawn += 1
            assert drawn, f"{theme}: no health shown on the cursor row: {line.text!r}"
    print("worst:", worst)
    assert not problems, "\n".join(problems)


async def test_high_contrast_filter_placeholder_is_readable(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, theme="promdash-high-contrast")
    async with app.run_test(size=SIZE) as pilot:
        table = await _targets_shown(pilot, app, local_stack)
        field = app.dashboard.query_one(FilterInput)
        assert field.value == "" and field.placeholder
        for focus in (table, field):
            await _switch(pilot, app, "promdash-high-contrast", focus)
            style = field.get_component_rich_style("input--placeholder")
            ratio = contrast(_colour(style.color, app), _background(style, app))
            assert ratio >= TEXT, f"placeholder {ratio:.2f}:1 (focused: {focus is field})"
