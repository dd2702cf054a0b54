"""PromQL completion: what is being typed at the cursor, and what could finish it.

Pure functions over a `Catalog` of names the server gave us (metric names with
their metadata, label names and values); the graph input shows the candidates
in a dropdown and asks the app to fetch what the catalog still lacks.

Prometheus 3 names may be any UTF-8 (`http.server.request.duration`, label
`service.name`); PromQL takes them only quoted, a metric name inside the braces:
`{"http.server.request.duration", "service.name"="checkout"}`. Such names are
completed whether typed bare (`http.ser`) or inside their quotes, and inserted
quoted; a name valid in Prometheus 2 is inserted bare, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from promdash.prom.promql import LEGACY_LABEL, LEGACY_NAME, promql_string
from promdash.prom.types import MetricMetadata

Kind = Literal["metric", "function", "aggregation", "keyword", "label", "value", "duration"]

FUNCTIONS: dict[str, str] = {
    "abs": "abs(v instant-vector)",
    "absent": "absent(v instant-vector): 1 if the vector has no elements",
    "absent_over_time": "absent_over_time(v range-vector)",
    "ceil": "ceil(v instant-vector)",
    "changes": "changes(v range-vector): how often the value changed",
    "clamp": "clamp(v instant-vector, min scalar, max scalar)",
    "clamp_max": "clamp_max(v instant-vector, max scalar)",
    "clamp_min": "clamp_min(v instant-vector, min scalar)",
    "day_of_month": "day_of_month(v=vector(time()))",
    "day_of_week": "day_of_week(v=vector(time()))",
    "day_of_year": "day_of_year(v=vector(time()))",
    "days_in_month": "days_in_month(v=vector(time()))",
    "delta": "delta(v range-vector): first-to-last difference of a gauge",
    "deriv": "deriv(v range-vector): per-second derivative of a gauge",
    "exp": "exp(v instant-vector)",
    "floor": "floor(v instant-vector)",
    "histogram_count": "histogram_count(v instant-vector) (native histograms)",
    "histogram_fraction": "histogram_fraction(lower, upper, v) (native histograms)",
    "histogram_quantile": "histogram_quantile(φ scalar, b instant-vector): quantile from buckets",
    "histogram_sum": "histogram_sum(v instant-vector) (native histograms)",
    "holt_winters": "holt_winters(v range-vector, sf scalar, tf scalar)",
    "hour": "hour(v=vector(time()))",
    "idelta": "idelta(v range-vector): difference of the last two samples",
    "increase": "increase(v range-vector): counter increase over the range",
    "irate": "irate(v range-vector): per-second rate from the last two samples",
    "label_join": "label_join(v, dst, separator, src_1, ...)",
    "label_replace": "label_replace(v, dst, replacement, src, regex)",
    "ln": "ln(v instant-vector)",
    "log10": "log10(v instant-vector)",
    "log2": "log2(v instant-vector)",
    "minute": "minute(v=vector(time()))",
    "month": "month(v=vector(time()))",
    "predict_linear": "predict_linear(v range-vector, t scalar)",
    "rate": "rate(v range-vector): per-second average rate of a counter",
    "resets": "resets(v range-vector): counter resets in the range",
    "round": "round(v instant-vector, to_nearest=1 scalar)",
    "scalar": "scalar(v instant-vector)",
    "sgn": "sgn(v instant-vector)",
    "sort": "sort(v instant-vector)",
    "sort_desc": "sort_desc(v instant-vector)",
    "sqrt": "sqrt(v instant-vector)",
    "time": "time(): seconds since the epoch",
    "timestamp": "timestamp(v instant-vector)",
    "vector": "vector(s scalar)",
    "year": "year(v=vector(time()))",
    "avg_over_time": "avg_over_time(range-vector)",
    "min_over_time": "min_over_time(range-vector)",
    "max_over_time": "max_over_time(range-vector)",
    "sum_over_time": "sum_over_time(range-vector)",
    "count_over_time": "count_over_time(range-vector)",
    "quantile_over_time": "quantile_over_time(φ scalar, range-vector)",
    "stddev_over_time": "stddev_over_time(range-vector)",
    "stdvar_over_time": "stdvar_over_time(range-vector)",
    "last_over_time": "last_over_time(range-vector)",
    "present_over_time": "present_over_time(range-vector)",
}
AGGREGATIONS: dict[str, str] = {
    "sum": "sum(v) by (labels): sum over dimensions",
    "avg": "avg(v) by (labels)",
    "min": "min(v) by (labels)",
    "max": "max(v) by (labels)",
    "count": "count(v) by (labels)",
    "group": "group(v) by (labels): 1 per group",
    "stddev": "stddev(v) by (labels)",
    "stdvar": "stdvar(v) by (labels)",
    "topk": "topk(k, v): largest k elements",
    "bottomk": "bottomk(k, v): smallest k elements",
    "quantile": "quantile(φ, v) by (labels)",
    "count_values": 'count_values("label", v)',
}
KEYWORDS = (
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
)
DURATIONS = ("1m", "5m", "10m", "15m", "30m", "1h", "6h", "1d")
MAX_CANDIDATES = 40

# Dots too: PromQL has no `.` operator, so a dotted word is a UTF-8 metric name typed bare.
_IDENT_TAIL = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:.]*$")
_METRIC_BEFORE_BRACE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$")
_STRING = r'"((?:[^"\\]|\\.)*)'  # an opened string literal, its closing quote not included
_MATCHER_VALUE = re.compile(
    rf'^\s*(?:([a-zA-Z_][a-zA-Z0-9_]*)|{_STRING}")\s*(=~|!~|!=|=)\s*(")?((?:[^"\\]|\\.)*)$'
)
_LABEL_NAME = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)?$")
_QUOTED_OPEN = re.compile(rf"^\s*{_STRING}$")  # a quoted name being typed
_QUOTED_NAME = re.compile(rf"^\s*{_STRING}\"\s*$")  # a quoted name alone: the metric's
_QUOTED_METRIC = re.compile(rf'\{{\s*{_STRING}"\s*[,}}]')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*$")
_WORD = re.compile(r"(?<![0-9a-zA-Z_:.\"])[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    kind: Kind
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """What the cursor is in: the kind of name expected and the part already typed."""

    # "metric": a quoted name first in braces (`{"http.ser`), the metric's or a label's.
    kind: Literal["name", "metric", "label", "value", "duration", "none"]
    prefix: str
    start: int  # where the typed part begins; accepting replaces text[start:cursor]
    metric: str = ""  # the metric the braces belong to, if any
    label: str = ""  # for values: the label being matched
    quoted: bool = False  # the opening quote is already typed (a value or a UTF-8 name)
    in_braces: bool = False


@dataclass
class Catalog:
    """Names known so far; filled by the app from the server, asked for lazily."""

    metrics: list[str] = field(default_factory=list)
    metadata: dict[str, MetricMetadata] = field(default_factory=dict)
    label_names: dict[str, list[str]] = field(default_factory=dict)  # metric ("" = any) -> names
    label_values: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def set_metadata(self, metadata: dict[str, list[MetricMetadata]]) -> None:
        self.metadata = {name: entries[0] for name, entries in metadata.items() if entries}


@dataclass(frozen=True, slots=True)
class Need:
    """Something the catalog lacks for the current context; the app fetches it."""

    kind: Literal["labels", "values"]
    metric: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Completion:
    context: Context
    candidates: list[Candidate]
    need: Need | None = None


def _outside_strings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """The characters of `text` from `start` that are not inside a string literal."""
    in_string: str | None = None
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == in_string:
                in_string = None
        elif char in "\"'`":
            in_string = char
        else:
            yield index, char


def _unclosed(text: str, opener: str, closer: str) -> int:
    """Index of the last `opener` not closed before the end of `text`, else -1 (strings skipped)."""
    depth_stack: list[int] = []
    for index, char in _outside_strings(text):
        if char == opener:
            depth_stack.append(index)
        elif char == closer and depth_stack:
            depth_stack.pop()
    return depth_stack[-1] if depth_stack else -1


def _unquote(body: str) -> str:
    """The text of a PromQL string literal's body (without its quotes)."""
    try:
        return str(json.loads(f'"{body}"'))
    except ValueError:
        return body


