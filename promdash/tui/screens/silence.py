"""Dialogs that change silences: a new one (`SilenceScreen`, the silence form) and how much
longer one lasts (`ExtendScreen`). Both only ask: the dashboard confirms and has the
poller write through Alertmanager's API v2."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from promdash.errors import UsageError
from promdash.present.text import clip, labels_text, short_id, silence_remaining
from promdash.prom.am_types import AlertmanagerAlert, Matcher, Silence, matchers_text, mutes
from promdash.prom.matchers import parse_matcher, parse_matchers
from promdash.timefmt import date_time_text, parse_seconds, short_duration
from promdash.tui.messages import SilenceDraft
from promdash.tui.screens.confirm import ConfirmScreen
from promdash.tui.widgets.panel import show

PRESETS = ("30m", "1h", "2h", "1d")


def duration_seconds(text: str) -> float:
    """A silence's duration (`2h`, `30m`, `1d12h`); ValueError in words a person reads."""
    try:
        return parse_seconds(text.strip())
    except ValueError:
        raise ValueError(
            f"{clip(text.strip(), 40)!r} is not a duration of more than 0 (examples: "
            f"{', '.join(PRESETS)}, 1h30m)"
        ) from None


def extended_end(silence: Silence, seconds: float, now: float) -> datetime:
    """When a silence ends once extended by `seconds`: from its end, or from now when it
    has ended (Alertmanager then saves it again under a new ID)."""
    start = max(silence.ends_at.timestamp(), now) if silence.state != "expired" else now
    return datetime.fromtimestamp(start, UTC) + timedelta(seconds=seconds)


class ExtendScreen(ModalScreen[float | None]):
    """Asks how much longer a silence lasts; dismissed with seconds, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="extend.cancel", tooltip="Change nothing"),
    ]
    DEFAULT_CSS = """
    ExtendScreen { align: center middle; }
    ExtendScreen > Vertical {
        width: 64; max-width: 100%; height: auto; padding: 1 2;
        background: $surface; border: thick $primary;
    }
    ExtendScreen Label { width: 100%; }
    ExtendScreen #extend-hint { color: $text-muted; }
    ExtendScreen #extend-error { color: $error; height: auto; }
    """

    def __init__(self, silence: Silence, now: float) -> None:
        super().__init__()
        self.silence = silence
        self.now = now

    def compose(self):  # type: ignore[no-untyped-def]
        silence = self.silence
        if silence.state == "expired":
            was = "expired; it comes back from now, under a new ID"
        else:
            ends = date_time_text(silence.ends_at.timestamp())
            was = f"ends {ends}, {silence_remaining(silence, self.now)} left"
        with Vertical():
            yield Label(f"Extend silence {short_id(silence.id)} ({was}) by:", id="extend-prompt")
            yield Input(value="1h", id="extend-input")
            yield Label("", id="extend-hint")
            yield Static("", id="extend-error")

    def on_mount(self) -> None:
        self._show_end("1h")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._show_end(event.value)

    def _show_end(self, text: str) -> None:
        try:
            end = extended_end(self.silence, duration_seconds(text), self.now)
            said = f"new end {date_time_text(end.timestamp())}"
        except ValueError:
            said = f"a duration: {', '.join(PRESETS)}"
        hint = self.query_one("#extend-hint", Label)
        hint.update(f"{said} · Enter: confirm · Esc: cancel")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            seconds = duration_seconds(event.value)
        except ValueError as exc:
            self.query_one("#extend-error", Static).update(str(exc))
            return
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------- the silence form

OPERATORS = ("=", "!=", "=~", "!~")
PREVIEW_LINES = 6


def matcher_of(name: str, operator: str, value: str) -> Matcher:
    """One row of the form as a checked matcher; UsageError (one line) when it is not one."""
    is_regex = operator in ("=~", "!~")
    draft = Matcher(name.strip(), value, is_regex=is_regex, is_equal=operator in ("=", "=~"))
    return parse_matcher(str(draft))  # amtool's checks: the name, the regex


def muted_by(
    matchers: Sequence[Matcher], alerts: Sequence[AlertmanagerAlert]
) -> list[AlertmanagerAlert]:
    """The current alerts a silence with these matchers would mute, by Alertmanager's rule."""
    return [a for a in alerts if mutes(matchers, a.labels)]


