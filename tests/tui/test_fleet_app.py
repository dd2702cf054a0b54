"""The dashboard on the scale fixture at CI's size: every pool and every down target's
error can be reached as a person reaches them.

The fleet is tests/integration/test_fleet.py's PLAN (about 1,000 targets in 20 pools,
some down in most, a few all up), started by its `ci_fleet`. Each test drives the
app with keys (Page Down, h, /, Enter, Escape) and reads what the table draws
(`render_line`, the lines on the terminal) or the rows it holds; what it expects
comes from the plan, so a pool or a down target left out fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Tab

from promdash.tui.app import PromdashApp
from promdash.tui.widgets.alerts import LIST_UP_TO, MORE
from promdash.tui.widgets.table import KeyedTable
from tests.fleet import Fleet
from tests.integration.test_fleet import PLAN, ci_fleet
from tests.tui.helpers import dash, polls_go_on, row_text, text_of, type_text, wait_for

pytestmark = pytest.mark.prometheus

REFUSED = "connect: connection refused"  # how both views say it, `dial tcp ADDRESS:` cut off
_HEALTH = re.compile(r"\s(up|down|unknown)\s")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with ci_fleet(tmp_path_factory) as up:
        yield up


@dataclass
class Listed:
    """A target as a view lists it: under which pool, its health, the error under it."""

    pool: str
    health: str
    error: str = ""


def _app(running: Fleet, **settings: Any) -> PromdashApp:
    # Every 5 s: the first answer has the whole fleet (it was ready before the app).
    return dash(running.url, refresh=5.0, **settings)


def _down(running: Fleet) -> dict[str, str]:
    """Every down target's scrape URL, and its pool."""
    return {running.scrape_url(t): t.pool for t in PLAN.all_targets() if not t.up}


def _counts(pools: Iterable[str] | None = None) -> dict[str, str]:
    """What each pool's line says of it: `N/M up`."""
    health = PLAN.pool_health()
    return {p: f"{health[p][0]}/{health[p][1]} up" for p in (pools or health)}


def _rows(table: KeyedTable) -> list[str]:
    return [row_text(table, key) for key in table.row_keys]


async def _page_through(pilot: Pilot[Any], table: KeyedTable) -> list[str]:
    """Every row of `table` as drawn on the terminal, paging down from the top: Home,
    then Page Down until the cursor is on the last row."""
    table.focus()
    await pilot.press("home")
    drawn: dict[int, str] = {}
    for _ in range(len(table.row_keys) + 1):
        await pilot.pause()
        top = int(table.scroll_y)
        for y in range(1, table.size.height):  # line 0 is the header
            if top + y - 1 < len(table.row_keys):
                drawn[top + y - 1] = table.render_line(y).text
        if table.cursor_row >= len(table.row_keys) - 1:
            break
        await pilot.press("pagedown")
    assert sorted(drawn) == list(range(len(table.row_keys))), "rows never drawn"
    return [drawn[index] for index in sorted(drawn)]


# ---------------------------------------------------------------- the Targets panel


def _targets_listing(lines: Iterable[str]) -> tuple[dict[str, str], dict[str, Listed]]:
    """The Targets panel's lines read back: each pool's count, each target's URL."""
    pools: dict[str, str] = {}
    targets: dict[str, Listed] = {}
    pool = url = ""
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] in ("▾", "▸"):  # a pool: unfolded, folded
            pool = words[1]
            pools[pool] = " ".join(words[2:])
        elif words[0] == "└":
            targets[url].error = line.split("last error", 1)[1].strip()
        else:
            url = words[0]
            health = _HEALTH.search(line)
            targets[url] = Listed(pool, health.group(1) if health else "?")
    return pools, targets


def _check_down(running: Fleet, targets: dict[str, Listed], pools: Iterable[str]) -> None:
    """The down targets of these pools are listed under their pool, each with its error."""
    wanted = {url: pool for url, pool in _down(running).items() if pool in set(pools)}
    listed = {url: t.pool for url, t in targets.items() if t.health == "down"}
    assert listed == wanted
    for url in wanted:
        assert targets[url].error == REFUSED, (url, targets[url])


async def _targets_shown(pilot: Pilot[Any], app: PromdashApp) -> KeyedTable:
    panel = app.dashboard.targets
    summary = panel.query_one("#targets-summary")
    await wait_for(pilot, lambda: " up" in text_of(summary), what="the targets' first answer")
    assert text_of(summary) == f"{PLAN.up}/{PLAN.targets} up"
    return panel.table


