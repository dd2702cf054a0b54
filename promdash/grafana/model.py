"""A Grafana dashboard's JSON model as plain values: panels in layout order, rows, variables.

The file is decoded as the house decodes API answers (`promdash.prom.wire`): msgspec
Structs shaped like the JSON, unknown fields ignored (every Grafana version adds its
own), and a value of the wrong shape is ONE `DashboardError` line naming the file and
the JSON path: `demo.json: panels[2].gridPos.h: expected a number, got a string`.

Strict where promdash draws (layout, targets, units, thresholds), lenient elsewhere:
a panel type promdash does not know keeps its type name, title and place, and its
options are not read, so a plugin's own JSON can never refuse a dashboard.

What is read follows Grafana's dashboard JSON model (grafana.com/docs, "JSON model"):
panels are sorted by gridPos (y, then x) as Grafana does on load; a collapsed row
carries its panels in its own `panels`, an open row owns the panels after it up to the
next row (Node Exporter Full uses both). Legacy panels (`graph`, `singlestat`, `text`
before Grafana 7) are read from their old fields: `yaxes[0]`, `stack`, `format`,
`valueName`, `sparkline`, `content`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from msgspec import Struct

from promdash.errors import DashboardError, one_line
from promdash.prom.wire import describe

S = TypeVar("S")


# ---------------------------------------------------------------- the values


@dataclass(frozen=True, slots=True)
class GridPos:
    """Grafana's grid: 24 columns; `h` in units of about 30 px."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class DataSource:
    """A panel's, target's or variable's datasource: a reference (`uid`, `type`) or, in
    old dashboards, a name (which may be a variable such as `${DS_PROMETHEUS}`)."""

    uid: str = ""
    type: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    expr: str
    legend_format: str = ""
    ref_id: str = ""
    instant: bool = False
    range: bool = True  # neither set: a range query, as Grafana runs old dashboards' targets
    hide: bool = False
    interval: str = ""  # the query's "Min step"
    format: str = ""  # time_series, table, heatmap
    datasource: DataSource | None = None


@dataclass(frozen=True, slots=True)
class Threshold:
    color: str
    value: float | None  # None: the base step, from -Inf


@dataclass(frozen=True, slots=True)
class Thresholds:
    mode: str  # "absolute" or "percentage" (of min..max)
    steps: tuple[Threshold, ...]

    def active(
        self, value: float, low: float | None = None, high: float | None = None
    ) -> Threshold:
        """The step a value falls in, as Grafana picks it: the last whose value is at most
        `value` (in percentage mode, of `low`..`high`); the base step below every other."""
        if self.mode == "percentage" and low is not None and high is not None and high > low:
            value = (value - low) / (high - low) * 100
        chosen = self.steps[0]
        for step in self.steps:
            if step.value is None or value >= step.value:
                chosen = step
        return chosen


@dataclass(frozen=True, slots=True)
class Panel:
    type: str
    title: str
    grid: GridPos
    id: int | None = None
    description: str = ""
    targets: tuple[Target, ...] = ()
    datasource: DataSource | None = None
    unit: str = ""
    decimals: int | None = None
    min: float | None = None
    max: float | None = None
    thresholds: Thresholds | None = None
    stacking: str = "none"  # none, normal, percent
    hidden_series: tuple[str, ...] = ()  # series hidden from the plot (legend clicks)
    shown_only: tuple[str, ...] = ()  # "show only these" (a legend isolate), if any
    calcs: tuple[str, ...] = ()  # the reduce of stat/gauge/bargauge: lastNotNull, mean, ...
    graph_mode: str = ""  # stat: "area" draws a sparkline, "none" does not
    renames: dict[str, str] = field(default_factory=dict)  # table columns, organize transform
    hidden_columns: tuple[str, ...] = ()
    content: str = ""  # text panel
    mode: str = ""  # text panel: markdown, html, code
    interval: str = ""  # "Min interval" of the query options
    max_data_points: int | None = None
    repeat: str = ""  # the variable the panel repeats for


@dataclass(frozen=True, slots=True)
class Row:
    """A row: collapsed, it hides `panels`; open, `panels` are the ones below it."""

    title: str
    grid: GridPos
    collapsed: bool
    panels: tuple[Panel, ...] = ()
    id: int | None = None
    repeat: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    text: str
    value: str
    selected: bool = False


ALL = "$__all"  # the value Grafana stores for "All"


