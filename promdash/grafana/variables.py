"""Template variables as Grafana's Prometheus datasource uses them, without a server.

Interpolation (`interpolate`) follows Grafana's template service and Prometheus
datasource (public/app/features/templating/template_srv.ts, the scenes format
registry, plugins/datasource/prometheus `interpolateQueryExpr`):
- `$var`, `${var}`, `${var:format}`, `[[var]]`, `[[var:format]]`; a name that is not
  a variable is left as written (`$instance_name` is not `$instance` + `_name`);
- no format: a variable that is neither multi nor All escapes `\\` and `'` only; one
  that is gets each value regex-escaped for a PromQL string (`\\\\.`), more than one
  joined as `(a|b)`; All is every option's value that way, or the custom all value
  as written (itself interpolated);
- formats regex, pipe, csv, raw, text, glob, json, singlequote, doublequote,
  sqlstring, queryparam, percentencode, lucene, html; an unknown one is glob, as in
  Grafana.

The built-ins (`builtins`) are computed as Grafana's backend does (pkg/promlib
models/query.go, intervalv2, plugin SDK gtime): the step is the range over the
panel's max data points rounded to Grafana's "nice" table, at least the min step (or
scrape interval), and at least range / 11,000; `$__rate_interval` is
max(step + scrape interval, 4 x scrape interval), the scrape interval being the
query's min step when it has one.

Resolution (`resolve`) takes anything with PromClient's `label_names`,
`label_values`, `series` and `query` (the `VariableSource` protocol), runs variables
in dependency order and keeps a current selection that is still offered.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from promdash import timefmt
from promdash.errors import DashboardError
from promdash.grafana.model import ALL, Dashboard, Option, Panel, Target, Variable, load_dashboard
from promdash.prom.types import QueryResult

# Grafana's variableRegex: $var | [[var]] / [[var:fmt]] | ${var} / ${var.path} / ${var:fmt}
VARIABLE = re.compile(
    r"\$(\w+)|\[\[([\s\S]+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}"
)
AUTO_INTERVAL = "$__auto_interval_"


# ---------------------------------------------------------------- interpolation


def interpolate(
    text: str, variables: Mapping[str, Variable], builtins: Mapping[str, str] | None = None
) -> str:
    """`text` with every variable replaced as Grafana sends it to Prometheus."""
    extra = builtins or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6) or ""
        if name in extra:
            return extra[name]
        variable = variables.get(name)
        if variable is None:
            return match.group(0)
        return _format(variable, fmt, variables, extra)

    return VARIABLE.sub(substitute, text)


def references(text: str) -> set[str]:
    """The names `text` refers to with any of the variable syntaxes."""
    return {m.group(1) or m.group(2) or m.group(4) for m in VARIABLE.finditer(text)}


def by_name(variables: Sequence[Variable]) -> dict[str, Variable]:
    return {v.name: v for v in variables}


def _format(
    variable: Variable, fmt: str, variables: Mapping[str, Variable], extra: Mapping[str, str]
) -> str:
    fmt_id, _, _args = fmt.partition(":")
    fmt_id = fmt_id.lower()
    values = list(variable.current_value)
    texts = list(variable.current_text)
    many = variable.multi
    if variable.is_all:
        if variable.all_value and fmt_id not in ("text", "percentencode", "queryparam"):
            # Grafana skips formatting a custom all value: `.*` stays `.*`.
            return interpolate(variable.all_value, variables, extra)
        values = [o.value for o in variable.options if o.value != ALL]
        texts, many = ["All"], True
    if fmt_id == "":
        return prometheus_value(values, regex=variable.multi or variable.include_all)
    if fmt_id == "text":
        return " + ".join(texts)
    single = values[0] if len(values) == 1 and not many else None
    return _FORMATS.get(fmt_id, _glob)(values, single, variable.name)


_REGEX_META = re.compile(r"[$^*{}\[\]+?.()|]")


def prometheus_value(values: Sequence[str], *, regex: bool) -> str:
    """Values as the Prometheus datasource writes them into a query (classic escaping)."""
    if not regex:
        return ",".join(v.replace("\\", "\\\\").replace("'", "\\\\'") for v in values)
    escaped = [_REGEX_META.sub(r"\\\\\g<0>", v.replace("\\", "\\\\\\\\")) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def escape_regex(value: str) -> str:
    """Grafana's escapeRegex (the `regex` format): one backslash before each metacharacter."""
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", r"\\\g<0>", value)


