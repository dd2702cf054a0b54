"""The Alerts panel: alerting rules by group, their state and alerts, and a timeline of changes.

With an Alertmanager, each alert also says what Alertmanager does with it (active,
silenced by which silence, inhibited by which alert), where it went and its
fingerprint, and `S` opens a silence form for it (the screen opens the dialog).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

import msgspec.structs
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from promdash.present.text import (
    DETAIL_LIMIT,
    alertmanager_alert,
    alertmanager_index,
    alertmanager_state_parts,
    clip,
    labels_text,
)
from promdash.prom.am_types import AlertmanagerAlert, Silence
from promdash.prom.types import ActiveCounts, Alert, AlertingRule, AlertState, RuleGroup
from promdash.timefmt import ago, clock_text, short_duration, value_text
from promdash.tui.messages import (
    BacktestWanted,
    FetchRules,
    Notification,
    OpenGraphs,
    SilenceWanted,
)
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.panel import Clock, FilterLabel, TablePanel, show
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row

STATE_FILTERS = ("all", "firing", "pending", "inactive")
# With an Alertmanager, the state filter also offers what it does with alerts.
AM_FILTERS = ("silenced", "inhibited")
STATES: tuple[AlertState, ...] = ("firing", "pending", "inactive")
HIGHLIGHT_SECONDS = 30.0
# A rule's alerts are asked for, decoded and listed when it has at most this many; a
# larger one (a storm's rule has one per target) shows its counts until Enter on its
# `… N alerts` line lists them (`PromClient.alert_rules`).
LIST_UP_TO = 100
TIMELINE_KEEP = 500
_FIXED = (("state", "State", 12), ("since", "Active since", 12), ("value", "Value", 10))
AM_WIDTH = 13  # "⊘ inhibited", "not received"
_GENERATIONS = itertools.count()


@dataclass(frozen=True, slots=True)
class Change:
    at: float
    rule: str
    labels: str
    old: AlertState
    new: AlertState


@dataclass(frozen=True)
class AlertmanagerInfo:
    """What the dashboard knows of Alertmanager; the screen hands it to every panel showing it."""

    url: str = ""  # the Alertmanager asked; "" when none is known (yet)
    source: str = ""  # what named it ("--alertmanager-url", "stack demo", ...)
    none: str = ""  # why none was found; "" while looking, or once one is known
    alerts: list[AlertmanagerAlert] | None = None  # None: not fetched yet
    silences: list[Silence] | None = None
    at: float | None = None  # when they were fetched
    error: str = ""  # why it does not answer now ("" while it does)
    # The stack's webhook receiver's latest notification, by alert fingerprint.
    notifications: dict[str, Notification] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.url)

    def problem(self) -> str:
        """One line when there is none or it does not answer; "" otherwise."""
        if self.none:
            return f"No Alertmanager: {self.none}"
        if self.url and self.error:
            fetched = f"; shown as of {clock_text(self.at)}" if self.at is not None else ""
            return f"Alertmanager at {self.url} does not answer: {self.error}{fetched}"
        return ""

    def silence(self, silence_id: str) -> Silence | None:
        return next((s for s in self.silences or () if s.id == silence_id), None)


def state_colours(variables: dict[str, str]) -> dict[str, str]:
    """Each alert state's colour, the theme's `alert-*` variables: the one source the
    panel, the overview and the backtest draw states with."""
    return {state: rich_colour(variables, f"alert-{state}") for state in STATES}


def rule_key(group: RuleGroup, index: int, rule: AlertingRule) -> str:
    return f"rule|{group.file}|{group.name}|{index}|{rule.name}"


MORE = "more|"  # the row under a rule that lists (or folds) its many alerts: MORE + rule key


# Each alert of the latest answer with its row key, by the alert's id (the alert is kept
# with it, so an id reused by a later object never matches). The tracker, the panel, the
# overview and Alertmanager's matching all key every alert: 5,000 in a storm of one rule.
_KEYED: dict[int, tuple[Alert, str]] = {}


def key_alerts(groups: Iterable[RuleGroup]) -> None:
    """Key every alert of a new answer once, for `alert_key`; forgets the last answer's."""
    global _KEYED
    keyed: dict[int, tuple[Alert, str]] = {}
    for group in groups:
        for index, rule in enumerate(group.alerting):
            rule_row = rule_key(group, index, rule)
            for alert in rule.alerts:
                keyed[id(alert)] = (alert, f"{rule_row}|{labels_text(alert.labels)}")
    _KEYED = keyed


