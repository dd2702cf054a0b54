"""The overview against the real demo stack: what it shows at several sizes, resizing,
drilling down into a full panel and back, and changing its graphs.

Every test drives the app as a person would (keys, Enter, a resized terminal) and
reads what the screen shows.
"""

from __future__ import annotations

from typing import Any

import pytest

from promdash.stack.model import parse_stack
from promdash.tui.app import PromdashApp
from promdash.tui.screens.query import QueryScreen
from promdash.tui.widgets.overview import MiniGraph
from promdash.tui.widgets.table import KeyedTable
from tests.conftest import RunningStack
from tests.tui.helpers import dash, polls_go_on, row_text, type_text, wait_for

pytestmark = pytest.mark.prometheus


def _demo_graphs(stack: RunningStack) -> tuple[tuple[str, str], ...]:
    """The graphs of the stack file's `dashboard:` section, as the CLI hands them over."""
    stack_model = parse_stack(stack.stack_file.read_text(), stack.stack_file)
    return tuple((g.title, g.query) for g in stack_model.dashboard.graphs)


def _overview(stack: RunningStack, **settings: Any) -> PromdashApp:
    settings.setdefault("overview_graphs", _demo_graphs(stack))
    settings.setdefault("layout", "auto")
    return dash(stack.url, refresh=1.0, **settings)


def _table(app: PromdashApp, which: str) -> KeyedTable:
    return app.dashboard.overview.query_one(f"#overview-{which}", KeyedTable)


def _shown_rows(table: KeyedTable) -> list[str]:
    return [row_text(table, key) for key in table.row_keys]


def _everything_up(app: PromdashApp, stack: RunningStack) -> bool:
    rows = "\n".join(_shown_rows(_table(app, "targets")))
    ports = [e.port for e in stack.stack.exporters.instances]
    return "3/3 up" in rows and all(f"✔ 127.0.0.1:{port}" in rows for port in ports)


def _graphs_drawn(app: PromdashApp) -> bool:
    minis = app.dashboard.overview.minis()
    return bool(minis) and all(m.plot.has_data and m.plot.draws > 0 for m in minis)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_the_overview_shows_targets_graphs_and_alerts_at_once(
    local_stack: RunningStack, size: tuple[int, int]
) -> None:
    app = _overview(local_stack, layout="overview")
    async with app.run_test(size=size) as pilot:
        assert app.dashboard.active == "overview"
        await wait_for(pilot, lambda: _everything_up(app, local_stack), what="every target up")
        await wait_for(pilot, lambda: _graphs_drawn(app), what="the graphs drawn")
        alerts = _table(app, "alerts")
        await wait_for(pilot, lambda: alerts.row_keys, what="the alerts")
        rows = "\n".join(_shown_rows(alerts))
        # The demo's three rules: each is listed (firing or pending) or counted (inactive).
        assert "inactive rule" in rows or "RPCLatencyHigh" in rows, rows
        # Each graph is on screen, with its plot's axis drawn.
        for mini in app.dashboard.overview.minis():
            assert mini.region.width > 0 and mini.region.height > 0
            assert "┤" in str(mini.plot.render())


async def test_at_120x40_the_label_telling_targets_apart_is_whole(
    local_stack: RunningStack,
) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.dashboard.active == "overview"  # auto: the terminal has room for it
        await wait_for(pilot, lambda: _everything_up(app, local_stack), what="every target up")
        await pilot.pause(0.2)
        table = _table(app, "targets")
        columns = {c.key: c.width for c in table._columns}
        assert {"labels", "scraped", "took"} <= set(columns), columns
        for port, group in ((e.port, e.group) for e in local_stack.stack.exporters.instances):
            row = next(r for r in _shown_rows(table) if f"127.0.0.1:{port}" in r)
            assert f'group="{group}"' in row
            assert len(f'group="{group}"') <= columns["labels"]  # drawn whole, not cut


async def test_a_small_terminal_opens_on_the_targets_tab(local_stack: RunningStack) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(80, 24)):
        assert app.dashboard.active == "targets"


