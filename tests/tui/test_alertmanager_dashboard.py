"""The dashboard with Debian's real Alertmanager 0.25 and a real Prometheus sending it alerts.

Prometheus fires InstanceDown (critical) and ScrapeFailing (warning) for a closed
port; Alertmanager's inhibition rule mutes the warning while the critical alert of
the same instance fires. Tests write silences over Alertmanager's API as another
person would, or drive the app with a Pilot as a person at it would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Input, Log

from promdash.config import Connection
from promdash.tui.app import PromdashApp
from promdash.tui.screens.confirm import ConfirmScreen
from promdash.tui.screens.logs import LogScreen
from promdash.tui.screens.silence import ExtendScreen, SilenceScreen
from promdash.tui.widgets.silences import moment_text
from promdash.tui.widgets.table import KeyedTable
from tests.conftest import RunningStack, require_alertmanager
from tests.integration.alertmanager import (
    AlertingPrometheus,
    OwnAlertmanager,
    own_alertmanager,
    prometheus_alerting_to,
    wait_until,
)
from tests.tui.helpers import SIZE, dash, row_text, text_of, type_text, wait_for

pytestmark = pytest.mark.prometheus

RULES = """\
groups:
  - name: test
    rules:
      - alert: InstanceDown
        expr: up == 0
        labels: {severity: critical}
        annotations: {summary: "Instance {{ $labels.instance }} is down"}
      - alert: ScrapeFailing
        expr: up == 0
        labels: {severity: warning}
"""


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnAlertmanager]:
    with own_alertmanager(tmp_path_factory.mktemp("alertmanager")) as server:
        yield server


@pytest.fixture(scope="module")
def prom(
    am: OwnAlertmanager, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AlertingPrometheus]:
    host = am.url.removeprefix("http://")
    with prometheus_alerting_to(tmp_path_factory.mktemp("prometheus"), [host], RULES) as server:
        for name in ("InstanceDown", "ScrapeFailing"):
            wait_until(
                lambda name=name: bool(am.alert(alertname=name)),  # type: ignore[misc]
                f"{name} reaching Alertmanager",
            )
        yield server


@pytest.fixture(autouse=True)
def no_silences_left(am: OwnAlertmanager) -> Iterator[None]:
    """Each test starts with InstanceDown active: what a test silenced is expired after it."""
    yield
    for silence in live_silences(am):
        httpx.delete(f"{am.url}/api/v2/silence/{silence['id']}", timeout=5)


def add_silence(am: OwnAlertmanager, comment: str = "from the test", **labels: str) -> str:
    """A silence written by someone else (over the API), for an hour."""
    now = datetime.now(UTC)
    body = {
        "matchers": [
            {"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in labels.items()
        ],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "someone",
        "comment": comment,
    }
    answer = httpx.post(f"{am.url}/api/v2/silences", json=body, timeout=5)
    answer.raise_for_status()
    silence_id: str = answer.json()["silenceID"]
    wait_until(lambda: am.alert(**labels)["status"]["silencedBy"] == [silence_id], "silenced")
    return silence_id


def alert_key(app: PromdashApp, name: str) -> str:
    """The Alerts panel's row of the (one) alert of rule `name`; "" while there is none."""
    keys = app.dashboard.alerts.table.row_keys
    found = [k for k in keys if k.startswith("rule|") and k.count("|") > 4 and f"|{name}|" in k]
    return found[0] if found else ""


def alert_row(app: PromdashApp, name: str) -> str:
    key = alert_key(app, name)
    return row_text(app.dashboard.alerts.table, key) if key else ""


async def select_alert(pilot: Any, app: PromdashApp, name: str) -> str:
    """Put the Alerts panel's cursor on the alert of rule `name`; its detail text."""
    table = app.dashboard.alerts.table
    table.focus()
    table.move_cursor(row=table.row_keys.index(alert_key(app, name)))
    await pilot.pause(0.2)
    return text_of(app.dashboard.alerts.query_one("#alert-detail"))


def tab_labels(app: PromdashApp) -> list[str]:
    from textual.widgets import Tab

    return [str(tab.label) for tab in app.dashboard.query(Tab)]


# ---------------------------------------------------------------- the Alerts panel


