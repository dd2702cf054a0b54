"""The dashboard's pure parts: formatting, completion, plotting, themes, tables, palette."""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.binding import Binding

from promdash.config import Connection
from promdash.present.text import error_position, short_scrape_error
from promdash.prom.types import Alert, AlertingRule, RuleGroup, Target
from promdash.stack.runtime import ServiceStatus
from promdash.timefmt import seconds_text, short_duration, value_text
from promdash.tui.commands import palette_commands
from promdash.tui.completion import Candidate, Catalog, apply, complete, context_at
from promdash.tui.plot import PlotLine, render_plot, segments
from promdash.tui.screens.backtest import BacktestScreen
from promdash.tui.screens.help import HelpScreen, binding_sections
from promdash.tui.screens.logs import new_lines
from promdash.tui.themes import ThemeFileError, load_themes, parse_theme, themes_dir
from promdash.tui.widgets.alerts import AlertTracker
from promdash.tui.widgets.graph import graph_window
from promdash.tui.widgets.promql import History
from promdash.tui.widgets.table import Column, KeyedTable, Row, cell_plain
from promdash.tui.widgets.targets import target_view
from tests.tui.helpers import SIZE, banner_attempt, dash, text_of, type_text, wait_for

COLOURS = {"up": "green", "down": "red", "unknown": "yellow"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------- formatting


def test_durations_and_values_read_like_prometheus() -> None:
    # Durations and values themselves: tests/unit/test_timefmt.py (one vocabulary).
    assert short_duration(90) == "1m30s" and short_duration(3600) == "1h"
    assert value_text(0.000123, compact=True) == "0.000123"
    assert seconds_text(0.0042) == "4.2ms"
    assert error_position("1:17: parse error: unclosed left parenthesis") == (1, 17)
    assert short_scrape_error('Get "http://a/metrics": refused', "http://a/metrics") == ("refused")
    # The address the row shows is not repeated in the error under it.
    url = "http://127.0.0.1:8082/metrics"
    long = f'Get "{url}": dial tcp 127.0.0.1:8082: connect: connection refused'
    assert short_scrape_error(long, url) == "connect: connection refused"


def test_graph_window_asks_about_one_point_per_column() -> None:
    start, end, step = graph_window(1_000_000.0, 900, width=110)
    assert end - start == 900 and end % step == 0 and end <= 1_000_000.0
    assert 900 / step <= 110  # no more points than columns


# ---------------------------------------------------------------- completion


def test_completion_knows_where_the_cursor_is() -> None:
    assert context_at("ra", 2).kind == "name"
    ctx = context_at('up{job="x", inst', 16)
    assert (ctx.kind, ctx.metric, ctx.prefix) == ("label", "up", "inst")
    ctx = context_at('up{instance="12', 15)
    assert (ctx.kind, ctx.label, ctx.prefix, ctx.quoted) == ("value", "instance", "12", True)
    ctx = context_at("sum by (ins) (rate(rpc_x[5m]))", 11)
    assert (ctx.kind, ctx.metric) == ("label", "rpc_x")
    assert context_at("rate(up[5", 9).kind == "duration"


def test_completion_offers_functions_metrics_labels_and_values() -> None:
    catalog = Catalog(metrics=["rpc_durations_seconds", "up"])
    names = [c.text for c in complete("ra", 2, catalog).candidates]
    assert names[0] == "rate" and "irate" not in names[:1]
    metrics = complete("rpc", 3, catalog).candidates
    assert metrics[0] == Candidate("rpc_durations_seconds", "metric", "")
    missing = complete("up{", 3, catalog)
    assert missing.candidates == [] and missing.need is not None
    catalog.label_names["up"] = ["__name__", "instance", "job"]
    assert [c.text for c in complete("up{", 3, catalog).candidates] == ["instance", "job"]
    catalog.label_values[("job", "up")] = ["example-random", "prometheus"]
    values = complete('up{job="ex', 10, catalog).candidates
    assert [c.text for c in values] == ["example-random"]


def test_accepting_a_completion_edits_the_expression() -> None:
    text = "up{in}"
    assert apply(text, 5, context_at(text, 5), Candidate("instance", "label")) == (
        'up{instance="}',
        13,
    )
    text = 'up{job="ex"}'
    assert apply(text, 10, context_at(text, 10), Candidate("example-random", "value")) == (
        'up{job="example-random"}',
        23,
    )
    assert apply("ra", 2, context_at("ra", 2), Candidate("rate", "function")) == ("rate(", 5)


def test_history_is_kept_between_runs(tmp_path: Path) -> None:
    path = tmp_path / "history"
    first = History(path)
    first.add("up")
    first.add("rate(x[1m])")
    first.add("up")
    assert History(path).entries == ["rate(x[1m])", "up"]


# ---------------------------------------------------------------- plot


def test_plot_draws_lines_in_the_frame_and_breaks_them_at_gaps() -> None:
    start = 1_700_000_000.0
    times = [start + i * 10 for i in range(31)]
    values = [float(i) for i in range(31)]
    text = render_plot(
        [PlotLine("a", times, values, (255, 0, 0))],
        width=80,
        height=20,
        start=start,
        end=start + 300,
        step=10,
        axes=(128, 128, 128),
    )
    lines = text.plain.split("\n")
    assert len(lines) == 20 and max(len(line) for line in lines) <= 80
    braille = [ch for ch in text.plain if "\u2801" <= ch <= "\u28ff"]
    assert len(braille) > 60  # a diagonal across the canvas
    assert any(span.style and "ff0000" in str(span.style) for span in text.spans)
    gapped = segments([0, 10, 20, 100, 110], [1, 2, 3, 4, 5], gap=25)
    assert [xs for xs, _ in gapped] == [[0, 10, 20], [100, 110]]
    empty = render_plot([], width=60, height=10, start=0, end=60, step=1, axes=(9, 9, 9))
    assert "no data in this range" in empty.plain


# ---------------------------------------------------------------- themes


def test_bundled_themes_load_with_promdash_variables() -> None:
    loaded = load_themes()
    assert loaded.problems == []
    names = {theme.name for theme in loaded.themes}
    assert {"promdash-dark", "promdash-light", "promdash-high-contrast"} <= names
    for theme in loaded.themes:
        assert {"health-up", "health-down", "alert-firing", "plot-1"} <= set(theme.variables)
    assert themes_dir() is not None


def test_a_bad_theme_file_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ThemeFileError, match="not a colour"):
        parse_theme('name = "x"\nprimary = "#123456"\n[variables]\nhealth-up = "nope"\n', "t")
    (tmp_path / "broken.toml").write_text("name = ")
    (tmp_path / "fine.toml").write_text('name = "fine"\nprimary = "#112233"\n')
    loaded = load_themes(tmp_path)
    assert [t.name for t in loaded.themes] == ["fine"]
    assert len(loaded.problems) == 1 and "broken.toml" in loaded.problems[0]


