"""The scale fixture (tests/fleet.py) at a small size: it comes up, and promdash sees all of it.

A real Prometheus (Debian's) scraping 200 file-discovered targets in 20 pools
served by a real nginx, 8 of them down, with 30 alerting rules of which one
fires for every up target. `promdash targets` and `promdash alerts` run as
users run them (subprocesses) and must report exactly what the fleet is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, require_prometheus
from tests.fleet import Fleet, FleetError, Plan, find_nginx, fleet
from tests.integration.test_query_cli import child_env, run

pytestmark = pytest.mark.prometheus

PLAN = Plan(targets=200, pools=20, rules=30, storm=1, interval="1s")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    require_prometheus()
    if find_nginx() is None:
        message = "no nginx binary (Debian: apt-get install nginx)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        with fleet(PLAN, tmp_path_factory.mktemp("fleet"), timeout=60) as up:
            yield up
    except FleetError as e:
        pytest.fail(str(e))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No running promdash stack (another test's) is found for Alertmanager's side.
    return child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))


def test_the_plan_is_a_fleet_with_some_down_in_most_pools() -> None:
    assert (PLAN.up, PLAN.down) == (192, 8)
    assert PLAN.firing == 192 + 8  # the storm, and each pool's TargetDown
    assert sum(PLAN.pool_rule_counts()) + PLAN.storm == 30


def test_targets_json_counts_every_pool_and_names_every_down_target(
    running: Fleet, env: dict[str, str]
) -> None:
    result = run("targets", "--url", running.url, "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    expected_pools = {
        name: (sum(t.up for t in PLAN.pool_targets(p)), len(PLAN.pool_targets(p)))
        for p, name in enumerate(PLAN.pool_names)
    }
    assert {p["pool"]: (p["up"], p["total"]) for p in document["pools"]} == expected_pools
    targets = document["targets"]
    assert len(targets) == PLAN.targets
    assert Counter(t["health"] for t in targets) == {"up": PLAN.up, "down": PLAN.down}
    down = {t["labels"]["instance"]: t["lastError"] for t in targets if t["health"] == "down"}
    assert set(down) == {f"{t.host}:{running.port}" for t in PLAN.all_targets() if not t.up}
    assert all("connection refused" in error for error in down.values()), down
    # The pools' distinguishing labels reach promdash.
    assert all({"env", "region", "team", "rack"} <= set(t["labels"]) for t in targets)


def test_targets_table_has_every_pool_with_its_count(running: Fleet, env: dict[str, str]) -> None:
    result = run("targets", "--url", running.url, env=env)
    assert result.returncode == 0, result.stderr
    headers = [block.splitlines()[0] for block in result.stdout.strip().split("\n\n")]
    expected = [
        f"{name}  {sum(t.up for t in PLAN.pool_targets(p))}/{len(PLAN.pool_targets(p))} up"
        for p, name in enumerate(PLAN.pool_names)
    ]
    assert headers == sorted(expected)  # pools by name


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
