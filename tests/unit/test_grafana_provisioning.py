"""The demo stack's Grafana provisioning: datasource, dashboard provider, dashboard.

Grafana itself is absent here: no Grafana image or package can be had on these
machines, so no real Grafana loads these files in any test. What can be checked
without it is checked: the files parse, they agree with each other and with
what the Docker runtime gives the Grafana container, and (with a real
Prometheus, the local test stack) every dashboard query is accepted by
Prometheus. Grafana's own macros ($__rate_interval) are replaced the way
Grafana would before the query is sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from promdash.stack import docker_specs as dockerrt
from promdash.stack.local import LocalRuntime
from promdash.stack.model import default_stack_path, load_stack
from tests.conftest import RunningStack

PROVISIONING = default_stack_path().parent / "demo" / "grafana"
DATASOURCE_UID = "promdash-prometheus"
# What Grafana substitutes before a query reaches Prometheus (its minimum for a
# 5s scrape interval is 4 x 5s = 20s; any valid range proves the syntax).
GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "15m"}


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _dashboards() -> list[dict[str, Any]]:
    paths = sorted((PROVISIONING / "dashboards").glob("*.json"))
    assert paths, "no dashboard JSON provisioned"
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def _queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel."""
    return [
        (panel["title"], target["expr"])
        for dashboard in _dashboards()
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def _expand(expr: str) -> str:
    for macro, value in GRAFANA_MACROS.items():
        expr = expr.replace(macro, value)
    return expr


def test_the_stack_points_grafana_at_this_folder() -> None:
    stack = load_stack(default_stack_path())
    assert stack.base_dir / stack.grafana.provisioning == PROVISIONING


def test_datasource_is_the_default_prometheus_from_the_container_environment() -> None:
    (datasource,) = _yaml(PROVISIONING / "datasources" / "prometheus.yaml")["datasources"]
    assert datasource["uid"] == DATASOURCE_UID
    assert datasource["type"] == "prometheus"
    assert datasource["isDefault"] is True
    assert datasource["url"] == "$PROMDASH_PROMETHEUS_URL"
    # ... which is the variable the docker runtime sets, to the Prometheus container.
    stack = load_stack(default_stack_path())
    specs = dockerrt.container_specs(stack, state_directory=Path("/state"))
    grafana = next(s for s in specs if s.service == "grafana")
    assert grafana.environment["PROMDASH_PROMETHEUS_URL"] == "http://promdash-demo-prometheus:9090"


def test_dashboard_provider_reads_the_provisioning_folder_on_both_runtimes() -> None:
    """The provider's path follows GF_PATHS_PROVISIONING: the official image sets it to
    the folder the docker runtime mounts, the local runtime points it at the stack's."""
    (provider,) = _yaml(PROVISIONING / "dashboards" / "dashboards.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "${GF_PATHS_PROVISIONING}/dashboards"
    stack = load_stack(default_stack_path())
    grafana = next(
        s
        for s in dockerrt.container_specs(stack, state_directory=Path("/state"))
        if s.service == "grafana"
    )
    mount = next(m for m in grafana.mounts if m.source == str(PROVISIONING))
    assert mount.target == "/etc/grafana/provisioning"  # the image's GF_PATHS_PROVISIONING
    assert "GF_PATHS_PROVISIONING" not in grafana.environment
    local_env = LocalRuntime()._grafana_env(stack, Path("/state"), "http://127.0.0.1:9090")
    assert Path(local_env["GF_PATHS_PROVISIONING"]) == PROVISIONING


def test_every_panel_uses_the_provisioned_datasource() -> None:
    for dashboard in _dashboards():
        assert dashboard["uid"] and dashboard["title"]
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == DATASOURCE_UID, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == DATASOURCE_UID, panel["title"]
                assert target["expr"].strip(), panel["title"]


def test_dashboard_covers_the_demo_metrics() -> None:
    text = " ".join(expr for _, expr in _queries())
    for needle in (
        "up",
        "rate(rpc_durations_seconds_count",
        "rpc_durations_seconds)",
        "histogram_quantile(",
        "rpc_durations_histogram_seconds_bucket",
        'ALERTS{alertstate="firing"}',
    ):
        assert needle in text, needle


@pytest.mark.prometheus
def test_every_query_is_accepted_by_a_real_prometheus(local_stack: RunningStack) -> None:
    """Each panel's PromQL, as Grafana would send it, answers `success` from Prometheus."""
    with httpx.Client(base_url=local_stack.url, timeout=10) as client:
        for title, expr in _queries():
            answer = client.get("/api/v1/query", params={"query": _expand(expr)})
            body = answer.json()
            assert answer.status_code == 200, f"{title}: {expr}: {body.get('error')}"
            assert body["status"] == "success", f"{title}: {expr}"
        # And the demo data is there for the panels that need no history.
        up = client.get("/api/v1/query", params={"query": "up"}).json()["data"]["result"]
        assert len(up) == 4
