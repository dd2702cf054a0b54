"""The dashboard against a real Prometheus and the real demo exporters (the `local_stack` fixture).

Each test drives the app with a Pilot the way a person would (keys, Enter) and
checks what the screen shows: table rows, the plot, the banner, the timeline.
"""

from __future__ import annotations

import pytest

from promdash.stack.state import StackState
from promdash.tui.screens.logs import LogScreen
from promdash.tui.widgets.graph import GraphView
from tests.conftest import RunningStack
from tests.tui.helpers import (
    SIZE,
    banner_attempt,
    dash,
    polls_go_on,
    refreshed,
    row_text,
    rows_matching,
    text_of,
    type_text,
    wait_for,
)

pytestmark = pytest.mark.prometheus

RATE_QUERY = "sum by (instance) (rate(rpc_durations_seconds_count[1m]))"


def _port(stack: RunningStack, service: str) -> int:
    return stack.stack.ports()[service]


def _target_row(app, stack: RunningStack, service: str) -> str:  # type: ignore[no-untyped-def]
    table = app.dashboard.targets.table
    rows = rows_matching(table, f"127.0.0.1:{_port(stack, service)}/metrics")
    return rows[0] if rows else ""


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for char in text:
        await pilot.press(char)


async def _all_up(pilot, app, stack: RunningStack) -> None:  # type: ignore[no-untyped-def]
    services = [e.name for e in stack.stack.exporters.instances]
    await wait_for(
        pilot,
        lambda: all(" up " in _target_row(app, stack, s) for s in services),
        timeout=45,
        what="every exporter shown up",
    )


async def test_targets_appear_grouped_with_health_up(local_stack: RunningStack) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        table = app.dashboard.targets.table
        pool = row_text(table, "pool|example-random")
        assert "example-random" in pool and "3/3 up" in pool
        for exporter in local_stack.stack.exporters.instances:
            row = _target_row(app, local_stack, exporter.name)
            assert f'group="{exporter.group}"' in row  # the group label is visible
            assert "ago" in row or "just now" in row  # last scrape, as time ago
            assert "5s" in row  # the scrape interval
        status = text_of(app.dashboard.status)
        assert local_stack.url in status and "connected" in status
        assert "Prometheus" in status  # the server's version is known
        # The refresh follows the shortest scrape interval (the exporters' 5s).
        assert "every 5s" in status


