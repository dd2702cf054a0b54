"""A refresh asks the server for what is on screen (issue 12): the alert rules, with
every alert (2.7 MB at 5,000 alerts, 30 MB in a storm), on each poll only while the
Alerts panel or the overview shows them.

Against the real demo stack (`local_stack`): every request really goes to its
Prometheus; a transport around httpx's own only notes each request's path, so the
test can count what the dashboard asked for while a person looks at one panel.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import Future

import httpx
import pytest

from promdash.config import Connection
from promdash.prom.client import PromClient
from promdash.prom.types import Targets
from promdash.tui.app import make_app
from promdash.tui.settings import DashSettings
from tests.conftest import RunningStack
from tests.tui.helpers import SIZE, dash, polls_go_on, refreshed, row_text, wait_for

pytestmark = pytest.mark.prometheus

RULES = "/api/v1/rules"
TARGETS = "/api/v1/targets"


class Noting(httpx.AsyncHTTPTransport):
    """httpx's transport, noting the path of each request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked[request.url.path] += 1
        return await super().handle_async_request(request)


def _rule_rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.dashboard.alerts.table
    return [row_text(table, key) for key in table.row_keys if key.startswith("rule|")]


async def test_the_targets_tab_polls_targets_without_asking_for_the_alert_rules_each_time(
    local_stack: RunningStack,
) -> None:
    noting = Noting()
    app = dash(local_stack.url, refresh=1.0, transport=noting, catalog=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: noting.asked[RULES] >= 1, what="the first poll's rules")
        await wait_for(pilot, lambda: refreshed(app), what="the first targets")
        targets, rules = noting.asked[TARGETS], noting.asked[RULES]
        await polls_go_on(pilot, app, 3)
        assert noting.asked[TARGETS] >= targets + 2  # the targets are polled ...
        assert noting.asked[RULES] == rules  # ... the alert rules not, while none show

        # Showing the alerts asks for them at once (they were last asked polls ago) ...
        await pilot.press("3")
        await wait_for(pilot, lambda: noting.asked[RULES] > rules, what="rules asked on showing")
        await wait_for(pilot, lambda: _rule_rows(app), what="the rules drawn")
        shown = noting.asked[RULES]
        await polls_go_on(pilot, app, 2)
        assert noting.asked[RULES] >= shown + 2  # ... and on every poll while they show


async def test_the_overview_asks_for_the_alert_rules_on_every_poll(
    local_stack: RunningStack,
) -> None:
    noting = Noting()
    app = dash(local_stack.url, refresh=1.0, transport=noting, catalog=False, layout="overview")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: refreshed(app), what="the first targets")
        rules = noting.asked[RULES]
        await polls_go_on(pilot, app, 2)
        assert noting.asked[RULES] >= rules + 2


async def test_the_first_poll_shows_the_targets_asked_while_the_app_loaded(
    local_stack: RunningStack,
) -> None:
    """`promdash dash` asks for the targets before Textual loads; the app shows that
    answer and asks again only on the next poll."""
    async with PromClient(Connection(url=local_stack.url, timeout=3.0)) as client:
        answer = await client.targets(state="active")
    asked: Future[Targets] = Future()
    asked.set_result(answer)
    noting = Noting()
    settings = DashSettings(
        connection=Connection(url=local_stack.url, timeout=3.0),
        refresh=5.0,
        transport=noting,
        catalog=False,
        remember_theme=None,
        history_file=None,
    )
    app = make_app(settings, asked)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: refreshed(app), what="the first targets")
        table = app.dashboard.targets.table
        await wait_for(pilot, lambda: len(table.row_keys) > len(answer.active) - 1)
        assert {t.key for t in answer.active} <= set(table.row_keys)
        await asyncio.sleep(1)
        assert noting.asked[TARGETS] == 0  # the first poll took the answer given
