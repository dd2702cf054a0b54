"""The command line's surface: every command listed, flags kept wherever they are given."""

from __future__ import annotations

import subprocess
import sys

import pytest

from promdash import __version__, cli

COMMANDS = ["up", "down", "status", "logs", "targets", "query", "tail", "alerts", "metrics",
            "config", "dash"]  # fmt: skip


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in COMMANDS:
        assert f"\n    {command} " in result.stdout, command
    assert "exit codes:" in result.stdout and "64  bad command-line usage" in result.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"promdash {__version__}"


def test_connection_flags_before_the_command_are_kept() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["--url", "http://a:9090", "targets"]).url == "http://a:9090"
    assert parser.parse_args(["targets", "--url", "http://b:9090"]).url == "http://b:9090"
    assert parser.parse_args(["targets"]).url is None
    # `up --timeout` bounds the readiness wait; the request timeout is a different flag.
    assert parser.parse_args(["up"]).ready_timeout == 120.0
    assert parser.parse_args(["up", "--timeout", "7"]).ready_timeout == 7.0


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["frobnicate"])
    assert done.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("promdash: argument COMMAND: invalid choice") and err.count("\n") == 1
