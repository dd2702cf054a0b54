"""The PromQL editor: an Input with history, a completion dropdown and the server's error below."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from promdash.files import FileProblem, atomic_write, private_dir, read_text
from promdash.present.text import error_position
from promdash.tui.completion import Candidate, Catalog, Completion, Need, apply, complete

HISTORY_KEEP = 200
_KIND_LABEL = {
    "metric": "metric",
    "function": "fn",
    "aggregation": "agg",
    "keyword": "kw",
    "label": "label",
    "value": "value",
    "duration": "range",
}


class History:
    """PromQL entered so far, newest last; optionally kept in a file between runs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[str] = []
        if path is not None:
            try:
                lines = read_text(path).splitlines()
            except (OSError, FileProblem):
                lines = []
            self.entries = [line for line in lines if line.strip()][-HISTORY_KEEP:]

    def add(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        if query in self.entries:
            self.entries.remove(query)
        self.entries.append(query)
        del self.entries[:-HISTORY_KEEP]
        if self.path is not None:
            try:
                # Queries can hold label values people would rather not share: owner-only.
                private_dir(self.path.parent)
                atomic_write(self.path, "\n".join(self.entries) + "\n")
            except OSError:
                pass  # history is a convenience; never fail a query over it


class PromQLInput(Input):
    """Up/Down walk the history (or the dropdown when it is open); Tab completes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "up",
            "Previous",
            show=False,
            id="promql.up",
            tooltip="Previous query in the history, or the completion above",
        ),
        Binding(
            "down",
            "down",
            "Next",
            show=False,
            id="promql.down",
            tooltip="Next query in the history, or the completion below",
        ),
        Binding(
            "tab",
            "accept",
            "Complete",
            id="promql.complete",
            tooltip="Insert the highlighted completion",
        ),
        Binding(
            "ctrl+space",
            "suggest",
            "Suggest",
            show=False,
            id="promql.suggest",
            tooltip="Show completions for the text at the cursor",
        ),
        Binding(
            "escape",
            "leave",
            "Done",
            id="promql.leave",
            tooltip="Leave the query input (closing the completion list if open)",
        ),
    ]

    @property
    def editor(self) -> PromQLEditor:
        return self.query_ancestor(PromQLEditor)

    def action_up(self) -> None:
        self.editor.move(-1)

    def action_down(self) -> None:
        self.editor.move(1)

    def action_accept(self) -> None:
        if not self.editor.accept():
            # Nothing to complete: Tab moves the focus on as usual.
            self.screen.focus_next()

    def action_suggest(self) -> None:
        self.editor.update_completions(force=True)

    def action_leave(self) -> None:
        self.editor.leave()


class CompletionList(OptionList):
    DEFAULT_CSS = """
    CompletionList {
        display: none;
        overlay: screen;
        constrain: none inside;
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 12;
        border: tall $primary;
        background: $surface;
        padding: 0;
    }
    CompletionList.-shown { display: block; }
    """
    can_focus = False


class PromQLEditor(Vertical):
    """Owns the input, the dropdown and the error line of one graph."""

    DEFAULT_CSS = """
    PromQLEditor { height: auto; }
    PromQLEditor PromQLInput.-textual-compact {
        padding: 0 1; background: $boost;
    }
    PromQLEditor PromQLInput:focus { background: $primary 20%; }
    PromQLEditor #promql-error { height: auto; color: $error; padding: 0 1; display: none; }
    PromQLEditor #promql-error.-shown { display: block; }
    """

    @dataclass
    class Submitted(Message):
        editor: PromQLEditor
        query: str

    @dataclass
    class NeedNames(Message):
        need: Need

    @dataclass
    class Left(Message):
        """Escape with no dropdown open: the user is done editing."""

        editor: PromQLEditor

    def __init__(self, catalog: Catalog, history: History, value: str = "") -> None:
        super().__init__()
        self.catalog = catalog
        self.history = history
        self._initial = value
        self._completion: Completion | None = None
        self._navigated = False
        self._history_index: int | None = None
        self._quiet = False  # set while the value is changed by us, not typed

    def compose(self):  # type: ignore[no-untyped-def]
        yield PromQLInput(
            value=self._initial,
            placeholder="PromQL, e.g. rate(rpc_durations_seconds_count[1m])  "
            "(Tab completes, ↑↓ history, Enter runs)",
            id="promql-input",
            # One row, no border, focused or not: Input's focus style adds a tall
            # border, which in one row left no room for the text being typed.
            compact=True,
        )
        yield CompletionList(id="promql-completions")
        yield Static(id="promql-error")

    @property
    def input(self) -> PromQLInput:
        return self.query_one(PromQLInput)

    @property
    def dropdown(self) -> CompletionList:
        return self.query_one(CompletionList)

    @property
    def value(self) -> str:
        return self.input.value

    def set_value(self, value: str) -> None:
        self._quiet = True
        self.input.value = value
        self.input.cursor_position = len(value)
        self._quiet = False
        self.hide_completions()

    # ------------------------------------------------------------ errors

    def show_error(self, message: str, query: str) -> None:
        error = self.query_one("#promql-error", Static)
        text = Text("✗ ", style="bold")
        text.append(message)
        position = error_position(message)
        if position is not None:
            line_number, column = position
            lines = query.splitlines() or [""]
            if 1 <= line_number <= len(lines):
                source = lines[line_number - 1]
                text.append("\n  " + source, style="not bold")
                text.append("\n  " + " " * max(column - 1, 0) + "^", style="bold")
                text.append(f" line {line_number}, column {column}", style="dim")
        error.update(text)
        error.add_class("-shown")

    def clear_error(self) -> None:
        self.query_one("#promql-error", Static).remove_class("-shown")

    # ------------------------------------------------------------ history

    def move(self, delta: int) -> None:
        if self.dropdown.has_class("-shown"):
            if delta < 0:
                self.dropdown.action_cursor_up()
            else:
                self.dropdown.action_cursor_down()
            self._navigated = True
            return
        entries = self.history.entries
        if not entries:
            return
        if self._history_index is None:
            if delta > 0:
                return
            index = len(entries) - 1
        else:
            index = self._history_index + delta
        if index >= len(entries):
            self._history_index = None
            self.set_value("")
            return
        index = max(index, 0)
        self._history_index = index
        self.set_value(entries[index])

    # ------------------------------------------------------------ completion

    @on(Input.Changed, "#promql-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._quiet:
            return
        self._history_index = None
        self.update_completions()

    def update_completions(self, force: bool = False) -> None:
        field = self.input
        completion = complete(field.value, field.cursor_position, self.catalog)
        self._completion = completion
        if completion.need is not None:
            # Its own even when a parent asked (`catalog_grew`): it must reach the app.
            self.post_message(self.NeedNames(completion.need).set_sender(self))
        context = completion.context
        wanted = force or bool(context.prefix) or context.kind in ("metric", "label", "value")
        if not completion.candidates or not wanted or not field.has_focus:
            self.hide_completions()
            return
        dropdown = self.dropdown
        dropdown.set_options(_option(c) for c in completion.candidates)
        dropdown.highlighted = 0
        self._navigated = False
        dropdown.styles.offset = (min(context.start, max(field.size.width - 40, 0)), 0)
        dropdown.add_class("-shown")

    def catalog_grew(self) -> None:
        """The app fetched names we asked for: show them if we are still there."""
        if self.input.has_focus:
            self.update_completions()

    def hide_completions(self) -> None:
        self.dropdown.remove_class("-shown")
        self._navigated = False

    def accept(self) -> bool:
        dropdown = self.dropdown
        completion = self._completion
        if not dropdown.has_class("-shown") or completion is None or dropdown.highlighted is None:
            return False
        candidate = completion.candidates[dropdown.highlighted]
        field = self.input
        value, cursor = apply(field.value, field.cursor_position, completion.context, candidate)
        self._quiet = True
        field.value = value
        field.cursor_position = cursor
        self._quiet = False
        self.hide_completions()
        # `rate(` or `instance="` opens the next level of completion straight away.
        self.update_completions()
        return True

    @on(OptionList.OptionSelected, "#promql-completions")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dropdown.highlighted = event.option_index
        self.accept()
        self.input.focus()

    @on(Input.Submitted, "#promql-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._navigated and self.accept():
            return
        self.hide_completions()
        query = event.value.strip()
        if query:
            self.history.add(query)
            self._history_index = None
            self.post_message(self.Submitted(self, query))

    def leave(self) -> None:
        # One Escape leaves, list or no list: a second would be one more key that a
        # person meaning the app's keys must remember, and the next key went into the query.
        self.hide_completions()
        self.post_message(self.Left(self))

    def on_descendant_blur(self) -> None:
        self.hide_completions()


def _option(candidate: Candidate) -> Option:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(candidate.text, style="bold")
    text.append(f"  {_KIND_LABEL.get(candidate.kind, candidate.kind)}", style="dim italic")
    if candidate.detail:
        text.append(f"  {candidate.detail}", style="dim")
    return Option(text)