async def test_paging_down_the_targets_panel_draws_every_pool_and_every_down_targets_error(
    running: Fleet,
) -> None:
    app = _app(running)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.dashboard.active == "targets"
        table = await _targets_shown(pilot, app)
        pools, targets = _targets_listing(await _page_through(pilot, table))
        assert pools == _counts()
        assert list(pools) == sorted(PLAN.pool_names)
        assert len(targets) == PLAN.targets
        _check_down(running, targets, PLAN.pool_names)
        # Under the table, the target under the cursor's error is said whole.
        rows = _rows(table)
        first = next(i for i, row in enumerate(rows) if _HEALTH.search(row) and " down " in row)
        await pilot.press("home", *["down"] * first)
        url = rows[first].split()[0]
        detail = app.dashboard.targets.query_one("#target-detail")
        await wait_for(pilot, lambda: text_of(detail).startswith(f"{url}  down"), what=url)
        assert f'last error: Get "{url}": dial tcp' in text_of(detail)
        assert text_of(detail).rstrip().endswith(REFUSED)


async def test_the_down_filter_lists_every_down_target_with_its_error_under_its_pool(
    running: Fleet,
) -> None:
    app = _app(running)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _targets_shown(pilot, app)
        panel = app.dashboard.targets
        await pilot.press("h", "h")  # all → up → down
        label = panel.query_one("#targets-health")
        await wait_for(pilot, lambda: text_of(label) == "health: down", what="health: down")
        pools, targets = _targets_listing(_rows(table))
        with_down = set(_down(running).values())
        assert pools == _counts(sorted(with_down))  # a pool's count stays its whole count
        _check_down(running, targets, PLAN.pool_names)
        assert {t.health for t in targets.values()} == {"down"}
        # And drawn: paged through, the same.
        assert _targets_listing(await _page_through(pilot, table)) == (pools, targets)


async def test_typing_the_error_or_a_pools_name_in_the_filter_finds_them(running: Fleet) -> None:
    app = _app(running)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _targets_shown(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "refused")
        await pilot.press("enter")
        pools, targets = _targets_listing(_rows(table))
        assert pools == _counts(sorted(set(_down(running).values())))
        _check_down(running, targets, PLAN.pool_names)
        assert len(targets) == PLAN.down
        # A pool by its name: one with targets down, and one all up.
        health = PLAN.pool_health()
        for pool in (PLAN.pool_names[0], PLAN.pool_names[-1]):
            await pilot.press("slash", "ctrl+u")
            await type_text(pilot, pool)
            await pilot.press("enter")
            pools, targets = _targets_listing(_rows(table))
            assert pools == _counts([pool])
            assert len(targets) == health[pool][1]
            _check_down(running, targets, [pool])
        assert health[PLAN.pool_names[-1]][0] == health[PLAN.pool_names[-1]][1]  # all up


async def test_with_every_pool_folded_each_has_a_line_and_the_down_filter_opens_them(
    running: Fleet,
) -> None:
    app = _app(running)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _targets_shown(pilot, app)
        # Enter on a pool folds it: the next pool's line comes next.
        await pilot.press("home")
        for pool in sorted(PLAN.pool_names):
            assert row_text(table, table.cursor_key or "").startswith(f"▾ {pool}  ")
            await pilot.press("enter", "down")
        await pilot.pause()
        # One screen holds every pool, folded, with its count.
        lines = [table.render_line(y).text for y in range(1, table.size.height)]
        assert [line.split()[:1] for line in lines[: PLAN.pools]] == [["▸"]] * PLAN.pools
        pools, targets = _targets_listing(lines)
        assert pools == _counts() and not targets
        # Asked for what is down, every folded pool with some opens to show them.
        await pilot.press("h", "h")
        await wait_for(pilot, lambda: _targets_listing(_rows(table))[1], what="the down targets")
        pools, targets = _targets_listing(_rows(table))
        assert pools == _counts(sorted(set(_down(running).values())))
        _check_down(running, targets, PLAN.pool_names)
        # Back to all, folded again; Enter on the first pool unfolds it alone.
        await pilot.press("h", "h", "home", "enter")
        pools, targets = _targets_listing(_rows(table))
        first = sorted(PLAN.pool_names)[0]
        assert pools == _counts() and len(targets) == PLAN.pool_health()[first][1]
        _check_down(running, targets, [first])


# ---------------------------------------------------------------- the overview


