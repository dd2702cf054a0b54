"""The stack file format: the demo parses, bad files give file, line and field in one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from promdash import cli
from promdash.errors import StackFileError
from promdash.stack import render
from promdash.stack.model import (
    Stack,
    default_stack_path,
    load_stack,
    parse_stack,
)
from promdash.stack.state import StackState
from tests.conftest import IN_CI, require_prometheus

DEMO = default_stack_path().read_text()


def test_demo_stack_matches_the_documented_setup() -> None:
    stack = load_stack()
    assert stack.name == "demo"
    assert stack.exporters.job == "example-random"
    assert stack.exporters.scrape_interval == "5s"
    assert [(e.port, e.group) for e in stack.exporters.instances] == [
        (8080, "production"),
        (8081, "production"),
        (8082, "canary"),
    ]
    rules = {r.record or r.alert: r for g in stack.rules for r in g.rules}
    assert "job_service:rpc_durations_seconds_count:avg_rate5m" in rules
    assert rules["InstanceDown"].expr == "up == 0"
    assert rules["InstanceDown"].for_ == "30s"
    for name, rule in rules.items():
        if rule.alert:
            assert {"summary", "description"} <= set(rule.annotations), name
    assert stack.bind_host == "127.0.0.1"
    am = stack.alertmanager
    assert am.enabled and am.port == 9093 and am.webhook.port == 5001
    assert am.route.group_by == ["alertname", "instance"]
    assert (am.route.group_wait, am.route.group_interval, am.route.repeat_interval) == (
        "5s",
        "30s",
        "5m",
    )
    # A critical InstanceDown inhibits the warnings of the same instance, and the
    # demo has a warning that fires for a down instance: ScrapesMissed.
    [inhibit] = am.inhibit_rules
    assert inhibit.source_matchers == ['alertname="InstanceDown"', 'severity="critical"']
    assert inhibit.target_matchers == ['severity="warning"']
    assert inhibit.equal == ["instance"]
    assert rules["InstanceDown"].labels["severity"] == "critical"
    assert rules["ScrapesMissed"].labels["severity"] == "warning"
    assert stack.service_names()[:4] == ["prometheus", "grafana", "alertmanager", "webhook"]


def _error(text: str) -> str:
    with pytest.raises(StackFileError) as caught:
        parse_stack(text, Path("my-stack.yaml"))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_yaml_syntax_error_names_file_and_line() -> None:
    message = _error("name: demo\nexporters: [\n  bad: : :\n")
    assert message.startswith("my-stack.yaml:")
    assert "invalid YAML" in message


def test_unknown_field_names_file_line_and_field() -> None:
    text = DEMO.replace("  retention: 1d\n", "  retention: 1d\n  retension: 2d\n")
    line = text.splitlines().index("  retension: 2d") + 1
    assert _error(text) == f"my-stack.yaml:{line}: prometheus.retension: unknown field"


def test_wrong_type_names_file_line_and_field() -> None:
    text = DEMO.replace("      port: 8081\n", '      port: "8081"\n')
    line = text.splitlines().index('      port: "8081"') + 1
    message = _error(text)
    assert message.startswith(f"my-stack.yaml:{line}: exporters.instances.1.port:")
    assert "integer" in message


def test_bad_duration_and_missing_field() -> None:
    text = DEMO.replace(
        "  job: example-random\n  scrape_interval: 5s",
        "  job: example-random\n  scrape_interval: 5 seconds",
    )
    assert "exporters.scrape_interval" in _error(text)
    assert "not a Prometheus duration" in _error(text)
    assert _error("version: 1\nname: x\n").endswith("exporters: required field is missing")


def test_duplicate_ports_are_rejected() -> None:
    text = DEMO.replace("port: 8081", "port: 8080")
    assert "port 8080 is used by both random-1 and random-2" in _error(text)


def test_not_a_mapping() -> None:
    assert "must be a YAML mapping" in _error("- just\n- a list\n")


def test_cli_reports_bad_stack_file_with_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.replace("name: demo", "name: demo\nnmae: typo"))
    code = cli.main(["up", "--runtime", "local", "--stack", str(bad)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_STACK_FILE
    line = DEMO.splitlines().index("name: demo") + 2
    assert err.count("\n") == 1 and f"{bad}:{line}: nmae: unknown field" in err
    assert "Traceback" not in err


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
@settings(max_examples=300, deadline=None)
def test_any_yaml_either_parses_or_gives_one_line(data: dict[str, object]) -> None:
    """Whatever a user writes, the parser answers with a Stack or one clear line."""
    text = yaml.safe_dump(data)
    try:
        parse_stack(text, Path("fuzz.yaml"))
    except StackFileError as exc:
        assert str(exc).startswith("fuzz.yaml")
        assert "\n" not in str(exc)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_text_either_parses_or_gives_one_line(text: str) -> None:
    try:
        parse_stack(text, Path("fuzz.yaml"))
    except StackFileError as exc:
        assert "\n" not in str(exc)


def _amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        message = "no amtool (Debian: apt-get install prometheus-alertmanager)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return found


@pytest.mark.prometheus
def test_generated_files_pass_promtool_and_amtool(tmp_path: Path) -> None:
    require_prometheus()
    stack = load_stack()
    (tmp_path / "prometheus.yml").write_text(
        render.prometheus_config(
            stack, lambda e: f"127.0.0.1:{e.port}", "127.0.0.1:9090", "127.0.0.1:9093"
        )
    )
    (tmp_path / render.RULES_FILE).write_text(render.rules_file(stack))
    config = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert config.returncode == 0, config.stdout + config.stderr
    assert "SUCCESS" in config.stdout
    alerting = yaml.safe_load((tmp_path / "prometheus.yml").read_text())["alerting"]
    assert alerting == {"alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:9093"]}]}]}
    rules = subprocess.run(
        ["promtool", "check", "rules", str(tmp_path / render.RULES_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 5 rules found" in rules.stdout

    am_file = tmp_path / render.ALERTMANAGER_FILE
    am_file.write_text(render.alertmanager_config(stack, "http://127.0.0.1:5001/"))
    checked = subprocess.run(
        [_amtool(), "check-config", str(am_file)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "1 inhibit rules" in checked.stdout
    am = yaml.safe_load(am_file.read_text())
    assert am["route"] == {
        "receiver": "webhook",
        "group_by": ["alertname", "instance"],
        "group_wait": "5s",
        "group_interval": "30s",
        "repeat_interval": "5m",
    }
    assert am["receivers"] == [
        {
            "name": "webhook",
            "webhook_configs": [{"url": "http://127.0.0.1:5001/", "send_resolved": True}],
        }
    ]


def test_without_alertmanager_prometheus_sends_alerts_nowhere() -> None:
    stack = load_stack().leaving_out(["alertmanager"])
    assert "alertmanager" not in stack.service_names()
    assert "webhook" not in stack.service_names()  # nothing would send to it
    config = yaml.safe_load(render.prometheus_config(stack, lambda e: "e:1", "p:1", "a:1"))
    assert "alerting" not in config


def test_without_the_webhook_alertmanager_still_routes_groups_and_inhibits() -> None:
    stack = load_stack().leaving_out(["webhook"])
    assert "alertmanager" in stack.service_names() and "webhook" not in stack.service_names()
    am = yaml.safe_load(render.alertmanager_config(stack, "http://127.0.0.1:5001/"))
    assert am["receivers"] == [{"name": "nowhere"}] and am["route"]["receiver"] == "nowhere"
    assert len(am["inhibit_rules"]) == 1


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            '        - severity="warning"\n',
            "        - severity warning\n",
            "alertmanager.inhibit_rules.0.target_matchers.0",
            "matcher 'severity warning': expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
            'NAME!~REGEX (e.g. alertname=InstanceDown, instance=~"web-.*", severity!=info)',
        ),
        (
            '        - severity="warning"\n',
            '        - severity="warning\n',
            "alertmanager.inhibit_rules.0.target_matchers.0",
            "matcher 'severity=\"warning': the value's closing double quote is missing",
        ),
        (
            '        - severity="warning"\n',
            "        - severity=~(\n",
            "alertmanager.inhibit_rules.0.target_matchers.0",
            "matcher 'severity=~(': not a valid regular expression: missing ), unterminated "
            "subpattern at position 0",
        ),
        (
            "    group_wait: 5s ",
            "    group_wait: soon ",
            "alertmanager.route.group_wait",
            "'soon' is not a Prometheus duration (examples: 30s, 15m, 1h30m)",
        ),
        (
            "    group_interval: 30s ",
            "    group_interval: 0s ",
            "alertmanager.route.group_interval",
            "must be more than 0",
        ),
        (
            "    group_by: [alertname, instance]",
            "    group_by: [alertname, in-stance]",
            "alertmanager.route.group_by.1",
            "'in-stance' is not a valid label name",
        ),
        ("  port: 9093\n", "  port: 9093\n  prot: 1\n", "alertmanager.prot", "unknown field"),
    ],
)
def test_alertmanager_mistakes_are_one_line_naming_line_and_field(
    old: str, new: str, field: str, message: str
) -> None:
    assert old in DEMO
    text = DEMO.replace(old, new)
    last = new.splitlines()[-1].rstrip()
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if last in text_line)
    assert _error(text) == f"my-stack.yaml:{line}: {field}: {message}"


def test_the_new_services_ports_and_names_are_checked_like_the_others() -> None:
    clash = DEMO.replace("    port: 5001 ", "    port: 8080 ")
    assert "port 8080 is used by both webhook and random-1" in _error(clash)
    taken = DEMO.replace("    - name: random-3\n", "    - name: alertmanager\n")
    assert "exporter name 'alertmanager' is reserved" in _error(taken)
    # A disabled Alertmanager takes no port.
    off = DEMO.replace(
        "  enabled: true\n  image: prom/alertmanager",
        "  enabled: false\n  image: prom/alertmanager",
    )
    assert "alertmanager" not in parse_stack(off.replace("port: 9093", "port: 8080")).ports()


@pytest.mark.prometheus
def test_a_matcher_alertmanager_refuses_is_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    """Alertmanager compiles regex matchers with Go's RE2, which has no lookbehind
    (Python's `re`, which checks them first, has): `amtool check-config` says what
    it refuses, and `up` exits 3 with nothing started."""
    _amtool()
    path = tmp_path / "stack.yaml"
    text = DEMO.replace(
        '        - severity="warning"\n', """        - 'severity=~"(?<=x)warning"'\n"""
    ).replace("name: demo", "name: bad-matcher")
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "up", "--runtime", "local", "--stack", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == cli.EXIT_STACK_FILE, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert (
        f"{path}: alertmanager: error parsing regexp: invalid or unsupported Perl syntax"
        in result.stderr
    )
    assert StackState.load("bad-matcher") is None


def test_a_stack_file_that_is_not_text(tmp_path: Path) -> None:
    binary = tmp_path / "stack.yaml"
    binary.write_bytes(b"\xff\xfe\x00name: x")
    with pytest.raises(StackFileError, match="not a text file"):
        load_stack(binary)


def test_labels_promdash_sets_cannot_be_overridden() -> None:
    text = DEMO.replace("      group: canary\n", "      group: canary\n      labels: {group: x}\n")
    assert "label 'group' is set by promdash" in _error(text)


@pytest.mark.prometheus
def test_bad_promql_in_a_rule_names_the_stack_line(tmp_path: Path) -> None:
    """promtool checks the generated rules before anything starts; the error points at
    the `expr` line of the stack file, and `up` exits 3 with nothing started."""
    require_prometheus()
    path = tmp_path / "stack.yaml"
    text = DEMO.replace("        expr: up == 0\n", "        expr: up ==\n").replace(
        "name: demo", "name: bad-rule"
    )
    path.write_text(text)
    line = text.splitlines().index("        expr: up ==") + 1
    with pytest.raises(StackFileError) as caught:
        render.check_rules(load_stack(path), _rules_file(tmp_path, load_stack(path)))
    assert str(caught.value).startswith(f"{path}:{line}: rules.0.rules.1.expr: ")
    assert "parse error" in str(caught.value)
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "up", "--runtime", "local", "--stack", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == cli.EXIT_STACK_FILE, result.stderr
    assert result.stderr.count("\n") == 1 and f":{line}: rules.0.rules.1.expr" in result.stderr
    assert StackState.load("bad-rule") is None


def _rules_file(directory: Path, stack: Stack) -> Path:
    path = directory / render.RULES_FILE
    path.write_text(render.rules_file(stack))
    return path


# ------------------------------------------------------------ the `dashboard:` section


def test_demo_dashboard_graphs_the_rpc_rate_and_a_latency_quantile() -> None:
    graphs = {g.title: g.query for g in load_stack().dashboard.graphs}
    assert any("rate(rpc_durations_seconds_count[1m])" in q for q in graphs.values()), graphs
    assert any('quantile="0.9"' in q for q in graphs.values()), graphs
    assert all(title and "\n" not in title for title in graphs)


def test_dashboard_is_optional_and_a_multiline_query_is_trimmed() -> None:
    bare = DEMO.split("\ndashboard:")[0] + "\n"
    assert parse_stack(bare).dashboard.graphs == []
    text = bare + "dashboard:\n  graphs:\n    - title: up\n      query: |\n        up\n"
    assert [(g.title, g.query) for g in parse_stack(text).dashboard.graphs] == [("up", "up")]


def _dashboard_error(graphs: str) -> tuple[str, list[str]]:
    text = DEMO.split("\ndashboard:")[0] + "\ndashboard:\n  graphs:\n" + graphs
    return _error(text), text.splitlines()


@pytest.mark.parametrize(
    ("graphs", "field", "message"),
    [
        ('    - title: ""\n      query: up\n', "dashboard.graphs.0.title", "must not be empty"),
        ("    - title: up\n      query: '  '\n", "dashboard.graphs.0.query", "must not be empty"),
        ("    - title: up\n", "dashboard.graphs.0.query", "required field is missing"),
        (
            "    - title: up\n      query: up\n      legend: x\n",
            "dashboard.graphs.0.legend",
            "unknown field",
        ),
        (
            '    - title: "two\\nlines"\n      query: up\n',
            "dashboard.graphs.0.title",
            "must be one line",
        ),
        (
            "    - title: up\n      query: 1\n",
            "dashboard.graphs.0.query",
            "Input should be a valid string (got int)",
        ),
        ("    - {title: up, query: up}\n" * 7, "dashboard.graphs", "at most 6 graphs (found 7)"),
    ],
)
def test_dashboard_mistakes_name_file_line_and_field(graphs: str, field: str, message: str) -> None:
    error, lines = _dashboard_error(graphs)
    line = int(error.split(":")[1])
    assert error == f"my-stack.yaml:{line}: {field}: {message}"
    assert line > lines.index("dashboard:")  # the line is in the dashboard section


@pytest.mark.prometheus
def test_demo_dashboard_queries_pass_promtool(tmp_path: Path) -> None:
    """Each query parses as PromQL (checked as a recording rule, promtool's only offline check)."""
    require_prometheus()
    rules = [
        {"record": f"dashboard_graph_{n}", "expr": g.query}
        for n, g in enumerate(load_stack().dashboard.graphs)
    ]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    result = subprocess.run(
        ["promtool", "check", "rules", str(tmp_path / "dashboard.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