@dataclass(frozen=True, slots=True)
class Variable:
    """One entry of `templating.list`; `current` values are a tuple (one item unless multi)."""

    name: str
    type: str  # query, custom, constant, interval, textbox, datasource, adhoc, ...
    query: str = ""
    label: str = ""
    definition: str = ""
    regex: str = ""
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    current_text: tuple[str, ...] = ()
    current_value: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    hide: int = 0  # 0 shown, 1 label hidden, 2 variable hidden
    datasource: DataSource | None = None
    refresh: int = 1  # 0 never, 1 on load, 2 on time range change
    sort: int = 0
    auto: bool = False  # interval variables: an "auto" option
    auto_count: int = 30
    auto_min: str = "10s"

    @property
    def is_all(self) -> bool:
        return ALL in self.current_value


@dataclass(frozen=True, slots=True)
class Dashboard:
    title: str
    uid: str
    time_from: str  # as Grafana writes it: now-6h
    time_to: str  # now
    refresh: str  # "" when the dashboard does not refresh
    layout: tuple[Panel | Row, ...]  # panels before the first row, then rows owning theirs
    variables: tuple[Variable, ...] = ()
    source: str = ""  # the file it came from

    def panels(self) -> list[Panel]:
        """Every panel that is not a row, in layout order, collapsed rows' included."""
        found: list[Panel] = []
        for item in self.layout:
            found.extend(item.panels if isinstance(item, Row) else (item,))
        return found

    def visible(self) -> list[Panel | Row]:
        """What a screen lays out: rows as headers, an open row's panels after it."""
        shown: list[Panel | Row] = []
        for item in self.layout:
            shown.append(item)
            if isinstance(item, Row) and not item.collapsed:
                shown.extend(item.panels)
        return shown

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)


# ---------------------------------------------------------------- the JSON model


class _DSRef(Struct):
    uid: str | None = None
    type: str | None = None


_DataSource = str | _DSRef | None


class _GridPos(Struct):
    h: float = 8
    w: float = 12
    x: float = 0
    y: float = 0


class _Target(Struct, rename="camel"):
    expr: str | None = None
    legend_format: str | None = None
    ref_id: str | None = None
    instant: bool | None = None
    range: bool | None = None
    hide: bool | None = None
    interval: str | None = None
    format: str | None = None
    datasource: _DataSource = None


class _Step(Struct):
    color: str = ""
    value: float | None = None


class _Thresholds(Struct):
    mode: str = "absolute"
    steps: list[_Step] | None = None


class _Stacking(Struct):
    mode: str = "none"


class _Custom(Struct):
    stacking: _Stacking | None = None


class _Defaults(Struct):
    unit: str | None = None
    decimals: float | None = None
    min: float | None = None
    max: float | None = None
    thresholds: _Thresholds | None = None
    custom: _Custom | None = None


class _Matcher(Struct):
    id: str = ""
    options: Any = None


class _Property(Struct):
    id: str = ""
    value: Any = None


class _Override(Struct):
    matcher: _Matcher | None = None
    properties: list[_Property] | None = None


class _FieldConfig(Struct):
    defaults: _Defaults | None = None
    overrides: list[_Override] | None = None


class _Reduce(Struct):
    calcs: list[str] | None = None


class _Options(Struct, rename="camel"):
    reduce_options: _Reduce | None = None
    graph_mode: str | None = None
    content: str | None = None
    mode: str | None = None


class _Transformation(Struct):
    id: str = ""
    options: Any = None


class _YAxis(Struct):
    format: str | None = None
    decimals: float | None = None
    min: str | float | None = None
    max: str | float | None = None


class _Sparkline(Struct):
    show: bool | None = None


class _Base(Struct, rename="camel"):
    """What every panel has, whatever its type; enough to place and name it."""

    type: str = ""
    id: int | None = None
    title: str | None = None
    description: str | None = None
    grid_pos: _GridPos = msgspec.field(default_factory=_GridPos)
    repeat: str | None = None


class _Row(_Base):
    collapsed: bool | None = None
    panels: list[dict[str, Any]] | None = None


class _Panel(_Base):
    targets: list[_Target] | None = None
    datasource: _DataSource = None
    field_config: _FieldConfig | None = None
    options: _Options | None = None
    transformations: list[_Transformation] | None = None
    interval: str | None = None
    max_data_points: float | None = None
    # legacy panels (graph, singlestat, text before Grafana 7)
    yaxes: list[_YAxis] | None = None
    stack: bool | None = None
    percentage: bool | None = None
    format: str | None = None
    decimals: float | None = None
    value_name: str | None = None
    sparkline: _Sparkline | None = None
    content: str | None = None
    mode: str | None = None


class _Current(Struct):
    text: Any = None
    value: Any = None


class _Option(Struct):
    text: Any = None
    value: Any = None
    selected: bool | None = None


