"""The Targets panel: scrape targets grouped by pool, health in colour, errors under down ones."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import Input, Static

from promdash.prom.client import promql_string
from promdash.prom.types import Target, Targets
from promdash.tui.format import (
    DETAIL_LIMIT,
    ago,
    labels_text,
    parse_duration,
    short_scrape_error,
)
from promdash.tui.messages import OpenGraphs
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.panel import Panel, show
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row
from promdash.views import clip, seconds_text

HEALTH_FILTERS = ("all", "up", "down", "unknown")
# Labels every target has and the table shows elsewhere (endpoint, pool).
_HIDDEN_LABELS = ("instance", "job")
_GENERATIONS = itertools.count()
_FIXED = (
    ("health", "Health", 7),
    ("scraped", "Last scrape", 11),
    ("duration", "Took", 8),
    ("interval", "Every", 6),
)


@dataclass(frozen=True, slots=True)
class TargetView:
    """What the panel shows, computed from Targets (pure; the benchmark times it)."""

    columns: tuple[Column, ...]
    rows: list[Row]
    up: int
    total: int


def _matches(target: Target, needle: str) -> bool:
    if not needle:
        return True
    haystack = " ".join(
        (target.scrape_url, target.scrape_pool, target.last_error, labels_text(target.labels))
    ).lower()
    return all(word in haystack for word in needle.lower().split())


def _target_cells(
    target: Target, now: float, colour: str, label_cache: dict[str, tuple[dict[str, str], str]]
) -> tuple[Cell, ...]:
    cached = label_cache.get(target.key)
    if cached is not None and cached[0] == target.labels:
        shown_labels = cached[1]
    else:
        shown_labels = clip(labels_text(target.labels, _HIDDEN_LABELS))
        label_cache[target.key] = (target.labels, shown_labels)
    scraped = target.last_scrape.timestamp() if target.last_scrape else None
    return (
        ("  " + target.scrape_url, ""),
        (shown_labels, "dim"),
        (target.health, "bold " + colour),
        (ago(scraped, now), ""),
        (seconds_text(target.last_scrape_duration), ""),
        (target.scrape_interval, ""),
    )


def _error_cells(target: Target, colour: str) -> tuple[Cell, ...]:
    error = clip(short_scrape_error(target.last_error, target.scrape_url))
    blank = ("", "")
    return (("    └ last error", colour), (error, colour), blank, blank, blank, blank)


def target_view(
    targets: Iterable[Target],
    *,
    now: float,
    width: int,
    health: str,
    needle: str,
    collapsed: frozenset[str],
    colours: dict[str, str],
    label_cache: dict[str, tuple[dict[str, str], str]] | None = None,
) -> TargetView:
    """The rows of the Targets table; a target's cells are formatted only when on screen.

    Each target row's version is the call that made it: every refresh changes its
    "last scrape" age anyway, and only the rows in view are formatted again.
    """
    cache = label_cache if label_cache is not None else {}
    generation = next(_GENERATIONS)
    pools: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        pools[target.scrape_pool].append(target)
    rows: list[Row] = []
    endpoint_width = 24
    up_total = total = 0
    blank = ("", "")
    for pool in sorted(pools):
        members = sorted(pools[pool], key=lambda t: t.scrape_url)
        up = sum(t.health == "up" for t in members)
        up_total += up
        total += len(members)
        shown = [
            t for t in members if (health == "all" or t.health == health) and _matches(t, needle)
        ]
        if not shown and (health != "all" or needle):
            continue
        marker = "▸" if pool in collapsed else "▾"
        header = Text.assemble(
            (f"{marker} {pool}  ", "bold"),
            (f"{up}/{len(members)} up", "bold " + colours["up" if up == len(members) else "down"]),
        )
        endpoint_width = max(endpoint_width, len(header.plain))
        rows.append(Row(f"pool|{pool}", (header, blank, blank, blank, blank, blank)))
        if pool in collapsed:
            continue
        for target in shown:
            key = target.key
            colour = colours[target.health]
            endpoint_width = max(endpoint_width, len(target.scrape_url) + 2)
            cells = partial(_target_cells, target, now, colour, cache)
            rows.append(Row(key, cells, generation))
            if target.health != "up" and target.last_error:
                rows.append(
                    Row(
                        f"{key}|error",
                        partial(_error_cells, target, colour),
                        (target.last_error, colour),
                        span=1,
                    )
                )
    fixed = sum(w for _, _, w in _FIXED)
    # Every column has one cell of padding on each side; keep 2 for the scrollbar.
    spare = width - fixed - 2 * (len(_FIXED) + 2) - 2
    # The endpoint is what people read first: narrow the labels before it.
    endpoint_width = min(endpoint_width, max(16, spare - 12))
    labels_width = max(12, spare - endpoint_width)
    columns = (
        Column("endpoint", "Endpoint", endpoint_width),
        Column("labels", "Labels", labels_width),
        *(Column(key, label, w) for key, label, w in _FIXED),
    )
    return TargetView(columns, rows, up_total, total)


def shortest_interval(targets: Targets) -> float | None:
    """The shortest scrape interval of the active targets, in seconds."""
    seconds = [parse_duration(text) for text in {t.scrape_interval for t in targets.active}]
    known = [s for s in seconds if s]
    return min(known) if known else None


def target_graph_queries(target: Target) -> list[str]:
    instance = promql_string(target.instance)
    return [f"up{{instance={instance}}}", f"scrape_duration_seconds{{instance={instance}}}"]


class HealthFilterLabel(Static):
    """`health: all`; a click cycles the filter like the `h` key."""

    def on_click(self) -> None:
        self.query_ancestor(TargetsPanel).action_cycle_health()


class TargetsPanel(Panel):
    panel_name = "targets"
    title = "Targets"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            id="targets.filter",
            tooltip="Type to show only targets whose URL, pool, labels or error contain the words",
        ),
        Binding(
            "h",
            "cycle_health",
            "Health",
            id="targets.health",
            tooltip="Show all targets, or only the up, down or unknown ones",
        ),
        Binding(
            "enter",
            "open_selected",
            "Graph",
            id="targets.graph",
            tooltip="Graph up{instance=…} and scrape_duration_seconds of the selected target "
            "(on a pool: fold or unfold it)",
        ),
    ]

    DEFAULT_CSS = """
    TargetsPanel #targets-bar { height: 1; }
    TargetsPanel #targets-filter { width: 1fr; height: 1; border: none; padding: 0 1; }
    TargetsPanel #targets-filter:focus { background: $boost; }
    TargetsPanel #targets-health { width: auto; padding: 0 1; }
    TargetsPanel #targets-summary { width: auto; padding: 0 1; }
    TargetsPanel #target-detail {
        height: auto; max-height: 5; padding: 0 1; background: $surface; color: $text-muted;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.targets: Targets | None = None
        self.fetched_at: float | None = None
        self.health_filter = "all"
        self.needle = ""
        self.collapsed: set[str] = set()
        self._by_key: dict[str, Target] = {}
        self._label_cache: dict[str, tuple[dict[str, str], str]] = {}
        self.last_view: TargetView | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="targets-bar"):
            yield Input(placeholder="/ filter targets…", id="targets-filter")
            yield HealthFilterLabel(id="targets-health")
            yield Static(id="targets-summary")
        yield KeyedTable(id="targets-table")
        yield Static("Waiting for the first answer…", id="target-detail")

    def on_mount(self) -> None:
        self._show_filter()

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#targets-table", KeyedTable)

    # ------------------------------------------------------------ data in

    def show_targets(self, targets: Targets, at: float) -> None:
        self.targets = targets
        self.fetched_at = at
        self._by_key = {t.key: t for t in targets.active}
        if len(self._label_cache) > 2 * len(self._by_key) + 64:
            self._label_cache.clear()
        self.changed()

    def colours(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {
            "up": rich_colour(variables, "health-up"),
            "down": rich_colour(variables, "health-down"),
            "unknown": rich_colour(variables, "health-unknown"),
        }

    def redraw(self) -> None:
        if self.targets is None:
            return
        table = self.table
        width = table.size.width or self.size.width or self.app.size.width
        view = target_view(
            self.targets.active,
            now=self.dash.now(),
            width=width,
            health=self.health_filter,
            needle=self.needle,
            collapsed=frozenset(self.collapsed),
            colours=self.colours(),
            label_cache=self._label_cache,
        )
        self.last_view = view
        with self.app.batch_update():
            table.sync(view.columns, view.rows)
            colour = self.colours()["up" if view.up == view.total else "down"]
            summary = Text.assemble((f"{view.up}/{view.total} up", f"bold {colour}"))
            if not view.rows and view.total:
                summary.append("  (none match the filter)", style="dim")
            show(self.query_one("#targets-summary", Static), summary)
            self._show_detail(table.cursor_key)

    def on_resize(self, event: Resize) -> None:
        if self.targets is not None:
            self.call_after_refresh(self.changed)

    # ------------------------------------------------------------ filtering

    def _show_filter(self) -> None:
        text = Text.assemble(("health: ", "dim"), (self.health_filter, "bold"))
        show(self.query_one("#targets-health", Static), text)

    def action_cycle_health(self) -> None:
        index = HEALTH_FILTERS.index(self.health_filter)
        self.set_health_filter(HEALTH_FILTERS[(index + 1) % len(HEALTH_FILTERS)])

    def action_set_health_filter(self, health: str) -> None:
        self.set_health_filter(health)

    def set_health_filter(self, health: str) -> None:
        self.health_filter = health
        self._show_filter()
        self.changed()

    def action_focus_filter(self) -> None:
        self.query_one("#targets-filter", Input).focus()

    @on(Input.Changed, "#targets-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value.strip()
        self.changed()

    @on(Input.Submitted, "#targets-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    # ------------------------------------------------------------ selection

    @on(KeyedTable.RowHighlighted, "#targets-table")
    def _highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        self._show_detail(event.key)

    @on(KeyedTable.RowSelected, "#targets-table")
    def _selected(self, event: KeyedTable.RowSelected) -> None:
        self.open_key(event.key)

    def action_open_selected(self) -> None:
        self.open_key(self.table.cursor_key)

    def open_key(self, key: str | None) -> None:
        if key is None:
            return
        if key.startswith("pool|"):
            pool = key.removeprefix("pool|")
            self.collapsed.symmetric_difference_update({pool})
            self.changed()
            return
        target = self._by_key.get(key.removesuffix("|error"))
        if target is not None:
            self.post_message(OpenGraphs(target_graph_queries(target), title=target.instance))

    def _show_detail(self, key: str | None) -> None:
        detail = self.query_one("#target-detail", Static)
        if key is None:
            show(detail, "")
            return
        if key.startswith("pool|"):
            pool = key.removeprefix("pool|")
            members = [t for t in self._by_key.values() if t.scrape_pool == pool]
            down = [t for t in members if t.health != "up"]
            text = Text.assemble(
                ("pool ", "dim"),
                (pool, "bold"),
                f"  {len(members)} targets, {len(down)} not up",
                ("  (Enter folds or unfolds)", "dim"),
            )
            show(detail, text)
            return
        target = self._by_key.get(key.removesuffix("|error"))
        if target is None:
            show(detail, "")
            return
        colours = self.colours()
        scraped = target.last_scrape.timestamp() if target.last_scrape else None
        text = Text()
        text.append(clip(target.scrape_url), style="bold")
        text.append("  ")
        text.append(target.health, style="bold " + colours[target.health])
        text.append(
            f"  scraped {ago(scraped, self.dash.now())} in "
            f"{seconds_text(target.last_scrape_duration)}, every {target.scrape_interval} "
            f"(timeout {target.scrape_timeout})"
        )
        text.append("\nlabels: ", style="dim")
        text.append(clip(labels_text(target.labels), DETAIL_LIMIT))
        if target.last_error:
            text.append("\nlast error: ", style="dim")
            text.append(clip(target.last_error, DETAIL_LIMIT), style=colours["down"])
        show(detail, text)
