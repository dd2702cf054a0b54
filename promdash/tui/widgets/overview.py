"""The overview: targets, alerts and live graphs on one screen, each compact.

What a person wants at a glance: are the targets up (a line per pool, what is
down first, with its error), what is firing or pending, and how a few key series
move now. Every list chooses its columns for its width (the least telling go
first), so nothing a person needs is cut. Enter on a row or a graph opens it in
its full panel (the screen does that, and Escape comes back).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from promdash.present.text import STATE_ORDER, alert_counts_text, labels_text, short_scrape_error
from promdash.prom.am_types import AlertmanagerAlert
from promdash.prom.types import Alert, AlertingRule, QueryResult, RuleGroup, Target, Targets
from promdash.timefmt import ago, clock_text, seconds_text, short_duration, value_text
from promdash.tui.messages import (
    BacktestWanted,
    FetchGraph,
    GraphFailed,
    GraphFetched,
    GraphWanted,
    OpenGraphs,
    SilenceWanted,
)
from promdash.tui.plot import graph_lines, legend
from promdash.tui.settings import OverviewGraph
from promdash.tui.themes import plot_colours, rgb, rich_colour
from promdash.tui.widgets.alerts import (
    SUPPRESSED_MARKS,
    AlertmanagerInfo,
    Change,
    alert_key,
    alertmanager_by_key,
    rule_key,
    state_colours,
    suppression,
)
from promdash.tui.widgets.panel import Clock, Panel, show
from promdash.tui.widgets.plotview import PlotView
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row
from promdash.tui.widgets.targets import Live, placing, target_keys

_GENERATIONS = itertools.count()
_PARTS = frozenset({"targets", "alerts", "graphs"})  # what the overview draws
MARKS = {"up": "✔", "down": "✖", "unknown": "?"}  # health, beside the colour
COUNTED = "|counted|"  # a counted rule's line: its key, this, the state counted
POOL_LISTED = 12  # up targets of a larger pool are counted, not listed (its down ones are)
OVERVIEW_RANGE = 300  # seconds: the overview's graphs show the last minutes, live
BAR_WIDTH = 20
# Labels the rows show elsewhere or that every alert of a rule has.
_TARGET_HIDDEN = frozenset({"instance", "job"})
_ALERT_HIDDEN = frozenset({"alertname", "job"})


def _retitle(box: Widget, title: str) -> None:
    """A box's title, set only when it changed: setting it repaints the whole box."""
    if box.border_title != title:
        box.border_title = title


def _fit_columns(wanted: list[Column], width: int, keep: int) -> tuple[Column, ...]:
    """Columns that fit `width`: the last ones (least telling) are dropped first, then
    column `keep` (the labels) is narrowed to fit or widened to fill; never the first."""
    columns = list(wanted)

    def used() -> int:
        return sum(c.width + 2 for c in columns) + 1  # and the scrollbar's edge

    while used() > width and len(columns) > keep + 1:
        columns.pop()
    if len(columns) > keep:
        # The labels take what is left (or give up what is missing), so rows that
        # span to the end (a pool's health bar, an error) reach the edge.
        column = columns[keep]
        columns[keep] = Column(column.key, column.label, max(6, column.width + width - used()))
    return tuple(columns)


def distinguishing(members: Sequence[Target]) -> list[str]:
    """Label names whose values differ between the targets of a pool (`group`)."""
    if len(members) < 2:
        return []
    # A name differs somewhere when it is in some target's difference from the first
    # (an item view's ^ runs in C: a poll of 5,000 targets checks them all).
    first = members[0].labels.items()
    differ: set[tuple[str, str]] = set()
    for target in members:
        differ |= first ^ target.labels.items()
    return sorted({name for name, _ in differ} - _TARGET_HIDDEN)


