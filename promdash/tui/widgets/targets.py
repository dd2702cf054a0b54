"""The Targets panel: scrape targets grouped by pool, health in colour, errors under down ones."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import attrgetter
from typing import ClassVar
from urllib.parse import urlsplit

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from promdash.present.text import DETAIL_LIMIT, clip, labels_text, short_scrape_error
from promdash.prom.promql import promql_string
from promdash.prom.types import Target, Targets
from promdash.timefmt import ago, seconds_text, shortest_interval
from promdash.tui.messages import OpenGraphs
from promdash.tui.themes import rich_colour
from promdash.tui.widgets.panel import Clock, FilterLabel, TablePanel, show
from promdash.tui.widgets.table import Cell, Column, KeyedTable, Row

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
# What a narrow panel gives up first: how often and how long a scrape takes matter
# less than which target it is (its endpoint and labels).
_DROPPED_FIRST = ("interval", "duration")
# Labels wider than this are not kept whole at the cost of a column.
_LABELS_WANTED = 30
_LABELS_MIN = 12


_POOL_URL = attrgetter("scrape_pool", "scrape_url")
# What a target's row depends on besides its times: where it goes (its health, under a
# filter its error and labels too), its error line, its labels and the columns' widths.
_PLACED = tuple(map(attrgetter, ("health", "last_error", "labels")))


def target_keys(targets: Sequence[Target]) -> list[str]:
    """Each target's `Target.key` (pool|URL), joined in C: 5,000 targets on every poll."""
    return list(map("|".join, map(_POOL_URL, targets)))


def up_count(targets: Sequence[Target]) -> int:
    return list(map(attrgetter("health"), targets)).count("up")


def placing(targets: Sequence[Target], keys: Sequence[str]) -> tuple[dict[str, object], ...] | None:
    """What places and words the targets' rows, by key: a poll whose placing is the one
    drawn changes only the times, and the tables draw again only the rows on screen.
    (A dict per field, made in C: no object per target for the collector to follow.)

    None when two targets have one key (one URL, labels told apart by relabelling):
    their placing does not tell them apart, so they are laid out on every poll.
    """
    placed = tuple(dict(zip(keys, map(field, targets), strict=True)) for field in _PLACED)
    return placed if len(placed[0]) == len(targets) else None


@dataclass(slots=True)
class Live:
    """What the targets' lazy rows read when drawn: the latest targets by key, and now.

    A poll that moves no row and changes no word but the times only puts its targets
    here (the rows stay), instead of building a row for each of 5,000 targets.
    """

    targets: dict[str, Target]
    now: float


@dataclass(frozen=True, slots=True)
class TargetView:
    """What the panel shows, computed from Targets (pure; the benchmark times it)."""

    columns: tuple[Column, ...]
    rows: list[Row]
    up: int
    total: int


@dataclass(frozen=True, slots=True)
class _Layout:
    """The columns a width allows: which fixed ones, the endpoint's form, the labels' room."""

    fixed: tuple[tuple[str, str, int], ...]
    short: bool  # host:port instead of the whole URL
    endpoint: int
    labels: int  # 0: no labels column


