"""Titles count alerts, and say how many rules they come from when that differs; at a
narrow width an alert's labels line keeps the values that tell it apart; rules whose
alerts are only counted (a storm's) are counted the same."""

from __future__ import annotations

import msgspec.structs

from promdash.present.text import alert_counts, alert_counts_text
from promdash.prom.types import ActiveCounts, Alert, AlertingRule, RuleGroup
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


def _counted(groups: list[RuleGroup]) -> list[RuleGroup]:
    """The same rules as asked without their alerts: counted, not listed."""
    return [
        msgspec.structs.replace(
            g,
            alerting=[
                msgspec.structs.replace(
                    r, alerts=[], counts=ActiveCounts(r.count("firing"), r.count("pending"))
                )
                for r in g.alerting
            ],
        )
        for g in groups
    ]


def test_rules_only_counted_are_counted_in_titles_as_when_listed() -> None:
    assert alert_counts_text(_counted(GROUPS)) == "3 firing (1 rule) · 1 pending"
    assert alert_counts(_counted(GROUPS)) == {"firing": (3, 1), "pending": (1, 1)}


def test_the_overview_says_a_counted_rules_alerts_on_one_line_per_state() -> None:
    _, rows, counts = overview_alerts(_counted(GROUPS), now=0.0, width=100, colours=COLOURS)
    lines = {row.key.rsplit("|", 1)[-1]: " ".join(c[0] for c in row.resolve()) for row in rows}  # type: ignore[index]
    assert lines["firing"].startswith("● firing RPCLatencyHigh 3 firing alerts, counted")
    assert lines["pending"].startswith("◐ pending InstanceDown 1 pending alerts, counted")
    assert counts == {"firing": 1, "pending": 1, "inactive": 1}
