"""The Silences panel: Alertmanager's silences and what each mutes now; expire or extend one.

The panel only asks (`SilenceChange`): the screen confirms in a small dialog, the
poller writes through Alertmanager's API v2, and the list is fetched again after.
It shows only while an Alertmanager is known; when that one stops answering, the
panel says so and keeps what it last said, greyed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from promdash.present.text import (
    DETAIL_LIMIT,
    clip,
    labels_text,
    short_id,
    silence_mutes,
    silence_remaining,
    silence_rows,
)
from promdash.prom.am_types import AlertmanagerAlert, Silence, matchers_text
from promdash.timefmt import clock_text, date_time_text
from promdash.tui.messages import SilenceChange
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.alerts import AlertmanagerInfo
from promdash.tui.widgets.panel import Clock, FilterLabel, TablePanel, show
from promdash.tui.widgets.table import Column, KeyedTable, Row

SILENCE_FILTERS = ("all", "active", "pending", "expired")
# Dropped in this order when the panel is narrow (the least telling first).
_DROPPED = ("starts", "by", "mutes", "ends")


def moment_text(epoch: float, now: float) -> str:
    """`14:05` today, `Dec 02 14:05` another day (local time)."""
    same_day = time.localtime(epoch)[:3] == time.localtime(now)[:3]
    return (
        clock_text(epoch, seconds=False)
        if same_day
        else time.strftime("%b %d %H:%M", time.localtime(epoch))
    )


def silences_table(
    silences: Sequence[Silence],
    alerts: Sequence[AlertmanagerAlert],
    *,
    state_filter: str,
    now: float,
    width: int,
    colours: dict[str, str],
) -> tuple[tuple[Column, ...], list[Row]]:
    """Active silences first (ending soonest), then pending, then expired; a row each."""
    rows = []
    for silence in silence_rows(silences, "all" if state_filter == "all" else state_filter):
        expired = silence.state == "expired"
        base = "dim" if expired else ""
        cells = {
            "id": (short_id(silence.id), base),
            "state": (silence.state, f"bold {colours[silence.state]}"),
            "matchers": (clip(matchers_text(silence.matchers)), base),
            "starts": (moment_text(silence.starts_at.timestamp(), now), base),
            "ends": (moment_text(silence.ends_at.timestamp(), now), base),
            "remaining": (silence_remaining(silence, now), base),
            "mutes": (str(silence_mutes(silence, alerts)) if not expired else "-", base),
            "by": (clip(silence.created_by) or "-", base),
            "comment": (clip(silence.comment) or "-", base),
        }
        rows.append((silence.id, cells))
    wanted = [
        Column("id", "ID", 8),
        Column("state", "State", 7),
        Column("matchers", "Matchers", 20),
        Column("starts", "Starts", 12),
        Column("ends", "Ends", 12),
        Column("remaining", "Remaining", 13),  # "starts in 1h30m"
        Column("mutes", "Mutes", 5),
        Column("by", "Created by", 12),
        Column("comment", "Comment", 12),
    ]

    def spare() -> int:
        return width - 2 - sum(c.width + 2 for c in wanted)

    for name in _DROPPED:
        if spare() >= 0:
            break
        wanted = [c for c in wanted if c.key != name]
    # The matchers and the comment share what is left, the matchers more.
    extra = max(spare(), 0)
    share = {"matchers": extra * 3 // 5, "comment": extra - extra * 3 // 5}
    columns = tuple(Column(c.key, c.label, c.width + share.get(c.key, 0)) for c in wanted)
    keys = [c.key for c in columns]
    return columns, [Row(key, tuple(cells[k] for k in keys)) for key, cells in rows]


class SilencesPanel(TablePanel):
    panel_name = "silences"
    title = "Silences"
    table_id = "silences-table"
    filter_name = "state"
    filter_values = SILENCE_FILTERS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s",
            "cycle_state",
            "State",
            id="silences.state",
            tooltip="Show every silence, or only the active, pending or expired ones",
        ),
        Binding(
            "x",
            "expire",
            "Expire",
            id="silences.expire",
            tooltip="End the selected silence now (asks first): its alerts are active again",
        ),
        Binding(
            "plus",
            "extend",
            "Extend",
            id="silences.extend",
            tooltip="Make the selected silence last longer: asks how much, then to confirm",
        ),
    ]

    DEFAULT_CSS = """
    SilencesPanel #silences-bar { height: 1; }
    SilencesPanel #silences-state { width: auto; padding: 0 1; }
    SilencesPanel #silences-summary { width: 1fr; padding: 0 1; }
    SilencesPanel #silences-problem { height: auto; padding: 0 1; color: $error; }
    SilencesPanel #silence-detail {
        height: auto; max-height: 6; padding: 0 1; background: $surface; color: $text-muted;
    }
    """

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self.alertmanager = AlertmanagerInfo()

    def compose(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="silences-bar"):
            yield FilterLabel(id="silences-state")
            yield Static(id="silences-summary")
        yield Static("", id="silences-problem")
        yield KeyedTable(id="silences-table")
        yield Static("", id="silence-detail")

    @property
    def state_filter(self) -> str:
        return self.filter_value

    def colours(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {
            "active": rich_colour(variables, "health-up"),
            "pending": rich_colour(variables, "alert-pending"),
            "expired": "dim",  # over: no status colour (alert-inactive is a good green)
        }

    # ------------------------------------------------------------ data in

    def show_alertmanager(self, info: AlertmanagerInfo) -> None:
        self.alertmanager = info
        # Greyed while its Alertmanager does not answer (Prometheus's panels are not).
        self.set_stale(bool(info.error))
        self.changed()

    def has_data(self) -> bool:
        return self.alertmanager.silences is not None

    def redraw(self) -> None:
        info = self.alertmanager
        summary = self.query_one("#silences-summary", Static)
        problem = self.query_one("#silences-problem", Static)
        problem.display = bool(info.problem())
        show(problem, info.problem())
        silences = info.silences
        if silences is None:
            show(summary, Text(f"Asking Alertmanager at {info.url}…", style="dim"))
            return
        colours = self.colours()
        table = self.table
        width = table.size.width or self.size.width or self.app.size.width
        columns, rows = silences_table(
            silences,
            info.alerts or [],
            state_filter=self.state_filter,
            now=self.clock(),
            width=width,
            colours=colours,
        )
        text = Text()
        for state in SILENCE_FILTERS[1:]:
            if text:
                text.append(" · ", style="dim")
            count = sum(s.state == state for s in silences)
            text.append(f"{count} {state}", style=f"bold {colours[state]}")
        text.append(f"  Alertmanager at {info.url}", style="dim")
        if info.source and info.source != "default":
            text.append(f" ({info.source})", style="dim")
        if not rows:
            what = "silences" if self.state_filter == "all" else f"{self.state_filter} silences"
            text.append(f"  (no {what})", style="dim")
        with self.app.batch_update():
            table.sync(columns, rows)
            show(summary, text)
            self.show_detail(table.cursor_key)

    # ------------------------------------------------------------ filtering

    def action_cycle_state(self) -> None:
        self.cycle_filter()

    def action_set_state_filter(self, state: str) -> None:
        self.set_filter(state)

    # ------------------------------------------------------------ selection

    def selected(self) -> Silence | None:
        key = self.table.cursor_key
        return self.alertmanager.silence(key) if key is not None else None

    def show_detail(self, key: str | None) -> None:
        detail = self.query_one("#silence-detail", Static)
        silence = self.alertmanager.silence(key) if key is not None else None
        if silence is None:
            show(detail, "")
            return
        now = self.clock()
        text = Text()
        text.append(silence.id, style="bold")
        text.append(f"  {silence.state}", style=f"bold {self.colours()[silence.state]}")
        starts, ends = silence.starts_at.timestamp(), silence.ends_at.timestamp()
        text.append(f"  {date_time_text(starts)} → {date_time_text(ends)}", style="dim")
        if silence.state != "expired":
            text.append(f"  ({silence_remaining(silence, now)})", style="dim")
        text.append(f"  by {silence.created_by or '-'}", style="dim")
        text.append("\nmatchers: ", style="dim")
        text.append(clip(matchers_text(silence.matchers), DETAIL_LIMIT))
        text.append("\ncomment: ", style="dim")
        text.append(clip(silence.comment, DETAIL_LIMIT))
        muted = [a for a in self.alertmanager.alerts or () if silence.id in a.silenced_by]
        if muted:
            text.append(f"\nmutes {len(muted)} now: ", style="dim")
            names = [
                f"{a.labels.get('alertname', '?')} {{{labels_text(a.labels, ('alertname',))}}}"
                for a in muted[:5]
            ]
            text.append(clip(", ".join(names), DETAIL_LIMIT))
            if len(muted) > 5:
                text.append(f", … {len(muted) - 5} more", style="dim")
        elif silence.state != "expired":
            text.append("\nmutes no current alert", style="dim")
        show(detail, text)

    # ------------------------------------------------------------ writing (the screen asks)

    def _ask(self, action: str) -> None:
        silence = self.selected()
        if silence is None:
            self.app.notify("Select a silence first.", severity="warning")
            return
        if action == "expire" and silence.state == "expired":
            self.app.notify(f"Silence {short_id(silence.id)} has already expired.")
            return
        change = SilenceChange("expire" if action == "expire" else "extend", silence)
        self.post_message(change.set_sender(self))

    def action_expire(self) -> None:
        self._ask("expire")

    def action_extend(self) -> None:
        self._ask("extend")