@lru_cache(maxsize=65536)  # a URL per target, asked on every refresh (5,000 and more)
def short_endpoint(url: str) -> str:
    """`url` without what most targets share: the scheme, and a path of /metrics.

    What tells two targets apart (host, port, another path, the query) stays.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.netloc:
        return url
    path = "" if parts.path in ("", "/metrics") else parts.path
    return parts.netloc + path + (f"?{parts.query}" if parts.query else "")


def _layout(width: int, full: int, short: int, labels: int) -> _Layout:
    """Fit the columns in `width`: whole endpoints and labels first, then fewer columns,
    then host:port, then shorter labels, last no labels.

    `full`, `short` and `labels` are the widths the content wants.
    """
    room = width - 2  # the scrollbar
    wanted = min(labels, _LABELS_WANTED)
    fixed = list(_FIXED)
    plans: list[tuple[list[tuple[str, str, int]], bool, int]] = []
    for drop in (None, *_DROPPED_FIRST):
        fixed = [column for column in fixed if column[0] != drop]
        plans.append((fixed, False, wanted))
    plans += [(fixed, True, wanted), (fixed, True, min(wanted, _LABELS_MIN))]
    for columns, is_short, labels_room in plans:
        endpoint = short if is_short else full
        # Every column has one cell of padding on each side.
        rest = room - sum(w + 2 for _, _, w in columns) - (endpoint + 2) - 2
        if rest >= labels_room:
            return _Layout(tuple(columns), is_short, endpoint, rest)
    endpoint = max(short, room - sum(w + 2 for _, _, w in fixed) - 2)
    return _Layout(tuple(fixed), True, endpoint, 0)


def _matches(
    target: Target, words: list[str], cache: dict[str, tuple[dict[str, str], str]]
) -> bool:
    """Whether every word is in the target's URL, pool, error or labels (any case).

    Its labels' text is kept between keystrokes (`cache`): 5,000 targets are searched
    again on each one, within a frame.
    """
    if not words:
        return True
    cached = cache.get("?" + target.key)
    if cached is not None and cached[0] == target.labels:
        labels = cached[1]
    else:
        labels = labels_text(target.labels).lower()
        cache["?" + target.key] = (target.labels, labels)
    haystack = f"{target.scrape_url} {target.scrape_pool} {target.last_error}".lower()
    return all(word in haystack or word in labels for word in words)


def _shown_labels(target: Target, label_cache: dict[str, tuple[dict[str, str], str]]) -> str:
    cached = label_cache.get(target.key)
    if cached is not None and cached[0] == target.labels:
        return cached[1]
    shown = clip(labels_text(target.labels, _HIDDEN_LABELS))
    label_cache[target.key] = (target.labels, shown)
    return shown


def _target_cells(
    live: Live,
    key: str,
    colour: str,
    label_cache: dict[str, tuple[dict[str, str], str]],
    layout: _Layout,
) -> tuple[Cell, ...]:
    target = live.targets[key]
    scraped = target.last_scrape.timestamp() if target.last_scrape else None
    url = short_endpoint(target.scrape_url) if layout.short else target.scrape_url
    cells: dict[str, Cell] = {
        "health": (target.health, "bold " + colour),
        "scraped": (ago(scraped, live.now), ""),
        "duration": (seconds_text(target.last_scrape_duration), ""),
        "interval": (target.scrape_interval, ""),
    }
    shown: tuple[Cell, ...] = (("  " + url, ""),)
    if layout.labels:
        shown += ((_shown_labels(target, label_cache), "dim"),)
    return shown + tuple(cells[key] for key, _, _ in layout.fixed)


def _error_cells(target: Target, colour: str) -> tuple[Cell, ...]:
    # The error spans every column after the first (Row.span).
    error = clip(short_scrape_error(target.last_error, target.scrape_url))
    return (("    └ last error", colour), (error, colour))


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
    live: Live | None = None,
) -> TargetView:
    """The rows of the Targets table; a target's cells are formatted only when on screen.

    Each target row's version is the call that made it: every refresh changes its
    "last scrape" age anyway, and only the rows in view are formatted again. A
    target's row reads it from `live` (made from `targets` and `now` when not given).
    The columns are chosen for `width` (see `_layout`).
    """
    if live is None:
        targets = list(targets)
        live = Live(dict(zip(target_keys(targets), targets, strict=True)), now)
    cache = label_cache if label_cache is not None else {}
    generation = next(_GENERATIONS)
    pools: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        pools[target.scrape_pool].append(target)
    up_total = total = 0
    # (pool header, its targets on screen) in order; the widths they want.
    listed: list[tuple[str, Text, list[Target]]] = []
    words = needle.lower().split()
    full = 16
    labels = 0
    for pool in sorted(pools):
        members = sorted(pools[pool], key=lambda t: t.scrape_url)
        up = sum(t.health == "up" for t in members)
        up_total += up
        total += len(members)
        shown = [
            t
            for t in members
            if (health == "all" or t.health == health) and _matches(t, words, cache)
        ]
        if not shown and (health != "all" or needle):
            continue
        # A filter asks to see what it matches: a folded pool opens for it.
        folded = pool in collapsed and health == "all" and not needle
        marker = "▸" if folded else "▾"
        header = Text.assemble(
            (f"{marker} {pool}  ", "bold"),
            (f"{up}/{len(members)} up", "bold " + colours["up" if up == len(members) else "down"]),
        )
        on_screen = [] if folded else shown
        listed.append((pool, header, on_screen))
        for target in on_screen:
            full = max(full, len(target.scrape_url) + 2)
            labels = max(labels, len(_shown_labels(target, cache)))
    urls = [t.scrape_url for _, _, on_screen in listed for t in on_screen]
    short = max([16, *(len(short_endpoint(url)) + 2 for url in urls)])
    layout = _layout(width, full, short, labels)
    rows: list[Row] = []
    for pool, header, on_screen in listed:
        # The pool's line is one cell across the table: its name is never cut by a column.
        rows.append(Row(f"pool|{pool}", (header,), span=0))
        for target in on_screen:
            key = target.key
            colour = colours[target.health]
            cells = partial(_target_cells, live, key, colour, cache, layout)
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
    columns = [Column("endpoint", "Endpoint", layout.endpoint)]
    if layout.labels:
        columns.append(Column("labels", "Labels", layout.labels))
    columns += [Column(key, label, w) for key, label, w in layout.fixed]
    return TargetView(tuple(columns), rows, up_total, total)


def scrape_interval(targets: Targets) -> float | None:
    """The shortest scrape interval of the active targets, in seconds."""
    return shortest_interval(t.scrape_interval for t in targets.active)


def target_graph_queries(target: Target) -> list[str]:
    instance = promql_string(target.instance)
    return [f"up{{instance={instance}}}", f"scrape_duration_seconds{{instance={instance}}}"]


class FilterInput(Input):
    """The text filter: Escape leaves it (the filter stays), as Enter does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Done",
            show=False,
            id="targets.filter.leave",
            tooltip="Leave the filter and go back to the targets (the filter stays applied)",
        )
    ]

    class Left(Message):
        """The user is done typing the filter."""

    def action_leave(self) -> None:
        self.post_message(self.Left())


