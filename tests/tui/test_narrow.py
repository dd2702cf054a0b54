"""The dashboard at the sizes people use (80x24 first), against the real demo stack.

Each test reads the screen as the terminal shows it: what is cut off the edge of a
line is not there for the user, whatever the widget holds.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Label

from promdash.tui.app import PromdashApp
from promdash.tui.screens.range import RangeScreen
from tests.conftest import RunningStack
from tests.tui.helpers import dash, refreshed, text_of, wait_for

pytestmark = pytest.mark.prometheus


def screen_lines(app: PromdashApp) -> list[str]:
    """The lines the terminal shows now (dialogs over the dashboard included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def wait_on_screen(
    pilot: Pilot[Any], app: PromdashApp, wanted: str, *, line: int | None = None
) -> None:
    """Wait until `wanted` shows on the screen (on line `line` only, if given)."""

    def shown() -> bool:
        lines = screen_lines(app)
        return wanted in (lines[line] if line is not None else "\n".join(lines))

    await wait_for(pilot, shown, what=f"{wanted!r} on the screen")


async def _all_up(pilot: Pilot[Any], app: PromdashApp, stack: RunningStack) -> None:
    targets = app.dashboard.targets

    def up() -> bool:
        shown = targets.targets
        return (
            shown is not None
            and len(shown.active) == 4
            and all(t.health == "up" for t in shown.active)
        )

    await wait_for(pilot, up, timeout=45, what="every target up")


async def test_targets_at_80_columns_show_each_exporters_port_and_group(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await _all_up(pilot, app, local_stack)
        for exporter in local_stack.stack.exporters.instances:
            # The port tells the exporters apart; the group label, which one is the canary.
            await wait_on_screen(pilot, app, f"127.0.0.1:{exporter.port}")
            row = next(line for line in screen_lines(app) if f"127.0.0.1:{exporter.port}" in line)
            assert f'group="{exporter.group}"' in row
            assert " up " in row


async def test_header_at_80_columns_keeps_the_refresh_time(local_stack: RunningStack) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: refreshed(app), what="a first answer")
        await wait_on_screen(pilot, app, f"refreshed {refreshed(app)}", line=0)
        header = screen_lines(app)[0]
        assert local_stack.url in header and "connected" in header
        # Paused, the header says so and still when the data is from.
        await pilot.press("p")
        await wait_on_screen(pilot, app, "PAUSED", line=0)
        assert f"refreshed {refreshed(app)}" in screen_lines(app)[0]


@pytest.mark.parametrize(
    ("size", "panel"),
    [((80, 24), "targets"), ((80, 24), "alerts"), ((80, 24), "graph"), ((120, 40), "graph")],
)
async def test_footer_always_shows_help_and_quit(
    local_stack: RunningStack, size: tuple[int, int], panel: str
) -> None:
    app = dash(local_stack.url, panel=panel, queries=("up",))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: refreshed(app), what="a first answer")
        if panel == "graph":
            view = app.dashboard.graph.active_view()
            assert view is not None
            await wait_for(pilot, lambda: view.plot.has_focus, what="the plot focused")
        await wait_on_screen(pilot, app, "? Help", line=-1)
        await wait_on_screen(pilot, app, "q Quit", line=-1)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_custom_range_prompt_is_whole_on_screen(
    local_stack: RunningStack, size: tuple[int, int]
) -> None:
    app = dash(local_stack.url, panel="graph", queries=("up",))
    async with app.run_test(size=size) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await wait_for(pilot, lambda: view.plot.has_focus, what="the plot focused")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, RangeScreen), what="the prompt")
        texts = [str(label.render()) for label in app.screen.query(Label)]
        assert texts
        for text in texts:
            await wait_on_screen(pilot, app, text)
        await pilot.press("escape")
        assert not isinstance(app.screen, RangeScreen)


async def test_timeline_says_what_came_above_a_scrolled_view_and_keeps_it(
    local_stack: RunningStack,
) -> None:
    # InstanceDown has `for: 5s` in the test stack; a 1s refresh sees each change.
    app = dash(local_stack.url, panel="alerts", refresh=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        alerts = app.dashboard.alerts
        box = alerts.query_one("#alerts-timeline-box", VerticalScroll)

        def box_lines() -> list[str]:
            region = box.region
            return [line[region.x : region.right] for line in screen_lines(app)][
                region.y : region.bottom
            ]

        def drawn() -> int:
            """How many changes the timeline shows (one line of text each, maybe wrapped)."""
            return text_of(alerts.query_one("#alerts-timeline")).count("\n")

        await wait_for(pilot, lambda: alerts.groups is not None, what="the rules")
        with local_stack.stopped("random-1"), local_stack.stopped("random-2"):
            # Two alerts pending, then firing: more lines than the timeline's box shows.
            await wait_for(
                pilot,
                lambda: (
                    sum(
                        c.rule == "InstanceDown" and c.new == "firing"
                        for c in alerts.tracker.timeline
                    )
                    >= 2
                ),
                timeout=60,
                what="two InstanceDown alerts firing",
            )
            await wait_for(pilot, lambda: box.max_scroll_y > 0, what="a timeline to scroll")
            await pilot.click("#alerts-timeline-box")
            await pilot.press("end")
            await wait_for(pilot, lambda: box.scroll_y > 0, what="the timeline scrolled down")
            read = box_lines()
            assert "new above" not in read[0]
        # The exporters are back: their alerts end while the user reads further down.
        await wait_for(
            pilot,
            lambda: "new above" in box_lines()[0],
            timeout=60,
            what="the notice of new changes",
        )
        found = re.search(r"(\d+) new above", box_lines()[0])
        assert found is not None
        new = int(found.group(1))
        assert new >= 1 and drawn() == len(alerts.tracker.timeline) - new
        assert box_lines()[1:] == read[1:]  # the lines being read did not move
        # Back at the top, every change shows and the notice goes.
        await pilot.press("home")
        await wait_for(pilot, lambda: "new above" not in box_lines()[0], what="the notice gone")
        assert drawn() == len(alerts.tracker.timeline)
        assert "→ inactive" in "\n".join(box_lines())
