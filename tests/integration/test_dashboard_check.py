"""`promdash dashboard check` against real servers, as users run it.

A real Prometheus (Debian's) scrapes Debian's real prometheus-node-exporter every
second, under one job as two instances (`127.0.0.1:PORT` and `localhost:PORT`), and
itself; our own test dashboard (tests/data/grafana/node.json: every panel type promdash
draws, an open and a collapsed row, chained multi-value job -> instance variables with
All, `$__rate_interval`, datasource variables old and new) must check with every panel
drawable and every query answered with data. Bad files end in one line and exit 3
before any request; the demo dashboard checks cleanly against the demo stack.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from promdash.stack.local import find_prometheus
from promdash.stack.model import default_stack_path
from tests.conftest import IN_CI, RunningStack, free_port, require_prometheus
from tests.fleet import _spawn, _stop, _tail, scalar
from tests.integration.hostile import HostileServer
from tests.integration.test_query_cli import child_env, run

pytestmark = pytest.mark.prometheus

NODE_DASHBOARD = Path(__file__).parents[1] / "data" / "grafana" / "node.json"
DEMO_DASHBOARD = default_stack_path().parent / "demo" / "grafana" / "dashboards" / "demo.json"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
DOCS = Path(__file__).parents[2] / "docs" / "json-output.md"

# Few collectors: what the test dashboard reads. Filesystems of every type but the
# kernel's own, so a machine whose root is an overlay (a container) has one too.
COLLECTORS = ["cpu", "meminfo", "filesystem", "netdev", "loadavg", "uname", "stat", "time"]
FS_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|fusectl|hugetlbfs|mqueue|"
    "nsfs|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|sysfs|tracefs)$"
)

PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:{node}", "localhost:{node}"]
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{prometheus}"]
"""

# Every query of the dashboard needs two scrapes in its rate window; these say so.
READY = [
    'count(rate(node_cpu_seconds_total{job="node"}[1m])) > 0',
    'count(count by (instance) (node_uname_info{job="node"})) == 2',
    'count(rate(prometheus_http_request_duration_seconds_bucket{handler="/metrics"}[1m])) > 0',
]


@dataclass(frozen=True)
class NodeServer:
    url: str  # Prometheus
    node: str  # node_exporter's host:port


def require_node_exporter() -> None:
    if not Path(NODE_EXPORTER).exists():
        message = "no node exporter (Debian: apt-get install prometheus-node-exporter)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def node_prometheus(directory: Path, timeout: float = 60.0) -> Iterator[NodeServer]:
    """Debian's node_exporter and a Prometheus scraping it every second, both ready: every
    query in READY has an answer."""
    prometheus = find_prometheus()
    assert prometheus is not None
    node_port, prometheus_port = free_port(), free_port()
    while prometheus_port == node_port:
        prometheus_port = free_port()
    textfiles = directory / "textfile"
    textfiles.mkdir(parents=True, exist_ok=True)
    (directory / "prometheus.yml").write_text(
        PROMETHEUS_CONFIG.format(node=node_port, prometheus=prometheus_port)
    )
    logs = {directory / "node.log": "node_exporter", directory / "prometheus.log": "prometheus"}
    processes = []
    try:
        processes.append(_spawn([
            NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{node_port}",
            "--collector.disable-defaults", *(f"--collector.{c}" for c in COLLECTORS),
            "--collector.textfile", f"--collector.textfile.directory={textfiles}",
            f"--collector.filesystem.fs-types-exclude={FS_EXCLUDE}",
        ], directory / "node.log", directory))  # fmt: skip
        processes.append(_spawn([
            prometheus, f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ], directory / "prometheus.log", directory))  # fmt: skip
        url = f"http://127.0.0.1:{prometheus_port}"
        deadline = time.monotonic() + timeout
        while True:
            for process, (log, name) in zip(processes, logs.items(), strict=True):
                if process.poll() is not None:
                    pytest.fail(f"{name} exited ({process.returncode}):\n{_tail(log)}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                if all(scalar(url, expr) for expr in READY):
                    break
            if time.monotonic() > deadline:
                shown = "\n".join(f"--- {name}:\n{_tail(log)}" for log, name in logs.items())
                pytest.fail(f"node_exporter was not scraped within {timeout:g} s\n{shown}")
            time.sleep(0.3)
        yield NodeServer(url, f"127.0.0.1:{node_port}")
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    require_prometheus()
    require_node_exporter()
    with node_prometheus(tmp_path_factory.mktemp("node")) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))