async def test_stopped_exporter_shows_down_with_its_error(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        table = app.dashboard.targets.table
        before = table.rebuilds
        with local_stack.stopped("random-3"):
            await wait_for(
                pilot,
                lambda: " down " in _target_row(app, local_stack, "random-3"),
                timeout=30,
                what="random-3 shown down",
            )
            # The error under the row is the scrape's own (the first failed scrape may
            # read "connection reset"; every later one, "connection refused").
            await wait_for(
                pilot,
                lambda: any("connection refused" in r for r in rows_matching(table, "last error")),
                timeout=20,
                what="the scrape error under the target",
            )
            assert len(rows_matching(table, "last error")) == 1
            assert "2/3 up" in row_text(table, "pool|example-random")
            # The health filter shows only what is down.
            await pilot.press("h", "h")  # all → up → down
            await wait_for(pilot, lambda: app.dashboard.targets.health_filter == "down")
            shown = rows_matching(table, "/metrics")
            assert len(shown) == 1 and f":{_port(local_stack, 'random-3')}/" in shown[0]
            await pilot.press("h", "h")  # → unknown → all
        await _all_up(pilot, app, local_stack)
        # Unchanged structure refreshes cells in place; only health changes rebuilt rows.
        assert table.rebuilds - before <= 8


async def test_text_filter_keeps_matching_targets(local_stack: RunningStack) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        await pilot.press("slash")
        await _type(pilot, "canary")
        table = app.dashboard.targets.table
        await wait_for(pilot, lambda: len(rows_matching(table, "/metrics")) == 1)
        assert 'group="canary"' in rows_matching(table, "/metrics")[0]


async def test_escape_leaves_the_text_filter_so_keys_reach_the_panel_again(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        panel = app.dashboard.targets
        await pilot.press("slash")
        await _type(pilot, "canary")
        await pilot.press("escape")
        await pilot.press("h")  # the health filter's key, not a letter of the filter
        assert panel.query_one("#targets-filter").value == "canary"  # type: ignore[attr-defined]
        assert panel.table.has_focus
        assert panel.health_filter == "up"


async def test_query_renders_a_plot_with_a_legend(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, panel="graph")
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await wait_for(pilot, lambda: view.editor.input.has_focus, what="the PromQL input")
        await _type(pilot, RATE_QUERY)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: view.result is not None and len(view.result.matrix) == 3 and view.plot.draws,
            what="a plot of three series",
        )
        plot = text_of(view.plot)
        assert any("\u2801" <= ch <= "\u28ff" for ch in plot), "braille dots drawn"
        legend = text_of(view.query_one("#graph-legend"))
        for exporter in local_stack.stack.exporters.instances:
            assert f"127.0.0.1:{exporter.port}" in legend
        # One point per plot column, about: 15 minutes over ~100 columns.
        assert 5 <= view.window[2] <= 12
        # A shorter range is asked for again at once.
        draws = view.plot.draws
        await pilot.press("minus")
        await wait_for(pilot, lambda: view.range_seconds == 300 and view.plot.draws > draws)
        # The table view lists the latest value of every series.
        await pilot.press("v")
        await wait_for(pilot, lambda: len(view.query_one("#latest").row_keys) == 3)


async def test_bad_query_shows_the_servers_error_and_the_app_keeps_running(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url, panel="graph", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        await wait_for(pilot, lambda: view.editor.input.has_focus)
        await _type(pilot, "sum(rate(up[5m])")
        await pilot.press("enter")
        error = view.editor.query_one("#promql-error")
        await wait_for(pilot, lambda: error.has_class("-shown"), what="the error line")
        shown = text_of(error)
        assert "parse error" in shown
        assert "^" in shown and "column" in shown  # the position, under the query
        assert view.editor.input.has_focus  # back in the input to fix it
        await polls_go_on(pilot, app)
        assert app.is_running
        # Fixing the query clears the error.
        await pilot.press("end", ")")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not error.has_class("-shown") and view.result is not None)


async def test_enter_on_a_target_graphs_its_up_and_scrape_duration(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        table = app.dashboard.targets.table
        port = _port(local_stack, "random-1")
        key = next(k for k in table.row_keys if f":{port}/metrics" in k and "|error" not in k)
        table.move_cursor(row=table.row_keys.index(key))
        await pilot.press("enter")
        graph = app.dashboard.graph
        await wait_for(pilot, lambda: app.dashboard.panel_visible("graph"))
        await wait_for(pilot, lambda: len(graph.views()) == 2, what="two graphs")
        exprs = [v.expr for v in graph.views()]
        assert exprs[0] == f'up{{instance="127.0.0.1:{port}"}}'
        assert exprs[1] == f'scrape_duration_seconds{{instance="127.0.0.1:{port}"}}'
        first = graph.active_view()
        assert first is not None and first.expr == exprs[0]
        await wait_for(pilot, lambda: first.result is not None and first.plot.draws)

        # Enter on the same target again shows those graphs again: no duplicate tabs.
        await pilot.press("1")
        await wait_for(pilot, lambda: app.dashboard.panel_visible("targets"))
        table.move_cursor(row=table.row_keys.index(key))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.dashboard.panel_visible("graph"))
        await pilot.pause()
        assert [v.expr for v in graph.views()] == exprs
        assert graph.active_view() is first


async def test_alert_goes_pending_and_the_timeline_records_it(local_stack: RunningStack) -> None:
    # InstanceDown has `for: 5s` in the test stack; a 1s refresh sees it pending.
    app = dash(local_stack.url, panel="alerts", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        alerts = app.dashboard.alerts
        await wait_for(pilot, lambda: alerts.groups is not None, what="the rules")
        table = alerts.table
        instance = f"127.0.0.1:{_port(local_stack, 'random-2')}"
        with local_stack.stopped("random-2"):
            await wait_for(
                pilot,
                lambda: any(
                    c.rule == "InstanceDown" and c.new == "pending" and instance in c.labels
                    for c in alerts.tracker.timeline
                ),
                timeout=40,
                what="InstanceDown pending in the timeline",
            )
            rule_row = next(row_text(table, k) for k in table.row_keys if "InstanceDown" in k)
            assert "pending" in rule_row or "firing" in rule_row
            assert "◆" in rule_row  # a rule whose state changed is highlighted (not ●: firing)
            assert "inactive → pending" in text_of(alerts.query_one("#alerts-timeline"))
            # The state filter shows only what is pending (or firing, if it went on).
            await pilot.press("s", "s")  # all → firing → pending
            assert alerts.state_filter == "pending"
        while alerts.state_filter != "all":  # round to all (with an Alertmanager, past silenced)
            await pilot.press("s")
        # Enter on the rule opens its expression in a graph.
        key = next(k for k in table.row_keys if k.endswith("|InstanceDown"))
        table.move_cursor(row=table.row_keys.index(key))
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.dashboard.panel_visible("graph"))
        view = app.dashboard.graph.active_view()
        assert view is not None and view.expr == "up == 0"


async def test_prometheus_killed_and_restarted_shows_stale_then_recovers(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url, refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await _all_up(pilot, app, local_stack)
        screen = app.dashboard
        with local_stack.stopped("prometheus"):
            await wait_for(pilot, lambda: screen.banner.has_class("-shown"), what="the banner")
            banner = text_of(screen.banner)
            assert "No answer from" in banner and "Retrying" in banner
            assert screen.targets.has_class("-stale")
            assert "not answering" in text_of(screen.status)
            # The last data stays on screen.
            assert " up " in _target_row(app, local_stack, "random-1")
            tries = banner_attempt(app)
            await wait_for(pilot, lambda: banner_attempt(app) > tries, what="another retry")
        await wait_for(
            pilot, lambda: not screen.banner.has_class("-shown"), timeout=45, what="recovery"
        )
        assert not screen.targets.has_class("-stale")
        assert "connected" in text_of(screen.status)
        await _all_up(pilot, app, local_stack)


async def test_stack_panel_stops_and_starts_a_service(local_stack: RunningStack) -> None:
    name = local_stack.state.name
    app = dash(local_stack.url, stack_name=name, panel="stack")
    try:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.dashboard.stack
            assert panel is not None
            await wait_for(pilot, lambda: panel.rows is not None, what="the services")
            table = panel.table
            assert set(table.row_keys) == set(local_stack.state.urls)
            assert "running" in row_text(table, "random-1")
            table.focus()
            table.move_cursor(row=table.row_keys.index("random-1"))
            await pilot.press("x")
            await wait_for(
                pilot, lambda: " stopped " in row_text(table, "random-1") + " ", timeout=30
            )
            await pilot.press("s")
            await wait_for(pilot, lambda: "running" in row_text(table, "random-1"), timeout=30)
            assert "healthy" in row_text(table, "random-1")
            # The log view shows the service's log.
            table.move_cursor(row=table.row_keys.index("prometheus"))
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, LogScreen))
            log = app.screen.query_one("#log")
            await wait_for(pilot, lambda: log.line_count > 0, what="log lines")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, LogScreen))
    finally:
        # The app started random-1 again: the fixture must stop that process, not the old one.
        fresh = StackState.load(name)
        if fresh is not None:
            local_stack.state.processes.update(fresh.processes)