async def test_theme_variables_reach_css_and_switching_repaints() -> None:
    remembered: list[str] = []
    app = dash(
        f"http://127.0.0.1:{closed_port()}",
        theme="promdash-light",
        remember_theme=remembered.append,
    )
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "promdash-light"
        assert app.get_css_variables()["health-up"].lower() == "#186431"
        app.theme = "promdash-high-contrast"
        await pilot.pause(0.2)
        assert app.get_css_variables()["health-down"].lower() == "#ff6363"
        assert remembered[-1] == "promdash-high-contrast"


# ---------------------------------------------------------------- alerts and targets


def _rule(state: str, alerts: list[Alert]) -> RuleGroup:
    rule = AlertingRule(
        "g",
        "f",
        "InstanceDown",
        "up == 0",
        30,
        {"severity": "critical"},
        {},
        state,
        "ok",
        "",
        alerts,
    )  # type: ignore[arg-type]
    return RuleGroup("g", "f", 5, [rule], [])


def test_alert_tracker_records_changes_it_sees() -> None:
    tracker = AlertTracker()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    pending = Alert({"alertname": "InstanceDown", "instance": "a:1"}, {}, "pending", since, "0")
    firing = Alert({"alertname": "InstanceDown", "instance": "a:1"}, {}, "firing", since, "0")
    assert tracker.observe([_rule("inactive", [])], 10) == []  # the first answer is a baseline
    changes = tracker.observe([_rule("pending", [pending])], 20)
    assert [(c.old, c.new, c.labels) for c in changes] == [
        ("inactive", "pending", 'instance="a:1"')
    ]
    tracker.observe([_rule("firing", [firing])], 30)
    tracker.observe([_rule("inactive", [])], 40)
    assert [(c.old, c.new) for c in tracker.timeline] == [
        ("firing", "inactive"),
        ("pending", "firing"),
        ("inactive", "pending"),
    ]
    key = next(iter(tracker.rule_states))
    assert tracker.highlighted(key, 45) and not tracker.highlighted(key, 100)


def _target(pool: str, port: int, health: str, error: str = "") -> Target:
    url = f"http://127.0.0.1:{port}/metrics"
    return Target(
        pool,
        url,
        {"instance": f"127.0.0.1:{port}", "job": pool, "group": "g"},
        health,
        error,
        None,
        0.001,
        "5s",
        "5s",
    )  # type: ignore[arg-type]


