"""The core works without the TUI: stack/, exporters/, prom/ and the CLI's
non-dashboard commands never import textual (nor pay for it at start-up)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "promdash.stack.model",
    "promdash.stack.local",
    "promdash.stack.runtimes",
    "promdash.stack.docker",
    "promdash.exporters.random",
    "promdash.prom.client",
    "promdash.prom.alertmanager",
    "promdash.config",
    "promdash.configfile",
    "promdash.timefmt",
    "promdash.files",
    "promdash.present.text",
    "promdash.present.heatmap",
    "promdash.grafana.model",
    "promdash.grafana.variables",
    "promdash.grafana.units",
    "promdash.grafana.layout",
    "promdash.backtest",
    "promdash.backtest.rulefiles",
    "promdash.backtest.threshold",
    "promdash.cli",
]


def test_core_imports_without_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_timefmt_imports_nothing_of_promdash() -> None:
    code = (
        "import sys\n"
        "import promdash.timefmt\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('promdash.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "promdash.timefmt"