def check(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    done = run("dashboard", "check", *args, env=env)
    return done.returncode, done.stdout, done.stderr


# ---------------------------------------------------------------- the node dashboard


def test_every_panel_of_the_node_dashboard_is_drawn_and_every_query_has_data(
    node: NodeServer, env: dict[str, str]
) -> None:
    code, out, err = check(str(NODE_DASHBOARD), "--url", node.url, env=env)
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"{NODE_DASHBOARD}  Node (promdash test)  (now-15m to now)")
    # The chained variables: All jobs, then All of that job's two instances.
    port = node.node.rsplit(":", 1)[1]
    assert any(line.split() == ["$job", "query", "All:", "node"] for line in lines), out
    assert any(
        line.split() == ["$instance", "query", "All:", f"127.0.0.1:{port},", f"localhost:{port}"]
        for line in lines
    ), out
    assert "row Storage and network details (collapsed)" in out
    assert "row Basic CPU / Mem / Net" in out
    for word in ("no data  ", "error:", "not drawn", "not run"):
        assert word not in out
    # 12 panels; the text panel has no query: 14 queries over the other 11.
    assert lines[-1] == "  12 of 12 panels drawn; 14 queries: 14 with data, 0 no data, 0 errors"


def documented_example() -> dict[str, Any]:
    """The example under `promdash dashboard check` in docs/json-output.md."""
    text = DOCS.read_text()
    section = text[text.index("## `promdash dashboard check") :]
    block = section[section.index("```json\n") + 8 : section.index("\n```\n")]
    example: dict[str, Any] = json.loads(block)
    return example


def keys(document: dict[str, Any]) -> dict[str, set[str]]:
    """The keys at each level of a check document (one item of each list)."""
    dashboard = document["dashboards"][0]
    panel = next(p for p in dashboard["panels"] if p["queries"])
    return {
        "document": set(document),
        "dashboard": set(dashboard),
        "time": set(dashboard["time"]),
        "variable": set(dashboard["variables"][0]),
        "panel": set(panel),
        "query": set(panel["queries"][0]),
        "summary": set(dashboard["summary"]),
    }


def test_json_has_the_documented_shape(node: NodeServer, env: dict[str, str]) -> None:
    code, out, err = check(str(NODE_DASHBOARD), "--url", node.url, "--json", env=env)
    assert code == 0, err
    document = json.loads(out)
    assert keys(document) == keys(documented_example())
    assert document["version"] == 1
    assert document["server"] == node.url
    (dashboard,) = document["dashboards"]
    assert dashboard["uid"] == "promdash-node-test"
    assert dashboard["time"]["from"] == "now-15m"
    assert dashboard["time"]["end"] - dashboard["time"]["start"] == pytest.approx(900, abs=1)
    port = node.node.rsplit(":", 1)[1]
    variables = {v["name"]: v for v in dashboard["variables"]}
    assert variables["instance"] == {
        "name": "instance", "type": "query", "status": "resolved", "all": True,
        "values": [f"127.0.0.1:{port}", f"localhost:{port}"], "error": None,
    }  # fmt: skip
    assert variables["datasource"]["values"] == ["Prometheus"]
    types = {p["type"] for p in dashboard["panels"]}
    assert types == {"timeseries", "graph", "stat", "gauge", "bargauge", "table", "heatmap", "text"}
    assert all(p["drawn"] for p in dashboard["panels"])
    collapsed = {p["title"] for p in dashboard["panels"] if p["rowCollapsed"]}
    assert collapsed == {
        "Filesystem available",
        "Filesystems",
        "Prometheus /metrics durations (buckets)",
        "Network errors and drops",
    }
    queries = [q for p in dashboard["panels"] for q in p["queries"]]
    assert {q["status"] for q in queries} == {"data"}
    assert all(q["series"] >= 1 and q["error"] is None for q in queries)
    # What was sent: variables replaced as Grafana does (All: each value regex-escaped),
    # and $__rate_interval over 15 minutes at the 15 s scrape interval Grafana assumes.
    cpu = next(p for p in dashboard["panels"] if p["title"] == "CPU by mode")["queries"][0]
    assert f'instance=~"(127\\\\.0\\\\.0\\\\.1:{port}|localhost:{port})"' in cpu["expr"]
    assert "[1m]" in cpu["expr"] and "$" not in cpu["expr"]
    assert (cpu["kind"], cpu["step"]) == ("range", 15.0)
    gauge = next(p for p in dashboard["panels"] if p["type"] == "gauge")["queries"][0]
    assert (gauge["kind"], gauge["step"]) == ("instant", None)
    assert dashboard["summary"] == {
        "panels": 12, "drawn": 12, "notDrawn": 0, "queries": 14, "withData": 14, "noData": 0,
        "errors": 0, "skipped": 0, "variableErrors": 0,
    }  # fmt: skip


