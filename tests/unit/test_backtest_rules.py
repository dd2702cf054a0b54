"""The rule a backtest replays (labels, names, rule files) and how its answer is printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from promdash.backtest import AlertHistory, Backtest, Interval, Plan, Rule, Ticks, pick
from promdash.backtest.rulefiles import file_rules
from promdash.errors import NoSuchRule, RuleFileError, UsageError
from promdash.present.backtest import backtest_csv, backtest_json, backtest_text, strip_text

STACKS = Path(__file__).parents[1] / "data" / "stacks"


def test_alert_labels_drop_the_name_add_the_rules_and_alertname() -> None:
    rule = Rule("High", "x > 1", labels={"severity": "page", "where": "{{ $labels.instance }}"})
    labels = rule.alert_labels({"__name__": "x", "instance": "a:1", "severity": "low"})
    assert labels == {"instance": "a:1", "severity": "page", "where": "a:1", "alertname": "High"}
    assert rule.templated() == []


def test_a_label_the_rule_sets_empty_is_removed() -> None:
    rule = Rule("High", "x", labels={"team": "", "zone": "{{ $labels.zone }}"})
    assert rule.alert_labels({"team": "a", "job": "j"}) == {"job": "j", "alertname": "High"}


def test_label_templates_promdash_cannot_expand_are_kept_and_named() -> None:
    rule = Rule("High", "x", labels={"band": "{{ if gt $value 2.0 }}hi{{ end }}", "a": "b"})
    assert rule.alert_labels({})["band"] == "{{ if gt $value 2.0 }}hi{{ end }}"
    assert rule.templated() == ["band"]
    assert (
        Rule("R", "x", labels={"j": '{{ index $labels "job" }}'}).alert_labels({"job": "n"})["j"]
        == "n"
    )


RULES = [
    Rule("RPCLatencyHigh", "a", group="g1", file="f"),
    Rule("RPCRateLow", "b", group="g1", file="f"),
    Rule("Twice", "c", group="g1", file="f"),
    Rule("Twice", "c", group="g2", file="f"),
]


def test_pick_names_close_rules() -> None:
    with pytest.raises(NoSuchRule, match="did you mean RPCLatencyHigh"):
        pick(RULES, "RPCLatencyHihg", None, "f")
    with pytest.raises(
        NoSuchRule, match=r"\(its alerting rules: RPCLatencyHigh, RPCRateLow, Twice\)"
    ):
        pick(RULES, "Nothing", None, "f")
    with pytest.raises(NoSuchRule, match="no alerting rule RPCRateLow in group g2 of f"):
        pick(RULES, "RPCRateLow", "g2", "f")


def test_pick_a_name_in_two_groups_needs_group() -> None:
    with pytest.raises(
        UsageError, match="Twice is in 2 groups of f: g1, g2; pick one with --group"
    ):
        pick(RULES, "Twice", None, "f")
    assert pick(RULES, "Twice", "g2", "f").group == "g2"


def test_a_prometheus_rule_file_read_leniently(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n"
        "  - name: g\n"
        "    interval: 30s\n"
        "    limit: 10\n"
        "    rules:\n"
        "      - record: r\n"
        "        expr: up\n"
        "      - alert: A\n"
        "        expr: up == 0\n"
        "        for: 5m\n"
        "        keep_firing_for: 1m\n"
        "        labels: {priority: 1}\n"
        "        annotations: {summary: down}\n"
    )
    [rule] = file_rules(path)
    assert rule == Rule(
        "A", "up == 0", 300.0, 60.0, {"priority": "1"}, "file", "g", str(path), 30.0, limit=10
    )


def test_a_stack_files_rules_take_its_evaluation_interval() -> None:
    rules = {r.name: r for r in file_rules(STACKS / "flapping.yaml")}
    kept = rules["RPCRateFlappingKept"]
    assert (kept.hold, kept.keep_firing_for, kept.interval) == (2.0, 3.0, 1.0)
    assert kept.labels["instance_group"] == "{{ $labels.group }}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: [1]\n",
            ":5: groups.0.rules.0.expr:",
        ),
        ("groups:\n  - rules: []\n", ":2: groups.0.name: required field is missing"),
        ("groups: [\n", ": invalid YAML"),
        ("alert: A\n", ": neither a Prometheus rule file (groups:) nor a promdash stack file"),
        ("rules: []\nname: x\n", ": exporters: required field is missing"),
    ],
)
def test_bad_rule_files_are_one_line_naming_the_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as caught:
        file_rules(path)
    assert str(caught.value).startswith(str(path)) and problem in str(caught.value)
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- presenting


def result() -> Backtest:
    rule = Rule("High", "x > 1", hold=10.0, labels={"severity": "page"}, group="g")
    plan = Plan(rule, 1000.0, 1100.0, 5.0, "--every")
    a = AlertHistory(
        {"alertname": "High", "instance": "a", "severity": "page"},
        [
            Interval("firing", 1000.0, 1010.0, before_start=True),
            Interval("pending", 1050.0, 1060.0),
            Interval("firing", 1060.0, None),
        ],
    )
    b = AlertHistory({"alertname": "High", "instance": "b", "severity": "page"},
                     [Interval("pending", 1020.0, 1025.0)])  # fmt: skip
    return Backtest(plan, Ticks(1_000_000, 5000, 21), [a, b], [], 1)


def test_the_json_document() -> None:
    doc = json.loads(backtest_json(result()))
    assert doc["version"] == 1 and doc["timesFired"] == 2 and doc["evaluations"] == 21
    first = doc["alerts"][0]
    assert first["timesFired"] == 2 and first["firingSeconds"] == 50.0
    assert first["pendingSeconds"] == 10.0
    assert first["intervals"][0] == {
        "state": "firing", "start": 1000.0, "end": 1010.0, "seconds": 10.0, "beforeStart": True,
    }  # fmt: skip
    assert first["intervals"][-1]["end"] is None and first["intervals"][-1]["seconds"] == 40.0
    assert doc["alerts"][1]["timesFired"] == 0


def test_overlapping_alerts_are_firing_for_the_time_one_or_more_is() -> None:
    # Three alerts firing at once for 40 of 100 s: added up they would say 2m.
    plan = Plan(Rule("High", "x > 1", group="g"), 1000.0, 1100.0, 5.0, "--every")
    alerts = [
        AlertHistory({"alertname": "High", "instance": name}, [Interval("firing", *span)])
        for name, span in (
            ("a", (1000.0, 1040.0)),
            ("b", (1010.0, 1030.0)),
            ("c", (1020.0, None)),
        )
    ]
    text = backtest_text(Backtest(plan, Ticks(1_000_000, 5000, 21), alerts, [], 3))
    assert "3 alerts fired 3 times; some firing 1m40s of 1m40s" in text.splitlines()[2]
    alerts[2] = AlertHistory({"alertname": "High", "instance": "c"},
                             [Interval("firing", 1050.0, 1060.0)])  # fmt: skip
    text = backtest_text(Backtest(plan, Ticks(1_000_000, 5000, 21), alerts, [], 3))
    assert "3 alerts fired 3 times; some firing 50s of 1m40s" in text.splitlines()[2]


def test_the_csv_rows() -> None:
    lines = backtest_csv(result()).splitlines()
    assert lines[0] == "alertname,instance,severity,state,start,end,seconds"
    assert lines[1] == "High,a,page,firing,1000.0,1010.0,10.0"
    assert lines[3] == "High,a,page,firing,1060.0,,40.0"
    assert len(lines) == 5


def test_the_text_says_common_labels_once_and_strips_only_with_a_width() -> None:
    text = backtest_text(result())
    assert "1 alert fired 2 times, firing 50s of 1m40s; 1 alert only pending" in text
    assert 'labels of every alert: alertname="High", severity="page"' in text
    assert "█" not in text and "(already)" in text and "(still at the end)" in text
    wide = backtest_text(result(), width=100)
    assert "█" in wide and "▄" in wide


def test_strip_text_shapes_and_colours_states() -> None:
    intervals = [Interval("pending", 25.0, 50.0), Interval("firing", 50.0, 75.0)]
    assert strip_text(intervals, 0.0, 100.0, 4, color=False) == "▁▄█▁"
    coloured = strip_text(intervals, 0.0, 100.0, 4, color=True)
    assert "\x1b[33m▄" in coloured and "\x1b[31m█" in coloured and "\x1b[32m▁" in coloured


def test_the_core_imports_without_textual_plotext_or_the_presenter() -> None:
    code = (
        "import sys, promdash.backtest, promdash.backtest.rulefiles\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext')"
        " or m.startswith(('promdash.present', 'promdash.tui', 'promdash.commands'))]\n"
        "print(','.join(sorted(bad)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_xxh64_and_the_offset_of_a_groups_ticks() -> None:
    from promdash.backtest.schedule import group_phase, xxh64

    # xxHash64's published values (seed 0).
    assert xxh64(b"") == 0xEF46DB3751D8E999
    assert xxh64(b"a") == 0xD24EC4F1A98C6E5B
    assert xxh64(b"abc") == 0x44BC2CF5AD770999
    assert xxh64(b"Nobody inspects the spammish repetition") == 0xFBCEA83C8A378BF1
    # Labels {file="f", name="g"}: the hash modulo the interval (ns), in whole ms.
    key = b"file\xfff\xffname\xffg\xff"
    assert group_phase("f", "g", 15.0) == (xxh64(key) % 15_000_000_000) // 1_000_000 / 1000
    assert 0 <= group_phase("/etc/prometheus/rules.yml", "node", 60.0) < 60


def test_rules_of_one_name_in_one_group_are_told_apart_by_labels() -> None:
    pair = [
        Rule("X", "a > 1", labels={"severity": "warning", "team": "t"}, group="api", file="f"),
        Rule("X", "a > 5", labels={"severity": "critical", "team": "t"}, group="api", file="f"),
    ]
    with pytest.raises(UsageError) as error:
        pick(pair, "X", "api", "f")
    assert str(error.value) == (
        "group api of f has 2 alerting rules X: severity=warning; severity=critical; "
        "pick one with --rule-labels NAME=VALUE"
    )
    assert pick(pair, "X", None, "f", {"severity": "critical"}) is pair[1]
    with pytest.raises(NoSuchRule, match=r"no alerting rule X with severity=page in f "
                       r"\(its rules X: severity=warning; severity=critical\)"):  # fmt: skip
        pick(pair, "X", None, "f", {"severity": "page"})
    # Labels alike: the expressions tell them apart.
    same = [
        Rule("Y", "a > 1", group="g", file="f"),
        Rule("Y", "a > 2", hold=60, group="g", file="f"),
    ]
    with pytest.raises(UsageError, match=r"Y: a > 1 for 0s; a > 2 for 60s; pick"):
        pick(same, "Y", "g", "f")


def test_a_rule_files_query_offset_and_limit_are_read(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(
        "groups:\n  - name: g\n    query_offset: 1m\n    limit: 10\n    rules:\n"
        "      - alert: A\n        expr: up == 0\n"
    )
    [rule] = file_rules(path)
    assert rule.query_offset == 60.0 and rule.limit == 10


def test_the_rules_answer_carries_keep_firing_for_and_the_groups_limit() -> None:
    # Built from Prometheus's API documentation (/api/v1/rules, 2.42 and later: keepFiringFor;
    # limit on groups), not recorded: Debian's 2.42 leaves limit out when 0.
    from promdash.prom import wire

    body = json.dumps({"status": "success", "data": {"groups": [{
        "name": "api", "file": "/r.yml", "interval": 15, "limit": 5,
        "rules": [{"name": "X", "type": "alerting", "query": "up == 0", "duration": 60,
                   "keepFiringFor": 120, "labels": {}, "annotations": {}, "alerts": [],
                   "health": "ok", "state": "inactive"}],
    }]}}).encode()  # fmt: skip
    [group] = wire.decode_rules(body)
    assert group.limit == 5 and group.alerting[0].keep_firing_for == 120.0


def test_the_servers_configuration_is_read_as_yaml() -> None:
    from promdash.prom import wire

    text = "global:\n  evaluation_interval: 15s\n  rule_query_offset: 30s\nrule_files: []\n"
    body = json.dumps({"status": "success", "data": {"yaml": text}}).encode()
    assert wire.decode_config(body)["global"] == {
        "evaluation_interval": "15s",
        "rule_query_offset": "30s",
    }


def test_an_alert_whose_state_is_not_known_at_first_says_so() -> None:
    plan = Plan(Rule("X", "up", hold=600), 1000.0, 1400.0, 100.0, "--every")
    a = AlertHistory({"alertname": "X", "job": "a"}, [Interval("firing", 1200.0, None, True)],
                     known_from=1200.0)  # fmt: skip
    b = AlertHistory({"alertname": "X", "job": "b"}, [], known_from=1500.0)
    result = Backtest(plan, plan.ticks, [a, b], [], 1, asked=Ticks(900_000, 100_000, 6))
    text = backtest_text(result, width=100)
    assert "1 alert fired 1 time" in text and "1 alert in a state not known" in text
    assert re.search(r"its state before \S+ is not known: returned \(or kept firing\) from", text)
    assert "its state in this range is not known" in text
    assert re.search(r"firing +\S+ or before +\(still at the end\)", text)
    assert strip_text(a.intervals, 1000.0, 1400.0, 4, color=False, known_from=1200.0) == "??██"
    document = json.loads(backtest_json(result))
    assert [x["knownFrom"] for x in document["alerts"]] == [1200.0, 1500.0]
    assert document["firstAsked"] == 900.0
