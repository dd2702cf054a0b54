"""Grafana dashboards reached from the dashboard: `promdash dash --dashboard FILE` draws
FILE at start, Escape goes back to the dashboard and D brings it again; a bad file ends
in one line (exit 3) before anything opens. Against the real demo stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promdash.tui.screens.dashboard import DashboardScreen
from promdash.tui.screens.grafana import DashboardsScreen, GrafanaScreen
from tests.conftest import RunningStack
from tests.integration.test_dashboard_check import DEMO_DASHBOARD, NODE_DASHBOARD
from tests.integration.test_query_cli import child_env, run
from tests.tui.helpers import dash, wait_for

pytestmark = pytest.mark.prometheus


async def test_the_dashboard_given_opens_at_start_and_d_brings_it_back(
    local_stack: RunningStack,
) -> None:
    app = dash(local_stack.url, grafana_dashboards=(DEMO_DASHBOARD,), grafana_open=DEMO_DASHBOARD)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="the board")
        assert app.screen.dashboard.title == json.loads(DEMO_DASHBOARD.read_text())["title"]
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="D")


async def test_d_lists_several_dashboards(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, grafana_dashboards=(DEMO_DASHBOARD, NODE_DASHBOARD))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.started, what="the dashboard")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardsScreen), what="the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="the board")


def test_a_bad_dashboard_file_is_one_line_and_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    env = child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))
    done = run("dash", "--url", "http://127.0.0.1:9", "--dashboard", str(bad), env=env)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "bad.json" in done.stderr
