"""Graph tabs against the real demo stack: moving between them, their numbers, quitting."""

from __future__ import annotations

import gc
import io
import warnings

import pytest
from rich.console import Console

from promdash.tui.screens.help import HelpScreen
from tests.conftest import RunningStack
from tests.tui.helpers import dash, wait_for
from tests.tui.test_narrow import wait_on_screen

pytestmark = pytest.mark.prometheus

QUERIES = ("up", "up + 1", "up + 2")


async def test_brackets_move_between_graph_tabs_and_numbers_are_reused(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url, panel="graph", queries=QUERIES)
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.dashboard.graph

        def shown() -> str:
            view = graph.active_view()
            return view.expr if view is not None and view.plot.has_focus else ""

        await wait_for(pilot, lambda: shown() == "up", what="the first graph, focused")
        await wait_on_screen(pilot, app, "[ ] Tabs", line=-1)  # the footer says so
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: shown() == "up + 1", what="the second graph")
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: shown() == "up", what="round to the first graph")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: shown() == "up + 2", what="back round to the last")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: shown() == "up + 1")

        # Tab 2 closed, the next new graph is 2 again, and sits between 1 and 3.
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: len(graph.views()) == 2, what="tab 2 closed")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: len(graph.views()) == 3, what="a new graph")
        await wait_on_screen(pilot, app, "1: up  2: new graph  3: up + 2")
        await pilot.press("escape")  # out of the new graph's query input
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: shown() == "up + 2", what="tab 3 after the new tab 2")

        # The help lists both keys.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.keys_table())
        lines = console.export_text().splitlines()
        assert any(line.lstrip().startswith("[ ") and "Previous graph" in line for line in lines)
        assert any(line.lstrip().startswith("] ") and "Next graph" in line for line in lines)


async def test_quitting_after_superseded_graph_fetches_leaves_no_coroutine_unawaited(
    local_stack: RunningStack,
) -> None:
    """A fetch superseded before its worker started is dropped, never left half-made.

    An exclusive worker cancelled before its first step never runs its work: given a
    coroutine object instead of a function, that coroutine is never awaited, and
    Python says so on the way out ("RuntimeWarning: coroutine ... was never awaited").
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await _supersede_fetches_and_quit(local_stack.url)
        gc.collect()  # an unawaited coroutine is reported when it is collected
    unawaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert not unawaited


async def _supersede_fetches_and_quit(url: str) -> None:
    app = dash(url, panel="graph", queries=tuple(f"up + {i}" for i in range(8)))
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.dashboard.graph
        await wait_for(pilot, lambda: app.started and len(graph.views()) == 8)
        for view in graph.views():
            wanted = view.wanted()
            assert wanted is not None
            # Two requests in one go (a range changed twice, a tab shown while its
            # query changes): the second supersedes the first before it starts.
            app.poller.fetch_graph(wanted)
            app.poller.fetch_graph(wanted)
        await pilot.press("q")
