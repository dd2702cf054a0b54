"""Asking the server for less: scrapePool on targets; exclude_alerts, rule names and groups,
and pagination on rules; the same result from servers that ignore them.

Against Debian's real Prometheus 2.42 (the scale fixture, tests/fleet.py, at a
small size), which was seen to do this:
- `/api/v1/targets?scrapePool=NAME` answers that pool's targets only (an unknown
  pool: none, without an error);
- `/api/v1/rules` ignores `exclude_alerts` (2.49), `rule_name[]`, `rule_group[]`,
  `file[]` (2.44) and `group_limit` / `group_next_token` (3.0) without an error:
  every group, every rule, every alert comes back.
And against what Prometheus 3 answers the same requests, built from its API
documentation (tests/data/prom3, served by a real HTTP server): it honours them.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import msgspec.structs
import pytest

from promdash.config import Connection
from promdash.prom.client import PromClient
from promdash.prom.types import RuleGroup
from tests.conftest import IN_CI, require_prometheus
from tests.fleet import Fleet, FleetError, Plan, find_nginx, fleet
from tests.integration.prom3_server import PROM3, Prom3Server
from tests.integration.test_query_cli import child_env, run

pytestmark = pytest.mark.prometheus

# 5 pools of 20 targets; one down in each of api-01, db-02, cache-03, web-04.
PLAN = Plan(targets=100, pools=5, rules=15, storm=1, interval="1s")


@pytest.fixture(scope="module")
def prom2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
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
def prom3() -> Iterator[Prom3Server]:
    with Prom3Server() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No running promdash stack (another test's) is found for Alertmanager's side.
    return child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))


def alerts_of(groups: list[RuleGroup]) -> dict[tuple[str, str], int]:
    return {(g.name, r.name): len(r.alerts) for g in groups for r in g.alerting}


# ---------------------------------------------------------------- Prometheus 2.42


async def test_one_pool_is_asked_of_2_42(prom2: Fleet) -> None:
    async with PromClient(Connection(prom2.url)) as client:
        pool = await client.targets(state="active", scrape_pool="db-02")
        expected = {f"{t.host}:{prom2.port}" for t in PLAN.pool_targets(2)}
        assert {t.instance for t in pool.active} == expected
        assert {t.scrape_pool for t in pool.active} == {"db-02"}
        assert [t.health for t in pool.active].count("down") == 1
        assert not client.ignores("scrapePool")
        nothing = await client.targets(state="active", scrape_pool="no-such-pool")
        assert nothing.active == []


async def test_2_42_ignores_exclude_alerts_and_the_client_drops_them(prom2: Fleet) -> None:
    async with PromClient(Connection(prom2.url)) as client:
        everything = await client.rules(type="alert")
        assert not client.ignores("exclude_alerts")
        rules_only = await client.rules(type="alert", exclude_alerts=True)
        assert client.ignores("exclude_alerts")  # the answer had alerts all the same
        assert alerts_of(rules_only) == dict.fromkeys(alerts_of(everything), 0)
        # What is left is the rules as they were, their state included (the storm fires).
        assert rules_only == [
            msgspec.structs.replace(
                g, alerting=[msgspec.structs.replace(r, alerts=[]) for r in g.alerting]
            )
            for g in everything
        ]
        assert {r.state for g in rules_only for r in g.alerting} == {"firing", "inactive"}


async def test_alert_rules_of_2_42_count_every_rules_alerts_and_list_the_few(prom2: Fleet) -> None:
    async with PromClient(Connection(prom2.url)) as client:
        everything = {
            (g.name, r.name): r for g in await client.rules(type="alert") for r in g.alerting
        }
        storm = everything[("storm", "StormUp01")]
        assert storm.count("firing") == PLAN.up > 5  # more than listed below
        for also in ((), [("storm", "StormUp01")]):
            groups = await client.alert_rules(list_up_to=5, also=also)
            assert client.ignores("exclude_alerts")  # the alerts came, and were skipped
            rules = {(g.name, r.name): r for g in groups for r in g.alerting}
            assert rules.keys() == everything.keys()
            for key, rule in rules.items():
                full = everything[key]
                for state in ("firing", "pending"):
                    assert rule.count(state) == full.count(state), (key, state)
                assert rule.listed == (len(full.alerts) <= 5 or key in also), key
                # In any order: Prometheus sends a rule's alerts in its map's order.
                assert sorted(rule.alerts, key=repr) == sorted(
                    full.alerts if rule.listed else [], key=repr
                ), key
                assert msgspec.structs.replace(
                    rule, alerts=[], counts=None
                ) == msgspec.structs.replace(full, alerts=[])


async def test_2_42_ignores_rule_filters_and_the_client_keeps_one_rule(prom2: Fleet) -> None:
    async with PromClient(Connection(prom2.url)) as client:
        one = await client.rules(type="alert", rule_group=["db-02"], rule_name=["TargetDown"])
        assert client.ignores("rule_name[]")
        assert [(g.name, [r.name for r in g.alerting]) for g in one] == [("db-02", ["TargetDown"])]
        down = [t for t in PLAN.pool_targets(2) if not t.up]
        assert [a.labels["instance"] for a in one[0].alerting[0].alerts] == [
            f"{t.host}:{prom2.port}" for t in down
        ]
        # A name alone keeps that rule of every group (TargetDown is in each pool's group).
        named = await client.rules(type="alert", rule_name=["TargetDown"])
        assert [g.name for g in named] == sorted(PLAN.pool_names)
        assert not await client.rules(type="alert", rule_name=["NoSuchRule"])


async def test_2_42_ignores_group_limit_and_answers_every_group_in_one_page(prom2: Fleet) -> None:
    async with PromClient(Connection(prom2.url)) as client:
        page = await client.rule_page(type="alert", group_limit=2, exclude_alerts=True)
        assert page.next_token == ""
        assert [g.name for g in page.groups] == [g.name for g in await client.rules(type="alert")]
        assert client.ignores("group_limit")


def steady(document: dict[str, Any]) -> dict[str, Any]:
    """`promdash targets --json` without what changes from one scrape to the next."""
    moving = ("lastScrape", "lastScrapeAgoSeconds", "lastScrapeDurationSeconds")
    targets = [{k: v for k, v in t.items() if k not in moving} for t in document["targets"]]
    return {**document, "targets": targets}


def test_targets_pool_prints_that_pool_as_before(prom2: Fleet, env: dict[str, str]) -> None:
    whole = run("targets", "--url", prom2.url, "--json", env=env)
    pool = run("targets", "--url", prom2.url, "--pool", "db-02", "--json", env=env)
    assert whole.returncode == pool.returncode == 0, whole.stderr + pool.stderr
    everything = steady(json.loads(whole.stdout))
    assert steady(json.loads(pool.stdout)) == {
        "version": everything["version"],
        "pools": [{"pool": "db-02", "up": 19, "total": 20}],
        "targets": [t for t in everything["targets"] if t["pool"] == "db-02"],
    }
    table = run("targets", "--url", prom2.url, "--pool", "db-02", env=env)
    assert table.stdout.splitlines()[0] == "db-02  19/20 up"
    assert len(table.stdout.splitlines()) == 2 + 20  # the pool, headers, its targets


# ---------------------------------------------------------------- Prometheus 3 (documented)


async def test_prometheus_3_pages_of_rules_without_alerts(prom3: Prom3Server) -> None:
    async with PromClient(Connection(prom3.url)) as client:
        first = await client.rule_page(type="alert", group_limit=1, exclude_alerts=True)
        assert [g.name for g in first.groups] == ["example"]
        assert first.next_token
        second = await client.rule_page(
            type="alert", group_limit=1, exclude_alerts=True, group_next_token=first.next_token
        )
        assert [g.name for g in second.groups] == ["node"]
        assert second.next_token == ""
        rules = [r for g in (*first.groups, *second.groups) for r in g.alerting]
        assert [(r.name, r.state, r.alerts) for r in rules] == [
            ("HighRequestLatency", "firing", []),
            ("InstanceDown", "firing", []),
            ("DiskAlmostFull", "inactive", []),
        ]
        assert not any(client.ignores(f) for f in ("exclude_alerts", "group_limit", "rule_name[]"))
        assert len(prom3.requests) == 2


async def test_prometheus_3_sends_one_rules_alerts(prom3: Prom3Server) -> None:
    async with PromClient(Connection(prom3.url)) as client:
        one = await client.rules(type="alert", rule_group=["node"], rule_name=["InstanceDown"])
        assert [(g.name, [r.name for r in g.alerting]) for g in one] == [("node", ["InstanceDown"])]
        (alert,) = one[0].alerting[0].alerts
        assert alert.labels["k8s.namespace.name"] == "monitoring"
        assert not client.ignores("rule_name[]")


def test_targets_pool_asks_prometheus_3_for_that_pool_only(
    prom3: Prom3Server, env: dict[str, str]
) -> None:
    result = run("targets", "--url", prom3.url, "--pool", "node_exporter", env=env)
    assert result.returncode == 0, result.stderr
    assert prom3.requests == [
        ("/api/v1/targets", (("scrapePool", "node_exporter"), ("state", "active")))
    ]
    assert result.stdout.splitlines()[0] == "node_exporter  1/2 up"
    assert "prometheus" not in result.stdout


class _Prom3Rules(BaseHTTPRequestHandler):
    """Prometheus 3's rules API as its documentation says it answers (the rules and alerts
    of tests/data/prom3/rules.json, built from it): `exclude_alerts` leaves every alert
    out, `rule_group[]` and `rule_name[]` keep what they name; and the `ALERTS` series of
    those alerts, counted as the dashboard asks. No Prometheus 3 runs here."""

    asked: ClassVar[list[list[tuple[str, str]]]] = []
    answer: ClassVar[Path] = PROM3 / "rules.json"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = parse_qsl(url.query)
        self.asked.append(params)
        rules = json.loads(self.answer.read_text())["data"]["groups"]
        if url.path == "/api/v1/rules":
            names = {v for k, v in params if k == "rule_name[]"}
            wanted = {v for k, v in params if k == "rule_group[]"}
            groups = []
            for group in rules:
                kept = [r for r in group["rules"] if not names or r["name"] in names]
                if ("exclude_alerts", "true") in params:
                    kept = [{k: v for k, v in r.items() if k != "alerts"} for r in kept]
                if kept and (not wanted or group["name"] in wanted):
                    groups.append({**group, "rules": kept})
            data: object = {"groups": groups}
        elif params == [("query", "count by (alertname, alertstate) (ALERTS)")]:
            counts = Counter(
                (a["labels"]["alertname"], a["state"])
                for group in rules
                for r in group["rules"]
                for a in r.get("alerts") or ()
            )
            result = [
                {"metric": {"alertname": n, "alertstate": s}, "value": [1e9, str(c)]}
                for (n, s), c in counts.items()
            ]
            data = {"resultType": "vector", "result": result}
        else:
            self.send_error(400)
            return
        body = json.dumps({"status": "success", "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def prom3_rules() -> Iterator[str]:
    _Prom3Rules.asked = []
    _Prom3Rules.answer = PROM3 / "rules.json"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prom3Rules)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_alert_rules_of_prometheus_3_are_counted_from_alerts_and_listed_by_name(
    prom3_rules: str,
) -> None:
    documented = {
        (g["name"], r["name"]): r.get("alerts") or []
        for g in json.loads((PROM3 / "rules.json").read_text())["data"]["groups"]
        for r in g["rules"]
    }
    async with PromClient(Connection(prom3_rules)) as client:
        counted = await client.alert_rules(list_up_to=0)
        assert not client.ignores("exclude_alerts")
        rules = {(g.name, r.name): r for g in counted for r in g.alerting}
        assert rules.keys() == documented.keys()
        for key, rule in rules.items():
            assert rule.count("firing") == len(documented[key]), key  # each fires once
            assert rule.alerts == [] and rule.listed == (not documented[key]), key
        # Counted from ALERTS: the rules asked without alerts, then the counts; no more.
        assert [dict(p).get("query", "rules") for p in _Prom3Rules.asked] == [
            "rules",
            "count by (alertname, alertstate) (ALERTS)",
        ]
        _Prom3Rules.asked = []
        listed = await client.alert_rules(list_up_to=5)
        rules = {(g.name, r.name): r for g in listed for r in g.alerting}
        for key, rule in rules.items():
            assert rule.listed, key
            assert [a.labels for a in rule.alerts] == [a["labels"] for a in documented[key]]
        # Their alerts asked for by group and name, in one request.
        assert sorted(_Prom3Rules.asked[-1]) == [
            ("rule_group[]", "example"),
            ("rule_group[]", "node"),
            ("rule_name[]", "HighRequestLatency"),
            ("rule_name[]", "InstanceDown"),
            ("type", "alert"),
        ]


async def test_rules_of_one_name_in_one_group_keep_their_own_alerts(
    prom3_rules: str, tmp_path: Path
) -> None:
    """A warning and a critical rule named alike in one group (as kube-prometheus has
    them), the warning inactive: the critical rule's alerts, asked apart by name, must
    not be given to the warning (the critical rule then showed firing with no alert)."""
    documented = json.loads((PROM3 / "rules.json").read_text())
    group = documented["data"]["groups"][0]
    firing = group["rules"][0]
    alert = firing["alerts"][0]
    critical = {
        **firing,
        "labels": {"severity": "critical"},
        "alerts": [
            {**alert, "labels": {**alert["labels"], "severity": "critical", "instance": i}}
            for i in ("a:9100", "b:9100")
        ],
    }
    warning = {**firing, "state": "inactive", "labels": {"severity": "warning"}, "alerts": []}
    group["rules"] = [warning, critical]
    documented["data"]["groups"] = [group]
    _Prom3Rules.answer = tmp_path / "rules.json"
    _Prom3Rules.answer.write_text(json.dumps(documented))
    async with PromClient(Connection(prom3_rules)) as client:
        [answer] = await client.alert_rules(list_up_to=5)
    first, second = answer.alerting
    assert first.labels == {"severity": "warning"} and first.listed and first.alerts == []
    assert second.labels == {"severity": "critical"} and second.listed
    assert [a.labels["instance"] for a in second.alerts] == ["a:9100", "b:9100"]
    assert second.count("firing") == 2