class _Variable(Struct, rename="camel"):
    name: str
    type: str = "query"
    label: str | None = None
    query: Any = None  # a string, or the variable editor's object {query: ...}
    definition: str | None = None
    regex: str | None = None
    multi: bool | None = None
    include_all: bool | None = None
    all_value: str | None = None
    current: _Current | None = None
    options: list[_Option] | None = None
    hide: int | None = None
    datasource: _DataSource = None
    refresh: int | bool | None = None
    sort: int | None = None
    auto: bool | None = None
    # interval variables write these two in snake case
    auto_count: int | None = msgspec.field(default=None, name="auto_count")
    auto_min: str | None = msgspec.field(default=None, name="auto_min")


class _Templating(Struct):
    entries: list[dict[str, Any]] | None = msgspec.field(default=None, name="list")


class _Time(Struct):
    start: str = msgspec.field(default="now-6h", name="from")
    to: str = "now"


class _Dashboard(Struct):
    title: str | None = None
    uid: str | None = None
    time: _Time | None = None
    refresh: str | bool | None = None
    panels: list[dict[str, Any]] | None = None
    templating: _Templating | None = None
    rows: list[Any] | None = None  # before Grafana 5: no gridPos layout


class _Export(Struct):
    """The API's and the "Export" button's wrapper: {"dashboard": {...}, "meta": {...}}."""

    dashboard: dict[str, Any] | None = None


_DECODER = msgspec.json.Decoder(_Dashboard)
_EXPORT = msgspec.json.Decoder(_Export)

# Panel types whose options promdash reads; any other keeps just its place and name.
DRAWN_TYPES = frozenset(
    {"timeseries", "graph", "stat", "singlestat", "gauge", "bargauge", "table",
     "table-old", "heatmap", "text", "row"}
)  # fmt: skip


# ---------------------------------------------------------------- loading


