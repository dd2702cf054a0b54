"""Which graphs the overview opens with, and the per-server memory of graphs behind it.

Everything is real files: the memory in a private state directory, stack files
written to disk as a user writes them.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from promdash.commands.dash import _managed_stack, overview_graphs
from promdash.config import resolve_connection
from promdash.preferences import GRAPHS_FILE, GraphMemory, server_key
from promdash.stack.model import default_stack_path
from promdash.stack.state import StackState
from promdash.tui.settings import FALLBACK_GRAPH

DEMO = default_stack_path().read_text()
OWN_DASHBOARD = """
dashboard:
  graphs:
    - title: scrape time
      query: |
        max by (instance) (scrape_duration_seconds)
"""


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean world: its own state directory and config file, no ambient URL or token."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMDASH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "config.yaml"))
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "state"


def test_recent_graphs_newest_first_without_repeats_and_capped(state: Path) -> None:
    memory = GraphMemory("http://prom:9090")
    assert memory.recent() == []
    for query in ("up", "rate(x[1m])", "up"):
        memory.opened(query)
    assert memory.recent() == ["up", "rate(x[1m])"]
    for n in range(25):
        memory.opened(f"q{n}")
    assert memory.recent() == [f"q{n}" for n in range(24, 4, -1)]  # the 20 newest
    # Another run reads what this one wrote: it is kept on disk, in the state directory.
    assert GraphMemory("http://prom:9090").recent()[0] == "q24"
    assert (state / GRAPHS_FILE).is_file()


def test_each_server_has_its_own_graphs_and_keeps_them_when_another_writes(
    state: Path,
) -> None:
    prod, lab = GraphMemory("context prod"), GraphMemory("http://lab:9090")
    prod.opened("up")
    lab.opened("node_load1")  # two dashboards open at once, on two servers
    prod.opened("errors_total")
    assert prod.recent() == ["errors_total", "up"]
    assert lab.recent() == ["node_load1"]
    assert GraphMemory("http://other:9090").recent() == []


def test_the_least_recently_used_servers_are_forgotten_beyond_fifty(state: Path) -> None:
    GraphMemory("server-0").opened("up")
    GraphMemory("server-1").opened("up")
    for n in range(2, 50):
        GraphMemory(f"server-{n}").opened("up")
    GraphMemory("server-0").opened("again")  # used again: now the newest
    GraphMemory("server-50").opened("up")
    assert GraphMemory("server-1").recent() == []
    assert GraphMemory("server-0").recent() == ["again", "up"]
    assert GraphMemory("server-2").recent() == ["up"]
    assert len(json.loads((state / GRAPHS_FILE).read_text())["servers"]) == 50


def test_the_overview_choice_is_none_until_set(state: Path) -> None:
    memory = GraphMemory("http://prom:9090")
    memory.opened("up")
    assert memory.overview() is None
    memory.set_overview([("load", "node_load1"), ("up", "up")])
    assert GraphMemory("http://prom:9090").overview() == [("load", "node_load1"), ("up", "up")]
    assert memory.recent() == ["up"]  # the choice leaves the recent graphs alone
    memory.set_overview([])
    assert memory.overview() == []


def test_the_file_is_owner_only(state: Path) -> None:
    GraphMemory("http://prom:9090").opened("up")
    assert stat.S_IMODE((state / GRAPHS_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe binary",
        b"[1, 2]",
        b'{"servers": []}',
        b'{"servers": {"http://prom:9090": {"recent": "up", "overview": {"a": "b"}}}}',
    ],
)
def test_a_bad_file_means_nothing_remembered(state: Path, content: bytes) -> None:
    state.mkdir()
    (state / GRAPHS_FILE).write_bytes(content)
    memory = GraphMemory("http://prom:9090")
    assert memory.recent() == [] and memory.overview() is None
    memory.opened("up")  # and it is replaced by a good one
    assert memory.recent() == ["up"]


def test_bad_entries_are_left_out_and_good_ones_kept(state: Path) -> None:
    state.mkdir()
    servers = {"s": {"recent": ["up", 3, None, ""], "overview": [["t", "up"], ["t"], [1, 2]]}}
    (state / GRAPHS_FILE).write_text(json.dumps({"servers": servers}))
    memory = GraphMemory("s")
    assert memory.recent() == ["up"]
    assert memory.overview() == [("t", "up")]


def test_a_memory_that_cannot_be_written_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    memory = GraphMemory("s", tmp_path / "a-file" / GRAPHS_FILE)
    memory.opened("up")
    memory.set_overview([("up", "up")])
    assert memory.recent() == [] and memory.overview() is None


def test_server_key_is_the_context_else_the_url_without_credentials(
    state: Path, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text("s3cret-token\n")
    (tmp_path / "config.yaml").write_text(
        "contexts:\n"
        "  prod:\n"
        "    url: https://prom.example.com/\n"
        f"    bearer_token_file: {tmp_path / 'token'}\n"
    )
    prod = resolve_connection(context="prod")
    assert server_key(prod) == "context prod"
    plain = resolve_connection(url="http://127.0.0.1:9090/")
    assert server_key(plain) == "http://127.0.0.1:9090"
    with_password = resolve_connection(url="https://alice:hunter2@prom.example.com/p/")
    assert server_key(with_password) == "https://prom.example.com/p"
    for conn in (prod, with_password):
        GraphMemory(server_key(conn)).opened("up")
    written = (state / GRAPHS_FILE).read_text()
    assert "s3cret" not in written and "hunter2" not in written and "alice" not in written


# ------------------------------------------------------------ the overview's graphs


def _stack_file(tmp_path: Path, extra: str = OWN_DASHBOARD) -> Path:
    path = tmp_path / "my-stack.yaml"
    path.write_text(DEMO.split("\ndashboard:")[0] + "\n" + extra)
    return path


def test_the_users_own_choice_comes_first(state: Path, tmp_path: Path) -> None:
    memory = GraphMemory("http://127.0.0.1:9090")
    memory.opened("up")
    memory.set_overview([("load", "node_load1")])
    assert overview_graphs(memory, str(_stack_file(tmp_path))) == (("load", "node_load1"),)


def test_the_stack_files_dashboard_comes_before_recent_graphs(state: Path, tmp_path: Path) -> None:
    path = _stack_file(tmp_path)
    before = path.read_text()
    memory = GraphMemory("http://127.0.0.1:9090")
    memory.opened("up")
    assert overview_graphs(memory, str(path)) == (
        ("scrape time", "max by (instance) (scrape_duration_seconds)"),
    )
    assert path.read_text() == before  # the user's file is only read


def test_the_stack_promdash_runs_at_the_url_gives_its_stack_file(
    state: Path, tmp_path: Path
) -> None:
    path = _stack_file(tmp_path)
    StackState("mine", "local", str(path), "http://127.0.0.1:19999", started_at=1.0).save()
    found = _managed_stack("http://127.0.0.1:19999/")
    assert found is not None and found.name == "mine"
    assert overview_graphs(GraphMemory("x"), found.stack_file)[0][0] == "scrape time"


def test_the_bundled_demo_stack_gives_its_rpc_graphs(state: Path) -> None:
    graphs = overview_graphs(GraphMemory("x"), str(default_stack_path()))
    queries = " ".join(query for _, query in graphs)
    assert len(graphs) >= 2
    assert "rpc_durations_seconds_count" in queries and "quantile" in queries


@pytest.mark.parametrize(
    "stack_file",
    [
        None,  # no stack promdash manages at this URL
        "missing.yaml",
        "invalid",  # a stack file broken since the stack started
        "no-dashboard",  # a stack file without a `dashboard:` section
    ],
)
def test_else_the_two_newest_recent_graphs(
    state: Path, tmp_path: Path, stack_file: str | None
) -> None:
    if stack_file == "invalid":
        stack_file = str(_stack_file(tmp_path, "dashboard: {graphs: [{title: x}]}\n"))
    elif stack_file == "no-dashboard":
        stack_file = str(_stack_file(tmp_path, "\n"))
    elif stack_file is not None:
        stack_file = str(tmp_path / stack_file)
    memory = GraphMemory("http://127.0.0.1:9090")
    for query in ("up", "node_load1", "rate(errors_total[5m])"):
        memory.opened(query)
    assert overview_graphs(memory, stack_file) == (
        ("rate(errors_total[5m])", "rate(errors_total[5m])"),
        ("node_load1", "node_load1"),
    )


def test_else_a_graph_any_prometheus_can_show(state: Path, tmp_path: Path) -> None:
    memory = GraphMemory("http://127.0.0.1:9090")
    assert overview_graphs(memory, None) == (FALLBACK_GRAPH,)
    assert overview_graphs(memory, str(_stack_file(tmp_path, "\n"))) == (FALLBACK_GRAPH,)
