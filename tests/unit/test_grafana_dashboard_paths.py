"""Which Grafana dashboards `promdash dash` lists under D and draws at start: those given
with --dashboard (files or folders), the config context's `dashboards:`, the running
stack's provisioned ones; a missing or bad one is one line naming it (exit 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from promdash.commands.dash import grafana_dashboards
from promdash.configfile import load_config
from promdash.errors import ConfigError, DashboardError
from promdash.stack.model import default_stack_path

DATA = Path(__file__).parents[1] / "data" / "grafana"
DEMO_STACK = default_stack_path()
DEMO = DEMO_STACK.parent / "demo" / "grafana" / "dashboards" / "demo.json"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of two dashboards, plus what is not one (a YAML file, a hidden file)."""
    found = tmp_path / "boards"
    found.mkdir()
    shutil.copy(DATA / "nodes.json", found / "b-nodes.json")
    shutil.copy(DATA / "node.json", found / "a-node.json")
    (found / "provider.yaml").write_text("not a dashboard\n")
    (found / ".a-node.json.swp").write_text("an editor's file\n")
    return found


def test_a_folder_gives_every_json_in_it_by_name_and_the_first_opens(folder: Path) -> None:
    listed, opened = grafana_dashboards(
        [str(folder)], load_config(Path("/nonexistent")), None, None
    )
    assert listed == (folder / "a-node.json", folder / "b-nodes.json")
    assert opened == folder / "a-node.json"


def test_given_then_the_contexts_then_the_stacks_each_once(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "current-context: lab\n"
        "contexts:\n"
        "  lab:\n"
        "    url: http://127.0.0.1:9090\n"
        f"    dashboards: [boards, {DEMO}]\n"
        "  other:\n"
        "    url: http://127.0.0.1:9091\n"
        f"    dashboards: {DATA / 'node.json'}\n"
    )
    config = load_config(tmp_path / "config.yaml")
    given = [str(folder / "b-nodes.json")]
    listed, opened = grafana_dashboards(given, config, "lab", str(DEMO_STACK))
    assert listed == (folder / "b-nodes.json", folder / "a-node.json", DEMO.resolve())
    assert opened == folder / "b-nodes.json"
    # the config's are listed, never drawn at start; another context's are not listed
    listed, opened = grafana_dashboards([], config, "lab", None)
    assert opened is None
    assert DATA / "node.json" not in listed


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing", "missing: no such file or folder"),
        ("empty", "empty: no Grafana dashboard (*.json) in this folder"),
        ("bad.json", "bad.json: not JSON"),
    ],
)
def test_a_missing_or_bad_one_given_is_one_line(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DashboardError) as caught:
        grafana_dashboards([str(tmp_path / entry)], load_config(tmp_path / "none"), None, None)
    assert str(caught.value).startswith(f"{tmp_path / entry}: ")
    assert message.partition(": ")[2] in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing", "missing: no such file or folder"),
        ("empty", "empty: no Grafana dashboard (*.json) in this folder"),
        ("bad", "bad.json: not JSON"),
    ],
)
def test_a_missing_or_bad_one_in_the_config_names_its_file_and_line(
    tmp_path: Path, entry: str, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.json").write_text("{not json")
    path = tmp_path / "config.yaml"
    path.write_text(
        "contexts:\n"
        "  lab:\n"
        "    url: http://127.0.0.1:9090\n"
        "    dashboards:\n"
        f"      - {DEMO}\n"
        f"      - {entry}\n"
    )
    with pytest.raises(ConfigError) as caught:
        grafana_dashboards([], load_config(path), "lab", None)
    assert str(caught.value).startswith(f"config file {path}:6: contexts.lab.dashboards[1]: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