async def test_resizing_keeps_the_data_and_the_selected_row(local_stack: RunningStack) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _everything_up(app, local_stack), what="every target up")
        table = _table(app, "targets")
        table.focus()
        port = local_stack.stack.exporters.instances[2].port
        wanted = next(k for k in table.row_keys if f":{port}/" in k)
        table.move_cursor(row=table.row_keys.index(wanted))
        for size in ((160, 50), (100, 30), (220, 60), (80, 24), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            assert table.cursor_key == wanted, size
            assert _everything_up(app, local_stack), size
            # Every column fits the table's new width.
            assert sum(c.width + 2 for c in table._columns) <= table.size.width + 1, size
        await wait_for(pilot, lambda: _graphs_drawn(app), what="the graphs drawn again")


async def test_enter_on_a_target_opens_it_and_escape_comes_back(
    local_stack: RunningStack,
) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _everything_up(app, local_stack), what="every target up")
        table = _table(app, "targets")
        table.focus()
        port = local_stack.stack.exporters.instances[1].port
        key = next(k for k in table.row_keys if f":{port}/" in k)
        table.move_cursor(row=table.row_keys.index(key))
        await pilot.press("enter")
        screen = app.dashboard
        await wait_for(pilot, lambda: screen.active == "targets", timeout=5, what="Targets")
        await pilot.pause(0.2)
        assert screen.targets.table.cursor_key == key  # the same target, in the full panel
        assert screen.targets.table.has_focus
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert screen.active == "overview"
        assert table.has_focus and table.cursor_key == key


async def test_enter_on_an_alert_opens_it_in_the_alerts_panel(local_stack: RunningStack) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        alerts = _table(app, "alerts")
        firing_or_pending = lambda: [k for k in alerts.row_keys if k.startswith("rule|")]  # noqa: E731
        await wait_for(pilot, firing_or_pending, timeout=60, what="an alert pending or firing")
        key = firing_or_pending()[0]
        alerts.focus()
        alerts.move_cursor(row=alerts.row_keys.index(key))
        await pilot.press("enter")
        screen = app.dashboard
        await wait_for(pilot, lambda: screen.active == "alerts", timeout=5, what="Alerts")
        await pilot.pause(0.2)
        assert screen.alerts.table.cursor_key == key  # the same alert, with its detail
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.active == "overview", timeout=5, what="the overview")
        assert alerts.has_focus


async def test_enter_on_a_graph_opens_it_in_the_graph_panel(local_stack: RunningStack) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _graphs_drawn(app), what="the graphs drawn")
        mini = app.dashboard.overview.minis()[0]
        mini.plot.focus()
        await pilot.press("enter")
        screen = app.dashboard

        def graphed() -> bool:
            view = screen.graph.active_view()
            return screen.active == "graph" and view is not None and view.expr == mini.expr

        await wait_for(pilot, graphed, timeout=10, what="the graph in the Graph panel")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.active == "overview", timeout=5, what="the overview")


async def test_graphs_added_replaced_and_removed_are_remembered(
    local_stack: RunningStack, tmp_path: Any
) -> None:
    from promdash.preferences import GraphMemory

    memory = GraphMemory(local_stack.url, tmp_path / "graphs.json")
    app = _overview(local_stack, graph_memory=memory)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _graphs_drawn(app), what="the graphs drawn")
        overview = app.dashboard.overview
        # Add one.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen), what="the prompt")
        await type_text(pilot, "up")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(overview.minis()) == 3, what="a third graph")
        added = overview.minis()[-1]
        await wait_for(pilot, lambda: added.plot.has_data, what="the new graph's data")
        assert [q for _, q in memory.overview() or []][-1] == "up"
        # Replace it (the focus is on the new graph).
        assert isinstance(app.focused, type(added.plot)) and app.focused in added.walk_children()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen), what="the prompt")
        for _ in range(len("up")):
            await pilot.press("backspace")
        await type_text(pilot, "count(up)")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: [m.expr for m in overview.minis()][-1] == "count(up)",
            what="the replaced graph",
        )
        assert len(overview.minis()) == 3
        # Remove the first.
        first: MiniGraph = overview.minis()[0]
        first.plot.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: len(overview.minis()) == 2, what="a graph removed")
        remembered = [q for _, q in memory.overview() or []]
        assert remembered == [m.expr for m in overview.minis()]
        assert remembered[-1] == "count(up)" and first.expr not in remembered


@pytest.mark.parametrize("dialog", ["f1", "ctrl+p", "t"])
async def test_refreshing_goes_on_under_help_the_palette_and_the_theme_picker(
    local_stack: RunningStack, dialog: str
) -> None:
    app = _overview(local_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _everything_up(app, local_stack), what="every target up")
        screen = app.screen
        await pilot.press(dialog)
        await wait_for(pilot, lambda: app.screen is not screen, what="the dialog")
        await polls_go_on(pilot, app)
        assert app.screen is not screen  # still open: the header moved on under it