async def test_alerts_show_what_alertmanager_does_silenced_by_which_and_inhibited(
    am: OwnAlertmanager, prom: AlertingPrometheus
) -> None:
    silence_id = add_silence(am, alertname="InstanceDown")
    # Not named: found as the CLI finds it, from Prometheus's /api/v1/alertmanagers.
    app = dash(prom.url, panel="alerts", refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: "silenced" in alert_row(app, "InstanceDown"), what="InstanceDown"
        )
        assert "🔕 silenced" in alert_row(app, "InstanceDown")
        assert "firing" in alert_row(app, "InstanceDown")  # Prometheus's side stays
        assert "⊘ inhibited" in alert_row(app, "ScrapeFailing")
        assert "5 Silences" in tab_labels(app)

        detail = await select_alert(pilot, app, "InstanceDown")
        held = am.alert(alertname="InstanceDown")
        assert f"silenced by {silence_id[:8]}" in detail and "from the test" in detail
        assert "receivers: hook" in detail and f"fingerprint {held['fingerprint']}" in detail
        detail = await select_alert(pilot, app, "ScrapeFailing")
        assert "inhibited by InstanceDown" in detail

        # The state filter offers what Alertmanager does: only the silenced, the inhibited.
        panel = app.dashboard.alerts
        panel.set_filter("inactive")
        await pilot.press("s")
        await pilot.pause(0.2)
        assert panel.state_filter == "silenced"
        assert alert_row(app, "InstanceDown") and not alert_row(app, "ScrapeFailing")
        await pilot.press("s")
        await pilot.pause(0.2)
        assert panel.state_filter == "inhibited"
        assert alert_row(app, "ScrapeFailing") and not alert_row(app, "InstanceDown")

        # The overview marks them too.
        await pilot.press("o")
        overview = app.dashboard.overview.query_one("#overview-alerts")
        await wait_for(pilot, lambda: "🔕 silenced" in text_of_table(overview), what="overview")
        assert "⊘ inhibited" in text_of_table(overview)


def text_of_table(table: Any) -> str:
    return "\n".join(row_text(table, key) for key in table.row_keys)


async def test_without_an_alertmanager_the_alerts_panel_works_as_before(tmp_path: Path) -> None:
    with prometheus_alerting_to(tmp_path, [], RULES) as lonely:
        app = dash(lonely.url, panel="alerts", refresh=1.0)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: alert_row(app, "InstanceDown"), what="InstanceDown")
            await wait_for(pilot, lambda: app.dashboard.am.none, what="looking for one")
            assert "firing" in alert_row(app, "InstanceDown")
            header = "".join(s.text for s in app.dashboard.alerts.table.render_line(0))
            assert "Rule / alert" in header and "Alertmanager" not in header
            assert not any("Silences" in label for label in tab_labels(app))
            detail = await select_alert(pilot, app, "InstanceDown")
            assert "No Alertmanager: Prometheus at" in detail and "sends alerts to none" in detail
            await pilot.press("5")  # says why there is no Silences panel
            await pilot.pause(0.2)
            assert app.dashboard.active == "alerts"
            panel = app.dashboard.alerts
            assert panel.filter_choices() == ("all", "firing", "pending", "inactive")


async def test_an_alertmanager_that_stops_answering_leaves_prometheus_fresh(
    tmp_path: Path,
) -> None:
    with own_alertmanager(tmp_path / "am") as lone:
        host = lone.url.removeprefix("http://")
        with prometheus_alerting_to(tmp_path / "prom", [host], RULES) as server:
            app = dash(server.url, panel="alerts", refresh=1.0,
                       alertmanager=Connection(url=lone.url, timeout=2.0))  # fmt: skip
            async with app.run_test(size=SIZE) as pilot:
                await wait_for(
                    pilot, lambda: "active" in alert_row(app, "InstanceDown"), what="active"
                )
                lone.process.terminate()
                lone.process.wait(10)
                await wait_for(pilot, lambda: app.dashboard.am.error, what="said", timeout=30)
                detail = await select_alert(pilot, app, "InstanceDown")
                assert f"Alertmanager at {lone.url} does not answer" in detail
                summary = text_of(app.dashboard.alerts.query_one("#alerts-summary"))
                assert "Alertmanager does not answer" in summary
                # Prometheus's panels are not stale for it: no banner, polls go on.
                before = app.poller.last_success
                await wait_for(pilot, lambda: app.poller.last_success != before, what="a poll")
                assert not app.dashboard.banner.has_class("-shown")
                for panel in app.dashboard.panels():
                    stale = panel.panel_name == "silences"  # Alertmanager's own panel only
                    assert panel.has_class("-stale") == stale, panel.panel_name
                await pilot.press("5")
                problem = text_of(app.dashboard.silences.query_one("#silences-problem"))
                assert f"Alertmanager at {lone.url} does not answer" in problem


# ---------------------------------------------------------------- the Silences panel


