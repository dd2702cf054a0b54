"""Helpers for dashboard tests: one way to build the app, and waiting for what a user would see."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget

from promdash.config import Connection
from promdash.tui.app import PromdashApp, make_app
from promdash.tui.settings import DashSettings
from promdash.tui.widgets.table import KeyedTable, cell_plain

SIZE = (120, 40)


def dash(url: str, **settings: Any) -> PromdashApp:
    """The app as the CLI builds it, minus everything that writes to the user's files."""
    settings.setdefault("remember_theme", None)
    settings.setdefault("history_file", None)
    return make_app(DashSettings(connection=Connection(url=url, timeout=3.0), **settings))


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], *, timeout: float = 30.0, what: str = ""
) -> None:
    """Let the app run until `condition()` is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what or condition}")
        await pilot.pause(0.1)


def text_of(widget: Widget) -> str:
    """The text a widget shows, without styles."""
    return str(widget.render())


def banner_attempt(app: PromdashApp) -> int:
    """The try the stale banner counts ("attempt N"); 0 while no banner shows."""
    banner = app.dashboard.banner
    found = re.search(r"\(attempt (\d+)\)", text_of(banner))
    return int(found.group(1)) if found and banner.has_class("-shown") else 0


def refreshed(app: PromdashApp) -> str:
    """The time of the last answer, as the header says it ("refreshed 12:00:03"; '' before)."""
    found = re.search(r"refreshed (\S+)", text_of(app.dashboard.status))
    return found.group(1) if found else ""


async def polls_go_on(pilot: Pilot[Any], app: PromdashApp, count: int = 2) -> None:
    """Wait for `count` more answers, seen as the header's refresh time moving on."""
    times = {refreshed(app)}

    def moved() -> bool:
        times.add(refreshed(app))
        return len(times) > count

    await wait_for(pilot, moved, what=f"{count} more polls")


def row_text(table: KeyedTable, key: str) -> str:
    """One table row as a person reads it: its cells joined by spaces ('' if absent)."""
    cells = table.cells_of(key)
    return " ".join(cell_plain(cell) for cell in cells) if cells else ""


def rows_matching(table: KeyedTable, needle: str) -> list[str]:
    return [row_text(table, key) for key in table.row_keys if needle in row_text(table, key)]


_KEY_NAMES = {
    " ": "space",
    "-": "minus",
    "+": "plus",
    "=": "equals_sign",
    "/": "slash",
    ":": "colon",
    "?": "question_mark",
    "{": "left_curly_bracket",
    "}": "right_curly_bracket",
}


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Press the keys that type `text`, one by one, as a person would."""
    for char in text:
        await pilot.press(_KEY_NAMES.get(char, char))