def test_target_view_groups_pools_counts_up_and_puts_errors_under_down_targets() -> None:
    targets = [
        _target("b", 2, "down", 'Get "http://127.0.0.1:2/metrics": connection refused'),
        _target("b", 1, "up"),
        _target("a", 3, "up"),
    ]
    view = target_view(
        targets, now=0, width=120, health="all", needle="", collapsed=frozenset(), colours=COLOURS
    )
    keys = [row.key for row in view.rows]
    assert keys == [
        "pool|a",
        "a|http://127.0.0.1:3/metrics",
        "pool|b",
        "b|http://127.0.0.1:1/metrics",
        "b|http://127.0.0.1:2/metrics",
        "b|http://127.0.0.1:2/metrics|error",
    ]
    assert "1/2 up" in cell_plain(view.rows[2].resolve()[0])
    assert cell_plain(view.rows[-1].resolve()[1]) == "connection refused"
    assert (view.up, view.total) == (2, 3)
    assert sum(c.width for c in view.columns) + 2 * len(view.columns) <= 120
    down = target_view(
        targets, now=0, width=120, health="down", needle="", collapsed=frozenset(), colours=COLOURS
    )
    assert [r.key for r in down.rows][1:] == keys[4:]
    text = target_view(
        targets,
        now=0,
        width=120,
        health="all",
        needle="127.0.0.1:3",
        collapsed=frozenset(),
        colours=COLOURS,
    )
    assert [r.key for r in text.rows] == keys[:2]
    # A folded pool hides its targets, but not from a filter asking for them.
    folded = frozenset({"b"})
    view = target_view(
        targets, now=0, width=120, health="all", needle="", collapsed=folded, colours=COLOURS
    )
    assert [r.key for r in view.rows] == keys[:3]
    down = target_view(
        targets, now=0, width=120, health="down", needle="", collapsed=folded, colours=COLOURS
    )
    assert [r.key for r in down.rows][1:] == keys[4:]


def test_log_follow_appends_only_new_lines() -> None:
    assert new_lines([], ["a", "b"]) == (["a", "b"], False)
    assert new_lines(["a", "b"], ["a", "b"]) == ([], False)
    assert new_lines(["a", "b", "c"], ["b", "c", "d", "e"]) == (["d", "e"], False)
    assert new_lines(["a", "b"], ["x"]) == (["x"], True)  # rotated


# ---------------------------------------------------------------- widgets


class _TableApp(App[None]):
    def compose(self):  # type: ignore[no-untyped-def]
        yield KeyedTable()


async def test_keyed_table_updates_rows_by_key_and_keeps_cursor_and_scroll() -> None:
    app = _TableApp()
    columns = (Column("a", "A", 10), Column("b", "B", 10))

    def rows(values: dict[str, str]) -> list[Row]:
        return [Row(key, ((key, ""), (value, ""))) for key, value in values.items()]

    data = {f"r{i:03d}": str(i) for i in range(100)}
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync(columns, rows(data))
        table.focus()
        table.move_cursor(row=50)
        await pilot.pause()
        scroll = table.scroll_y
        assert scroll > 0 and table.cursor_key == "r050"
        data["r050"] = "changed"
        data = {"r000a": "new", **data}  # a row appears above: the cursor follows its key
        table.sync(columns, rows(data))
        await pilot.pause()
        assert table.cursor_key == "r050" and table.cursor_row == 51
        assert table.scroll_y == scroll
        y = table.cursor_row - int(table.scroll_y) + 1
        assert "changed" in table.render_line(y).text
        await pilot.press("down")
        assert table.cursor_key == "r051"


async def test_a_server_that_never_answers_gives_a_banner_not_a_crash() -> None:
    app = dash(f"http://127.0.0.1:{closed_port()}", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard.banner.has_class("-shown"), timeout=15)
        assert "connection refused" in text_of(app.dashboard.banner)
        await wait_for(pilot, lambda: banner_attempt(app) >= 2, timeout=15)
        assert app.is_running