async def open_silence(pilot: Any, app: PromdashApp, silence_id: str) -> str:
    """Show the Silences panel with its cursor on `silence_id`; that row's text."""
    await pilot.press("5")
    panel = app.dashboard.silences
    await wait_for(pilot, lambda: silence_id in panel.table.row_keys, what="the silence listed")
    panel.table.focus()
    panel.table.move_cursor(row=panel.table.row_keys.index(silence_id))
    await pilot.pause(0.2)
    return row_text(panel.table, silence_id)


async def test_expiring_a_silence_asks_first_and_the_alert_is_active_again(
    am: OwnAlertmanager, prom: AlertingPrometheus
) -> None:
    silence_id = add_silence(am, comment="disk swap", alertname="InstanceDown")
    app = dash(prom.url, panel="alerts", refresh=1.0, alertmanager=Connection(url=am.url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "silenced" in alert_row(app, "InstanceDown"), what="muted")
        row = await open_silence(pilot, app, silence_id)
        assert silence_id[:8] in row and "active" in row and "disk swap" in row
        assert 'alertname="InstanceDown"' in row and "someone" in row
        detail = text_of(app.dashboard.silences.query_one("#silence-detail"))
        assert silence_id in detail and "mutes 1 now: InstanceDown" in detail

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert am.get(f"silence/{silence_id}")["status"]["state"] == "active"  # not yet
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: "expired" in row_text(app.dashboard.silences.table, silence_id),
            what="shown expired",
        )
        assert am.get(f"silence/{silence_id}")["status"]["state"] == "expired"
        await pilot.press("3")
        await wait_for(
            pilot, lambda: "active" in alert_row(app, "InstanceDown"), what="InstanceDown active"
        )
        assert "silenced" not in alert_row(app, "InstanceDown")


async def test_no_to_the_question_changes_nothing_and_extending_moves_the_end(
    am: OwnAlertmanager, prom: AlertingPrometheus
) -> None:
    silence_id = add_silence(am, alertname="InstanceDown")
    before = datetime.fromisoformat(am.get(f"silence/{silence_id}")["endsAt"])
    app = dash(prom.url, panel="silences", refresh=1.0, alertmanager=Connection(url=am.url))
    async with app.run_test(size=SIZE) as pilot:
        await open_silence(pilot, app, silence_id)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")
        await pilot.pause(0.5)
        assert am.get(f"silence/{silence_id}")["status"]["state"] == "active"

        await pilot.press("plus")
        await wait_for(pilot, lambda: isinstance(app.screen, ExtendScreen), what="how long")
        await pilot.press("ctrl+u")  # clear the default 1h
        await pilot.press(*"2h", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")

        def moved() -> bool:
            ends = datetime.fromisoformat(am.get(f"silence/{silence_id}")["endsAt"])
            return ends - before > timedelta(minutes=119)

        await wait_for(pilot, moved, what="the end moved by 2h")
        panel = app.dashboard.silences
        new_end = datetime.fromisoformat(am.get(f"silence/{silence_id}")["endsAt"])
        shown = moment_text(new_end.timestamp(), datetime.now(UTC).timestamp())
        await wait_for(
            pilot, lambda: shown in row_text(panel.table, silence_id), what="the new end shown"
        )
        remaining = row_text(panel.table, silence_id)
        assert "2h59m" in remaining or " 3h " in remaining  # an hour left, and two more


# ---------------------------------------------------------------- the silence form


def live_silences(am: OwnAlertmanager) -> list[dict[str, Any]]:
    return [s for s in am.silences() if s["status"]["state"] != "expired"]


def notices(app: PromdashApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def test_silencing_an_alert_from_the_form_previews_then_saves_after_a_question(
    am: OwnAlertmanager, prom: AlertingPrometheus
) -> None:
    app = dash(prom.url, panel="alerts", refresh=1.0, alertmanager=Connection(url=am.url),
               author="ana")  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "active" in alert_row(app, "InstanceDown"), what="active")
        await select_alert(pilot, app, "InstanceDown")
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SilenceScreen), what="the form")
        form = app.screen
        assert isinstance(form, SilenceScreen)
        assert [row.parts() for row in form.rows()] == [
            ("alertname", "=", "InstanceDown"),
            ("instance", "=", prom.closed),
            ("job", "=", "closed"),
            ("severity", "=", "critical"),
        ]
        assert form.query_one("#silence-duration", Input).value == "2h"
        assert form.query_one("#silence-author", Input).value == "ana"

        def preview() -> str:
            return text_of(form.query_one("#silence-preview"))

        assert "Would mute 1 of the 2 current alerts:" in preview()
        assert "InstanceDown" in preview() and "ScrapeFailing" not in preview()

        # Drop the alert's name; match both severities by a regex.
        form.query_one("#m1-remove").focus()
        await pilot.press("enter")
        form.query_one("#m4-op").focus()
        await pilot.press("enter", "enter")  # = → != → =~
        form.query_one("#m4-value").focus()
        await pilot.press("ctrl+u")
        await type_text(pilot, "critical|warning")
        await pilot.pause(0.2)
        assert "Would mute 2 of the 2 current alerts:" in preview()
        assert "ScrapeFailing" in preview()

        await pilot.press("ctrl+s")  # no comment yet: said, nothing asked or written
        await pilot.pause(0.2)
        assert "a comment is needed" in text_of(form.query_one("#silence-error"))
        assert app.screen is form
        form.query_one("#silence-comment").focus()
        await type_text(pilot, "network maintenance")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert not live_silences(am)  # nothing written before the yes
        await pilot.press("y")

        def saved() -> list[dict[str, Any]]:
            return [s for s in am.silences() if s["comment"] == "network maintenance"]

        await wait_for(pilot, saved, what="the silence in Alertmanager")
        (silence,) = saved()
        assert silence["status"]["state"] == "active" and silence["createdBy"] == "ana"
        matchers = {(m["name"], m["value"], m["isRegex"]) for m in silence["matchers"]}
        assert matchers == {
            ("instance", prom.closed, False),
            ("job", "closed", False),
            ("severity", "critical|warning", True),
        }
        ends = datetime.fromisoformat(silence["endsAt"]) - datetime.now(UTC)
        assert timedelta(hours=1, minutes=58) < ends <= timedelta(hours=2)
        await wait_for(pilot, lambda: silence["id"] in notices(app), what="the new ID said")
        await wait_for(
            pilot, lambda: "silenced" in alert_row(app, "InstanceDown"), what="shown silenced"
        )
        assert "🔕 silenced" in alert_row(app, "ScrapeFailing")


