"""PromQL completion: what is being typed at the cursor, and what could finish it.

Pure functions over a `Catalog` of names the server gave us (metric names with
their metadata, label names and values); the graph input shows the candidates
in a dropdown and asks the app to fetch what the catalog still lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

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

_IDENT_TAIL = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
_METRIC_BEFORE_BRACE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$")
_MATCHER_VALUE = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(")?((?:[^"\\]|\\.)*)$')
_LABEL_NAME = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)?$")
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

    kind: Literal["name", "label", "value", "duration", "none"]
    prefix: str
    start: int  # where the typed part begins; accepting replaces text[start:cursor]
    metric: str = ""  # the metric the braces belong to, if any
    label: str = ""  # for values: the label being matched
    quoted: bool = False  # for values: whether the opening quote is already typed
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


def _unclosed(text: str, opener: str, closer: str) -> int:
    """Index of the last `opener` not closed before the end of `text`, else -1 (strings skipped)."""
    depth_stack: list[int] = []
    in_string: str | None = None
    escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == in_string:
                in_string = None
            continue
        if char in "\"'`":
            in_string = char
        elif char == opener:
            depth_stack.append(index)
        elif char == closer and depth_stack:
            depth_stack.pop()
    return depth_stack[-1] if depth_stack else -1


def context_at(text: str, cursor: int) -> Context:
    before = text[:cursor]
    brace = _unclosed(before, "{", "}")
    if brace >= 0:
        metric_match = _METRIC_BEFORE_BRACE.search(before[:brace])
        metric = metric_match.group(1) if metric_match else ""
        segment_start = max(before.rfind(",", brace), brace) + 1
        segment = before[segment_start:]
        value = _MATCHER_VALUE.match(segment)
        if value:
            quoted = value.group(3) is not None
            start = cursor - len(value.group(4))
            return Context("value", value.group(4), start, metric, value.group(1), quoted, True)
        name = _LABEL_NAME.match(segment)
        if name:
            prefix = name.group(1) or ""
            return Context("label", prefix, cursor - len(prefix), metric, in_braces=True)
        return Context("none", "", cursor)
    bracket = _unclosed(before, "[", "]")
    if bracket >= 0:
        prefix = before[bracket + 1 :].strip()
        return Context("duration", prefix, cursor - len(before[bracket + 1 :].lstrip()))
    paren = _unclosed(before, "(", ")")
    if paren >= 0 and _GROUPING.search(before[:paren]):
        segment_start = max(before.rfind(",", paren), paren) + 1
        name = _LABEL_NAME.match(before[segment_start:])
        if name:
            prefix = name.group(1) or ""
            outside = before[:paren] + text[cursor:]
            return Context("label", prefix, cursor - len(prefix), _first_metric(outside))
        return Context("none", "", cursor)
    ident = _IDENT_TAIL.search(before)
    if ident:
        return Context("name", ident.group(0), ident.start())
    return Context("none", "", cursor)


def _first_metric(text: str) -> str:
    """The first identifier that is not a function, aggregation or keyword (for `by (`)."""
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word not in FUNCTIONS and word not in AGGREGATIONS and word not in KEYWORDS:
            return word
    return ""


def _rank(names: list[Candidate], prefix: str) -> list[Candidate]:
    lowered = prefix.lower()
    starts = [c for c in names if c.text.lower().startswith(lowered)]
    inside = [c for c in names if lowered and lowered in c.text.lower() and c not in starts]
    return (starts + inside)[:MAX_CANDIDATES]


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
        metrics = []
        for name in catalog.metrics:
            meta = catalog.metadata.get(name)
            detail = f"{meta.type}: {meta.help}" if meta else ""
            metrics.append(Candidate(name, "metric", detail))
        ranked = _rank(pool + metrics, ctx.prefix)
        exact = [c for c in ranked if c.text == ctx.prefix]
        if len(ranked) == 1 and exact:
            ranked = []  # nothing left to complete
        return Completion(ctx, ranked)
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


def apply(text: str, cursor: int, context: Context, candidate: Candidate) -> tuple[str, int]:
    """`text` with the candidate in place of the typed prefix, and the new cursor position."""
    insert = candidate.text
    end = cursor
    if candidate.kind in ("function", "aggregation"):
        insert += "("
    elif candidate.kind == "label" and context.in_braces:
        insert += '="'
    elif candidate.kind == "value":
        escaped = insert.replace("\\", "\\\\").replace('"', '\\"')
        insert = (escaped if context.quoted else f'"{escaped}') + '"'
        # Swallow a closing quote that is already there.
        if text[end : end + 1] == '"':
            end += 1
    elif candidate.kind == "duration":
        insert += "]" if text[end : end + 1] != "]" else ""
    new_text = text[: context.start] + insert + text[end:]
    return new_text, context.start + len(insert)