def alert_key(rule: str, alert: Alert) -> str:
    """The row key of `alert` of the rule keyed `rule`."""
    found = _KEYED.get(id(alert))
    if found is not None and found[0] is alert:
        return found[1]
    return f"{rule}|{labels_text(alert.labels)}"


def alertmanager_by_key(
    groups: Iterable[RuleGroup], alerts: Iterable[AlertmanagerAlert]
) -> dict[str, AlertmanagerAlert]:
    """Alertmanager's alert for each firing alert of the rules, by the alert's row key.

    Prometheus sends only firing alerts; one Alertmanager does not hold has no entry.
    """
    index = alertmanager_index(alerts)
    found: dict[str, AlertmanagerAlert] = {}
    for group in groups:
        for index_, rule in enumerate(group.alerting):
            key = rule_key(group, index_, rule)
            for alert in rule.alerts:
                if alert.state == "firing":
                    held = alertmanager_alert(alert.labels, index)
                    if held is not None:
                        found[alert_key(key, alert)] = held
    return found


def suppression(alert: AlertmanagerAlert | None) -> str:
    """ "silenced", "inhibited" or "" (active, unprocessed, or not held)."""
    if alert is None or alert.state != "suppressed":
        return ""
    return "silenced" if alert.silenced_by else "inhibited" if alert.inhibited_by else ""


# What a suppressed alert's state says, in one short mark (its state colour stays).
SUPPRESSED_MARKS = {"silenced": "🔕 silenced", "inhibited": "⊘ inhibited"}


def _am_cell(alert: Alert, held: AlertmanagerAlert | None, colour: str) -> tuple[str, str]:
    """The Alertmanager column of an alert row, as `promdash alerts` says it."""
    if held is None:
        return ("not received", "dim") if alert.state == "firing" else ("", "")
    kind = suppression(held)
    if kind:
        return SUPPRESSED_MARKS[kind], colour
    return held.state, colour if held.state == "active" else "dim"