async def test_every_key_is_in_the_palette_and_in_the_help() -> None:
    services = [ServiceStatus("random-1", "running", "healthy", "http://127.0.0.1:1", None)]
    app = dash(
        f"http://127.0.0.1:{closed_port()}",
        stack_name="demo",
        stack_status=lambda name: services,
        panel="stack",
        # Named, so the Silences panel and its commands are there (it need not answer).
        alertmanager=Connection(url=f"http://127.0.0.1:{closed_port()}"),
    )
    async with app.run_test(size=SIZE) as pilot:
        stack = app.dashboard.stack
        await wait_for(pilot, lambda: stack is not None and stack.rows is not None)
        commands = palette_commands(app)
        # The Backtest screen's keys are in the palette while it shows.
        app.push_screen(BacktestScreen("InstanceDown", "node", app.client))
        await pilot.pause()
        commands += palette_commands(app)
        app.pop_screen()
        await pilot.pause()
        actions = {c.action.split("(")[0] for c in commands}
        for command in commands:
            target = command.target or app
            method = f"action_{command.action.split('(')[0]}"
            assert hasattr(target, method), f"{command.title}: no {method} on {target}"
        # Keys that only move within a widget (history, completion) need no command.
        local = {"up", "down", "accept", "suggest", "leave", "move"}
        for title, bindings in binding_sections():
            for binding in bindings:
                assert isinstance(binding, Binding)
                assert binding.id and binding.tooltip, f"{binding.key} needs an id and tooltip"
                name = binding.action.split("(")[0]
                if name not in local:
                    assert name in actions, f"{title}: {binding.action} is not in the palette"
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.keys_table())
        help_text = console.export_text()
        for _, bindings in binding_sections():
            for binding in bindings:
                assert binding.description in help_text
        await pilot.press("escape")


async def test_polls_go_on_under_a_dialog_and_hidden_panels_wait() -> None:
    app = dash(f"http://127.0.0.1:{closed_port()}", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        # Every poll to a closed port fails: the banner counts them.
        await wait_for(pilot, lambda: banner_attempt(app) >= 1)
        await pilot.press("f1")
        await pilot.pause(0.3)
        tries = banner_attempt(app)
        # The dashboard shows around the help screen: it keeps refreshing.
        await wait_for(pilot, lambda: banner_attempt(app) > tries, timeout=5)
        await pilot.press("escape")

        # Data for a hidden panel is kept and drawn when the panel is shown.
        alerts = app.dashboard.alerts
        assert not alerts.shown
        group = RuleGroup("g", "f", 5, [], [])
        alerts.show_rules([group], 0)
        assert alerts._dirty and alerts.table.row_keys == []
        await pilot.press("3")
        await wait_for(pilot, lambda: alerts.shown and not alerts._dirty)


class _PlotApp(App[None]):
    def compose(self):  # type: ignore[no-untyped-def]
        from promdash.tui.widgets.plotview import PlotView

        yield PlotView()


async def test_the_plot_is_drawn_again_only_when_data_or_size_change() -> None:
    from promdash.tui.widgets.plotview import PlotView

    app = _PlotApp()
    line = PlotLine("a", [0.0, 10.0, 20.0], [1.0, 2.0, 1.5], (200, 10, 10))
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(PlotView)
        assert plot.set_data([line], 0, 20, 10, (9, 9, 9))
        await pilot.pause()
        assert plot.draws == 1
        assert not plot.set_data([line], 0, 20, 10, (9, 9, 9))  # same answer: nothing to do
        plot.refresh()
        await pilot.pause()
        assert plot.draws == 1
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert plot.draws == 2
        moved = PlotLine("a", [0.0, 10.0, 20.0], [1.0, 2.0, 3.0], (200, 10, 10))
        assert plot.set_data([moved], 0, 20, 10, (9, 9, 9))
        await pilot.pause()
        assert plot.draws == 3


async def test_the_palette_runs_dashboard_actions() -> None:
    app = dash(f"http://127.0.0.1:{closed_port()}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await type_text(pilot, "Show Alerts")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.dashboard.panel_visible("alerts"), timeout=5)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await type_text(pilot, "Theme: promdash-light")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "promdash-light", timeout=5)


async def test_a_queued_ask_at_once_for_the_rules_is_not_lost_to_one_that_can_wait() -> None:
    """Textual merges queued messages: a FetchRules(now=True) (a storm rule's alerts to
    list) followed by a FetchRules(now=False) must still ask at once."""
    from textual.app import App
    from textual.message_pump import MessagePump

    from promdash.tui.messages import FetchRules

    heard: list[bool] = []

    class Listener(App[None]):
        def on_fetch_rules(self, message: FetchRules) -> None:
            heard.append(message.now)

    app = Listener()
    async with app.run_test() as pilot:
        assert isinstance(app, MessagePump)
        app.post_message(FetchRules(now=True))
        app.post_message(FetchRules(now=False))
        await pilot.pause()
        assert True in heard, heard
        heard.clear()
        app.post_message(FetchRules(now=False))
        app.post_message(FetchRules(now=True))
        await pilot.pause()
        assert True in heard, heard