async def test_more_than_one_graph_and_pause(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, queries=("up", RATE_QUERY), panel="graph", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        graph = app.dashboard.graph
        views: list[GraphView] = graph.views()
        assert [v.expr for v in views] == ["up", RATE_QUERY]
        first = graph.active_view()
        assert first is views[0]
        await wait_for(pilot, lambda: first.result is not None)
        graph.tabs.active = f"pane-{views[1].graph_id}"
        await wait_for(pilot, lambda: views[1].result is not None and views[1].plot.draws)
        app.action_toggle_pause()
        await pilot.pause(0.2)
        before = refreshed(app)
        await pilot.pause(2.5)
        assert refreshed(app) == before  # nothing is fetched while paused
        assert "paused" in text_of(views[1].query_one("#graph-info"))
        app.action_toggle_pause()
        await wait_for(pilot, lambda: refreshed(app) != before)


async def test_completion_offers_names_from_the_server(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, panel="graph")
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        editor = view.editor
        await wait_for(pilot, lambda: app.catalog.metrics, what="metric names from the server")
        await wait_for(pilot, lambda: editor.input.has_focus)
        await _type(pilot, "rpc_durations_seconds_c")
        dropdown = editor.dropdown
        await wait_for(pilot, lambda: dropdown.has_class("-shown"), what="the dropdown")
        first = str(dropdown.get_option_at_index(0).prompt)
        assert first.startswith("rpc_durations_seconds_count")
        await pilot.press("tab")
        assert editor.value == "rpc_durations_seconds_count"
        # Label names and values come from the server, for this metric.
        await _type(pilot, "{")
        await wait_for(
            pilot,
            lambda: (
                dropdown.has_class("-shown")
                and any(
                    str(dropdown.get_option_at_index(i).prompt).startswith("service")
                    for i in range(dropdown.option_count)
                )
            ),
            what="label names",
        )
        await _type(pilot, "serv")
        await pilot.press("tab")
        assert editor.value == 'rpc_durations_seconds_count{service="'
        await wait_for(
            pilot,
            lambda: (
                dropdown.has_class("-shown")
                and {
                    str(dropdown.get_option_at_index(i).prompt).split()[0]
                    for i in range(dropdown.option_count)
                }
                == {"exponential", "normal", "uniform"}
            ),
            what="label values",
        )
        await _type(pilot, "no")
        await pilot.press("tab")
        assert editor.value == 'rpc_durations_seconds_count{service="normal"'
        await _type(pilot, "}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.result is not None and len(view.result.matrix) == 3)
        # The query is in the history: Up in the input brings it back.
        editor.input.focus()
        editor.set_value("")
        await pilot.press("up")
        assert editor.value == 'rpc_durations_seconds_count{service="normal"}'


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 50)])
async def test_the_promql_input_shows_what_is_typed_while_it_has_focus(
    local_stack: RunningStack, size: tuple[int, int]
) -> None:
    """Typed text stays on screen while the input is focused (it used to show only the
    focused Input's border rows, the text appearing once focus left)."""
    app = dash(local_stack.url, panel="graph")
    async with app.run_test(size=size) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        field = view.editor.input
        await wait_for(pilot, lambda: field.has_focus, what="the PromQL input")
        await type_text(pilot, "up{job=")
        await pilot.pause()
        assert field.has_focus and field.value == "up{job="
        assert field.content_region.height == 1
        shown = "".join(segment.text for segment in field.render_line(0))
        assert "up{job=" in shown, shown


async def test_one_escape_leaves_the_promql_input_even_with_completions_open(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url, panel="graph")
    async with app.run_test(size=SIZE) as pilot:
        view = app.dashboard.graph.active_view()
        assert view is not None
        editor = view.editor
        await wait_for(pilot, lambda: editor.input.has_focus, what="the PromQL input")
        await wait_for(pilot, lambda: "rpc_durations_seconds" in app.catalog.metrics,
                       what="metric names for completion")  # fmt: skip
        await _type(pilot, "rpc_dur")
        await wait_for(pilot, lambda: editor.dropdown.has_class("-shown"), what="completions")
        await pilot.press("escape")
        assert not editor.input.has_focus
        assert not editor.dropdown.has_class("-shown")
        assert editor.input.value == "rpc_dur"