def _overview_listing(lines: Iterable[str]) -> tuple[dict[str, str], dict[str, Listed]]:
    """The overview's Targets box read back: each pool's count, each listed instance."""
    pools: dict[str, str] = {}
    targets: dict[str, Listed] = {}
    pool = instance = ""
    for line in lines:
        words = line.split()
        if not words or words[0] == "…":  # `… 47 more up`
            continue
        if words[0] in ("✖", "✔", "?"):
            instance = words[1]
            health = {"✖": "down", "✔": "up"}.get(words[0], "unknown")
            targets[instance] = Listed(pool, health)
        elif words[0] == "└":
            targets[instance].error = line.split("last error", 1)[1].strip()
        else:
            pool = words[0]
            pools[pool] = " ".join(words[1:3])  # then the health bar
    return pools, targets


def _overview_table(app: PromdashApp) -> KeyedTable:
    return app.dashboard.overview.query_one("#overview-targets", KeyedTable)


async def _overview_shown(pilot: Pilot[Any], app: PromdashApp) -> KeyedTable:
    assert app.dashboard.active == "overview"  # auto: the terminal has room for it
    box = app.dashboard.overview.query_one("#overview-targets-box")
    await wait_for(pilot, lambda: " up" in str(box.border_title), what="the targets' first answer")
    assert box.border_title == f"Targets {PLAN.up}/{PLAN.targets} up"
    return _overview_table(app)


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_the_overview_draws_every_pools_line_and_every_down_target(
    running: Fleet, size: tuple[int, int]
) -> None:
    app = _app(running, layout="auto")
    async with app.run_test(size=size) as pilot:
        table = await _overview_shown(pilot, app)
        pools, targets = _overview_listing(await _page_through(pilot, table))
        assert pools == _counts()
        down = {running.instance(t): t.pool for t in PLAN.all_targets() if not t.up}
        assert {i: t.pool for i, t in targets.items() if t.health == "down"} == down
        for instance in down:
            error = targets[instance].error
            # Whole where the box is wide enough; else cut, and whole one Enter away.
            assert error == REFUSED or (error.endswith("…") and REFUSED.startswith(error[:-1]))
        if size >= (120, 40):
            assert all(targets[i].error == REFUSED for i in down)


async def test_at_100x30_enter_on_a_down_target_of_the_overview_shows_its_whole_error(
    running: Fleet,
) -> None:
    app = _app(running, layout="auto")
    async with app.run_test(size=(100, 30)) as pilot:  # the smallest overview: errors cut
        table = await _overview_shown(pilot, app)
        detail = app.dashboard.targets.query_one("#target-detail")
        # The first pool's down targets (rows 1 and 3, their errors under them), and the
        # last one of all: from the end, up until a down target's row.
        moves = [("home", "down"), ("home", "down", "down", "down"), ("end",)]
        shown = []
        for keys in moves:
            await pilot.press(*keys)
            for _ in range(10):
                words = row_text(table, table.cursor_key or "").split()
                if words[:1] == ["✖"]:
                    break
                await pilot.press("up")
            shown.append(words[1])
            url = f"http://{words[1]}/metrics"
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: (
                    app.dashboard.active == "targets" and text_of(detail).startswith(f"{url}  down")  # noqa: B023
                ),
                what=f"{url} in the Targets panel",
            )
            assert text_of(detail).rstrip().endswith(REFUSED), text_of(detail)
            await pilot.press("escape")
            await wait_for(
                pilot,
                lambda: app.dashboard.active == "overview" and app.focused is table,
                what="back on the overview's targets",
            )
        down = {running.instance(t): t.pool for t in PLAN.all_targets() if not t.up}
        first, last = min(down.values()), max(down.values())  # pools by name
        assert shown[:2] == sorted(i for i, pool in down.items() if pool == first)
        assert shown[2] == max(i for i, pool in down.items() if pool == last)


# ---------------------------------------------------------------- the alert storm's rule


def _alert_rows(table: KeyedTable, rule_row: str) -> list[str]:
    """The alert lines listed under one rule of the Alerts panel (keyed after it)."""
    return [row_text(table, k) for k in table.row_keys if k.startswith(rule_row + "|")]


def _rule_row(table: KeyedTable, name: str, group: str) -> str:
    return next(
        k for k in table.row_keys if k.startswith("rule|") and k.endswith(f"|{group}|0|{name}")
    )