def _commas(text: str, opener: int) -> list[int]:
    """Where the commas after `text[opener]` are, those inside strings left aside."""
    return [index for index, char in _outside_strings(text, opener + 1) if char == ","]


def _segment_start(text: str, opener: int) -> int:
    """Where the part being typed after `text[opener]` begins: after its last comma."""
    commas = _commas(text, opener)
    return commas[-1] + 1 if commas else opener + 1


def _braces_metric(before: str, brace: int) -> str:
    """The metric the braces at `brace` select: `up{`, or the quoted name alone first inside
    them (`{"http.server.duration", `); "" while that first part is being typed."""
    outside = _METRIC_BEFORE_BRACE.search(before[:brace])
    if outside:
        return outside.group(1)
    commas = _commas(before, brace)
    quoted = _QUOTED_NAME.match(before[brace + 1 : commas[0]]) if commas else None
    return _unquote(quoted.group(1)) if quoted else ""


def context_at(text: str, cursor: int) -> Context:
    before = text[:cursor]
    brace = _unclosed(before, "{", "}")
    if brace >= 0:
        segment_start = _segment_start(before, brace)
        metric = _braces_metric(before, brace)
        segment = before[segment_start:]
        value = _MATCHER_VALUE.match(segment)
        if value:
            label = value.group(1) or _unquote(value.group(2))
            quoted = value.group(4) is not None
            start = cursor - len(value.group(5))
            return Context("value", value.group(5), start, metric, label, quoted, True)
        name = _LABEL_NAME.match(segment)
        if name:
            prefix = name.group(1) or ""
            return Context("label", prefix, cursor - len(prefix), metric, in_braces=True)
        opened = _QUOTED_OPEN.match(segment)
        if opened:
            prefix = opened.group(1)
            # First in bare braces a quoted name may be the metric's (`{"http.server…"}`).
            first = segment_start == brace + 1 and not metric
            kind: Literal["metric", "label"] = "metric" if first else "label"
            return Context(kind, prefix, cursor - len(prefix), metric, quoted=True, in_braces=True)
        return Context("none", "", cursor)
    bracket = _unclosed(before, "[", "]")
    if bracket >= 0:
        prefix = before[bracket + 1 :].strip()
        return Context("duration", prefix, cursor - len(before[bracket + 1 :].lstrip()))
    paren = _unclosed(before, "(", ")")
    if paren >= 0 and _GROUPING.search(before[:paren]):
        segment = before[_segment_start(before, paren) :]
        outside = _first_metric(before[:paren] + text[cursor:])
        name = _LABEL_NAME.match(segment)
        if name:
            prefix = name.group(1) or ""
            return Context("label", prefix, cursor - len(prefix), outside)
        opened = _QUOTED_OPEN.match(segment)
        if opened:
            prefix = opened.group(1)
            return Context("label", prefix, cursor - len(prefix), outside, quoted=True)
        return Context("none", "", cursor)
    ident = _IDENT_TAIL.search(before)
    if ident:
        return Context("name", ident.group(0), ident.start())
    return Context("none", "", cursor)


