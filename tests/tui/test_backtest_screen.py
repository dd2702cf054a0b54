"""The Backtest screen (b on a rule) against Debian's real Prometheus.

The server evaluates a rule on the clock: `staircase(t)` is 0, 1, 0, 2 over each
two seconds of every eight (Unix time), and the rule fires while it is above 0.5.
So how often it fired over any ticks is known from the ticks alone, for the rule
and for an edited threshold (above 1.5: half as often).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from promdash.backtest import AlertHistory, Backtest, Interval, Plan, Rule
from promdash.tui.app import PromdashApp
from promdash.tui.plot import PlotLine
from promdash.tui.screens.backtest import BacktestScreen
from promdash.tui.widgets.backtest import backtest_plot, bands, comparison
from promdash.tui.widgets.table import KeyedTable
from tests.integration.prometheus import SELF_SCRAPE, running_prometheus
from tests.tui.helpers import dash, text_of, type_text, wait_for

pytestmark = pytest.mark.prometheus

STAIRCASE = "(floor(vector(time()) / 2) % 2) * (1 + floor(vector(time()) / 4) % 2)"
RULES = f"""\
groups:
  - name: clock
    interval: 1s
    rules:
      - alert: Staircase
        expr: {STAIRCASE} > 0.5
        labels: {{severity: page}}
      - alert: Always
        expr: vector(1)
