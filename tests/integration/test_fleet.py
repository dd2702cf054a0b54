"""The scale fixture (tests/fleet.py) at CI's size: promdash reports all of it.

A real Prometheus (Debian's) scraping 1,010 file-discovered targets in 20 pools
served by a real nginx; 1 in 25 have nothing listening (down, "connection
refused") except in the last three pools, which are all up; 30 alerting rules of
which one fires for every up target. `promdash targets` (table, `--json`,
`--pool`, `--state`) and `promdash alerts` run as users run them (subprocesses)
and must report every pool with its count and every down target with its error,
as the plan made them: nothing here is a hard-coded count.

The dashboard's side is tests/tui/test_fleet_app.py; it starts the same plan
through `ci_fleet` (each module starts its own: a fleet kept for the whole
session would scrape 1,000 targets under every test that runs after it).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import IN_CI, require_prometheus
from tests.fleet import Fleet, FleetError, Plan, find_nginx, fleet
from tests.integration.test_query_cli import child_env, run

pytestmark = pytest.mark.prometheus

# ~1,000 targets in ~20 pools of unequal sizes (51 and 50), some down in most pools.
# A 2 s interval: ready in about 10 s, and half the load of 1 s while the tests run.
PLAN = Plan(targets=1010, pools=20, rules=30, storm=1, interval="2s", healthy=3)


@contextlib.contextmanager
def ci_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """PLAN running and ready (every target scraped, every alert firing); a test
    module's fixture. Without nginx or Prometheus: a skip, or in CI a failure."""
    require_prometheus()
    if find_nginx() is None:
        message = "no nginx binary (Debian: apt-get install nginx)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        with fleet(PLAN, tmp_path_factory.mktemp("fleet"), timeout=90) as up:
            yield up
    except FleetError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with ci_fleet(tmp_path_factory) as up:
        yield up


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No running promdash stack (another test's) is found for Alertmanager's side.
    return child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))


def _down(running: Fleet) -> dict[str, str]:
    """Every down target's scrape URL, and its pool."""
    return {running.scrape_url(t): t.pool for t in PLAN.all_targets() if not t.up}


def _blocks(table: str) -> dict[str, list[str]]:
    """`promdash targets`' table by pool: its header line, then the target lines."""
    blocks: dict[str, list[str]] = {}
    for block in table.strip().split("\n\n"):
        header, columns, *lines = block.splitlines()
        assert columns.split()[:2] == ["ENDPOINT", "HEALTH"], block[:300]
        blocks[header] = lines
    return blocks


def _check_block(running: Fleet, pool: str, header: str, lines: list[str]) -> None:
    """One pool's block: its `N/M up`, a line per target, each down one with its error."""
    up, total = PLAN.pool_health()[pool]
    assert header == f"{pool}  {up}/{total} up"
    assert len(lines) == total, (pool, len(lines))
    by_url = {line.split()[0]: line for line in lines}
    members = [t for t in PLAN.all_targets() if t.pool == pool]
    assert set(by_url) == {running.scrape_url(t) for t in members}, pool
    for target in members:
        words = by_url[running.scrape_url(target)].split()
        if target.up:
            assert words[1] == "up" and words[-1] == "-", words
        else:
            assert words[1] == "down" and words[-2:] == ["connection", "refused"], words


def test_the_plan_is_a_fleet_with_some_down_in_most_pools() -> None:
    health = PLAN.pool_health()
    assert len(health) == PLAN.pools == 20
    assert sum(total for _, total in health.values()) == PLAN.targets == 1010
    assert {total for _, total in health.values()} == {50, 51}
    with_down = [pool for pool, (up, total) in health.items() if up < total]
    assert len(with_down) == PLAN.pools - PLAN.healthy  # most pools, not all
    assert all(health[pool][1] - health[pool][0] >= 2 for pool in with_down)
    assert PLAN.down == sum(total - up for up, total in health.values())
    assert PLAN.firing == PLAN.up + PLAN.down  # the storm, and each pool's TargetDown
    assert sum(PLAN.pool_rule_counts()) + PLAN.storm == 30


def test_targets_json_counts_every_pool_and_names_every_down_target_with_its_error(
    running: Fleet, env: dict[str, str]
) -> None:
    result = run("targets", "--url", running.url, "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {p["pool"]: (p["up"], p["total"]) for p in document["pools"]} == PLAN.pool_health()
    targets = document["targets"]
    assert sorted(t["endpoint"] for t in targets) == sorted(
        running.scrape_url(t) for t in PLAN.all_targets()
    )
    assert Counter(t["health"] for t in targets) == {"up": PLAN.up, "down": PLAN.down}
    down = {t["endpoint"]: (t["pool"], t["lastError"]) for t in targets if t["health"] == "down"}
    assert {url: pool for url, (pool, _) in down.items()} == _down(running)
    assert all(error.endswith("connection refused") for _, error in down.values()), down
    # The pools' distinguishing labels reach promdash.
    assert all({"env", "region", "team", "rack"} <= set(t["labels"]) for t in targets)


def test_targets_state_down_lists_exactly_the_down_targets(
    running: Fleet, env: dict[str, str]
) -> None:
    result = run("targets", "--url", running.url, "--json", "--state", "down", env=env)
    assert result.returncode == 0, result.stderr
    targets = json.loads(result.stdout)["targets"]
    assert {t["endpoint"]: t["pool"] for t in targets} == _down(running)
    assert all(t["lastError"].endswith("connection refused") for t in targets), targets


def test_targets_table_has_every_pool_with_its_count_and_every_down_target_with_its_error(
    running: Fleet, env: dict[str, str]
) -> None:
    result = run("targets", "--url", running.url, env=env)
    assert result.returncode == 0, result.stderr
    blocks = _blocks(result.stdout)
    pools = [header.split()[0] for header in blocks]
    assert pools == sorted(PLAN.pool_names)  # every pool, by name
    for pool, (header, lines) in zip(pools, blocks.items(), strict=True):
        _check_block(running, pool, header, lines)


def test_targets_pool_shows_that_pool_alone_for_each_pool(
    running: Fleet, env: dict[str, str]
) -> None:
    def one(pool: str) -> tuple[str, str]:
        result = run("targets", "--url", running.url, "--pool", pool, env=env)
        assert result.returncode == 0, (pool, result.stderr)
        return pool, result.stdout

    # Two at a time (a core each): 20 whole processes, each mostly start-up.
    with ThreadPoolExecutor(max_workers=2) as pool_runs:
        answers = list(pool_runs.map(one, PLAN.pool_names))
    for pool, stdout in answers:
        blocks = _blocks(stdout)
        assert len(blocks) == 1, (pool, list(blocks))
        [(header, lines)] = blocks.items()
        _check_block(running, pool, header, lines)


def test_alerts_json_reports_the_storm_and_every_down_target(
    running: Fleet, env: dict[str, str]
) -> None:
    result = run("alerts", "--url", running.url, "--json", env=env)
    assert result.returncode == 0, result.stderr
    alerts = json.loads(result.stdout)["alerts"]
    assert Counter(a["state"] for a in alerts) == {
        "firing": PLAN.firing,
        "inactive": PLAN.silent_rules,
    }
    firing = Counter(a["name"] for a in alerts if a["state"] == "firing")
    assert firing == {"StormUp01": PLAN.up, "TargetDown": PLAN.down}
    # Each down target's own alert, in its pool's group.
    down = {running.instance(t): t.pool for t in PLAN.all_targets() if not t.up}
    assert {
        a["labels"]["instance"]: a["group"]
        for a in alerts
        if a["name"] == "TargetDown" and a["state"] == "firing"
    } == down