class AlertTracker:
    """Remembers the states seen so far and records every change between two answers."""

    def __init__(self) -> None:
        self.rule_states: dict[str, AlertState] = {}
        # By alert key: (rule name, labels as a change says them, state, rule key).
        self.alert_states: dict[str, tuple[str, str, AlertState, str]] = {}
        self.changed_at: dict[str, float] = {}
        self.timeline: list[Change] = []
        self.listed: set[str] = set()  # the rules (keys) whose alerts the last answer listed
        self._seen_once = False

    def observe(self, groups: list[RuleGroup], at: float) -> list[Change]:
        """The changes since the last answer. A rule whose alerts are only counted (too many
        to list) says its own change of state; its alerts' changes are known only while
        they are listed, in this answer and the last."""
        changes: list[Change] = []
        rules: dict[str, AlertState] = {}
        alerts: dict[str, tuple[str, str, AlertState, str]] = {}
        seen = self.alert_states
        listed_before = self.listed
        unknown: set[str] = set()  # rules whose alerts' last states are not known
        self.listed = set()
        for group in groups:
            for index, rule in enumerate(group.alerting):
                key = rule_key(group, index, rule)
                rules[key] = rule.state
                if not rule.listed or key not in listed_before:
                    unknown.add(key)
                if not rule.listed:
                    was = self.rule_states.get(key, rule.state)
                    if self._seen_once and was != rule.state:
                        active = rule.count("firing") + rule.count("pending")
                        changes.append(Change(at, rule.name, f"{active} alerts", was, rule.state))
                    continue
                self.listed.add(key)
                for alert in rule.alerts:
                    akey = alert_key(key, alert)
                    old = seen.get(akey)
                    # The same key is the same labels: what a change would say is kept.
                    shown = (
                        old[1]
                        if old is not None
                        else clip(labels_text(alert.labels, ("alertname", *rule.labels)))
                    )
                    alerts[akey] = (rule.name, shown, alert.state, key)
        if self._seen_once:
            for key, state in rules.items():
                if self.rule_states.get(key, state) != state:
                    self.changed_at[key] = at
            for key, (name, shown, state, rule_row) in alerts.items():
                if rule_row in unknown:
                    continue  # listed now, but not before: what they were is not known
                old = self.alert_states.get(key)
                old_state: AlertState = old[2] if old else "inactive"
                if old_state != state:
                    changes.append(Change(at, name, shown, old_state, state))
            for key, (name, shown, state, rule_row) in self.alert_states.items():
                if rule_row not in self.listed and rule_row in rules:
                    continue  # only counted now: that they are not listed is not an end
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
    alertmanager: Mapping[str, AlertmanagerAlert] | None = None,
) -> tuple[tuple[Column, ...], list[Row]]:
    """The panel's table as Prometheus's /alerts page shows it: rules by group, each
    with its alerts below it (the CLI lists alert instances: present.text.alert_rows).

    `alertmanager` (its alert per alert row key, `alertmanager_by_key`) adds a column
    of what Alertmanager does with each alert; None leaves it out (no Alertmanager).
    """
    rows: list[Row] = []
    blank: Cell = ("", "")
    name_width = 28
    held = alertmanager or {}
    generation = next(_GENERATIONS)  # the version of every alert row this call makes

    def wanted(key: str, alert: Alert) -> bool:
        if state_filter in AM_FILTERS:
            return suppression(held.get(alert_key(key, alert))) == state_filter
        return state_filter == "all" or alert.state == state_filter

    def rule_wanted(key: str, rule: AlertingRule) -> bool:
        if state_filter in AM_FILTERS:
            return any(wanted(key, alert) for alert in rule.alerts)
        return state_filter == "all" or rule.state == state_filter

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
            if rule_wanted(rule_key(group, index, rule), rule)
        ]
        if not members:
            continue
        header: Cell = (f"▾ {group.name}", "bold")
        am_blank: tuple[Cell, ...] = (blank,) if alertmanager is not None else ()
        rows.append(
            Row(
                f"group|{group.file}|{group.name}",
                (header, blank, *am_blank, blank, blank, summary),
            )
        )
        for index, rule in members:
            key = rule_key(group, index, rule)
            lit = tracker.highlighted(key, now)
            base = f"on {colours['changed']}" if lit else ""
            colour = colours[rule.state]
            firing, pending = rule.count("firing"), rule.count("pending")
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
            name = ("◆ " if lit else "  ") + rule.name  # not ●: that dot means firing
            name_width = max(name_width, len(name))
            am_rule: tuple[Cell, ...] = ()
            if alertmanager is not None:
                kinds = Counter(suppression(held.get(alert_key(key, a))) for a in rule.alerts)
                said = ", ".join(f"{kinds[k]} {k}" for k in AM_FILTERS if kinds[k])
                am_rule = ((said, f"{colour} {base}".strip() if said else base),)
            rows.append(
                Row(
                    key,
                    (
                        (name, f"bold {base}".strip()),
                        (state_text, f"bold {colour} {base}".strip()),
                        *am_rule,
                        (ago(since, now) if since else "", base),
                        (_short_value(value), base),
                        about,
                    ),
                )
            )
            if firing + pending > LIST_UP_TO or not rule.listed:
                rows.append(_more_row(key, rule, firing, pending))
            for alert in sorted(rule.alerts, key=lambda a: alert_key(key, a)):
                if not wanted(key, alert):
                    continue
                row_key = alert_key(key, alert)
                name_width = max(name_width, len(_alert_name(alert, rule)))
                am_cell: Cell | None = None
                if alertmanager is not None:
                    am_cell = _am_cell(alert, held.get(row_key), colours[alert.state])
                # Formatted only when on screen: a storm's rule has thousands of alerts.
                cells = partial(_alert_cells, alert, rule, now, colours[alert.state], am_cell)
                rows.append(Row(row_key, cells, generation))
    fixed_columns = [Column(key, label, w) for key, label, w in _FIXED]
    if alertmanager is not None:
        fixed_columns.insert(1, Column("alertmanager", "Alertmanager", AM_WIDTH))
    fixed = sum(c.width for c in fixed_columns)
    spare = width - fixed - 2 * (len(fixed_columns) + 2) - 2
    name_width = min(name_width, max(20, spare // 2))
    rest = max(16, spare - name_width)
    columns = (
        Column("rule", "Rule / alert", name_width),
        *fixed_columns,
        Column("about", "Labels · annotations", rest),
    )
    return columns, rows


def _more_row(key: str, rule: AlertingRule, firing: int, pending: int) -> Row:
    """The line under a rule with many alerts: counted only (Enter lists them), or listed
    because asked (Enter counts them again)."""
    said = " and ".join(
        f"{n:,} {state}" for state, n in (("firing", firing), ("pending", pending)) if n
    )
    what = f"{said} alert{'' if firing + pending == 1 else 's'}"
    if rule.listed:
        text = f"    ▾ {what} listed below (Enter folds them)"
    else:
        text = f"    ▸ {what} (Enter lists them)"
    return Row(MORE + key, ((text, "dim"),), span=0)


def _alert_name(alert: Alert, rule: AlertingRule) -> str:
    """The instance names an alert best; every label is in the detail below."""
    shown = clip(
        alert.labels.get("instance") or labels_text(alert.labels, ("alertname", *rule.labels))
    )
    return "    └ " + (shown or "{}")


def _alert_cells(
    alert: Alert, rule: AlertingRule, now: float, colour: str, am_cell: Cell | None
) -> tuple[Cell, ...]:
    active = alert.active_at.timestamp() if alert.active_at else None
    note = clip(alert.annotations.get("summary") or alert.annotations.get("description", ""))
    return (
        (_alert_name(alert, rule), ""),
        (alert.state, colour),
        *((am_cell,) if am_cell is not None else ()),
        (ago(active, now) if active else "", ""),
        (_short_value(alert.value), ""),
        (note, ""),
    )


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
            tooltip="Show all rules, or only the firing, pending or inactive ones (with an "
            "Alertmanager: or the silenced or inhibited alerts)",
        ),
        Binding(
            "S",
            "silence",
            "Silence",
            id="alerts.silence",
            tooltip="Silence the selected alert in Alertmanager: a form with its labels as "
            "matchers, a duration and a comment",
        ),
        Binding(
            "b",
            "backtest",
            "Backtest",
            show=False,  # at 80 columns with Alertmanager's S, Quit would go: the detail says it
            id="alerts.backtest",
            tooltip="When would the selected rule have fired over the last hours? Its "
            "values, threshold and states over time; edit its expression or for and compare",
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
        self.alertmanager = AlertmanagerInfo()
        self._held: dict[str, AlertmanagerAlert] = {}  # Alertmanager's alert by row key
        # Rules (group, name) whose alerts are listed however many they are: Enter on its
        # `… N alerts` line asked for them.
        self.unfolded: set[tuple[str, str]] = set()
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
        changed = rich_colour(variables, "changed-background")
        return {**state_colours(variables), "changed": changed}

    # ------------------------------------------------------------ data in

    def show_rules(self, groups: list[RuleGroup], at: float) -> list[Change]:
        key_alerts(groups)
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
        self._match_alertmanager()
        self.changed()
        return changes

    def filter_choices(self) -> tuple[str, ...]:
        return STATE_FILTERS + AM_FILTERS if self.alertmanager.known else STATE_FILTERS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without an Alertmanager there is nothing to silence in: the key is not offered.
        return action != "silence" or self.alertmanager.known  # False: not shown

    def show_alertmanager(self, info: AlertmanagerInfo) -> None:
        known = self.alertmanager.known
        self.alertmanager = info
        if info.known != known:
            self.refresh_bindings()
        self._match_alertmanager()
        self.changed()

    def _match_alertmanager(self) -> None:
        alerts = self.alertmanager.alerts
        self._held = alertmanager_by_key(self.groups or [], alerts) if alerts is not None else {}

    def held(self, key: str) -> AlertmanagerAlert | None:
        """Alertmanager's alert for the alert row `key` (the overview shows it too)."""
        return self._held.get(key)

    def silence_labels(self, key: str) -> dict[str, str] | None:
        """The labels a silence of row `key` starts from: the alert's as Alertmanager holds
        it (with Prometheus's external labels), else as Prometheus has it; for a rule, its
        name and labels. None for a group's row."""
        if key in self._alerts:
            held = self._held.get(key)
            return dict(held.labels) if held is not None else dict(self._alerts[key][1].labels)
        rule = self._rules.get(key)
        if rule is not None:
            return {"alertname": rule.name, **rule.labels}
        return None

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
        info = self.alertmanager
        columns, rows = rules_table(
            self.groups,
            state_filter=self.state_filter,
            tracker=self.tracker,
            now=self.clock(),
            colours=colours,
            width=width,
            alertmanager=self._held if info.known else None,
        )
        counts = self.counts()
        text = Text("rules: ", style="dim")  # the tab and the overview count alerts
        for state in STATES:
            if len(text) > len("rules: "):
                text.append(" · ", style="dim")
            text.append(f"{counts[state]} {state}", style=f"bold {colours[state]}")
        if info.known:
            kinds = Counter(suppression(a) for a in self._held.values())
            for kind in AM_FILTERS:
                if kinds[kind]:
                    text.append(f" · {kinds[kind]} {kind}", style="bold")
            if info.error:
                text.append("  Alertmanager does not answer", style=f"bold {colours['firing']}")
        if not self._rules:
            text = Text("No alerting rules on this server.", style="dim")
        elif not rows:
            alert_filter = self.state_filter in AM_FILTERS
            what = "alert is" if alert_filter else "rule is"
            text.append(f"  (no {what} {self.state_filter})", style="dim")
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
        # On the box's top edge: seen wherever the timeline is scrolled to (set only when
        # it changed: setting it repaints the whole box).
        title = f"▲ {new} new above (scroll up)" if new else ""
        if (self._timeline_box.border_title or "") != title:
            self._timeline_box.border_title = title
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
        key = key.removeprefix(MORE)
        if key in self._rules:
            return self._rules[key]
        if key in self._alerts:
            return self._alerts[key][0]
        return None

    def open_key(self, key: str | None) -> None:
        if key is not None and key.startswith(MORE):
            self._fold(key.removeprefix(MORE))
            return
        rule = self._rule_for(key)
        if rule is not None:
            self.post_message(OpenGraphs([rule.query], title=rule.name).set_sender(self))

    def _fold(self, key: str) -> None:
        """List the alerts of rule `key` (asked at once), or count them again."""
        rule = self._rules.get(key)
        if rule is None:
            return
        ident = (rule.group, rule.name)
        if not rule.listed:
            self.unfolded.add(ident)
            self.post_message(FetchRules(now=True).set_sender(self))
            self.app.notify(f"Asking for the alerts of {rule.name}…", timeout=3)
            return
        self.unfolded.discard(ident)
        counted = msgspec.structs.replace(
            rule, alerts=[], counts=ActiveCounts(rule.count("firing"), rule.count("pending"))
        )
        self._rules[key] = counted
        self._alerts = {k: v for k, v in self._alerts.items() if v[0] is not rule}
        self.groups = [
            msgspec.structs.replace(g, alerting=[counted if r is rule else r for r in g.alerting])
            for g in self.groups or []
        ]
        self.changed()

    def action_silence(self) -> None:
        key = self.table.cursor_key
        if key is None or self._rule_for(key) is None:
            self.app.notify("Select an alert (or a rule) to silence first.", severity="warning")
            return
        self.post_message(SilenceWanted(key).set_sender(self))

    def action_backtest(self) -> None:
        rule = self._rule_for(self.table.cursor_key)
        if rule is None:
            self.app.notify("Select an alerting rule (or one of its alerts) first.")
            return
        self.post_message(BacktestWanted(rule.name, rule.group).set_sender(self))

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
        text.append("  (b: backtest)", style="dim")
        if key in self._alerts:
            text.append_text(self._alertmanager_detail(key, self._alerts[key][1], colours))
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

    def _alertmanager_detail(self, key: str, alert: Alert, colours: dict[str, str]) -> Text:
        """`Alertmanager: suppressed: silenced by 8c1f2e3d ("why", ends 14:00) · receivers:
        webhook · fingerprint …`, then the webhook receiver's last notification; or why
        there is nothing to say (no Alertmanager, it does not answer)."""
        info = self.alertmanager
        text = Text()
        problem = info.problem()
        if problem:
            return text.append(f"\n{problem}", style=colours["firing"] if info.error else "dim")
        if not info.known or info.alerts is None:
            return text
        text.append("\nAlertmanager: ", style="dim")
        held = self._held.get(key)
        if held is None:
            if alert.state == "firing":
                return text.append("not received (yet)")
            return text.append("not sent (Prometheus sends firing alerts only)", style="dim")
        by_fingerprint = {a.fingerprint: a for a in info.alerts}
        text.append(" ".join(alertmanager_state_parts(held, by_fingerprint)), style="bold")
        for silence_id in held.silenced_by:
            silence = info.silence(silence_id)
            if silence is not None:
                ends = clock_text(silence.ends_at.timestamp(), seconds=False)
                text.append(f" ({clip(silence.comment, 60)!r}, ends {ends})")
        text.append(" · receivers: ", style="dim")
        text.append(", ".join(held.receivers) or "none")
        text.append(" · fingerprint ", style="dim")
        text.append(held.fingerprint)
        note = info.notifications.get(held.fingerprint)
        if note is not None:
            times = f", {note.count} notifications" if note.count > 1 else ""
            text.append("\nnotified: ", style="dim")
            text.append(f"{note.receiver} at {clock_text(note.at)} ({note.status}{times})")
        return text