def test_no_data_and_a_rejected_query_are_reported_in_place(
    node: NodeServer, env: dict[str, str], tmp_path: Path
) -> None:
    """A panel that finds nothing is said (exit 0 if that is all); one the server refuses
    prints its error and the query as sent, and the command exits 1."""
    dashboard = json.loads(NODE_DASHBOARD.read_text())
    panels = dashboard["panels"][-1]["panels"]  # the collapsed row's
    panels[0]["targets"][0]["expr"] = 'node_filesystem_avail_bytes{mountpoint="/nowhere"}'
    quiet = tmp_path / "quiet.json"
    quiet.write_text(json.dumps(dashboard))
    code, out, err = check(str(quiet), "--url", node.url, env=env)
    assert code == 0, err
    assert 'A  no data  node_filesystem_avail_bytes{mountpoint="/nowhere"}' in out
    assert out.splitlines()[-1].startswith("  12 of 12 panels drawn; 14 queries: 13 with data")

    panels[1]["targets"][0]["expr"] = 'rate(node_load1{instance=~"$instance"}[$__rate_interval]'
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(dashboard))
    code, out, err = check(str(broken), "--url", node.url, env=env)
    assert code == 1
    assert "A  error: bad_data: " in out
    assert 'rate(node_load1{instance=~"(127\\\\.0\\\\.0\\\\.1:' in out
    assert "1 no data, 1 error" in out.splitlines()[-1]
    assert err == "promdash: the server refused one of the dashboards' queries (error above)\n"


def test_a_variable_the_server_refuses_is_reported_and_those_using_it_are_not_asked(
    node: NodeServer, env: dict[str, str], tmp_path: Path
) -> None:
    dashboard = {
        "title": "refused",
        "templating": {"list": [
            {"name": "bad", "type": "query", "query": 'label_values(up{job=~"("}, job)'},
            {"name": "uses", "type": "query", "query": 'label_values(up{job=~"$bad"}, instance)'},
            {"name": "fine", "type": "query", "query": "label_values(node_uname_info, job)"},
        ]},
        "panels": [{"type": "stat", "title": "Load", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
                    "targets": [{"expr": 'node_load1{job="$fine"}', "refId": "A"}]}],
    }  # fmt: skip
    path = tmp_path / "refused.json"
    path.write_text(json.dumps(dashboard))
    code, out, err = check(str(path), "--url", node.url, env=env)
    assert code == 1, out
    lines = [line.split() for line in out.splitlines()]
    assert lines[2][:4] == ["$bad", "query", "error:", "bad_data:"]
    assert lines[3] == ["$uses", "query", "not", "resolved:", "it", "uses", "$bad"]
    assert lines[4] == ["$fine", "query", "node"]
    assert lines[6] == ["stat", "Load", "A", "2", "series"]
    assert err == "promdash: the server refused one of the dashboards' queries (error above)\n"


def test_an_unknown_panel_type_is_not_drawn_and_is_not_an_error(
    node: NodeServer, env: dict[str, str], tmp_path: Path
) -> None:
    dashboard = json.loads(NODE_DASHBOARD.read_text())
    dashboard["panels"].append({
        "type": "piechart", "title": "Shares", "gridPos": {"x": 0, "y": 40, "w": 8, "h": 8},
        "targets": [{"expr": "node_load1", "refId": "A"}], "options": {"pieType": 3},
    })  # fmt: skip
    path = tmp_path / "pie.json"
    path.write_text(json.dumps(dashboard))
    code, out, err = check(str(path), "--url", node.url, env=env)
    assert code == 0, err
    assert any(line.split()[-3:] == ["not", "drawn:", "piechart"] for line in out.splitlines())
    assert "12 of 13 panels drawn" in out.splitlines()[-1]


# ---------------------------------------------------------------- bad files and servers