def alert_line(alert: AlertmanagerAlert) -> str:
    return f"{alert.labels.get('alertname', '?')} {{{labels_text(alert.labels, ('alertname',))}}}"


class MatcherRow(Horizontal):
    """name, operator (a button cycling =, !=, =~, !~), value, and a button that removes it."""

    # Compact (a line each): a silence of an alert has six matchers or more, and they and
    # what they would mute fit on a 24-line terminal.
    DEFAULT_CSS = """
    MatcherRow { height: 1; }
    MatcherRow .matcher-name { width: 24; }
    MatcherRow .matcher-op { width: 4; min-width: 4; margin: 0 1; }
    MatcherRow .matcher-value { width: 1fr; }
    MatcherRow .matcher-remove { width: 3; min-width: 3; margin-left: 1; }
    """

    def __init__(self, matcher: Matcher | None, row_id: str) -> None:
        super().__init__(id=row_id, classes="matcher-row")
        self.matcher = matcher

    def compose(self):  # type: ignore[no-untyped-def]
        matcher = self.matcher
        yield Input(
            matcher.name if matcher else "",
            placeholder="label",
            id=f"{self.id}-name",
            classes="matcher-name",
            compact=True,
        )
        operator = matcher.operator if matcher else "="
        op = Button(operator, id=f"{self.id}-op", classes="matcher-op", compact=True)
        op.tooltip = "Equal, not equal, regex, not regex (press to change)"
        op.active_effect_duration = 0  # its label changes; quick presses must all count
        yield op
        yield Input(
            matcher.value if matcher else "",
            placeholder="value",
            id=f"{self.id}-value",
            classes="matcher-value",
            compact=True,
        )
        remove = Button("✕", id=f"{self.id}-remove", classes="matcher-remove", compact=True)
        remove.tooltip = "Remove this matcher"
        yield remove

    @property
    def operator(self) -> str:
        return str(self.query_one(".matcher-op", Button).label)

    def next_operator(self) -> None:
        button = self.query_one(".matcher-op", Button)
        button.label = OPERATORS[(OPERATORS.index(self.operator) + 1) % len(OPERATORS)]

    def parts(self) -> tuple[str, str, str]:
        name = self.query_one(".matcher-name", Input).value
        return name, self.operator, self.query_one(".matcher-value", Input).value


