"""Titles count alerts, and say how many rules they come from when that differs; at a
narrow width an alert's labels line keeps the values that tell it apart."""

from __future__ import annotations

from promdash.present.text import alert_counts_text
from promdash.prom.types import Alert, AlertingRule, RuleGroup
from promdash.tui.widgets.overview import overview_alerts

COLOURS = {"firing": "red", "pending": "yellow", "inactive": "green"}


def _rule(name: str, state: str, instances: list[str]) -> AlertingRule:
    alerts = [
        Alert(
            {"alertname": name, "group": "production", "instance": i, "job": "example-random"},
            {},
            state,  # type: ignore[arg-type]
            None,
            "1",
        )
        for i in instances
    ]
    return AlertingRule("g", "f", name, "up", 0.0, {}, {}, state, "ok", "", alerts)  # type: ignore[arg-type]


GROUPS = [
    RuleGroup(
        "g",
        "f",
        5.0,
        [
            _rule(
                "RPCLatencyHigh",
                "firing",
                ["127.0.0.1:28080", "127.0.0.1:28081", "127.0.0.1:28082"],
            ),
            _rule("InstanceDown", "pending", ["127.0.0.1:28081"]),
            _rule("RPCRateLow", "inactive", []),
        ],
        [],
    )
]


def test_titles_count_alerts_and_name_their_rules() -> None:
    assert alert_counts_text(GROUPS) == "3 firing (1 rule) · 1 pending"
    assert alert_counts_text([]) == ""


def test_a_narrow_overview_keeps_the_instance_that_tells_alerts_apart() -> None:
    for width in (40, 47, 60):
        _, rows, _ = overview_alerts(GROUPS, now=0.0, width=width, colours=COLOURS)
        lines = [row.resolve()[0][0] for row in rows if row.key.endswith("|labels")]  # type: ignore[index]
        for port in ("28080", "28081", "28082"):
            assert any(f"127.0.0.1:{port}" in line and len(line) <= width - 3 for line in lines), (
                width,
                lines,
            )