def _first_metric(text: str) -> str:
    """The first metric name (for `by (`): a word that is not a function, aggregation or
    keyword, or a quoted name first in braces (`{"http.server.duration"}`)."""
    quoted = _QUOTED_METRIC.search(text)
    for match in _WORD.finditer(text):
        if quoted and quoted.start() < match.start():
            break
        word = match.group(0)
        if word not in FUNCTIONS and word not in AGGREGATIONS and word not in KEYWORDS:
            return word
    return _unquote(quoted.group(1)) if quoted else ""


def _rank(names: list[Candidate], prefix: str) -> list[Candidate]:
    lowered = prefix.lower()
    starts = [c for c in names if c.text.lower().startswith(lowered)]
    inside = [c for c in names if lowered and lowered in c.text.lower() and c not in starts]
    return (starts + inside)[:MAX_CANDIDATES]


def _metric_candidates(catalog: Catalog) -> list[Candidate]:
    metrics = []
    for name in catalog.metrics:
        meta = catalog.metadata.get(name)
        detail = f"{meta.type}: {meta.help}" if meta else ""
        metrics.append(Candidate(name, "metric", detail))
    return metrics


def complete(text: str, cursor: int, catalog: Catalog) -> Completion:
    ctx = context_at(text, cursor)
    if ctx.kind == "name":
        if not ctx.prefix:
            return Completion(ctx, [])
        pool = [
            *(Candidate(n, "aggregation", d) for n, d in AGGREGATIONS.items()),
            *(Candidate(n, "function", d) for n, d in FUNCTIONS.items()),
            *(Candidate(k, "keyword") for k in KEYWORDS),
        ]
        ranked = _rank(pool + _metric_candidates(catalog), ctx.prefix)
        exact = [c for c in ranked if c.text == ctx.prefix]
        # Nothing left to complete, unless a UTF-8 name typed whole is still to be quoted.
        if len(ranked) == 1 and exact and LEGACY_NAME.match(ctx.prefix):
            ranked = []
        return Completion(ctx, ranked)
    if ctx.kind == "metric":
        # `{"…` may be the metric's name or a label's (`{"service.name"="x"}`): both.
        names = catalog.label_names.get("")
        labels = [Candidate(n, "label") for n in names or () if n != "__name__"]
        need = Need("labels", "") if names is None else None
        return Completion(ctx, _rank(_metric_candidates(catalog) + labels, ctx.prefix), need)
    if ctx.kind == "label":
        names = catalog.label_names.get(ctx.metric)
        if names is None:
            return Completion(ctx, [], Need("labels", ctx.metric))
        pool = [Candidate(n, "label") for n in names if n != "__name__"]
        return Completion(ctx, _rank(pool, ctx.prefix))
    if ctx.kind == "value":
        values = catalog.label_values.get((ctx.label, ctx.metric))
        if values is None:
            return Completion(ctx, [], Need("values", ctx.metric, ctx.label))
        return Completion(ctx, _rank([Candidate(v, "value") for v in values], ctx.prefix))
    if ctx.kind == "duration":
        return Completion(ctx, _rank([Candidate(d, "duration") for d in DURATIONS], ctx.prefix))
    return Completion(ctx, [])