class SilenceScreen(ModalScreen[SilenceDraft | None]):
    """A new silence: matchers (pre-filled from an alert), a duration, a comment, an author.

    Below them, which current alerts it would mute, updated as the matchers change.
    Save asks for confirmation; the screen is dismissed with the checked draft, and
    the dashboard has the poller create it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="silence.cancel", tooltip="Save nothing"),
        Binding("ctrl+s", "save", "Save", id="silence.save", tooltip="Check, confirm and save"),
    ]

    DEFAULT_CSS = """
    SilenceScreen { align: center middle; }
    SilenceScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
        background: $surface; border: thick $primary;
    }
    SilenceScreen #silence-title { text-style: bold; width: 100%; }
    /* Compact inputs have no border: a tint shows where to type. */
    SilenceScreen Input { background: $panel; }
    SilenceScreen Input:focus { background: $primary 20%; }
    SilenceScreen .silence-hint { color: $text-muted; width: 100%; }
    SilenceScreen #silence-matchers { height: auto; max-height: 12; margin-top: 1; }
    SilenceScreen #silence-add { margin-bottom: 1; }
    SilenceScreen .silence-line { height: 1; margin-bottom: 1; }
    SilenceScreen .silence-label { width: 10; }
    SilenceScreen #silence-duration { width: 10; }
    SilenceScreen .silence-preset { min-width: 5; width: 5; margin-left: 1; }
    SilenceScreen #silence-ends { width: 1fr; padding: 0 1; color: $text-muted; }
    SilenceScreen #silence-comment, SilenceScreen #silence-author { width: 1fr; }
    SilenceScreen #silence-preview { height: auto; max-height: 8; }
    SilenceScreen #silence-error { height: auto; color: $error; }
    SilenceScreen #silence-buttons { height: 1; align-horizontal: right; margin-top: 1; }
    SilenceScreen #silence-buttons Button { margin-left: 2; }
    """

    def __init__(
        self,
        matchers: Sequence[Matcher],
        *,
        alerts: Sequence[AlertmanagerAlert] | None,
        url: str,
        author: str,
        clock: Callable[[], float],
        duration: str = "2h",
        comment: str = "",
        unknown_why: str = "",
    ) -> None:
        super().__init__()
        self.initial = list(matchers)
        self.alerts = alerts
        self.url = url
        self.author = author
        self.clock = clock
        self.duration = duration
        self.comment = comment
        self.unknown_why = unknown_why  # why Alertmanager's current alerts are not known
        self._rows = 0

    def compose(self):  # type: ignore[no-untyped-def]
        # Scrolls when the terminal is short; Ctrl+S and Esc work from anywhere in it.
        with VerticalScroll():
            yield Label(f"New silence in Alertmanager at {self.url}", id="silence-title")
            yield Label(
                "Mutes the alerts every matcher matches (= equal, != not, =~ regex, !~ not)",
                classes="silence-hint",
            )
            with VerticalScroll(id="silence-matchers"):
                for matcher in self.initial:
                    yield self._row(matcher)
            yield Button("+ Add matcher", id="silence-add", compact=True)
            with Horizontal(classes="silence-line"):
                yield Label("Duration", classes="silence-label")
                yield Input(self.duration, id="silence-duration", compact=True)
                for preset in PRESETS:
                    yield Button(
                        preset, id=f"preset-{preset}", classes="silence-preset", compact=True
                    )
                yield Label("", id="silence-ends")
            with Horizontal(classes="silence-line"):
                yield Label("Comment", classes="silence-label")
                yield Input(
                    self.comment,
                    placeholder="why (shown to others; required)",
                    id="silence-comment",
                    compact=True,
                )
            with Horizontal(classes="silence-line"):
                yield Label("Author", classes="silence-label")
                yield Input(
                    self.author, placeholder="who (required)", id="silence-author", compact=True
                )
            yield Static("", id="silence-preview")
            yield Static("", id="silence-error")
            with Horizontal(id="silence-buttons"):
                yield Button("Save… (Ctrl+S)", id="silence-save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="silence-cancel", compact=True)

    def _row(self, matcher: Matcher | None) -> MatcherRow:
        self._rows += 1
        return MatcherRow(matcher, f"m{self._rows}")

    def on_mount(self) -> None:
        self._update()
        # The comment is what is left to say: the matchers and duration have their defaults.
        self.query_one("#silence-comment", Input).focus()

    # ------------------------------------------------------------ reading the form

    def rows(self) -> list[MatcherRow]:
        return list(self.query(MatcherRow))

    def matchers(self) -> tuple[list[Matcher], list[str]]:
        """The matchers of the rows that have one, and what is wrong with the others."""
        matchers, problems = [], []
        for number, row in enumerate(self.rows(), 1):
            name, operator, value = row.parts()
            if not name.strip() and not value:
                continue  # an empty row is no matcher
            try:
                matchers.append(matcher_of(name, operator, value))
            except UsageError as exc:
                problems.append(f"matcher {number}: {exc}")
        return matchers, problems

    def _seconds(self) -> float:
        return duration_seconds(self.query_one("#silence-duration", Input).value)

    # ------------------------------------------------------------ what it would do

    def _update(self) -> None:
        self._show_end()
        self._show_preview()

    def _show_end(self) -> None:
        ends = self.query_one("#silence-ends", Label)
        try:
            seconds = self._seconds()
        except ValueError:
            ends.update(f"a duration: {', '.join(PRESETS)}, 1h30m")
            return
        ends.update(f"until {date_time_text(self.clock() + seconds)}")

    def _show_preview(self) -> None:
        matchers, problems = self.matchers()
        text = Text()
        if problems:
            text.append(problems[0] + "\n", style="bold")
        if not matchers:
            text.append("Add a matcher: a silence needs at least one.", style="dim")
        elif self.alerts is None:
            why = f" ({self.unknown_why})" if self.unknown_why else ""
            text.append(f"Alertmanager's current alerts are not known{why}.", style="dim")
        else:
            muted = muted_by(matchers, self.alerts)
            count = f"{len(muted)} of the {len(self.alerts)} current alerts"
            text.append(f"Would mute {count}", style="bold")
            text.append(":" if muted else ".")
            for alert in muted[:PREVIEW_LINES]:
                text.append(f"\n  {clip(alert_line(alert), 200)}")
            if len(muted) > PREVIEW_LINES:
                text.append(f"\n  … {len(muted) - PREVIEW_LINES} more", style="dim")
        show(self.query_one("#silence-preview", Static), text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._update()

    @on(Button.Pressed)
    async def _pressed(self, event: Button.Pressed) -> None:
        button = event.button
        name = button.id or ""
        if name == "silence-save":
            self.action_save()
        elif name == "silence-cancel":
            self.action_cancel()
        elif name == "silence-add":
            row = self._row(None)
            await self.query_one("#silence-matchers", VerticalScroll).mount(row)
            row.query_one(".matcher-name", Input).focus()
        elif name.startswith("preset-"):
            self.query_one("#silence-duration", Input).value = name.removeprefix("preset-")
        elif name.endswith("-op"):
            button.query_ancestor(MatcherRow).next_operator()
        elif name.endswith("-remove"):
            await button.query_ancestor(MatcherRow).remove()
        self._update()

    # ------------------------------------------------------------ saving

    def draft(self) -> SilenceDraft:
        """The form as a checked silence; UsageError or ValueError saying what to fix."""
        matchers, problems = self.matchers()
        if problems:
            raise UsageError(problems[0])
        checked = parse_matchers([str(m) for m in matchers])  # at least one, not all empty
        seconds = self._seconds()
        comment = self.query_one("#silence-comment", Input).value.strip()
        if not comment:
            raise UsageError("a comment is needed: say why the alerts are silenced")
        author = self.query_one("#silence-author", Input).value.strip()
        if not author:
            raise UsageError("an author is needed: who silences the alerts")
        return SilenceDraft(tuple(checked), seconds, comment, author)

    def action_save(self) -> None:
        error = self.query_one("#silence-error", Static)
        try:
            draft = self.draft()
        except (UsageError, ValueError) as exc:
            error.update(str(exc))
            return
        error.update("")
        body = Text()
        body.append(matchers_text(draft.matchers), style="bold")
        until = date_time_text(self.clock() + draft.seconds)
        body.append(f"\nfor {short_duration(draft.seconds)}, until {until}")
        body.append(f"\n{clip(draft.comment, 200)} (by {clip(draft.author, 60)})")
        if self.alerts is not None:
            count = len(muted_by(draft.matchers, self.alerts))
            body.append(f"\nIt mutes {count} current alert{'' if count == 1 else 's'}.")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(draft)

        confirm = ConfirmScreen("Create this silence?", body, "Create")
        self.app.push_screen(confirm, confirmed)

    def action_cancel(self) -> None:
        self.dismiss(None)