Formatter = Callable[[list[str], str | None, str], str]


def _regex(values: list[str], single: str | None, name: str) -> str:
    if single is not None or len(values) == 1:
        return escape_regex(values[0])
    return "(" + "|".join(escape_regex(v) for v in values) + ")"


def _glob(values: list[str], single: str | None, name: str) -> str:
    return "{" + ",".join(values) + "}" if len(values) > 1 else ",".join(values)


def _json(values: list[str], single: str | None, name: str) -> str:
    return single if single is not None else json.dumps(values, separators=(",", ":"))


def _quoted(quote: str) -> Formatter:
    def format_(values: list[str], single: str | None, name: str) -> str:
        return ",".join(quote + v.replace(quote, "\\" + quote) + quote for v in values)

    return format_


def _sqlstring(values: list[str], single: str | None, name: str) -> str:
    return ",".join("'" + v.replace("'", "''").replace('"', '\\"') + "'" for v in values)


def _percent(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def _percentencode(values: list[str], single: str | None, name: str) -> str:
    return _percent(single if single is not None else "{" + ",".join(values) + "}")


def _queryparam(values: list[str], single: str | None, name: str) -> str:
    return "&".join(f"var-{name}={_percent(v)}" for v in values)


def _lucene_escape(value: str) -> str:
    if timefmt.is_number(value):
        return value
    return re.sub(r'([!*+\-=<>\s&|()\[\]{}^~?:\\/"])', r"\\\1", value)


def _lucene(values: list[str], single: str | None, name: str) -> str:
    if single is not None:
        return _lucene_escape(single)
    if not values:
        return "__empty__"
    return "(" + " OR ".join(f'"{_lucene_escape(v)}"' for v in values) + ")"


def _distributed(values: list[str], single: str | None, name: str) -> str:
    return ",".join(v if i == 0 else f"{name}={v}" for i, v in enumerate(values))


_FORMATS: dict[str, Formatter] = {
    "regex": _regex,
    "pipe": lambda values, single, name: "|".join(values),
    "csv": lambda values, single, name: ",".join(values),
    "raw": lambda values, single, name: ",".join(values),
    "join": lambda values, single, name: ",".join(values),
    "glob": _glob,
    "json": _json,
    "singlequote": _quoted("'"),
    "doublequote": _quoted('"'),
    "sqlstring": _sqlstring,
    "percentencode": _percentencode,
    "queryparam": _queryparam,
    "lucene": _lucene,
    "distributed": _distributed,
    "html": lambda values, single, name: html.escape(", ".join(values), quote=True),
}


# ---------------------------------------------------------------- built-ins and intervals

_NICE = (  # Grafana's roundInterval: (at most this many ms, rounds to this many ms)
    (10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500),
    (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000),
    (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000),
    (750000, 600000), (1050000, 900000), (1500000, 1200000), (2700000, 1800000),
    (5400000, 3600000), (9000000, 7200000), (16200000, 10800000), (32400000, 21600000),
    (86400000, 43200000), (172800000, 86400000), (604800000, 86400000),
    (1814400000, 604800000),
)  # fmt: skip
_MONTH_MS, _YEAR_MS = 2592000000, 31536000000
SAFE_RESOLUTION = 11000  # Grafana never asks Prometheus for more points per series
DEFAULT_SCRAPE_INTERVAL = 15.0  # Grafana's when the datasource does not say


def round_interval(seconds: float) -> float:
    """Grafana's "nice" interval for a raw one: 73 s -> 60 s, 4 s -> 5 s, 2 h -> 2 h."""
    ms = seconds * 1000
    for limit, nice in _NICE:
        if ms <= limit:
            return nice / 1000
    return (_MONTH_MS if ms < 3628800000 else _YEAR_MS) / 1000


def interval_text(seconds: float) -> str:
    """An interval as Grafana writes `$__interval`: its largest whole unit (`1m`, `15s`,
    `200ms`, `1d`); what is below that unit is dropped, as Grafana's FormatInterval does."""
    ms = round(seconds * 1000)
    for unit, size in (("y", _YEAR_MS), ("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms >= size:
            return f"{ms // size}{unit}"
    return f"{max(ms, 1)}ms"


def duration_text(seconds: float) -> str:
    """An exact duration Prometheus accepts: `1m`, `1m20s`, `1s500ms` (Grafana writes the
    same durations in Go's form, `1m0s`; the value is the same)."""
    ms = round(seconds * 1000)
    whole, rest = divmod(ms, 1000)
    text = timefmt.format_duration(whole) if whole else ""
    return text + (f"{rest}ms" if rest or not text else "")


_GO_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_interval(text: str) -> float:
    """Seconds of an interval as Grafana reads one (`30s`, `1m30s`, `>10s`, `15` = 15 s,
    `1.5s`); ValueError for anything else."""
    text = text.strip().replace("<", "", 1).replace(">", "", 1)
    if text.isdigit():
        return float(text)
    try:
        return timefmt.parse_duration(text)
    except ValueError:
        match = _GO_DURATION.match(text)
        if match is None:
            raise
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True, slots=True)
class Intervals:
    """The step and rate window Grafana uses for one query, in seconds."""

    interval: float  # $__interval: the query's step
    rate_interval: float  # $__rate_interval
    range: float  # $__range


def intervals(
    range_seconds: float,
    max_data_points: int,
    *,
    scrape_interval: float = DEFAULT_SCRAPE_INTERVAL,
    min_step: float | None = None,
) -> Intervals:
    """Grafana's step for a query over `range_seconds` drawn `max_data_points` wide (the
    panel's width in pixels in Grafana; in a terminal, the plot's points across).

    `min_step` is the query's (or panel's) "Min step"/"Min interval"; `scrape_interval`
    is the datasource's (Grafana's default is 15 s; promdash can ask the server).
    """
    lower = min_step or scrape_interval
    raw = range_seconds / max(max_data_points, 1)
    step = lower if raw < lower else round_interval(raw)
    step = max(step, round_interval(range_seconds / SAFE_RESOLUTION))
    scrape = min_step or scrape_interval
    rate = max(step + scrape, 4 * scrape)
    return Intervals(interval=step, rate_interval=rate, range=range_seconds)


def builtins(
    start: float,
    end: float,
    *,
    max_data_points: int | None = None,
    scrape_interval: float = DEFAULT_SCRAPE_INTERVAL,
    min_step: float | None = None,
) -> dict[str, str]:
    """Grafana's global variables for a time range: `__range`, `__range_s`, `__range_ms`,
    `__from`, `__to` (epoch ms) and, for a panel's query (`max_data_points` given),
    `__interval`, `__interval_ms`, `__rate_interval`, `__rate_interval_ms`."""
    range_ms = round((end - start) * 1000)
    range_s = round(range_ms / 1000)
    values = {
        "__range": f"{range_s}s",
        "__range_s": str(range_s),
        "__range_ms": str(range_ms),
        "__from": str(int(start * 1000)),
        "__to": str(int(end * 1000)),
    }
    if max_data_points is not None:
        found = intervals(
            end - start, max_data_points, scrape_interval=scrape_interval, min_step=min_step
        )
        values |= {
            "__interval": interval_text(found.interval),
            "__interval_ms": str(round(found.interval * 1000)),
            "__rate_interval": duration_text(found.rate_interval),
            "__rate_interval_ms": str(round(found.rate_interval * 1000)),
        }
    return values


def min_step(panel: Panel, target: Target, variables: Mapping[str, Variable]) -> float | None:
    """A query's "Min step" (else its panel's "Min interval") in seconds, variables
    replaced; None when unset or a built-in such as `$__rate_interval` (ignored, as Grafana
    does) or not a duration."""
    text = interpolate(target.interval or panel.interval, variables)
    if not text or "$" in text:
        return None
    try:
        seconds = parse_interval(text)
    except ValueError:
        return None
    return seconds or None


def expand_target(
    panel: Panel,
    target: Target,
    variables: Mapping[str, Variable],
    *,
    start: float,
    end: float,
    max_data_points: int,
    scrape_interval: float = DEFAULT_SCRAPE_INTERVAL,
) -> tuple[str, float]:
    """A target's PromQL as Grafana sends it, and the step to ask for (seconds).

    `max_data_points` is the plot's points across; the panel's own `maxDataPoints`,
    when set and smaller, wins as in Grafana.
    """
    points = min(max_data_points, panel.max_data_points or max_data_points)
    floor = min_step(panel, target, variables)
    extra = builtins(
        start, end, max_data_points=points, scrape_interval=scrape_interval, min_step=floor
    )
    step = intervals(end - start, points, scrape_interval=scrape_interval, min_step=floor)
    return interpolate(target.expr, variables, extra), step.interval


def auto_interval(range_seconds: float, count: int, minimum: str) -> float:
    """An interval variable's "auto": the range in `count` steps, nice, at least `minimum`."""
    lower = parse_interval(minimum) if minimum else 0.0
    raw = range_seconds / max(count, 1)
    return lower if raw < lower else round_interval(raw)


# ---------------------------------------------------------------- time ranges

_MATH = re.compile(r"^now(?:([+-]\d+)([smhdwMy]))?(?:/([smhdwMy]))?$")
_STEP = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str, now: float | None = None, *, round_up: bool = False) -> float:
    """Unix seconds of a Grafana time: `now`, `now-6h`, `now-1d/d`, `now/w`, epoch ms or
    RFC 3339. `round_up` is for a range's end: `now/d` there is the end of today."""
    now = time.time() if now is None else now
    text = text.strip()
    match = _MATH.match(text)
    if match is None:
        if text.isdigit():
            return int(text) / 1000
        moment = timefmt.parse_rfc3339(text)
        if moment is None:
            raise ValueError(f"{text!r} is not a Grafana time (now-6h, now/d, epoch ms, RFC 3339)")
        return moment.timestamp()
    amount, unit, rounding = match.groups()
    moment = datetime.fromtimestamp(now).astimezone()
    if amount:
        moment = _shift(moment, int(amount), unit)
    if rounding:
        start = _floor(moment, rounding)
        if round_up:
            return _shift(start, 1, rounding).timestamp() - 0.001
        return start.timestamp()
    return moment.timestamp()


def load_checked(path: str | Path) -> Dashboard:
    """A dashboard file that can be drawn: read, its variables' order and its time range
    checked; else one `DashboardError` line, before any request. Every front end opens
    dashboards through this one."""
    dashboard = load_dashboard(path)
    resolution_order(dashboard.variables, dashboard.source)
    try:
        time_range(dashboard.time_from, dashboard.time_to)
    except (ValueError, OverflowError) as exc:  # `now-99999999d` is before year 1
        raise DashboardError(f"{dashboard.source}: time: {exc}") from None
    return dashboard


def time_range(start: str, end: str, now: float | None = None) -> tuple[float, float]:
    """A dashboard's `time.from`/`time.to` as Unix seconds."""
    now = time.time() if now is None else now
    return parse_time(start, now), parse_time(end, now, round_up=True)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in _STEP:
        return moment + timedelta(**{_STEP[unit]: amount})
    months = moment.month - 1 + amount * (12 if unit == "y" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _floor(moment: datetime, unit: str) -> datetime:
    if unit == "s":
        return moment.replace(microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    if unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return day
    if unit == "w":  # Grafana's default week starts on Monday (ISO)
        return day - timedelta(days=day.weekday())
    if unit == "M":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


# ---------------------------------------------------------------- variable queries


@dataclass(frozen=True, slots=True)
class VariableQuery:
    """A query variable's query, as the Prometheus datasource reads it."""

    kind: Literal["label_names", "label_values", "metrics", "query_result", "series"]
    label: str = ""
    metric: str = ""  # label_values' series selector; metrics' regex
    expr: str = ""  # query_result's PromQL; a bare series selector


_LABEL_NAMES = re.compile(r"^label_names\(\)\s*$")
_LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$")
_METRICS = re.compile(r"^metrics\((.+)\)\s*$")
_QUERY_RESULT = re.compile(r"^query_result\((.+)\)\s*$")


def parse_query(text: str) -> VariableQuery:
    if _LABEL_NAMES.match(text):
        return VariableQuery("label_names")
    if match := _LABEL_VALUES.match(text):
        return VariableQuery("label_values", label=match.group(2), metric=match.group(1) or "")
    if match := _METRICS.match(text):
        return VariableQuery("metrics", metric=match.group(1))
    if match := _QUERY_RESULT.match(text):
        return VariableQuery("query_result", expr=match.group(1))
    return VariableQuery("series", expr=text)


class VariableSource(Protocol):
    """What resolving query variables needs of a server: PromClient's methods."""

    async def label_names(self, match: Sequence[str] | None = None) -> list[str]: ...

    async def label_values(self, label: str, match: Sequence[str] | None = None) -> list[str]: ...

    async def series(
        self, match: Sequence[str], start: float | None = None, end: float | None = None
    ) -> list[dict[str, str]]: ...

    async def query(self, expr: str, time: float | None = None) -> QueryResult: ...


def _series_text(labels: Mapping[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ",".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")
    return f"{name}{{{rest}}}"


def _number_text(value: float) -> str:
    return timefmt.nonfinite_text(value) or timefmt.value_text(value)


async def query_values(
    query: VariableQuery, source: VariableSource, *, start: float, end: float
) -> list[str]:
    """The texts a variable query yields, before its regex, as Grafana asks for them."""
    if query.kind == "label_names":
        return await source.label_names()
    if query.kind == "label_values":
        match = [query.metric] if query.metric else None
        return await source.label_values(query.label, match)
    if query.kind == "metrics":
        pattern = re.compile(query.metric)
        return [name for name in await source.label_values("__name__") if pattern.search(name)]
    if query.kind == "query_result":
        result = await source.query(query.expr, end)
        if result.scalar is not None:
            return [f"scalar {_number_text(result.scalar[1])} {int(result.scalar[0] * 1000)}"]
        return [
            f"{_series_text(s.metric)} {_number_text(s.value)} {int(s.timestamp * 1000)}"
            for s in result.vector
        ]
    return [_series_text(labels) for labels in await source.series([query.expr], start, end)]


def variable_regex(variable: Variable) -> re.Pattern[str] | None:
    """A variable's `regex` (`/pattern/flags`, JavaScript syntax) as a Python pattern."""
    text = variable.regex
    if not text:
        return None
    wrapped = re.match(r"^/(.*)/([gimsuy]*)$", text, re.S)
    pattern, flags = (wrapped.group(1), wrapped.group(2)) if wrapped else (text, "")
    pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    compiled = 0
    for letter, flag in (("i", re.I), ("m", re.M), ("s", re.S)):
        if letter in flags:
            compiled |= flag
    try:
        return re.compile(pattern, compiled)
    except re.error as exc:
        raise DashboardError(
            f"variable ${variable.name}: regex {text} is not valid: {exc}"
        ) from None


def apply_regex(texts: Sequence[str], pattern: re.Pattern[str] | None) -> list[Option]:
    """Options from query results as Grafana makes them: the regex drops what it does not
    match; its first capture group (or groups named `text` and `value`) is what is kept;
    repeated values appear once."""
    options: list[Option] = []
    seen: set[str] = set()
    for text in texts:
        label, value = text, text
        if pattern is not None:
            match = pattern.search(text)
            if match is None:
                continue
            named = match.groupdict()
            if named.get("text") is not None or named.get("value") is not None:
                value = named.get("value") or named.get("text") or ""
                label = named.get("text") or value
            elif pattern.groups:
                if match.group(1) is None:
                    continue
                label = value = match.group(1)
        if value not in seen:
            seen.add(value)
            options.append(Option(text=label, value=value))
    return options


def _natural(text: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p.lower()) for p in re.split(r"(\d+)", text) if p]


def _first_number(option: Option) -> int:
    match = re.match(r".*?(\d+).*", option.text)
    return int(match.group(1)) if match else -1


def sort_options(options: list[Option], sort: int) -> list[Option]:
    """Grafana's variable sort: 1/2 alphabetical, 3/4 numerical (the first number in the
    text), 5/6 alphabetical ignoring case, 7/8 natural; odd ascending, even descending."""
    if sort in (1, 2):
        return sorted(options, key=lambda o: o.text, reverse=sort == 2)
    if sort in (3, 4):
        return sorted(options, key=_first_number, reverse=sort == 4)
    if sort in (5, 6):
        return sorted(options, key=lambda o: o.text.lower(), reverse=sort == 6)
    if sort in (7, 8):
        return sorted(options, key=lambda o: _natural(o.text), reverse=sort == 8)
    return options


def custom_options(query: str) -> list[Option]:
    """A custom variable's values: comma-separated (`\\,` is a comma), `text : value` pairs."""
    options = []
    for part in re.findall(r"(?:\\,|[^,])+", query):
        part = part.replace("\\,", ",")
        pair = re.match(r"^\s*(.+)\s:\s(.+)$", part)
        if pair:
            options.append(Option(text=pair.group(1).strip(), value=pair.group(2).strip()))
        else:
            options.append(Option(text=part.strip(), value=part.strip()))
    return options


# ---------------------------------------------------------------- resolution order


def dependencies(variable: Variable, names: set[str]) -> set[str]:
    """The other variables `variable` needs first (in its query, regex or datasource)."""
    used = references(variable.query) | references(variable.regex)
    if variable.datasource is not None:
        used |= references(variable.datasource.name) | references(variable.datasource.uid)
    return used & names


def resolution_order(variables: Sequence[Variable], source: str = "") -> list[Variable]:
    """Variables in the order they can be resolved: each after those it depends on, the
    dashboard's order otherwise. A loop is a `DashboardError` naming its variables."""
    names = {v.name for v in variables}
    needs = {v.name: dependencies(v, names) for v in variables}
    order: list[Variable] = []
    done: set[str] = set()
    pending = list(variables)
    while pending:
        ready = next((v for v in pending if needs[v.name] <= done), None)
        if ready is None:
            loop = _loop(needs, [v.name for v in pending])
            where = f"{source}: " if source else ""
            raise DashboardError(
                f"{where}templating: variables depend on each other in a loop: "
                + " -> ".join(f"${name}" for name in loop)
            )
        order.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return order


def _loop(needs: Mapping[str, set[str]], pending: list[str]) -> list[str]:
    # Every pending variable waits on another pending one: follow the first until a repeat.
    path = [pending[0]]
    while True:
        after = sorted(n for n in needs[path[-1]] if n in pending)
        following = after[0]
        if following in path:
            return [*path[path.index(following) :], following]
        path.append(following)


# ---------------------------------------------------------------- resolution


async def resolve(
    variables: Sequence[Variable],
    source: VariableSource,
    *,
    start: float,
    end: float,
    datasource_name: str = "Prometheus",
    dashboard: str = "",
) -> tuple[Variable, ...]:
    """Every variable with its options and a current selection, in the dashboard's order.

    Query variables ask `source` (after interpolating the variables before them);
    `refresh: 0` (never) keeps the options saved in the file when there are some.
    """
    resolved: dict[str, Variable] = {}
    extra = builtins(start, end)
    for variable in resolution_order(variables, dashboard):
        resolved[variable.name] = await _resolve_one(
            variable, resolved, extra, source, start, end, datasource_name
        )
    return tuple(resolved[v.name] for v in variables)


async def _resolve_one(
    variable: Variable,
    resolved: Mapping[str, Variable],
    extra: Mapping[str, str],
    source: VariableSource,
    start: float,
    end: float,
    datasource_name: str,
) -> Variable:
    kind = variable.type
    query = interpolate(variable.query, resolved, extra)
    if kind == "constant":
        return replace(variable, options=(Option(query, query),), current_text=(query,),
                       current_value=(query,))  # fmt: skip
    if kind == "textbox":
        value = variable.current_value[0] if variable.current_value else query
        return replace(variable, options=(Option(value, value),), current_text=(value,),
                       current_value=(value,))  # fmt: skip
    if kind == "custom":
        options = custom_options(query)
    elif kind == "interval":
        return _interval(variable, query, end - start)
    elif kind == "datasource":
        options = [Option(datasource_name, datasource_name)]
    elif kind == "query":
        if variable.refresh == 0 and variable.options:
            options = [o for o in variable.options if o.value != ALL]
        else:
            texts = await query_values(parse_query(query), source, start=start, end=end)
            options = sort_options(apply_regex(texts, variable_regex(variable)), variable.sort)
    else:
        return variable  # adhoc filters and others: nothing to resolve
    return select(variable, options)


def select(variable: Variable, options: Sequence[Option]) -> Variable:
    """`variable` offering `options`, keeping what was selected if it still is offered;
    otherwise the first option, which is All when the variable has All, as in Grafana."""
    offered = ([Option("All", ALL)] if variable.include_all else []) + list(options)
    by_value = {o.value: o for o in offered}
    kept = [v for v in variable.current_value if v in by_value]
    if not variable.multi:
        kept = kept[:1]
    if ALL in kept:
        kept = [ALL]
    if not kept and offered:
        kept = [offered[0].value]
    chosen = [by_value[v] for v in kept]
    return replace(
        variable,
        options=tuple(replace(o, selected=o.value in kept) for o in offered),
        current_value=tuple(o.value for o in chosen),
        current_text=tuple(o.text for o in chosen),
    )


def _interval(variable: Variable, query: str, range_seconds: float) -> Variable:
    options = [Option(p.strip(), p.strip()) for p in query.split(",") if p.strip()]
    if variable.auto:
        options.insert(0, Option("auto", AUTO_INTERVAL + variable.name))
        if variable.current_text == ("auto",):  # resolved before: "auto" stays selected
            variable = replace(variable, current_value=(AUTO_INTERVAL + variable.name,))
    chosen = select(variable, options)
    if chosen.current_value and chosen.current_value[0].startswith(AUTO_INTERVAL):
        # Grafana keeps "auto" selected and substitutes the interval it computes.
        step = auto_interval(range_seconds, variable.auto_count, variable.auto_min)
        return replace(chosen, current_value=(interval_text(step),), current_text=("auto",))
    return chosen


@dataclass(frozen=True, slots=True)
class Resolution:
    """Each variable resolved, or why not (`problems`); `waiting` were not asked: they
    use one that failed."""

    variables: list[Variable]  # in the dashboard's order
    problems: dict[str, str]
    waiting: frozenset[str]

    def blocking(self, text: str) -> list[str]:
        """The variables `text` uses that did not resolve (a query that is not asked)."""
        return sorted(references(text) & self.problems.keys())


async def resolve_each(
    variables: Sequence[Variable],
    source: VariableSource,
    *,
    start: float,
    end: float,
    dashboard: str,
    errors: tuple[type[BaseException], ...],
) -> Resolution:
    """Each variable after those it uses, one at a time: one that fails with one of
    `errors` keeps its saved selection, those that use it are not asked, the others
    still resolve (`dashboard check` and the dashboard screen both go through this)."""
    names = {v.name for v in variables}
    done: dict[str, Variable] = {}
    problems: dict[str, str] = {}
    waiting: set[str] = set()
    for variable in resolution_order(variables, dashboard):
        failed = sorted(dependencies(variable, names) & problems.keys())
        if failed:
            problems[variable.name] = "it uses " + ", ".join(f"${name}" for name in failed)
            waiting.add(variable.name)
            done[variable.name] = variable
            continue
        # Those already resolved are handed back as "never refresh": their options stand.
        before = [
            replace(v, refresh=0) if v.type == "query" else v
            for v in done.values()
            if v.name not in problems
        ]
        try:
            answer = await resolve(
                [*before, variable], source, start=start, end=end, dashboard=dashboard
            )
            done[variable.name] = answer[-1]
        except errors as exc:
            problems[variable.name] = str(exc)
            done[variable.name] = variable
    return Resolution([done[v.name] for v in variables], problems, frozenset(waiting))
