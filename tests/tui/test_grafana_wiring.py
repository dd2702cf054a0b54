"""Grafana dashboards reached from the dashboard: `promdash dash --dashboard FILE` draws
FILE at start, Escape goes back to the dashboard and D brings it again; a folder gives
every dashboard in it, and a config context's `dashboards:` are listed too; a bad or
missing one ends in one line (exit 3) before anything opens. Against the real demo stack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList

from promdash.commands.dash import grafana_dashboards
from promdash.configfile import load_config
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


async def test_the_panel_keys_leave_the_dashboard_underneath_alone(
    local_stack: RunningStack,
) -> None:
    """1-5 and g change the dashboard's panels: pressed on a Grafana dashboard they must
    neither leave it nor change, unseen, what Escape comes back to."""
    app = dash(local_stack.url, grafana_dashboards=(DEMO_DASHBOARD,), grafana_open=DEMO_DASHBOARD)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="the board")
        before = app.dashboard.active
        for key in ("1", "3", "g", "2"):
            await pilot.press(key)
            assert isinstance(app.screen, GrafanaScreen)
        assert app.dashboard.active == before
        await pilot.press("escape")
        await pilot.press("3")
        assert app.dashboard.active == "alerts"


async def test_the_dashboard_underneath_polls_only_when_it_shows_again(
    local_stack: RunningStack,
) -> None:
    """A Grafana dashboard asks for its own panels; the overview under it asking for
    every target, rule and graph each refresh would be wasted."""
    app = dash(local_stack.url, refresh=1.0, grafana_dashboards=(DEMO_DASHBOARD,))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.poller.last_success is not None, what="a poll")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="the board")
        board = app.screen
        await wait_for(pilot, lambda: board.polls >= 2, what="the board's own polls")
        under = app.poller.last_success
        await wait_for(pilot, lambda: board.polls >= 3, what="one more of the board's polls")
        # The demo's board refreshes every 5 s; at refresh=1.0 the overview would have
        # polled some five times meanwhile.
        assert app.poller.last_success == under
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.poller.last_success != under, what="a poll at once")


async def test_d_lists_several_dashboards(local_stack: RunningStack) -> None:
    app = dash(local_stack.url, grafana_dashboards=(DEMO_DASHBOARD, NODE_DASHBOARD))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.started, what="the dashboard")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardsScreen), what="the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GrafanaScreen), what="the board")


@pytest.mark.parametrize(
    "text", ["{not json", '{"panels": [], "time": {"from": "now-99999999d", "to": "now"}}']
)
def test_a_bad_dashboard_file_is_one_line_and_exit_3(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    env = child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))
    done = run("dash", "--url", "http://127.0.0.1:9", "--dashboard", str(bad), env=env)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "bad.json" in done.stderr


async def test_d_lists_a_folders_dashboards_and_the_contexts(
    local_stack: RunningStack, tmp_path: Path
) -> None:
    boards = tmp_path / "boards"
    boards.mkdir()
    shutil.copy(NODE_DASHBOARD, boards / "node.json")
    shutil.copy(NODE_DASHBOARD.with_name("nodes.json"), boards / "nodes.json")
    (tmp_path / "config.yaml").write_text(
        f"contexts:\n  lab:\n    url: {local_stack.url}\n    dashboards: [{DEMO_DASHBOARD}]\n"
    )
    listed, _ = grafana_dashboards(
        [str(boards)], load_config(tmp_path / "config.yaml"), "lab", None
    )
    app = dash(local_stack.url, grafana_dashboards=listed)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.started, what="the dashboard")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardsScreen), what="the list")
        options = app.screen.query_one(OptionList)
        shown = [text_of_prompt(options, i) for i in range(options.option_count)]
        assert shown == [
            "Node (promdash test)  (node.json)",
            "Nodes (promdash test)  (nodes.json)",
            "promdash demo  (demo.json)",
        ]


def text_of_prompt(options: OptionList, index: int) -> str:
    return str(options.get_option_at_index(index).prompt)


def _cli(tmp_path: Path, *args: str, config: str = "") -> tuple[int, str]:
    (tmp_path / "c.yaml").write_text(config)
    env = child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))
    done = run("dash", *args, env=env)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.returncode, done.stderr.strip()


def test_a_missing_or_empty_dashboard_folder_given_is_one_line_and_exit_3(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty").mkdir()
    code, said = _cli(
        tmp_path, "--url", "http://127.0.0.1:9", "--dashboard", str(tmp_path / "gone")
    )
    assert code == 3
    assert said.endswith(f"{tmp_path / 'gone'}: no such file or folder")
    code, said = _cli(
        tmp_path, "--url", "http://127.0.0.1:9", "--dashboard", str(tmp_path / "empty")
    )
    assert code == 3
    assert "no Grafana dashboard (*.json) in this folder" in said


def test_a_bad_dashboard_in_the_config_is_one_line_naming_its_line_and_exit_3(
    tmp_path: Path,
) -> None:
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "bad.json").write_text("{not json")
    config = (
        "current-context: lab\n"
        "contexts:\n"
        "  lab:\n"
        "    url: http://127.0.0.1:9\n"
        "    dashboards:\n"
        "      - boards\n"
    )
    code, said = _cli(tmp_path, config=config)
    assert code == 3
    assert f"config file {tmp_path / 'c.yaml'}:6: contexts.lab.dashboards[0]: " in said
    assert "bad.json: not JSON" in said