BAD_FILES = [
    ("not-json.json", "{\"panels\": [", "not-json.json: not JSON"),
    ("shape.json", json.dumps({"panels": [{"type": "stat", "gridPos": {"h": "8"}}]}),
     "shape.json: panels[0].gridPos.h: expected a number, got a string"),
    ("loop.json", json.dumps({"panels": [], "templating": {"list": [
        {"name": "a", "type": "query", "query": "label_values(up{x=\"$b\"}, job)"},
        {"name": "b", "type": "query", "query": "label_values(up{x=\"$a\"}, job)"}]}}),
     "loop.json: templating: variables depend on each other in a loop: $a -> $b -> $a"),
    ("time.json", json.dumps({"panels": [], "time": {"from": "now-99999999d", "to": "now"}}),
     "time.json: time:"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "line"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_one_line_and_exit_3_before_any_request(
    name: str, text: str, line: str, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    # Nobody listens on the URL: a bad file is found before the server is asked.
    nobody = f"http://127.0.0.1:{free_port()}"
    code, out, err = check(str(NODE_DASHBOARD), str(path), "--url", nobody, env=env)
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("promdash: ")
    assert line in err


def test_a_missing_file_is_exit_3(env: dict[str, str], tmp_path: Path) -> None:
    code, out, err = check(str(tmp_path / "nope.json"), "--url", "http://127.0.0.1:1", env=env)
    assert (code, out) == (3, "")
    assert err == f"promdash: cannot read {tmp_path / 'nope.json'}: No such file or directory\n"


def test_a_panel_using_a_variable_that_did_not_resolve_is_not_run(
    node: NodeServer, env: dict[str, str], tmp_path: Path
) -> None:
    """As the dashboard does: asked with an empty value it would count the wrong series."""
    panel = {"type": "stat", "title": "Up of j", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
             "targets": [{"expr": 'count(up{job=~"$j"})'}]}  # fmt: skip
    bad = {"name": "j", "type": "query", "query": "label_values(up{(}, job)", "refresh": 1}
    path = tmp_path / "unresolved.json"
    path.write_text(json.dumps({"title": "u", "panels": [panel], "templating": {"list": [bad]}}))
    code, out, err = check(str(path), "--url", node.url, env=env)
    assert code == 1, err
    line = next(line for line in out.splitlines() if "Up of j" in line)
    assert line.endswith("not run: it uses $j, not resolved")


def test_a_server_too_slow_for_every_query_is_exit_8_not_a_refusal(
    env: dict[str, str], tmp_path: Path
) -> None:
    panel = {"type": "stat", "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
             "targets": [{"expr": "up"}]}  # fmt: skip
    board = {"title": "slow", "panels": [panel]}
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(board))
    with HostileServer("slow") as server:
        code, out, err = check(str(path), "--url", server.url, "--timeout", "1", env=env)
    assert code == 8, err
    assert "1 errors" in out.splitlines()[-1] or "1 error" in out.splitlines()[-1], out
    assert "did not answer within 1s" in err and "refused" not in err
    assert "Traceback" not in err


def test_an_unreachable_server_is_exit_2(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = check(str(NODE_DASHBOARD), "--url", url, env=env)
    assert (code, out) == (2, "")
    assert err.startswith(f"promdash: cannot reach {url}") and err.count("\n") == 1


# ---------------------------------------------------------------- the demo's dashboard

DEMO_READY = [
    "count(rate(rpc_durations_histogram_seconds_bucket[1m]))",
    "count(rate(rpc_durations_seconds_count[1m]))",
    "count(job_service:rpc_durations_seconds_count:avg_rate5m)",
]


def test_the_demo_dashboard_checks_cleanly_on_the_demo_stack(
    local_stack: RunningStack, env: dict[str, str]
) -> None:
    # A fresh stack has a rate after two scrapes (5 s apart) and the recording rule after
    # its first evaluation: wait for those (a bound, not a timing), then check.
    deadline = time.monotonic() + 60
    while not all(scalar(local_stack.url, expr) for expr in DEMO_READY):
        assert time.monotonic() < deadline, f"the demo stack has no data for {DEMO_READY}"
        time.sleep(0.5)
    code, out, err = check(str(DEMO_DASHBOARD), "--url", local_stack.url, "--json", env=env)
    assert code == 0, err
    (dashboard,) = json.loads(out)["dashboards"]
    summary = dashboard["summary"]
    assert summary["drawn"] == summary["panels"] == len(dashboard["panels"])
    assert summary["errors"] == summary["skipped"] == 0
    by_title = {p["title"]: p["queries"] for p in dashboard["panels"]}
    # Every panel has data but the firing alerts' table: an alert fires only while an
    # instance is down (the demo's InstanceDown), so "no data" is the healthy answer.
    for title, queries in by_title.items():
        wanted = {"noData"} if title == "Firing alerts" else {"data"}
        assert {q["status"] for q in queries} <= wanted | {"data"}, (title, queries)