def load_dashboard(path: str | Path) -> Dashboard:
    """A dashboard from a JSON file; `DashboardError` (one line) when it cannot be used."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DashboardError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_dashboard(raw, str(path))


def parse_dashboard(raw: bytes, source: str = "dashboard") -> Dashboard:
    """A dashboard from JSON bytes; `source` names it in errors (a file path)."""
    try:
        wire = _DECODER.decode(raw)
        if wire.panels is None and wire.rows is None:
            wrapped = _EXPORT.decode(raw).dashboard
            if wrapped is not None:
                wire = _convert(wrapped, _Dashboard, source, "dashboard")
    except msgspec.ValidationError as exc:  # a DecodeError too: first
        raise DashboardError(one_line(f"{source}: {describe(exc)}")) from None
    except msgspec.DecodeError as exc:
        raise DashboardError(one_line(f"{source}: not JSON ({exc})")) from None
    if wire.rows and not wire.panels:
        raise DashboardError(
            f"{source}: rows: a dashboard from before Grafana 5 (no gridPos layout); "
            "open and save it in a newer Grafana first"
        )
    time = wire.time or _Time()
    refresh = wire.refresh if isinstance(wire.refresh, str) else ""
    layout = _layout(wire.panels or [], source, "panels")
    raw_variables = (wire.templating.entries if wire.templating else None) or []
    variables = tuple(
        _variable(_convert(item, _Variable, source, f"templating.list[{i}]"))
        for i, item in enumerate(raw_variables)
    )
    return Dashboard(
        title=wire.title or "",
        uid=wire.uid or "",
        time_from=time.start,
        time_to=time.to,
        refresh=refresh,
        layout=layout,
        variables=variables,
        source=source,
    )


def _convert(raw: Any, kind: type[S], source: str, where: str) -> S:
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        problem = describe(exc)
        if ": " in problem:  # `path: what`, relative to `raw`
            joint = "" if problem.startswith("[") else "."
            raise DashboardError(one_line(f"{source}: {where}{joint}{problem}")) from None
        raise DashboardError(one_line(f"{source}: {where}: {problem}")) from None


def _by_place(
    items: list[tuple[_Base, dict[str, Any], str]],
) -> list[tuple[_Base, dict[str, Any], str]]:
    # Grafana sorts panels by gridPos on load: top to bottom, then left to right.
    return sorted(items, key=lambda item: (item[0].grid_pos.y, item[0].grid_pos.x))


def _layout(raw_panels: list[dict[str, Any]], source: str, where: str) -> tuple[Panel | Row, ...]:
    bases = [
        (_convert(raw, _Base, source, f"{where}[{i}]"), raw, f"{where}[{i}]")
        for i, raw in enumerate(raw_panels)
    ]
    layout: list[Panel | Row] = []
    row: Row | None = None
    owned: list[Panel] = []
    for base, raw, path in _by_place(bases):
        if base.type == "row":
            if row is not None:
                layout.append(_with_panels(row, owned))
            row, owned = _row(_convert(raw, _Row, source, path), source, path), []
        elif row is not None and not row.collapsed:
            owned.append(_panel(base, raw, source, path))
        else:
            # A panel below a collapsed row is not the row's (its panels are inside it).
            if row is not None:
                layout.append(row)
                row = None
            layout.append(_panel(base, raw, source, path))
    if row is not None:
        layout.append(_with_panels(row, owned))
    return tuple(layout)


def _with_panels(row: Row, owned: list[Panel]) -> Row:
    if row.collapsed or not owned:
        return row
    return Row(row.title, row.grid, row.collapsed, (*row.panels, *owned), row.id, row.repeat)


def _row(wire: _Row, source: str, path: str) -> Row:
    nested = [
        (_convert(raw, _Base, source, f"{path}.panels[{i}]"), raw, f"{path}.panels[{i}]")
        for i, raw in enumerate(wire.panels or [])
    ]
    panels = tuple(_panel(base, raw, source, where) for base, raw, where in _by_place(nested))
    return Row(
        title=wire.title or "",
        grid=_grid(wire.grid_pos),
        collapsed=bool(wire.collapsed),
        panels=panels,
        id=wire.id,
        repeat=wire.repeat or "",
    )


def _grid(pos: _GridPos) -> GridPos:
    return GridPos(x=round(pos.x), y=round(pos.y), w=round(pos.w), h=round(pos.h))


def _datasource(value: _DataSource) -> DataSource | None:
    if value is None:
        return None
    if isinstance(value, str):
        return DataSource(name=value)
    return DataSource(uid=value.uid or "", type=value.type or "")


def _panel(base: _Base, raw: dict[str, Any], source: str, path: str) -> Panel:
    if base.type not in DRAWN_TYPES:
        return Panel(
            type=base.type,
            title=base.title or "",
            grid=_grid(base.grid_pos),
            id=base.id,
            description=base.description or "",
            repeat=base.repeat or "",
        )
    wire = _convert(raw, _Panel, source, path)
    fc = wire.field_config or _FieldConfig()
    defaults = fc.defaults or _Defaults()
    axis = wire.yaxes[0] if wire.yaxes else _YAxis()
    options = wire.options or _Options()
    decimals = _first(defaults.decimals, axis.decimals, wire.decimals)
    content = options.content if options.content is not None else wire.content
    hidden, shown_only = _hidden_series(fc.overrides or [])
    renames, hidden_columns = _organize(wire.transformations or [])
    return Panel(
        type=wire.type,
        title=wire.title or "",
        grid=_grid(wire.grid_pos),
        id=wire.id,
        description=wire.description or "",
        targets=tuple(_target(t) for t in wire.targets or ()),
        datasource=_datasource(wire.datasource),
        unit=defaults.unit or axis.format or wire.format or "",
        decimals=None if decimals is None else int(decimals),
        min=_first(defaults.min, _number(axis.min)),
        max=_first(defaults.max, _number(axis.max)),
        thresholds=_thresholds(defaults.thresholds),
        stacking=_stacking(wire, defaults),
        hidden_series=hidden,
        shown_only=shown_only,
        calcs=_calcs(wire, options),
        graph_mode=_graph_mode(wire, options),
        renames=renames,
        hidden_columns=hidden_columns,
        content=content or "",
        mode=(options.mode if options.mode is not None else wire.mode) or "",
        interval=wire.interval or "",
        max_data_points=None if wire.max_data_points is None else int(wire.max_data_points),
        repeat=wire.repeat or "",
    )


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _number(value: str | float | None) -> float | None:
    """Legacy axes write min/max as strings ("0") or null; anything else is no limit."""
    if value is None or isinstance(value, float):
        return value
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _target(wire: _Target) -> Target:
    instant = bool(wire.instant)
    return Target(
        expr=wire.expr or "",
        legend_format=wire.legend_format or "",
        ref_id=wire.ref_id or "",
        instant=instant,
        range=bool(wire.range) or not instant,
        hide=bool(wire.hide),
        interval=wire.interval or "",
        format=wire.format or "",
        datasource=_datasource(wire.datasource),
    )


def _thresholds(wire: _Thresholds | None) -> Thresholds | None:
    if wire is None or not wire.steps:
        return None
    # The base step (value null) comes first; the others by value, as Grafana sorts them.
    steps = sorted(
        (Threshold(color=s.color, value=s.value) for s in wire.steps),
        key=lambda s: -math.inf if s.value is None else s.value,
    )
    return Thresholds(mode=wire.mode or "absolute", steps=tuple(steps))


def _stacking(wire: _Panel, defaults: _Defaults) -> str:
    custom = defaults.custom
    if custom is not None and custom.stacking is not None:
        return custom.stacking.mode or "none"
    if wire.stack:
        return "percent" if wire.percentage else "normal"
    return "none"


def _hides_plot(properties: list[_Property]) -> bool:
    return any(
        p.id == "custom.hideFrom" and isinstance(p.value, dict) and p.value.get("viz") is True
        for p in properties
    )


def _hidden_series(overrides: list[_Override]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Series hidden by simple overrides: `byName` hides one; `byNames` in "exclude" mode is
    the legend's "show only this" and hides all but `names`. Other matchers are not read."""
    hidden: list[str] = []
    shown_only: list[str] = []
    for override in overrides:
        matcher = override.matcher
        if matcher is None or not _hides_plot(override.properties or []):
            continue
        options = matcher.options
        if matcher.id == "byName" and isinstance(options, str):
            hidden.append(options)
        elif matcher.id == "byNames" and isinstance(options, dict):
            names = [n for n in options.get("names") or () if isinstance(n, str)]
            if options.get("mode") == "exclude":
                shown_only.extend(names)
            else:
                hidden.extend(names)
    return tuple(hidden), tuple(shown_only)


