"""The Alerts panel: alerting rules by group, their state and alerts, and a timeline of changes."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from promdash.present.text import DETAIL_LIMIT, clip, labels_text
from promdash.prom.types import Alert, AlertingRule, AlertState, RuleGroup
from promdash.timefmt import ago, clock_text, short_duration, value_text
from promdash.tui.messages import OpenGraphs
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.panel import Clock, FilterLabel, TablePanel, show
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row

STATE_FILTERS = ("all", "firing", "pending", "inactive")
STATES: tuple[AlertState, ...] = ("firing", "pending", "inactive")
HIGHLIGHT_SECONDS = 30.0
TIMELINE_KEEP = 500
_FIXED = (("state", "State", 12), ("since", "Active since", 12), ("value", "Value", 10))


@dataclass(frozen=True, slots=True)
class Change:
    at: float
    rule: str
    labels: str
    old: AlertState
    new: AlertState


def rule_key(group: RuleGroup, index: int, rule: AlertingRule) -> str:
    return f"rule|{group.file}|{group.name}|{index}|{rule.name}"


def alert_key(rule: str, alert: Alert) -> str:
    return f"{rule}|{labels_text(alert.labels)}"


class AlertTracker:
    """Remembers the states seen so far and records every change between two answers."""

    def __init__(self) -> None:
        self.rule_states: dict[str, AlertState] = {}
        self.alert_states: dict[str, tuple[str, str, AlertState]] = {}
        self.changed_at: dict[str, float] = {}
        self.timeline: list[Change] = []
        self._seen_once = False

    def observe(self, groups: list[RuleGroup], at: float) -> list[Change]:
        changes: list[Change] = []
        rules: dict[str, AlertState] = {}
        alerts: dict[str, tuple[str, str, AlertState]] = {}
        for group in groups:
            for index, rule in enumerate(group.alerting):
                key = rule_key(group, index, rule)
                rules[key] = rule.state
                for alert in rule.alerts:
                    shown = clip(labels_text(alert.labels, ("alertname", *rule.labels)))
                    alerts[alert_key(key, alert)] = (rule.name, shown, alert.state)
        if self._seen_once:
            for key, state in rules.items():
                if self.rule_states.get(key, state) != state:
                    self.changed_at[key] = at
            for key, (name, shown, state) in alerts.items():
                old = self.alert_states.get(key)
                old_state: AlertState = old[2] if old else "inactive"
                if old_state != state:
                    changes.append(Change(at, name, shown, old_state, state))
            for key, (name, shown, state) in self.alert_states.items():
                if key not in alerts and state != "inactive":
                    changes.append(Change(at, name, shown, state, "inactive"))
        self._seen_once = True
        self.rule_states = rules
        self.alert_states = alerts
        self.timeline = (changes[::-1] + self.timeline)[:TIMELINE_KEEP]
        return changes

    def highlighted(self, key: str, now: float) -> bool:
        at = self.changed_at.get(key)
        return at is not None and now - at < HIGHLIGHT_SECONDS


def _earliest(alerts: list[Alert]) -> float | None:
    times = [a.active_at.timestamp() for a in alerts if a.active_at]
    return min(times) if times else None


def rules_table(
    groups: list[RuleGroup],
    *,
    state_filter: str,
    tracker: AlertTracker,
    now: float,
    colours: dict[str, str],
    width: int,
) -> tuple[tuple[Column, ...], list[Row]]:
    """The panel's table as Prometheus's /alerts page shows it: rules by group, each
    with its alerts below it (the CLI lists alert instances: present.text.alert_rows)."""
    rows: list[Row] = []
    blank: Cell = ("", "")
    name_width = 28
    for group in groups:
        if not group.alerting:
            continue
        counts = Counter(rule.state for rule in group.alerting)
        summary = Text()
        for state in STATES:
            if counts[state]:
                if summary:
                    summary.append(" · ", style="dim")
                summary.append(f"{counts[state]} {state}", style=colours[state])
        members = [
            (index, rule)
            for index, rule in enumerate(group.alerting)
            if state_filter == "all" or rule.state == state_filter
        ]
        if not members:
            continue
        header: Cell = (f"▾ {group.name}", "bold")
        rows.append(Row(f"group|{group.file}|{group.name}", (header, blank, blank, blank, summary)))
        for index, rule in members:
            key = rule_key(group, index, rule)
            lit = tracker.highlighted(key, now)
            base = f"on {colours['changed']}" if lit else ""
            colour = colours[rule.state]
            firing = sum(a.state == "firing" for a in rule.alerts)
            pending = sum(a.state == "pending" for a in rule.alerts)
            count = firing if rule.state == "firing" else pending
            state_text = f"{rule.state} ({count})" if count > 1 else rule.state
            since = _earliest(rule.alerts)
            value = rule.alerts[0].value if len(rule.alerts) == 1 else ""
            about = Text(style=base)
            about.append(clip(labels_text(rule.labels)), style="dim")
            if rule.duration:
                about.append(f"  for {short_duration(rule.duration)}", style="dim")
            if rule.health and rule.health != "ok":
                about.append(f"  {rule.health}: {clip(rule.last_error)}", style=colours["firing"])
            name = ("● " if lit else "  ") + rule.name
            name_width = max(name_width, len(name))
            rows.append(
                Row(
                    key,
                    (
                        (name, f"bold {base}".strip()),
                        (state_text, f"bold {colour} {base}".strip()),
                        (ago(since, now) if since else "", base),
                        (_short_value(value), base),
                        about,
                    ),
                )
            )
            for alert in sorted(rule.alerts, key=lambda a: labels_text(a.labels)):
                if state_filter != "all" and alert.state != state_filter:
                    continue
                # The instance names an alert best; every label is in the detail below.
                shown = clip(
                    alert.labels.get("instance")
                    or labels_text(alert.labels, ("alertname", *rule.labels))
                )
                active = alert.active_at.timestamp() if alert.active_at else None
                note = clip(
                    alert.annotations.get("summary") or alert.annotations.get("description", "")
                )
                label = "    └ " + (shown or "{}")
                name_width = max(name_width, len(label))
                rows.append(
                    Row(
                        alert_key(key, alert),
                        (
                            (label, ""),
                            (alert.state, colours[alert.state]),
                            (ago(active, now) if active else "", ""),
                            (_short_value(alert.value), ""),
                            (note, ""),
                        ),
                    )
                )
    fixed = sum(w for _, _, w in _FIXED)
    spare = width - fixed - 2 * (len(_FIXED) + 2) - 2
    name_width = min(name_width, max(20, spare // 2))
    rest = max(16, spare - name_width)
    columns = (
        Column("rule", "Rule / alert", name_width),
        *(Column(key, label, w) for key, label, w in _FIXED),
        Column("about", "Labels · annotations", rest),
    )
    return columns, rows


def _short_value(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return value_text(number, compact=True)


class AlertsPanel(TablePanel):
    panel_name = "alerts"
    title = "Alerts"
    table_id = "alerts-table"
    filter_name = "state"
    filter_values = STATE_FILTERS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s",
            "cycle_state",
            "State",
            id="alerts.state",
            tooltip="Show all rules, or only the firing, pending or inactive ones",
        ),
        Binding(
            "enter",
            "open_selected",
            "Graph expr",
            id="alerts.graph",
            tooltip="Open the selected rule's expression in a new graph",
        ),
    ]

    DEFAULT_CSS = """
    AlertsPanel #alerts-bar { height: 1; }
    AlertsPanel #alerts-state { width: auto; padding: 0 1; }
    AlertsPanel #alerts-summary { width: 1fr; padding: 0 1; }
    AlertsPanel #alert-detail {
        height: auto; max-height: 6; padding: 0 1; background: $surface; color: $text-muted;
    }
    AlertsPanel #alerts-timeline-box {
        height: 7; border-top: solid $panel-lighten-2; padding: 0 1;
        border-title-color: $warning; border-title-style: bold;
    }
    AlertsPanel.-stale #alerts-timeline-box { opacity: 70%; }
    """

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self.groups: list[RuleGroup] | None = None
        self.unavailable = ""
        self.tracker = AlertTracker()
        self._rules: dict[str, AlertingRule] = {}
        self._alerts: dict[str, tuple[AlertingRule, Alert]] = {}
        # Changes not drawn yet because the user reads further down the timeline:
        # drawn above, they would push the lines being read away.
        self._new_above = 0

    def compose(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="alerts-bar"):
            yield FilterLabel(id="alerts-state")
            yield Static(id="alerts-summary")
        yield KeyedTable(id="alerts-table")
        yield Static("", id="alert-detail")
        with VerticalScroll(id="alerts-timeline-box"):
            yield Static("", id="alerts-timeline")

    def on_mount(self) -> None:
        self._show_timeline()
        self.watch(self._timeline_box, "scroll_y", self._timeline_scrolled, init=False)

    @property
    def _timeline_box(self) -> VerticalScroll:
        return self.query_one("#alerts-timeline-box", VerticalScroll)

    def _reading_below(self) -> bool:
        # Under a line's height from the top is the top: an animated scroll can stop
        # a fraction short of 0.
        return self._timeline_box.scroll_y >= 1

    def _timeline_scrolled(self) -> None:
        if not self._reading_below() and self._new_above:
            self._new_above = 0  # back at the top: what came meanwhile shows now
            self._show_timeline()

    @property
    def state_filter(self) -> str:
        return self.filter_value

    def colours(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {
            "inactive": rich_colour(variables, "alert-inactive"),
            "pending": rich_colour(variables, "alert-pending"),
            "firing": rich_colour(variables, "alert-firing"),
            "changed": rich_colour(variables, "changed-background"),
        }

    # ------------------------------------------------------------ data in

    def show_rules(self, groups: list[RuleGroup], at: float) -> list[Change]:
        changes = self.tracker.observe(groups, at)
        if changes and self._reading_below():
            self._new_above += len(changes)
        self.groups = groups
        self.unavailable = ""
        self._rules = {}
        self._alerts = {}
        for group in groups:
            for index, rule in enumerate(group.alerting):
                key = rule_key(group, index, rule)
                self._rules[key] = rule
                for alert in rule.alerts:
                    self._alerts[alert_key(key, alert)] = (rule, alert)
        self.changed()
        return changes

    def show_unavailable(self, reason: str) -> None:
        self.unavailable = reason
        self.changed()

    def counts(self) -> Counter[str]:
        return Counter(rule.state for rule in self._rules.values())

    def redraw(self) -> None:
        summary = self.query_one("#alerts-summary", Static)
        if self.unavailable:
            show(summary, Text(f"This server offers no alerting rules: {self.unavailable}"))
            return
        if self.groups is None:
            return
        colours = self.colours()
        table = self.table
        width = table.size.width or self.size.width or self.app.size.width
        columns, rows = rules_table(
            self.groups,
            state_filter=self.state_filter,
            tracker=self.tracker,
            now=self.clock(),
            colours=colours,
            width=width,
        )
        counts = self.counts()
        text = Text()
        for state in STATES:
            if text:
                text.append(" · ", style="dim")
            text.append(f"{counts[state]} {state}", style=f"bold {colours[state]}")
        if not self._rules:
            text = Text("No alerting rules on this server.", style="dim")
        elif not rows:
            text.append(f"  (no rule is {self.state_filter})", style="dim")
        with self.app.batch_update():
            table.sync(columns, rows)
            show(summary, text)
            self._show_timeline()
            self.show_detail(table.cursor_key)

    def has_data(self) -> bool:
        return self.groups is not None

    def _show_timeline(self) -> None:
        colours = self.colours()
        new = self._new_above
        entries = self.tracker.timeline[new:]
        # On the box's top edge: seen wherever the timeline is scrolled to.
        self._timeline_box.border_title = f"▲ {new} new above (scroll up)" if new else ""
        text = Text()
        text.append("Timeline ", style="bold")
        text.append("(state changes seen since the dashboard opened, newest first)", style="dim")
        if not entries:
            text.append("\nno changes yet", style="dim")
        for change in entries[:50]:
            text.append(f"\n{clock_text(change.at)}  ", style="dim")
            text.append(clip(change.rule), style="bold")
            text.append(f" {{{change.labels}}}  " if change.labels else "  ", style="dim")
            text.append(change.old, style=colours[change.old])
            text.append(" → ")
            text.append(change.new, style=f"bold {colours[change.new]}")
        show(self.query_one("#alerts-timeline", Static), text)

    # ------------------------------------------------------------ filtering

    def action_cycle_state(self) -> None:
        self.cycle_filter()

    def action_set_state_filter(self, state: str) -> None:
        self.set_filter(state)

    # ------------------------------------------------------------ selection

    def _rule_for(self, key: str | None) -> AlertingRule | None:
        if key is None:
            return None
        if key in self._rules:
            return self._rules[key]
        if key in self._alerts:
            return self._alerts[key][0]
        return None

    def open_key(self, key: str | None) -> None:
        rule = self._rule_for(key)
        if rule is not None:
            self.post_message(OpenGraphs([rule.query], title=rule.name).set_sender(self))

    def show_detail(self, key: str | None) -> None:
        detail = self.query_one("#alert-detail", Static)
        rule = self._rule_for(key)
        if rule is None:
            show(detail, "")
            return
        colours = self.colours()
        text = Text()
        text.append(rule.name, style="bold")
        text.append("  ")
        text.append(rule.state, style=f"bold {colours[rule.state]}")
        text.append(f"  group {rule.group}", style="dim")
        if rule.duration:
            text.append(f"  for {short_duration(rule.duration)}", style="dim")
        text.append("\nexpr: ", style="dim")
        text.append(clip(rule.query, DETAIL_LIMIT))
        annotations = rule.annotations
        labels = rule.labels
        if key in self._alerts:
            alert = self._alerts[key][1]
            annotations = alert.annotations
            labels = alert.labels
            text.append(f"\nvalue: {clip(alert.value)}", style="dim")
        if labels:
            text.append("\nlabels: ", style="dim")
            text.append(clip(labels_text(labels), DETAIL_LIMIT))
        # The summary is the alert's headline: first, so a short pane never cuts it.
        for name, value in sorted(annotations.items(), key=lambda a: (a[0] != "summary", a[0])):
            text.append(f"\n{clip(name)}: ", style="dim")
            text.append(clip(value, DETAIL_LIMIT))
        show(detail, text)
