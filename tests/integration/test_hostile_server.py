"""Every read command against a hostile server (tests/integration/hostile.py), as users run them.

Each command runs as its own process with its output in a pipe, so what is checked
is what a user sees: the exit code, one line on stderr naming the endpoint, and
never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from promdash import cli
from tests.integration.hostile import BAD_SHAPES, ENDPOINTS, HUGE, HostileServer

TIMEOUT = "0.5"  # seconds; the slow shape never answers within it

# Each read command, and the endpoints whose answer it reads first.
COMMANDS: dict[str, tuple[list[str], set[str]]] = {
    "targets": (["targets"], {"targets"}),
    "targets --json": (["targets", "--json"], {"targets"}),
    "query": (["query", "up"], {"query"}),
    "query --json": (["query", "up", "--json"], {"query"}),
    "query --range": (["query", "up", "--range", "5m"], {"query_range"}),
    "alerts": (["alerts"], {"rules"}),
    # Metadata and metric names are asked together: either may be read first.
    "metrics": (["metrics"], {"metadata", "label_values"}),
    "tail (pipe)": (["tail", "up", "--every", "5s"], {"query_range"}),
}


# The user's own server, token and config never leak in.
ENV = {k: v for k, v in os.environ.items() if k not in ("PROMDASH_URL", "PROMDASH_TOKEN")}
ENV["PROMDASH_CONFIG"] = os.devnull


def endpoint_path(kind: str) -> str:
    return "/api/v1/label/__name__/values" if kind == "label_values" else ENDPOINTS[kind]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def promdash(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=ENV,
    )


@pytest.mark.parametrize("shape", sorted(BAD_SHAPES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_wrong_shape_is_one_line_naming_the_endpoint(
    server: HostileServer, command: str, shape: str
) -> None:
    args, endpoints = COMMANDS[command]
    server.shape = shape
    result = promdash(*args, "--url", server.url, "--timeout", TIMEOUT)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == cli.EXIT_ERROR, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    named = [kind for kind in endpoints if endpoint_path(kind) + ": " in line]
    assert line.startswith("promdash: unexpected answer from /api/v1/") and named, line
    # Then where in the answer, and what was wrong with it.
    assert line.split(": ", 2)[2].startswith("data"), line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_slow_answer_is_not_an_unreachable_server(server: HostileServer, command: str) -> None:
    args, _ = COMMANDS[command]
    server.shape = "slow"
    result = promdash(*args, "--url", server.url, "--timeout", TIMEOUT)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == cli.EXIT_SLOW
    assert result.stderr == (
        f"promdash: {server.url} accepted the request but did not answer within {TIMEOUT}s "
        "(a slow query?); allow longer with --timeout SECONDS\n"
    )


def test_a_body_that_is_not_what_its_encoding_says(server: HostileServer) -> None:
    server.shape = "garbled gzip"
    result = promdash("targets", "--url", server.url)
    assert "Traceback" not in result.stderr and result.returncode == cli.EXIT_ERROR
    (line,) = result.stderr.splitlines()
    assert line.startswith("promdash: unexpected answer from /api/v1/targets: body: cannot be")


def test_a_server_on_this_machine_is_asked_for_uncompressed_answers(
    server: HostileServer,
) -> None:
    """Over loopback, gzip costs both ends CPU and saves no time; elsewhere it is asked."""
    server.shape = "good"
    server.encodings.clear()
    for url in (server.url, server.url.replace("127.0.0.1", "localhost")):
        assert promdash("targets", "--url", url).returncode == 0
    assert server.encodings == ["identity", "identity"]


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("http://127.0.0.2:9090", True), ("http://[::1]:9090", True),
     ("https://localhost/prom", True), ("http://10.0.0.1:9090", False),
     ("https://prometheus.example.com", False)],
)  # fmt: skip
def test_only_loopback_servers_are_asked_uncompressed(url: str, loopback: bool) -> None:
    from promdash.config import Connection
    from promdash.prom.client import PromClient

    client = PromClient(Connection(url=url))
    asked = client._http.headers.get("Accept-Encoding", "")
    assert (asked == "identity") is loopback and ("gzip" in asked) is not loopback


def test_the_recorded_answers_still_read_fine(server: HostileServer) -> None:
    """The same server and commands with real answers: the checks refuse nothing real."""
    server.shape = "good"
    for command, (args, _) in COMMANDS.items():
        if command.startswith("tail"):
            continue  # a tail that works never ends
        result = promdash(*args, "--url", server.url)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stderr == "" and result.stdout, command


def test_a_5_mb_label_prints_a_bounded_cell_and_whole_json(server: HostileServer) -> None:
    server.shape = "huge label"
    text = promdash("targets", "--url", server.url)
    whole = promdash("targets", "--url", server.url, "--json")
    instant = promdash("query", "up", "--url", server.url)
    instant_json = promdash("query", "up", "--url", server.url, "--json")
    instant_csv = promdash("query", "up", "--url", server.url, "--csv")
    for result in (text, whole, instant, instant_json, instant_csv):
        assert result.returncode == 0 and result.stderr == "", result.stderr
    # The cell shows its start and how much was left out; the row stays one line.
    assert len(text.stdout) < 2000 and "xxx…(+5.2 MB)" in text.stdout
    assert len(instant.stdout) < 2000 and "xxx…(+5.2 MB)" in instant.stdout
    assert json.loads(whole.stdout)["targets"][0]["labels"]["big"] == HUGE
    assert json.loads(instant_json.stdout)["result"][0]["metric"]["big"] == HUGE
    header, row = instant_csv.stdout.splitlines()
    assert header.split(",")[1] == "big" and row.split(",")[1] == HUGE