"""
HISTORY = 20.0  # seconds of it before the tests: several firings of either threshold


def staircase(t: float) -> int:
    return (math.floor(t / 2) % 2) * (1 + math.floor(t / 4) % 2)


def times_fired(result: Backtest, above: float) -> int:
    """Firings of `staircase > above` (for 0s) over the result's ticks: one per run of
    ticks it is returned at (a run going on at the first tick was firing already)."""
    ticks = result.ticks
    returned = [staircase(ticks.at(i)) > above for i in range(ticks.count)]
    return sum(1 for i, here in enumerate(returned) if here and (i == 0 or not returned[i - 1]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    started = time.time()

    def ready(url: str) -> bool:
        groups = httpx.get(f"{url}/api/v1/rules", timeout=2).json()["data"]["groups"]
        evaluated = all(g["lastEvaluation"][:4] != "0001" for g in groups)
        return evaluated and time.time() - started > HISTORY

    directory = tmp_path_factory.mktemp("backtest-screen")
    with running_prometheus(
        directory, SELF_SCRAPE, rules=RULES, ready=ready, what="evaluate its rules", timeout=90
    ) as prometheus:
        yield prometheus.url


async def _open_backtest(pilot: Pilot[Any], app: PromdashApp, rule: str) -> BacktestScreen:
    """Show the Alerts panel, put the cursor on `rule` and press b, as a person would."""
    await pilot.press("3")
    table = app.dashboard.alerts.table
    await wait_for(pilot, lambda: any(k.endswith(f"|{rule}") for k in table.row_keys),
                   what=f"{rule} in the Alerts panel")  # fmt: skip
    table.focus()
    for _ in range(len(table.row_keys)):
        if (table.cursor_key or "").endswith(f"|{rule}"):
            break
        await pilot.press("down")
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, BacktestScreen), what="the screen")
    screen = app.screen
    assert isinstance(screen, BacktestScreen)
    await wait_for(pilot, lambda: screen.original or screen.problem, what="the first backtest")
    return screen


async def _backtested(pilot: Pilot[Any], screen: BacktestScreen, what: str) -> None:
    """Until the run a key started has finished (its worker is started by the key)."""

    def running() -> bool:
        return any(w.group == "backtest" and not w.is_finished for w in screen.app.workers)

    await wait_for(pilot, lambda: not running(), what=what)


def _compare(screen: BacktestScreen) -> str:
    return text_of(screen.query_one("#backtest-compare", Static))


def _message(screen: BacktestScreen) -> str:
    return text_of(screen.query_one("#backtest-message", Static))


async def test_editing_the_threshold_changes_the_count_of_firings(server: str) -> None:
    app = dash(server, layout="panels")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_backtest(pilot, app, "Staircase")
        original = screen.original
        assert original is not None and screen.problem == ""
        fired = times_fired(original, 0.5)
        assert fired >= 3 and original.times_fired == fired
        assert f"original: fired {fired} times" in _compare(screen)
        # The rule's band, its count beside it, under the plot; the threshold named.
        drawn = text_of(screen.view)
        assert f"{fired}× Staircase" in drawn and "━ > 0.5 threshold" in drawn

        # e puts the cursor at the end of the expression: the threshold is its last word.
        await pilot.press("e")
        assert screen.focused is screen.query_one("#backtest-expr", Input)
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "1.5")
        await pilot.press("enter")
        await _backtested(pilot, screen, "the edit's backtest")

        edit = screen.edit
        assert edit is not None and screen.problem == ""
        assert edit.plan.rule.expr == f"{STAIRCASE} > 1.5"
        assert edit.ticks == original.ticks  # the same evaluations, side by side
        fewer = times_fired(edit, 1.5)
        assert edit.times_fired == fewer and 0 < fewer < fired
        said = _compare(screen)
        assert f"original: fired {fired} times" in said
        times = f"{fewer} time{'' if fewer == 1 else 's'}"
        assert f"edit: fired {times} ({fired - fewer} fewer)" in said
        drawn = text_of(screen.view)
        assert f"{fewer}× Staircase" in drawn and f"{fired}× ↳ the rule" in drawn
        assert "━ > 1.5 threshold" in drawn and "━ > 0.5 the rule's" in drawn

        await pilot.press("escape")
        assert app.screen is app.dashboard


async def test_an_expression_that_does_not_parse_shows_prometheus_s_message(server: str) -> None:
    bad = "rate(prometheus_http_requests_total[1m]"
    answer = httpx.get(f"{server}/api/v1/query", params={"query": bad}, timeout=5).json()
    app = dash(server, layout="panels")
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await _open_backtest(pilot, app, "Always")
        assert "no comparison with a number: no threshold" in text_of(screen.view)
        await pilot.press("e")
        expr = screen.query_one("#backtest-expr", Input)
        expr.value = ""  # as select-all and delete would
        await type_text(pilot, bad)
        await pilot.press("enter")
        await _backtested(pilot, screen, "the edit's backtest")
        # Prometheus's own words and position (without its `invalid parameter "query"`).
        said = _message(screen)
        assert answer["errorType"] == "bad_data" and said.startswith("bad_data: 1:40: parse error")
        assert answer["error"].endswith(said.removeprefix("bad_data: "))
        assert screen.query_one("#backtest-message").has_class("-error")
        assert "edit: not run" in _compare(screen)
        assert "original: fired 1 time" in _compare(screen)  # the rule's run still stands

        # A `for` that is not a duration: said the way the CLI's --for says it.
        expr.value = "vector(1)"
        await pilot.press("tab")
        assert screen.focused is screen.query_one("#backtest-for", Input)
        await type_text(pilot, "abc")
        await pilot.press("enter")
        await _backtested(pilot, screen, "the third run")
        assert (
            _message(screen)
            == "for: '0sabc' is not a Prometheus duration (examples: 30s, 15m, 1h30m)"
        )
        assert "edit: not run" in _compare(screen)


async def test_b_on_an_alert_of_the_overview(server: str) -> None:
    app = dash(server, layout="overview")
    async with app.run_test(size=(200, 60)) as pilot:
        table = app.dashboard.overview.query_one("#overview-alerts", KeyedTable)
        await wait_for(pilot, lambda: any("|Always|" in k for k in table.row_keys),
                       what="Always in the overview")  # fmt: skip
        table.focus()
        for _ in range(len(table.row_keys)):
            if "|Always|" in (table.cursor_key or ""):
                break
            await pilot.press("down")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BacktestScreen), what="the screen")
        screen = app.screen
        assert isinstance(screen, BacktestScreen) and screen.rule_name == "Always"
        await wait_for(pilot, lambda: screen.original or screen.problem, what="the backtest")
        assert "original: fired 1 time" in _compare(screen)


# ---------------------------------------------------------------- the drawing, on made-up answers


def _made(intervals: list[Interval], start: float = 1000.0, end: float = 1100.0) -> Backtest:
    plan = Plan(Rule("R", "x > 1"), start, end, 1.0, "a test")
    alert = AlertHistory({"alertname": "R", "job": "a"}, intervals)
    return Backtest(plan, plan.ticks, [alert], [], 1)


def test_a_band_sits_under_the_plot_s_columns_with_its_count() -> None:
    result = _made([Interval("pending", 1040.0, 1050.0), Interval("firing", 1050.0, None)])
    line = PlotLine("x", [1000.0, 1100.0], [0.0, 2.0], (255, 0, 0))
    colours = {"inactive": "green", "pending": "yellow", "firing": "red"}
    for width in (80, 200):
        drawn = backtest_plot([line], bands(result, None), (1000.0, 1100.0, 1.0), width, 20,
                              (128, 128, 128), colours).plain.split("\n")  # fmt: skip
        top = next(row for row in drawn if "┌" in row)
        left, right = top.index("┌"), top.index("┐")
        band = next(row for row in drawn if 'job="a"' in row)
        assert band[right:].strip() == '1× job="a"'
        strip = band[left + 1 : right]
        cols = right - left - 1
        assert len(strip) == cols
        # Inactive for the first 40%, pending to half way, firing after (a column's edge
        # may show either state).
        assert set(strip[: int(cols * 0.4) - 1]) == {"▁"}
        assert set(strip[int(cols * 0.4) + 1 : cols // 2 - 1]) == {"▄"}
        assert set(strip[cols // 2 + 1 :]) == {"█"}


def test_the_counts_side_by_side_or_one_under_the_other() -> None:
    before = _made([Interval("firing", 1010.0, 1020.0), Interval("firing", 1060.0, 1070.0)])
    after = _made([Interval("firing", 1060.0, 1090.0)])
    wide = comparison(before, after, {}, edited=True, width=120).plain
    assert "\n" not in wide
    assert "original: fired 2 times, firing 20s" in wide
    assert "edit: fired 1 time (1 fewer), firing 30s" in wide
    narrow = comparison(before, after, {}, edited=True, width=60).plain
    assert narrow.split("\n")[1].startswith("edit: fired 1 time (1 fewer)")
    assert "Enter runs it" in comparison(before, before, {}, edited=False, width=120).plain