def _bar(up: int, total: int, colours: dict[str, str]) -> Text:
    text = Text()
    if not total:
        return text
    good = round(BAR_WIDTH * up / total)
    if up < total:
        good = min(good, BAR_WIDTH - 1)  # one down target in 5,000 still shows
    text.append("█" * good, style=colours["up"])
    text.append("█" * (BAR_WIDTH - good), style=colours["down"])
    return text


def overview_targets(
    targets: Sequence[Target],
    *,
    now: float,
    width: int,
    colours: dict[str, str],
    live: Live | None = None,
) -> tuple[tuple[Column, ...], list[Row], int]:
    """(columns, rows, up): a line per pool with its health bar, the targets not up
    first with their last error, then the up ones by instance with the labels that
    tell them apart. A target's row reads its times from `live` when drawn (made
    from `targets` and `now` when not given)."""
    if live is None:
        live = Live(dict(zip(target_keys(targets), targets, strict=True)), now)
    generation = next(_GENERATIONS)
    pools: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        pools[target.scrape_pool].append(target)
    rows: list[Row] = []
    name_width = labels_width = 8
    up_total = 0
    blank: Cell = ("", "")
    for pool in sorted(pools):
        members = pools[pool]
        up = sum(t.health == "up" for t in members)
        up_total += up
        state = "up" if up == len(members) else "down"
        header = Text.assemble(
            (f"{up}/{len(members)} up ", f"bold {colours[state]}"), _bar(up, len(members), colours)
        )
        rows.append(Row(f"pool|{pool}", ((pool, "bold"), header), span=1))
        name_width = max(name_width, len(pool))
        # Sorted and told apart only when some are listed (5,000 targets poll after poll).
        down = sorted((t for t in members if t.health != "up"), key=lambda t: t.instance)
        listed = down + (
            sorted((t for t in members if t.health == "up"), key=lambda t: t.instance)
            if len(members) <= POOL_LISTED
            else []
        )
        names = distinguishing(members) if listed else []
        for target in listed:
            colour = colours[target.health]
            name = f"{MARKS[target.health]} {target.instance}"
            shown_labels = labels_text({n: target.labels.get(n, "") for n in names})
            name_width = max(name_width, len(name))
            labels_width = max(labels_width, len(shown_labels))
            cells = partial(_target_cells, live, target.key, name, shown_labels, colour)
            rows.append(Row(target.key, cells, generation))
            if target.health != "up" and target.last_error:
                error = short_scrape_error(target.last_error, target.scrape_url)
                rows.append(
                    Row(
                        f"{target.key}|error", (("  └ last error", colour), (error, colour)), span=1
                    )
                )
        hidden = len(members) - len(down) - sum(t.health == "up" for t in listed)
        if hidden:
            rows.append(Row(f"more|{pool}", ((f"  … {hidden} more up", "dim"), blank), span=1))
    columns = _fit_columns(
        [
            Column("name", "Pool / instance", min(name_width, 40)),
            Column("labels", "Labels", labels_width),
            Column("scraped", "Scraped", 8),
            Column("took", "Took", 6),
        ],
        width,
        keep=1,
    )
    return columns, rows, up_total


def _target_cells(
    live: Live, key: str, name: str, shown_labels: str, colour: str
) -> tuple[Cell, ...]:
    target = live.targets[key]
    scraped = target.last_scrape.timestamp() if target.last_scrape else None
    return (
        Text.assemble((name[0], f"bold {colour}"), name[1:]),
        (shown_labels, "dim"),
        (ago(scraped, live.now), ""),
        (seconds_text(target.last_scrape_duration), ""),
    )