async def test_the_overview_opens_the_form_for_its_selected_alert(
    am: OwnAlertmanager, prom: AlertingPrometheus
) -> None:
    app = dash(prom.url, layout="overview", refresh=1.0, alertmanager=Connection(url=am.url))
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.overview.query_one("#overview-alerts", KeyedTable)
        keys = lambda: [k for k in table.row_keys if "|ScrapeFailing|" in k]  # noqa: E731
        await wait_for(pilot, keys, what="ScrapeFailing in the overview")
        table.focus()
        table.move_cursor(row=table.row_keys.index(keys()[0]))
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, SilenceScreen), what="the form")
        assert isinstance(app.screen, SilenceScreen)
        assert ("alertname", "=", "ScrapeFailing") in [r.parts() for r in app.screen.rows()]
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not live_silences(am)


# ---------------------------------------------------------------- the stack's webhook receiver


async def test_the_receivers_notifications_show_in_the_alert_and_in_its_log(
    local_stack: RunningStack,
) -> None:
    """The demo stack's Alertmanager notifies promdash's webhook receiver: the alert's
    detail says when, and the Stack panel's log of the receiver shows the line."""
    require_alertmanager()
    instance = f"127.0.0.1:{local_stack.stack.ports()['random-3']}"
    app = dash(local_stack.url, panel="alerts", refresh=1.0, stack_name=local_stack.state.name)
    async with app.run_test(size=SIZE) as pilot:
        with local_stack.stopped("random-3"):

            def down_key() -> str:
                keys = app.dashboard.alerts.table.row_keys
                found = [k for k in keys if "|InstanceDown|" in k and f'"{instance}"' in k]
                return found[0] if found else ""

            await wait_for(
                pilot,
                lambda: "active" in row_text(app.dashboard.alerts.table, down_key()),
                timeout=60,
                what="InstanceDown firing and in Alertmanager",
            )
            table = app.dashboard.alerts.table
            table.focus()
            detail = app.dashboard.alerts.query_one("#alert-detail")

            def notified() -> bool:
                table.move_cursor(row=table.row_keys.index(down_key()))
                shown = text_of(detail)
                # Until this incident's notification arrives (group_wait), the latest one
                # for the alert may be an earlier test's `resolved`.
                return "notified: webhook at" in shown and "(firing" in shown

            await wait_for(pilot, notified, timeout=60, what="the firing notification")

            await pilot.press("4")
            stack = app.dashboard.stack
            assert stack is not None
            await wait_for(pilot, lambda: stack.rows is not None, what="the stack's services")
            stack.table.move_cursor(row=stack.table.row_keys.index("webhook"))
            stack.table.focus()
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, LogScreen), what="the log")
            log = app.screen.query_one(Log)
            await wait_for(
                pilot,
                lambda: any(
                    " firing InstanceDown " in line and f'"{instance}"' in line
                    for line in log.lines
                ),
                what="the notification's line in the receiver's log",
            )
            await pilot.press("escape")