def _organize(transformations: list[_Transformation]) -> tuple[dict[str, str], tuple[str, ...]]:
    renames: dict[str, str] = {}
    hidden: list[str] = []
    for step in transformations:
        if step.id != "organize" or not isinstance(step.options, dict):
            continue
        by_name = step.options.get("renameByName")
        if isinstance(by_name, dict):
            renames.update({k: v for k, v in by_name.items() if isinstance(v, str) and v})
        excluded = step.options.get("excludeByName")
        if isinstance(excluded, dict):
            hidden.extend(k for k, v in excluded.items() if v is True)
    return renames, tuple(hidden)


# singlestat's valueName in the reducer ids stat panels use
_LEGACY_CALCS = {"current": "lastNotNull", "avg": "mean", "total": "sum", "name": "lastNotNull"}


def _calcs(wire: _Panel, options: _Options) -> tuple[str, ...]:
    if options.reduce_options is not None and options.reduce_options.calcs:
        return tuple(options.reduce_options.calcs)
    if wire.value_name:
        return (_LEGACY_CALCS.get(wire.value_name, wire.value_name),)
    return ()


def _graph_mode(wire: _Panel, options: _Options) -> str:
    if options.graph_mode is not None:
        return options.graph_mode
    if wire.sparkline is not None and wire.sparkline.show:
        return "area"
    return ""


# ---------------------------------------------------------------- variables


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_text(v) for v in value if v is not None)
    return (_text(value),)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _query_text(query: Any) -> str:
    """A variable's query: a string, or the Prometheus variable editor's object."""
    if isinstance(query, str):
        return query
    if isinstance(query, dict):
        inner = query.get("query")
        if isinstance(inner, str) and inner:
            return inner
        label, metric = query.get("label"), query.get("metric")
        if isinstance(label, str) and label:  # qryType 1: label values
            return f"label_values({metric}, {label})" if metric else f"label_values({label})"
        if isinstance(metric, str) and metric:  # qryType 2: metric names
            return f"metrics({metric})"
    if isinstance(query, int | float) and not isinstance(query, bool):
        return _text(query)
    return ""


def _variable(wire: _Variable) -> Variable:
    current = wire.current or _Current()
    options = tuple(
        Option(text=_text(o.text if o.text is not None else o.value),
               value=_text(o.value if o.value is not None else o.text),
               selected=bool(o.selected))
        for o in wire.options or ()
        if o.value is not None or o.text is not None
    )  # fmt: skip
    refresh = wire.refresh
    return Variable(
        name=wire.name,
        type=wire.type,
        query=_query_text(wire.query),
        label=wire.label or "",
        definition=wire.definition or "",
        regex=wire.regex or "",
        multi=bool(wire.multi),
        include_all=bool(wire.include_all),
        all_value=wire.all_value or None,
        current_text=_texts(current.text),
        current_value=_texts(current.value),
        options=options,
        hide=wire.hide or 0,
        datasource=_datasource(wire.datasource),
        refresh=1 if refresh is None else int(refresh),
        sort=wire.sort or 0,
        auto=bool(wire.auto),
        auto_count=wire.auto_count or 30,
        auto_min=wire.auto_min or "10s",
    )