async def test_a_storms_rule_is_counted_as_the_server_counts_it_and_listed_on_enter(
    running: Fleet,
) -> None:
    # StormUp01 fires for every up target: more alerts than a rule lists unasked.
    assert PLAN.up > LIST_UP_TO
    firing = running.query('count(ALERTS{alertstate="firing"})')
    storm = running.query('count(ALERTS{alertname="StormUp01", alertstate="firing"})')
    assert (firing, storm) == (PLAN.firing, PLAN.up)  # what the server counts, as planned
    app = _app(running, panel="alerts")
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.dashboard.alerts
        table = panel.table
        await wait_for(pilot, lambda: panel.groups is not None, what="the rules' first answer")
        tab = app.dashboard.query_one("#tab-alerts", Tab)
        assert tab.label_text == f"3 Alerts {PLAN.firing} firing"
        storm_row = _rule_row(table, "StormUp01", "storm")
        more = MORE + storm_row
        # Counted, not listed: the rule's line says how many, the line under it offers them.
        assert row_text(table, storm_row).split()[:3] == ["StormUp01", "firing", f"({PLAN.up})"]
        assert row_text(table, more).strip() == f"▸ {PLAN.up:,} firing alerts (Enter lists them)"
        assert _alert_rows(table, storm_row) == []
        # The few alerts of each pool's TargetDown are listed, each down target's in its pool.
        listed = {
            row.split()[1]: pool
            for pool in PLAN.pool_names
            if pool in {t.pool for t in PLAN.all_targets() if not t.up}
            for row in _alert_rows(table, _rule_row(table, "TargetDown", pool))
        }
        assert listed == {running.instance(t): t.pool for t in PLAN.all_targets() if not t.up}
        # Enter on that line asks for the rule's alerts and lists every one of them.
        table.focus()
        table.move_cursor(row=table.row_keys.index(more))
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: len(_alert_rows(table, storm_row)) == PLAN.up, what="StormUp01's alerts"
        )
        instances = {row.split()[1] for row in _alert_rows(table, storm_row)}
        assert instances == {running.instance(t) for t in PLAN.all_targets() if t.up}
        assert row_text(table, more).strip() == (
            f"▾ {PLAN.up:,} firing alerts listed below (Enter folds them)"
        )
        assert tab.label_text == f"3 Alerts {PLAN.firing} firing"  # the same counts
        # They stay listed on the next answers, until Enter folds them again.
        await polls_go_on(pilot, app, 1)
        assert len(_alert_rows(table, storm_row)) == PLAN.up
        table.move_cursor(row=table.row_keys.index(more))
        await pilot.press("enter")
        await pilot.pause()
        assert _alert_rows(table, storm_row) == []
        assert row_text(table, more).strip() == f"▸ {PLAN.up:,} firing alerts (Enter lists them)"
        await polls_go_on(pilot, app, 1)
        assert _alert_rows(table, storm_row) == []


async def test_the_overview_counts_a_storms_rule_on_one_line_that_opens_it(running: Fleet) -> None:
    app = _app(running, layout="auto")
    async with app.run_test(size=(120, 40)) as pilot:
        overview = app.dashboard.overview
        table = overview.query_one("#overview-alerts", KeyedTable)
        await wait_for(pilot, lambda: overview.groups is not None, what="the rules' first answer")
        pools_down = {t.pool for t in PLAN.all_targets() if not t.up}
        box = overview.query_one("#overview-alerts-box")
        assert box.border_title == (
            f"Alerts {PLAN.firing} firing ({1 + len(pools_down)} rules)"  # StormUp01, TargetDown
        )
        rows = _rows(table)
        counted = [row for row in rows if "StormUp01" in row]
        assert [row.split() for row in counted] == [
            ["●", "firing", "StormUp01", f"{PLAN.up:,}", "firing", "alerts,", "counted", "(Enter",
             "lists", "them", "in", "the", "Alerts", "panel)"]
        ]  # fmt: skip
        # Every down target's alert is listed, one line each.
        down = [row for row in rows if row.split()[:3] == ["●", "firing", "TargetDown"]]
        assert len(down) == PLAN.down
        # Enter on the counted line opens the rule in the Alerts panel.
        table.focus()
        table.move_cursor(row=rows.index(counted[0]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.dashboard.active == "alerts", what="the Alerts panel")
        alerts = app.dashboard.alerts.table
        await wait_for(
            pilot,
            lambda: (alerts.cursor_key or "").endswith("|storm|0|StormUp01"),
            what="the cursor on StormUp01",
        )
