"""Alertmanager's side as the CLI shows it: `alerts` with its columns, `silences`.

The Prometheus side is the recorded demo answer (tests/data/recorded/rules.json);
Alertmanager's alerts are built to match its labels, as Alertmanager 0.25 holds
them (its labels plus an external label Prometheus adds).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from promdash.present.output import alerts_json, alerts_text
from promdash.present.silences import silences_csv, silences_json, silences_text
from promdash.present.text import alert_rows
from promdash.prom.am_types import AlertmanagerAlert, Matcher, Silence
from promdash.prom.types import RuleGroup
from promdash.prom.wire import decode_rules
from tests.unit.test_output_width import NOW, RECORDED, WIDTHS, read_alert_table

SILENCE_A = "d5580624-0d20-439c-9edd-f60c6ba02ed1"
SILENCE_B = "8b7ab41a-7632-419d-86d5-5159355d6b52"


@pytest.fixture(scope="module")
def groups() -> list[RuleGroup]:
    return decode_rules((RECORDED / "rules.json").read_bytes())


def held(groups: list[RuleGroup]) -> list[AlertmanagerAlert]:
    """What Alertmanager holds for the recorded alerts: the critical InstanceDown active,
    one RPCLatencyHigh silenced twice, the other inhibited by InstanceDown; RPCRateLow
    not received."""
    down, slow_a, slow_b, _ = alert_rows(groups)
    external = {"cluster": "demo"}  # Prometheus's external labels reach Alertmanager too
    return [
        AlertmanagerAlert("fp-down", {**down.labels, **external}, {}, "active", receivers=["hook"]),
        AlertmanagerAlert(
            "fp-a", {**slow_a.labels, **external}, {}, "suppressed",
            silenced_by=[SILENCE_A, SILENCE_B], receivers=["hook", "pager"],
        ),
        AlertmanagerAlert(
            "fp-b", {**slow_b.labels, **external}, {}, "suppressed",
            inhibited_by=["fp-down"], receivers=["hook"],
        ),
    ]  # fmt: skip


def test_alerts_say_what_alertmanager_does_with_each(groups: list[RuleGroup]) -> None:
    text = alerts_text(groups, NOW, alertmanager=held(groups))
    header, *rows = text.splitlines()[:5]
    column = header.index("ALERTMANAGER")
    cells = [row[column:].split("  ")[0] for row in rows]
    assert cells == [
        "active",
        "suppressed: silenced by d5580624, 8b7ab41a",
        "suppressed: inhibited by InstanceDown",
        "not received",
    ]
    receivers = [row[header.index("RECEIVERS") :].split("  ")[0] for row in rows]
    assert receivers == ["hook", "hook, pager", "hook", "-"]


def test_without_an_alertmanager_the_table_is_unchanged(groups: list[RuleGroup]) -> None:
    for width in (None, *WIDTHS):
        plain = alerts_text(groups, NOW, width=width)
        assert alerts_text(groups, NOW, width=width, alertmanager=None) == plain
        assert "ALERTMANAGER" not in plain
    assert "alertmanager" not in json.loads(alerts_json(groups))["alerts"][0]


@pytest.mark.parametrize("width", WIDTHS)
def test_alertmanagers_columns_fit_the_terminal(groups: list[RuleGroup], width: int) -> None:
    table = read_alert_table(
        alerts_text(groups, NOW, width=width, alertmanager=held(groups)), width
    )
    assert table.columns[:4] == ["STATE", "ALERT", "LABELS", "ALERTMANAGER"]
    assert [" ".join(row["ALERTMANAGER"]) for row in table.rows] == [
        "active",
        "suppressed: silenced by d5580624, 8b7ab41a",
        "suppressed: inhibited by InstanceDown",
        "not received",
    ]


def test_alerts_json_carries_alertmanagers_side(groups: list[RuleGroup]) -> None:
    items = json.loads(alerts_json(groups, alertmanager=held(groups)))["alerts"]
    assert items[1]["alertmanager"] == {
        "state": "suppressed",
        "silencedBy": [SILENCE_A, SILENCE_B],
        "inhibitedBy": [],
        "receivers": ["hook", "pager"],
        "fingerprint": "fp-a",
    }
    assert items[2]["alertmanager"]["inhibitedBy"] == ["fp-down"]
    assert items[3]["alertmanager"] is None  # not received


# ---------------------------------------------------------------- silences


def at(minutes: float) -> datetime:
    return datetime.fromtimestamp(NOW, UTC) + timedelta(minutes=minutes)


SILENCES = [
    Silence("e-old", [Matcher("a", "1")], at(-300), at(-200), "bo", "old", "expired"),
    Silence(SILENCE_A, [Matcher("alertname", "RPCLatencyHigh")], at(-5), at(115), "ana",
            "noisy canary during the load test", "active"),
    Silence("p-later", [Matcher("job", "x.*", is_regex=True)], at(60), at(120), "cy", "window",
            "pending"),
    Silence(SILENCE_B, [Matcher("group", "production"),
                        Matcher("severity", "info", is_equal=False)],
            at(-1), at(30), "dee", "deploy", "active"),
]  # fmt: skip


def test_silences_active_first_ending_soonest_then_pending(groups: list[RuleGroup]) -> None:
    text = silences_text(SILENCES, held(groups), NOW)
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == [SILENCE_B, SILENCE_A, "p-later"]
    assert "  30m  " in lines[1] and "  starts in 1h  " in lines[3]
    assert 'group="production", severity!="info"' in lines[1]
    # Both silences mute the silenced alert (Alertmanager lists both in silencedBy).
    header = lines[0]
    assert [line[header.index("MUTES") :].split()[0] for line in lines[1:4]] == ["1", "1", "0"]
    assert lines[-1] == "2 active, 1 pending silences (1 expired not shown: --state expired)"
    expired = silences_text(SILENCES, [], NOW, state="expired").splitlines()
    assert expired[1].startswith("e-old  expired  ") and expired[-1] == "1 expired silence"
    assert silences_text(SILENCES[:1], [], NOW) == (
        "no active or pending silences (1 expired: --state expired)"
    )
    assert silences_text([], [], NOW, state="pending") == "no pending silences"


@pytest.mark.parametrize("width", [80, 120])
def test_silences_fit_the_terminal_keeping_id_matchers_and_comment(width: int) -> None:
    lines = silences_text(SILENCES, [], NOW, width=width).splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert {"ID", "STATE", "MATCHERS", "COMMENT"} <= set(lines[0].split())
    # Short IDs, as `promdash alerts` shows them (`silence expire` takes them).
    table = lines[: lines.index("")]
    assert [line.split()[0] for line in table if line[:1].strip()][1:] == [
        SILENCE_B[:8], SILENCE_A[:8], "p-later",
    ]  # fmt: skip
    comment = " ".join(line.split("  ")[-1].strip() for line in lines[2:4])
    assert "noisy canary" in comment


def test_silences_json_and_csv(groups: list[RuleGroup]) -> None:
    document = json.loads(silences_json(SILENCES, held(groups), NOW, state="all", url="http://am"))
    assert document["alertmanager"] == "http://am"
    first = document["silences"][0]
    assert first["id"] == SILENCE_B and first["remainingSeconds"] == 1800.0
    assert first["matchers"][1] == {
        "name": "severity", "value": "info", "isRegex": False, "isEqual": False,
    }  # fmt: skip
    assert document["silences"][-1]["remainingSeconds"] == 0.0
    rows = silences_csv(SILENCES, [], NOW).splitlines()
    assert rows[0] == "id,state,matchers,startsAt,endsAt,remainingSeconds,createdBy,comment,mutes"
    assert rows[1].startswith(f'{SILENCE_B},active,"{{group=""production"", severity!=""info""}}"')
    assert len(rows) == 4