def overview_alerts(
    groups: Sequence[RuleGroup],
    *,
    now: float,
    width: int,
    colours: dict[str, str],
    held: Mapping[str, AlertmanagerAlert] | None = None,
) -> tuple[tuple[Column, ...], list[Row], dict[str, int]]:
    """(columns, rows, counts): firing alerts, then pending, each by its telling labels,
    value and since when; the inactive rules as one count. An alert Alertmanager
    silences or inhibits (`held`: its alerts by row key) says so in its state. A rule
    whose alerts are only counted (too many to list: a storm) has a line per state
    saying how many, keyed `COUNTED` after the rule's key."""
    held = held or {}
    counts = {"firing": 0, "pending": 0, "inactive": 0}
    # (order, rule name, row key, rule, alert): firing, then pending, by rule and labels
    # (the key ends with them); rows are keyed as in the Alerts panel, so opening one
    # finds it there.
    entries: list[tuple[int, str, str, AlertingRule, Alert]] = []
    counted: list[tuple[int, str, str]] = []  # as entries, for rules only counted
    counted_as: dict[str, tuple[str, int]] = {}  # their lines' keys: (state, how many)
    by_rule: dict[int, list[dict[str, str]]] = defaultdict(list)
    rules: dict[int, AlertingRule] = {}
    for group in groups:
        for index, rule in enumerate(group.alerting):
            counts[rule.state] += 1
            if not rule.listed:
                rule_row = rule_key(group, index, rule)
                for state in ("firing", "pending"):
                    n = rule.count(state)
                    if n:
                        key = f"{rule_row}{COUNTED}{state}"
                        counted.append((STATE_ORDER[state], rule.name, key))
                        counted_as[key] = (state, n)
                continue
            if not rule.alerts:
                continue
            rule_row = rule_key(group, index, rule)
            for alert in rule.alerts:
                if alert.state == "inactive":
                    continue
                key = alert_key(rule_row, alert)
                entries.append((STATE_ORDER[alert.state], rule.name, key, rule, alert))
                by_rule[id(rule)].append(alert.labels)
                rules[id(rule)] = rule
    entries.sort(key=lambda entry: entry[:3])
    # What all alerts of a rule share does not tell them apart (once per rule: a storm's
    # rule has thousands of alerts).
    skips = {
        rule: _ALERT_HIDDEN | frozenset(rules[rule].labels) | _shared(siblings)
        for rule, siblings in by_rule.items()
    }
    names = [r.name for r in rules.values()] + [name for _, name, _ in counted]
    rule_width = min(max(map(len, names), default=8), 32)
    marks = {key: suppression(held.get(key)) for _, _, key, _, _ in entries} if held else {}
    state_width = max([9, *(cell_len(SUPPRESSED_MARKS[m]) for m in marks.values() if m)])
    fixed = [Column("state", "State", state_width), Column("rule", "Alert", rule_width)]
    tail = [Column("value", "Value", 8), Column("since", "For", 6)]
    # One line per alert when its labels fit; else the labels go on a line of their own
    # below it, so neither they nor the value and since are cut.
    room = width - sum(c.width + 2 for c in (*fixed, *tail)) - 3
    labels_width = 0
    for _, _, _, rule, alert in entries:
        labels_width = max(labels_width, _labels_length(alert.labels, skips[id(rule)]))
        if labels_width > room:
            break  # too wide for one line: how much wider does not matter
    one_line = labels_width <= room
    if one_line:
        columns = (*fixed, Column("labels", "Labels", max(labels_width, 6)), *tail)
    else:
        room = width - sum(c.width + 2 for c in (fixed[0], *tail)) - 3
        # The alert's name takes the room, so its labels' line below spans the width.
        columns = (fixed[0], Column("rule", "Alert", max(room, 6)), *tail)
    rows: list[Row] = []
    generation = next(_GENERATIONS)
    # The counted rules' lines among the alerts, where their state and name sort them.
    alert_of = {key: (rule, alert) for _, _, key, rule, alert in entries}
    for _, name, key in sorted([*(entry[:3] for entry in entries), *counted]):
        if key in counted_as:
            state, n = counted_as[key]
            mark = "●" if state == "firing" else "◐"
            text = f"{n:,} {state} alerts, counted (Enter lists them in the Alerts panel)"
            cells: tuple[Cell, ...] = (
                (f"{mark} {state}", f"bold {colours[state]}"),
                (name, "bold"),
                (text, "dim"),
            )
            rows.append(Row(key, cells, span=2))
            continue
        rule, alert = alert_of[key]
        skip = skips[id(rule)]
        colour = colours[alert.state]
        mark = "●" if alert.state == "firing" else "◐"
        kind = marks.get(key)
        state = SUPPRESSED_MARKS[kind] if kind else f"{mark} {alert.state}"
        # Formatted only when on screen: the box shows a few of a storm's thousands.
        lazy = partial(_alert_cells, rule, alert, skip, state, colour, now, one_line)
        rows.append(Row(key, lazy, generation))
        if not one_line and not skip.issuperset(alert.labels):
            below = partial(_alert_labels_line, alert, skip, width)
            rows.append(Row(f"{key}|labels", below, generation, span=0))
    if counts["inactive"]:
        # Named while they fit: a person sees which rules are watching and quiet.
        names = sorted({r.name for g in groups for r in g.alerting if r.state == "inactive"})
        word = "rule" if counts["inactive"] == 1 else "rules"
        note = f"  {counts['inactive']} inactive {word}: {', '.join(names)}"
        while len(note) > width - 3 and len(names) > 1:
            names.pop()
            note = f"  {counts['inactive']} inactive {word}: {', '.join(names)}, …"
        rows.append(Row("inactive", ((note, colours["inactive"]),), span=0))
    return columns, rows, counts