class TargetsPanel(TablePanel):
    panel_name = "targets"
    title = "Targets"
    table_id = "targets-table"
    filter_name = "health"
    filter_values = HEALTH_FILTERS

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

    def __init__(self, *, clock: Clock = time.time, id: str | None = None) -> None:
        super().__init__(clock=clock, id=id)
        self.targets: Targets | None = None
        self.needle = ""
        self.collapsed: set[str] = set()
        self._keys: list[str] = []
        self._by_key: dict[str, Target] = {}
        self._label_cache: dict[str, tuple[dict[str, str], str]] = {}
        self._live = Live({}, 0.0)  # what the table's target rows read
        self._drawn: tuple[object, ...] | None = None  # the placing and choices drawn
        self._counts = (0, 0, False)  # up, total, and whether any row shows

    def compose(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="targets-bar"):
            yield FilterInput(placeholder="/ filter targets…", id="targets-filter")
            yield FilterLabel(id="targets-health")
            yield Static(id="targets-summary")
        yield KeyedTable(id="targets-table")
        yield Static("Waiting for the first answer…", id="target-detail")

    @property
    def health_filter(self) -> str:
        return self.filter_value

    # ------------------------------------------------------------ data in

    def show_targets(self, targets: Targets) -> None:
        self.targets = targets
        active = targets.active
        self._keys = target_keys(active)
        self._by_key = dict(zip(self._keys, active, strict=True))
        if len(self._label_cache) > 4 * len(self._by_key) + 64:  # shown and searched
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
        active = self.targets.active
        width = table.size.width or self.size.width or self.app.size.width
        colours = self.colours()
        collapsed = frozenset(self.collapsed)
        filters = (self.health_filter, self.needle, collapsed)
        drawn = (placing(active, self._keys), width, filters, colours)
        with self.app.batch_update():
            if drawn[0] is not None and drawn == self._drawn:
                # Only the times changed: the rows stay, the ones on screen are drawn again.
                self._live.targets, self._live.now = self._by_key, self.clock()
                table.redraw_lazy()
            else:
                self._live = Live(self._by_key, self.clock())
                view = target_view(
                    active,
                    now=self._live.now,
                    width=width,
                    health=self.health_filter,
                    needle=self.needle,
                    collapsed=collapsed,
                    colours=colours,
                    label_cache=self._label_cache,
                    live=self._live,
                )
                table.sync(view.columns, view.rows)
                self._drawn = drawn
                self._counts = (view.up, view.total, bool(view.rows))
            up, total, any_rows = self._counts
            colour = colours["up" if up == total else "down"]
            summary = Text.assemble((f"{up}/{total} up", f"bold {colour}"))
            if not any_rows and total:
                summary.append("  (none match the filter)", style="dim")
            show(self.query_one("#targets-summary", Static), summary)
            self.show_detail(table.cursor_key)

    def has_data(self) -> bool:
        return self.targets is not None

    # ------------------------------------------------------------ filtering

    def action_cycle_health(self) -> None:
        self.cycle_filter()

    def action_set_health_filter(self, health: str) -> None:
        self.set_filter(health)

    def action_focus_filter(self) -> None:
        self.query_one("#targets-filter", Input).focus()

    @on(Input.Changed, "#targets-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value.strip()
        self.changed()

    @on(Input.Submitted, "#targets-filter")
    @on(FilterInput.Left)
    def _filter_done(self) -> None:
        self.table.focus()

    # ------------------------------------------------------------ selection

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
            graphs = OpenGraphs(target_graph_queries(target), title=target.instance)
            self.post_message(graphs.set_sender(self))

    def show_detail(self, key: str | None) -> None:
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
            f"  scraped {ago(scraped, self.clock())} in "
            f"{seconds_text(target.last_scrape_duration)}, every {target.scrape_interval} "
            f"(timeout {target.scrape_timeout})"
        )
        text.append("\nlabels: ", style="dim")
        text.append(clip(labels_text(target.labels), DETAIL_LIMIT))
        if target.last_error:
            text.append("\nlast error: ", style="dim")
            text.append(clip(target.last_error, DETAIL_LIMIT), style=colours["down"])
        show(detail, text)
