"""Grafana dashboard files read as promdash draws them: panels in layout order, rows
(open and collapsed), what each panel type needs, variables; and a bad file as one line.

tests/data/grafana/nodes.json is promdash's own test dashboard (not copied from a
published one): node_exporter metrics, every panel type of issue 13, legacy panels,
an unknown panel type, rows open and collapsed, and each kind of variable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promdash.grafana.model import (
    ALL,
    Dashboard,
    DashboardError,
    Panel,
    Row,
    load_dashboard,
    parse_dashboard,
)
from promdash.stack.model import default_stack_path

NODES = Path(__file__).parent.parent / "data" / "grafana" / "nodes.json"
DEMO = default_stack_path().parent / "demo" / "grafana" / "dashboards" / "demo.json"


@pytest.fixture(scope="module")
def nodes() -> Dashboard:
    return load_dashboard(NODES)


def panel(dashboard: Dashboard, title: str) -> Panel:
    return next(p for p in dashboard.panels() if p.title == title)


def test_the_dashboard_header(nodes: Dashboard) -> None:
    assert (nodes.title, nodes.uid) == ("Nodes (promdash test)", "promdash-nodes")
    assert (nodes.time_from, nodes.time_to, nodes.refresh) == ("now-6h", "now", "30s")


def test_panels_come_in_grafana_layout_order_and_rows_own_theirs(nodes: Dashboard) -> None:
    # The file lists "Memory used" before the "Overview" row; Grafana sorts by (y, x).
    shown = [(type(item).__name__, item.title) for item in nodes.visible()]
    assert shown == [
        ("Row", "Overview"),
        ("Panel", "Uptime"),
        ("Panel", "Memory used"),
        ("Panel", "Filesystem used"),
        ("Panel", "CPU by mode"),
        ("Panel", "Network traffic (legacy graph)"),
        ("Row", "Details"),  # collapsed: its two panels are hidden inside it
        ("Panel", "Scrape durations"),
        ("Panel", "Not drawn here"),
        ("Panel", "Load (legacy singlestat)"),
    ]
    overview, details = (item for item in nodes.layout if isinstance(item, Row))
    assert not overview.collapsed
    assert [p.title for p in overview.panels][:2] == ["Uptime", "Memory used"]
    assert details.collapsed
    # Nested panels sorted too: the table (y=15) before the text (y=24).
    assert [p.title for p in details.panels] == ["Scrape targets", "Notes"]
    # Below a collapsed row, panels are not the row's.
    assert "Scrape durations" not in [p.title for p in details.panels]
    assert len(nodes.panels()) == 10


def test_a_timeseries_keeps_unit_stacking_hidden_series_and_targets(nodes: Dashboard) -> None:
    cpu = panel(nodes, "CPU by mode")
    assert (cpu.unit, cpu.decimals, cpu.min, cpu.max) == ("percentunit", 0, 0.0, None)
    assert cpu.stacking == "percent"
    # byName + hideFrom.viz hides "idle"; "steal" is only out of the legend; a regexp
    # matcher is not read.
    assert cpu.hidden_series == ("idle",)
    assert (cpu.interval, cpu.max_data_points) == ("30s", 200)
    (target,) = cpu.targets
    assert target.expr.startswith("sum by (mode) (rate(node_cpu_seconds_total")
    assert (target.legend_format, target.ref_id, target.range, target.instant) == (
        "{{mode}}", "A", True, False,
    )  # fmt: skip
    assert target.datasource is not None and target.datasource.uid == "promdash-prometheus"


def test_a_legacy_graph_reads_its_first_axis_and_stack(nodes: Dashboard) -> None:
    graph = panel(nodes, "Network traffic (legacy graph)")
    assert (graph.unit, graph.decimals, graph.min, graph.max) == ("Bps", 1, 0.0, None)
    assert graph.stacking == "normal"
    assert [t.hide for t in graph.targets] == [False, True]


def test_stat_gauge_and_bargauge_keep_reduce_thresholds_and_sparkline(nodes: Dashboard) -> None:
    uptime, memory, disk = (panel(nodes, t) for t in ("Uptime", "Memory used", "Filesystem used"))
    assert (uptime.calcs, uptime.graph_mode, uptime.unit) == (("lastNotNull",), "area", "s")
    assert memory.calcs == ("mean",)
    assert memory.thresholds is not None
    # Sorted as Grafana does: the base step (null) first, then by value.
    assert [(s.color, s.value) for s in memory.thresholds.steps] == [
        ("green", None), ("orange", 0.75), ("red", 0.9),
    ]  # fmt: skip
    assert memory.thresholds.active(0.5).color == "green"
    assert memory.thresholds.active(0.75).color == "orange"
    assert memory.thresholds.active(0.95).color == "red"
    assert memory.targets[0].instant and not memory.targets[0].range
    assert disk.thresholds is not None and disk.thresholds.mode == "percentage"
    assert disk.thresholds.active(85, 0, 100).color == "red"
    assert disk.thresholds.active(850, 0, 1000).color == "red"
    assert disk.thresholds.active(85, 0, 1000).color == "green"


def test_legacy_singlestat_maps_to_the_stat_vocabulary(nodes: Dashboard) -> None:
    load = panel(nodes, "Load (legacy singlestat)")
    assert (load.unit, load.decimals) == ("short", 2)
    assert (load.calcs, load.graph_mode) == (("mean",), "area")


def test_table_renames_and_text_content(nodes: Dashboard) -> None:
    table = panel(nodes, "Scrape targets")
    assert table.renames == {"instance": "Host", "Value": "Up"}
    assert table.hidden_columns == ("Time", "__name__")
    assert table.targets[0].format == "table"
    notes = panel(nodes, "Notes")
    assert (notes.mode, notes.content) == ("markdown", "# Hosts\nScraped by **promdash**.")


def test_an_unknown_panel_type_keeps_its_name_and_place_and_is_not_read(nodes: Dashboard) -> None:
    # Its options and targets have shapes promdash would refuse in a drawn panel.
    pie = panel(nodes, "Not drawn here")
    assert (pie.type, pie.grid.x, pie.grid.w) == ("piechart", 16, 8)
    assert pie.targets == ()


def test_variables_of_every_kind(nodes: Dashboard) -> None:
    instance = nodes.variable("instance")
    assert instance is not None
    assert instance.query == 'label_values(node_uname_info{job=~"$job"}, instance)'
    assert (instance.multi, instance.include_all, instance.is_all) == (True, True, True)
    assert (instance.regex, instance.label, instance.refresh, instance.sort) == (
        "/([^:]+):.*/", "Host", 2, 1,
    )  # fmt: skip
    job = nodes.variable("job")
    assert job is not None and (job.all_value, job.current_value) == (".*", ("node",))
    device = nodes.variable("device")
    assert device is not None and device.options[0].value == "eth0"
    resolution = nodes.variable("resolution")
    assert resolution is not None
    assert (resolution.auto, resolution.auto_count, resolution.auto_min) == (True, 30, "10s")
    env = nodes.variable("env")
    assert env is not None and (env.type, env.query, env.hide) == ("constant", "lab", 2)
    assert [v.type for v in nodes.variables] == [
        "query", "query", "custom", "interval", "constant", "textbox", "datasource",
    ]  # fmt: skip


def test_the_demo_dashboard_loads() -> None:
    demo = load_dashboard(DEMO)
    assert demo.title == "promdash demo"
    assert [p.type for p in demo.panels()][:2] == ["stat", "table"]
    assert panel(demo, "RPC rate per service").unit == "reqps"


def dashboard(**fields: Any) -> bytes:
    return json.dumps({"title": "t", **fields}).encode()


def test_an_export_wrapper_and_a_variable_editor_query_are_understood() -> None:
    wrapped = json.dumps({"dashboard": {"title": "inner", "panels": []}, "meta": {}}).encode()
    assert parse_dashboard(wrapped).title == "inner"
    editor = dashboard(templating={"list": [
        {"name": "a", "query": {"qryType": 1, "label": "job", "metric": "up"}},
        {"name": "b", "query": {"qryType": 2, "metric": "node_.*"}},
        {"name": "c", "type": "custom", "query": "x,y", "current": {"value": ["x", "y"]}},
    ]})  # fmt: skip
    a, b, c = parse_dashboard(editor).variables
    assert (a.query, b.query, c.current_value) == ("label_values(up, job)", "metrics(node_.*)",
                                                   ("x", "y"))  # fmt: skip
    assert c.current_value != (ALL,)


def error(raw: bytes) -> str:
    with pytest.raises(DashboardError) as caught:
        parse_dashboard(raw, "bad.json")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "bad.json: not JSON"),
        (b"[]", "bad.json: expected an object, got an array"),
        (dashboard(panels={"a": 1}), "bad.json: panels: expected an array, got an object"),
        (dashboard(panels=[1]), "bad.json: panels[0]: expected an object, got an integer"),
        (
            dashboard(panels=[{"type": "stat", "gridPos": {"h": "8", "w": 6, "x": 0, "y": 0}}]),
            "bad.json: panels[0].gridPos.h: expected a number, got a string",
        ),
        (
            dashboard(panels=[{"type": "timeseries", "targets": [{"expr": 5}]}]),
            "bad.json: panels[0].targets[0].expr: expected a string, got an integer",
        ),
        (
            dashboard(panels=[{"type": "row", "collapsed": True, "panels": [{"title": ["x"]}]}]),
            "bad.json: panels[0].panels[0].title: expected a string, got an array",
        ),
        (
            dashboard(templating={"list": [{"type": "query"}]}),
            "bad.json: templating.list[0].name: missing",
        ),
        (dashboard(rows=[{"panels": []}]), "bad.json: rows: a dashboard from before Grafana 5"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_path(raw: bytes, expected: str) -> None:
    assert error(raw).startswith(expected)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match=r"^cannot read .*nope\.json: No such file"):
        load_dashboard(tmp_path / "nope.json")