def _alert_cells(
    rule: AlertingRule,
    alert: Alert,
    skip: frozenset[str],
    state: str,
    colour: str,
    now: float,
    one_line: bool,
) -> tuple[Cell, ...]:
    active_at = alert.active_at.timestamp() if alert.active_at else None
    cells: list[Cell] = [(state, f"bold {colour}"), (rule.name, "bold")]
    if one_line:
        cells.append((labels_text(alert.labels, skip), "dim"))
    cells += [
        Text(_value(alert.value), justify="right"),
        (short_duration(now - active_at) if active_at else "", ""),
    ]
    return tuple(cells)


def _alert_labels_line(alert: Alert, skip: frozenset[str], width: int) -> tuple[Cell, ...]:
    shown = labels_text(alert.labels, skip)
    if len(shown) + 4 > width - 3:
        # Too narrow for names and values: the values tell the alerts apart.
        shown = " ".join(v for k, v in sorted(alert.labels.items()) if k not in skip)
    return ((f"    {shown}", "dim"),)


def _labels_length(labels: Mapping[str, str], skip: frozenset[str]) -> int:
    """How wide `labels_text(labels, skip)` is, without writing it (values rarely need
    escapes, which only make it a little wider: the cell then ends in an ellipsis)."""
    shown = [len(k) + len(v) + 3 for k, v in labels.items() if k not in skip]
    return sum(shown) + 2 * (len(shown) - 1) if shown else 0


def _shared(siblings: Sequence[Mapping[str, str]]) -> frozenset[str]:
    """Names of the labels every one of `siblings` has with the same value (none for one)."""
    if len(siblings) < 2:
        return frozenset()
    first = siblings[0]
    return frozenset(k for k, v in first.items() if all(s.get(k) == v for s in siblings))


def _value(value: str | None) -> str:
    if value is None:
        return ""
    try:
        return value_text(float(value), compact=True)
    except ValueError:
        return value


