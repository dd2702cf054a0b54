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


def test_shared_flags_before_the_command_are_kept_after_it_too() -> None:
    parser = cli.build_parser()
    before = parser.parse_args(["--header", "A=1", "--insecure", "--timeout", "3", "targets"])
    assert (before.header, before.insecure, before.timeout) == (["A=1"], True, 3.0)
    assert parser.parse_args(["--url", "http://a:9090", "dash"]).url == "http://a:9090"
    assert parser.parse_args(["--url", "http://a:9090", "dash", "--url", "http://b:9090"]).url \
        == "http://b:9090"  # fmt: skip
    assert parser.parse_args(["--layout", "tabs", "dash"]).layout == "tabs"
    assert parser.parse_args(["dash", "--layout", "overview"]).layout == "overview"
    # Nothing given anywhere: the defaults, with or without a command.
    for argv in ([], ["dash"], ["targets"]):
        args = parser.parse_args(argv)
        assert (args.header, args.insecure, args.layout, args.query, args.graph_range) == (
            [], False, "auto", [], 900.0,
        ), argv  # fmt: skip


def test_output_is_one_choice_with_json_and_csv_aliases() -> None:
    parser = cli.build_parser()
    for command in (["targets"], ["alerts"], ["metrics"], ["query", "up"]):
        assert parser.parse_args(command).output == "table"
        assert parser.parse_args([*command, "-o", "json"]).output == "json"
        assert parser.parse_args([*command, "--output=json"]).output == "json"
        assert parser.parse_args([*command, "--json"]).output == "json"
    assert parser.parse_args(["query", "up", "-o", "csv"]).output == "csv"
    assert parser.parse_args(["query", "up", "--csv"]).output == "csv"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["targets", "-o", "csv"], "argument -o/--output: invalid choice: 'csv'"),
        (["alerts", "--output", "csv"], "argument -o/--output: invalid choice: 'csv'"),
        (["metrics", "-o", "csv"], "argument -o/--output: invalid choice: 'csv'"),
        (["targets", "--csv"], "unrecognized arguments: --csv"),
        (["query", "up", "--json", "--csv"], "argument --csv: not allowed with argument --json"),
        (["query", "up", "-o", "csv", "--json"], "argument --json: not allowed with argument -o"),
        (["tail", "up", "--json"], "unrecognized arguments: --json"),
    ],
)
def test_an_output_a_command_does_not_offer_is_a_usage_error(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == cli.EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"promdash: {says}"), line


def test_help_loads_neither_textual_nor_httpx() -> None:
    code = (
        "import sys\n"
        "from promdash import cli\n"
        "for argv in (['--help'], ['query', '--help'], ['dash', '--help'], ['up', '--help']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('textual', 'httpx', 'plotext', 'docker')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(','.join(loaded), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == ""


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["frobnicate"])
    assert done.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("promdash: argument COMMAND: invalid choice") and err.count("\n") == 1