def _escaped(text: str) -> str:
    """`text` as the inside of a PromQL string literal."""
    return promql_string(text)[1:-1]


def apply(text: str, cursor: int, context: Context, candidate: Candidate) -> tuple[str, int]:
    """`text` with the candidate in place of the typed prefix, and the new cursor position.

    A name Prometheus 2 could not read goes in quoted, as Prometheus 3 reads it: a
    metric's inside braces (`{"http.server.duration"}`), a label's in its place
    (`{"service.name"="`, `by ("service.name"`).
    """
    insert = candidate.text
    end = cursor
    after = ""  # goes after the name; a quoted name's own closing quote replaces one typed
    if candidate.kind in ("function", "aggregation"):
        insert += "("
    elif candidate.kind == "metric":
        if context.quoted:
            insert, after = _escaped(insert), '"'
        elif not LEGACY_NAME.match(insert):
            insert = "{" + promql_string(insert) + "}"
    elif candidate.kind == "label":
        if context.quoted:
            insert, after = _escaped(insert), '"'
        elif not LEGACY_LABEL.match(insert):
            insert = promql_string(insert)
        if context.in_braces:
            after += '="'
    elif candidate.kind == "value":
        escaped = insert.replace("\\", "\\\\").replace('"', '\\"')
        insert = (escaped if context.quoted else f'"{escaped}') + '"'
        # Swallow a closing quote that is already there.
        if text[end : end + 1] == '"':
            end += 1
    elif candidate.kind == "duration":
        insert += "]" if text[end : end + 1] != "]" else ""
    if context.quoted and candidate.kind in ("metric", "label") and text[end : end + 1] == '"':
        end += 1
    insert += after
    new_text = text[: context.start] + insert + text[end:]
    return new_text, context.start + len(insert)
