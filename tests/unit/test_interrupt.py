"""Ctrl-C at any moment ends promdash with one line or quietly, never a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys

# Runs the real entry point, with an import hook that presses Ctrl-C (SIGINT to
# itself) exactly while promdash's own modules are being imported: the moment
# that used to print a KeyboardInterrupt traceback from inside an import.
CTRL_C_DURING_IMPORT = """
import importlib.abc, os, signal, sys

class PressCtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "promdash.commands.query":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, PressCtrlC())
sys.argv = ["promdash", "targets", "--url", "http://127.0.0.1:1"]
from promdash.__main__ import run
run()
"""


def test_ctrl_c_while_importing_ends_quietly_with_the_interrupt_status() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_IMPORT], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == -signal.SIGINT  # a shell shows 130
    assert result.stderr == ""


def test_ctrl_c_once_running_is_one_line_and_exit_130() -> None:
    # The same press, once main() runs: here the handler is promdash's own.
    script = CTRL_C_DURING_IMPORT.replace('"promdash.commands.query"', '"promdash.prom.client"')
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 130
    assert result.stderr == "promdash: interrupted\n"


# The same press while the parser is built, after main() has taken over SIGINT.
CTRL_C_WHILE_PARSING = """
import os, signal, sys
import promdash.cli as cli

build = cli.build_parser
def build_and_press():
    os.kill(os.getpid(), signal.SIGINT)
    return build()

cli.build_parser = build_and_press
sys.argv = ["promdash", "targets", "--url", "http://127.0.0.1:1"]
from promdash.__main__ import run
run()
"""


def test_ctrl_c_while_parsing_the_command_line_is_one_line_and_exit_130() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_PARSING], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 130
    assert result.stderr == "promdash: interrupted\n"