def timeline_text(changes: Sequence[Change], colours: dict[str, str], rows: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for change in changes[:rows]:
        if text:
            text.append("\n")
        text.append(f"{clock_text(change.at)} ", style="dim")
        text.append(change.rule, style="bold")
        if change.labels:
            text.append(f" {{{change.labels}}}", style="dim")
        text.append(" ")
        text.append(change.old, style=colours[change.old])
        text.append(" → ")
        text.append(change.new, style=f"bold {colours[change.new]}")
    return text


# ------------------------------------------------------------ graphs


class MiniGraph(Vertical, can_focus=False):
    """One live graph of the overview: its plot, with a legend of what each line is."""

    DEFAULT_CSS = """
    MiniGraph {
        width: 1fr; height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
    }
    MiniGraph:focus-within { border: round $primary; }
    MiniGraph PlotView { min-height: 4; }
    MiniGraph .mini-legend { height: auto; max-height: 5; padding: 0 1; }
    """

    def __init__(self, graph_id: str, title: str, query: str, range_seconds: int) -> None:
        super().__init__(id=f"mini-{graph_id}")
        self.graph_id = graph_id
        self.graph_title = title
        self.expr = query
        self.range_seconds = range_seconds
        self.result: QueryResult | None = None
        self.window = (0.0, 1.0, 1.0)
        self.error = ""
        self.border_title = title

    def compose(self):  # type: ignore[no-untyped-def]
        plot = PlotView()
        plot.placeholder = "Waiting for the first answer…"
        yield plot
        yield Static("", classes="mini-legend")

    @property
    def plot(self) -> PlotView:
        return self.query_one(PlotView)

    def wanted(self) -> GraphWanted:
        width = self.plot.size.width or max(self.app.size.width // 2, 40)
        return GraphWanted(self.graph_id, self.expr, self.range_seconds, width)

    def fetch(self) -> None:
        self.post_message(FetchGraph(self.wanted()).set_sender(self))

    def show_result(self, message: GraphFetched) -> None:
        if message.query != self.expr:
            return
        self.result = message.result
        self.window = (message.start, message.end, message.step)
        self.error = ""
        self.draw()

    def show_error(self, message: GraphFailed) -> None:
        if message.query != self.expr:
            return
        self.error = message.error
        if message.bad_query or self.result is None:
            self.result = None
            self.plot.clear_data(f"The server said: {message.error}")
        self.border_subtitle = "last refresh failed"

    def draw(self) -> None:
        result = self.result
        if result is None:
            return
        drawn = graph_lines(result, plot_colours(self.app.theme_variables))
        start, end, step = self.window
        # A young server's data begins inside the window: draw from where it begins,
        # so a fresh stack's graph moves from its first seconds.
        first = min((s.timestamps[0] for s in drawn.series if s.timestamps), default=start)
        start = max(start, min(first, end - 60))
        if drawn.lines:
            axes = rgb(self.app.theme_variables, "plot-axes")
            self.plot.set_data(drawn.lines, start, end, step, axes)
        else:
            self.plot.clear_data("No series: the query matched nothing in this range.")
        width = max(self.size.width - 4, 20)
        rows = 4 if self.size.height >= 18 else 3 if self.size.height >= 14 else 2
        show(
            self.query_one(".mini-legend", Static),
            legend(drawn.lines, drawn.common, width, rows, drawn.hidden),
        )
        self.border_subtitle = f"{short_duration(self.range_seconds)} · {clock_text(end)}"

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self.draw)


# ------------------------------------------------------------ the panel


class OverviewPanel(Panel):
    panel_name = "overview"
    title = "Overview"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="overview.open",
                tooltip="Open the selected pool, target, alert or graph in its full panel"),
        Binding("S", "silence", "Silence", show=False, id="overview.silence",
                tooltip="Silence the selected alert in Alertmanager (a form, pre-filled)"),
        Binding("b", "backtest", "Backtest", show=False, id="overview.backtest",
                tooltip="Backtest the selected alert's rule: when it would have fired, and "
                "with an edited expression or for"),
        Binding("a", "add_graph", "Add graph", id="overview.add",
                tooltip="Add a graph to the overview (remembered for this server)"),
        Binding("e", "edit_graph", "Replace", show=False, id="overview.edit",
                tooltip="Replace the query of the graph that has the focus"),
        Binding("x,delete", "remove_graph", "Remove", show=False, id="overview.remove",
                tooltip="Remove the graph that has the focus from the overview"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    OverviewPanel #overview-top { height: 2fr; min-height: 7; }
    OverviewPanel #overview-graphs { height: 3fr; }
    OverviewPanel .overview-box {
        width: 1fr; border: round $panel-lighten-2;
        border-title-color: $text; border-subtitle-color: $text-muted;
    }
    OverviewPanel .overview-box:focus-within { border: round $primary; }
    OverviewPanel #overview-timeline { height: auto; max-height: 4; color: $text-muted;
        border-top: solid $panel-lighten-2; }
    OverviewPanel #overview-no-graphs { width: 1fr; height: 1fr; content-align: center middle;
        color: $text-muted; }
    """

    @dataclass
    class GraphsChanged(Message):
        """The user added, replaced or removed a graph: the screen remembers the choice."""

        graphs: list[OverviewGraph]

    @dataclass
    class EditGraph(Message):
        """Ask for a query (the screen opens the prompt); `graph_id` None adds a graph."""

        graph_id: str | None
        current: str

    @dataclass
    class Open(Message):
        """Enter on a row: open it in its full panel (`panel`, the row's key there)."""

        panel: str
        key: str

    def __init__(
        self,
        *,
        graphs: Sequence[OverviewGraph],
        range_seconds: int,
        clock: Clock = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(clock=clock, id=id)
        self._graphs = list(graphs)
        self.range_seconds = range_seconds
        self.targets: Targets | None = None
        self._keys: list[str] = []
        self._live = Live({}, 0.0)  # what the targets box's rows read
        self._drawn: tuple[object, ...] | None = None  # the targets' placing and width drawn
        self.groups: list[RuleGroup] | None = None
        self.timeline: list[Change] = []
        self.unavailable = ""
        self.alertmanager = AlertmanagerInfo()
        self._count = 0
        self._parts: set[str] = set()  # what changed since the last draw ("": everything)

    def compose(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="overview-top"):
            with Vertical(id="overview-targets-box", classes="overview-box"):
                yield KeyedTable(id="overview-targets")
            with Vertical(id="overview-alerts-box", classes="overview-box"):
                yield KeyedTable(id="overview-alerts")
                yield Static("", id="overview-timeline")
        with Horizontal(id="overview-graphs"):
            yield Static("No graphs: press a to add one.", id="overview-no-graphs")
            for title, query in self._graphs:
                yield self._mini(title, query)

    def on_mount(self) -> None:
        self.query_one("#overview-targets-box").border_title = "Targets"
        self.query_one("#overview-alerts-box").border_title = "Alerts"
        self._show_no_graphs()

    def _mini(self, title: str, query: str) -> MiniGraph:
        self._count += 1
        return MiniGraph(f"ov{self._count}", title, query, self.range_seconds)

    def minis(self) -> list[MiniGraph]:
        return list(self.query(MiniGraph))

    def graphs(self) -> list[OverviewGraph]:
        return [(m.graph_title, m.expr) for m in self.minis()]

    def wanted(self) -> list[GraphWanted]:
        return [m.wanted() for m in self.minis()]

    def mini(self, graph_id: str) -> MiniGraph | None:
        found = self.query(f"#mini-{graph_id}")
        return found.first(MiniGraph) if found else None

    # ------------------------------------------------------------ data in

    def colours(self) -> dict[str, str]:
        variables = self.app.theme_variables
        names = {"up": "health-up", "down": "health-down", "unknown": "health-unknown"}
        health = {key: rich_colour(variables, name) for key, name in names.items()}
        return {**health, **state_colours(variables)}

    def show_targets(self, targets: Targets) -> None:
        self.targets = targets
        self._keys = target_keys(targets.active)
        self._changed("targets")

    def show_rules(self, groups: list[RuleGroup], timeline: list[Change]) -> None:
        self.groups = groups
        self.timeline = timeline
        self.unavailable = ""
        self._changed("alerts")

    def show_unavailable(self, reason: str) -> None:
        self.unavailable = reason
        self._changed("alerts")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without an Alertmanager there is nothing to silence in: the key is not offered.
        return action != "silence" or self.alertmanager.known  # False: not shown

    def show_alertmanager(self, info: AlertmanagerInfo) -> None:
        known = self.alertmanager.known
        self.alertmanager = info
        if info.known != known:
            self.refresh_bindings()
        self._changed("alerts")

    def show_result(self, message: GraphFetched) -> bool:
        mini = self.mini(message.graph_id)
        if mini is not None:
            mini.show_result(message)
        return mini is not None

    def show_error(self, message: GraphFailed) -> bool:
        mini = self.mini(message.graph_id)
        if mini is not None:
            mini.show_error(message)
        return mini is not None

    def _changed(self, *parts: str) -> None:
        """Only `parts` (the targets, the alerts) are drawn again: a poll brings each in
        turn, and at 5,000 targets and alerts each costs a few tens of milliseconds."""
        self._parts.update(parts)
        self.changed()

    def redraw(self) -> None:
        # What changed while hidden, when it comes into view (its graphs draw with their
        # data, shown or not); everything after a resize or a theme.
        parts = self._parts or _PARTS
        self._parts = set()
        colours = self.colours()
        now = self.clock()
        with self.app.batch_update():
            if self.targets is not None and "targets" in parts:
                self._redraw_targets(self.targets.active, colours, now)
            if "alerts" in parts:
                self._redraw_alerts(colours, now)
            if "graphs" in parts:
                for mini in self.minis():
                    mini.draw()

    def _redraw_targets(self, active: list[Target], colours: dict[str, str], now: float) -> None:
        table = self.query_one("#overview-targets", KeyedTable)
        width = table.size.width or self.size.width // 2
        by_key = dict(zip(self._keys, active, strict=True))
        drawn = (placing(active, self._keys), width, colours)
        if drawn[0] is not None and drawn == self._drawn:
            # Only the times changed (the usual poll): the pools' lines and the errors
            # stay as drawn, the targets' lines on screen are drawn again.
            self._live.targets, self._live.now = by_key, now
            table.redraw_lazy()
            return
        self._live = Live(by_key, now)
        columns, rows, up = overview_targets(
            active, now=now, width=width, colours=colours, live=self._live
        )
        table.sync(columns, rows)
        self._drawn = drawn
        box = self.query_one("#overview-targets-box")
        _retitle(box, f"Targets {up}/{len(active)} up")

    def _redraw_alerts(self, colours: dict[str, str], now: float) -> None:
        box = self.query_one("#overview-alerts-box")
        table = self.query_one("#overview-alerts", KeyedTable)
        timeline = self.query_one("#overview-timeline", Static)
        if self.unavailable:
            _retitle(box, "Alerts: none on this server")
            table.sync(
                (Column("note", "", max(table.size.width - 3, 10)),),
                [Row("none", ((self.unavailable, "dim"),))],
            )
            return
        if self.groups is None:
            return
        width = table.size.width or self.size.width // 2
        alerts = self.alertmanager.alerts
        held = alertmanager_by_key(self.groups, alerts) if alerts is not None else None
        columns, rows, _ = overview_alerts(
            self.groups, now=now, width=width, colours=colours, held=held
        )
        if not rows:
            rows = [Row("none", (("  No alerting rules on this server.", "dim"),), span=0)]
        table.sync(columns, rows)
        _retitle(box, "Alerts " + (alert_counts_text(self.groups) or "none firing"))
        # The timeline shows below the alerts when the box has room for both.
        room = box.size.height - 2 - (len(rows) + 1)
        timeline.display = room >= 3
        if not timeline.display:
            return
        if self.timeline:
            show(timeline, timeline_text(self.timeline, colours, min(room - 1, 4)))
        else:
            show(timeline, Text("No state changes since the dashboard opened.", style="dim"))

    def has_data(self) -> bool:
        return self.targets is not None or self.groups is not None

    def on_resize(self, event: Resize) -> None:
        if self.has_data():
            self.call_after_refresh(self._changed, *_PARTS)

    def on_theme_changed(self) -> None:
        self._changed(*_PARTS)  # all of it in the new colours, not only what changed last
        for mini in self.minis():
            mini.draw()

    # ------------------------------------------------------------ opening

    def action_open(self) -> None:
        focused = self.screen.focused
        if focused is None:
            return
        mini = next((m for m in self.minis() if focused in m.walk_children()), None)
        if mini is not None:
            self.post_message(OpenGraphs([mini.expr], title=mini.graph_title).set_sender(self))
            return
        if isinstance(focused, KeyedTable) and focused.cursor_key is not None:
            key = focused.cursor_key
            if focused.id == "overview-targets":
                key = key.removesuffix("|error").replace("more|", "pool|", 1)
                self.post_message(self.Open("targets", key).set_sender(self))
            elif key != "none":
                key = key.removesuffix("|labels").split(COUNTED)[0]
                self.post_message(self.Open("alerts", key).set_sender(self))

    def action_silence(self) -> None:
        table = self.query_one("#overview-alerts", KeyedTable)
        key = table.cursor_key
        if self.screen.focused is not table or key is None or not key.startswith("rule|"):
            self.app.notify("Select an alert in the Alerts box first, then press S.")
            return
        key = key.removesuffix("|labels").split(COUNTED)[0]
        self.post_message(SilenceWanted(key).set_sender(self))

    def action_backtest(self) -> None:
        table = self.query_one("#overview-alerts", KeyedTable)
        key = table.cursor_key
        if self.screen.focused is table and key is not None:
            for group in self.groups or ():
                for index, rule in enumerate(group.alerting):
                    if key.startswith(rule_key(group, index, rule) + "|"):
                        self.post_message(BacktestWanted(rule.name, rule.group).set_sender(self))
                        return
        self.app.notify("Select an alert in the Alerts box first, then press b.")

    @on(KeyedTable.RowSelected)
    def _row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # ------------------------------------------------------------ changing the graphs

    def _focused_mini(self) -> MiniGraph | None:
        focused = self.screen.focused
        return next((m for m in self.minis() if focused in m.walk_children()), None)

    def action_add_graph(self) -> None:
        self.post_message(self.EditGraph(None, "").set_sender(self))

    def action_edit_graph(self) -> None:
        mini = self._focused_mini()
        if mini is None:
            self.app.notify("Move to a graph first (Tab), then press e to replace its query.")
            return
        self.post_message(self.EditGraph(mini.graph_id, mini.expr).set_sender(self))

    async def set_graph(self, graph_id: str | None, query: str) -> None:
        """Put `query` in graph `graph_id`, or in a new graph when None."""
        old = self.mini(graph_id) if graph_id is not None else None
        new = self._mini(query, query)
        box = self.query_one("#overview-graphs", Horizontal)
        if old is not None:
            await box.mount(new, after=old)
            await old.remove()
        else:
            await box.mount(new)
        self._show_no_graphs()
        new.plot.focus()
        new.fetch()
        self.post_message(self.GraphsChanged(self.graphs()).set_sender(self))

    async def action_remove_graph(self) -> None:
        mini = self._focused_mini()
        if mini is None:
            self.app.notify("Move to a graph first (Tab), then press x to remove it.")
            return
        await mini.remove()
        self._show_no_graphs()
        self.post_message(self.GraphsChanged(self.graphs()).set_sender(self))

    def _show_no_graphs(self) -> None:
        self.query_one("#overview-no-graphs").display = not self.minis()
