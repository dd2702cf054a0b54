"""The Prometheus HTTP API's answers as wire types, and the one place they are checked.

Every answer body goes through a `decode_*` function here, which decodes the raw
bytes straight into msgspec Structs shaped like the API (camelCase on the wire),
then converts them to the plain values of `promdash.prom.types`. A body of the
wrong shape raises `BadResponseError` naming the endpoint and what was wrong,
e.g. `data.activeTargets: expected an array, got a string`; nothing else escapes.

Strict about shape, lenient where real servers differ:
- unknown fields are ignored (Thanos, Mimir and VictoriaMetrics add their own);
- fields old Prometheus versions did not send have defaults;
- `null` is accepted where Go's encoder writes a nil slice or map (a target's
  labels, a rule's alerts, the list of label values of old Prometheus versions);
- a sample value is a number string ("1.5", "NaN", "+Inf") or, leniently, a number;
  any other string is a shape error.

Longer than most modules (~540 lines) on purpose: each endpoint's wire Structs
sit next to the decoder that converts them, and the one error policy covers all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, NoReturn, TypeVar, cast

import msgspec
from msgspec import UNSET, Struct, UnsetType

from promdash.errors import APIError, BadQueryError, BadResponseError
from promdash.prom.types import (
    ActiveCounts,
    Alert,
    AlertingRule,
    AlertState,
    BuildInfo,
    DroppedTarget,
    Health,
    Histogram,
    HistogramBucket,
    MetricMetadata,
    QueryResult,
    RecordingRule,
    RuleGroup,
    RulePage,
    Sample,
    Series,
    Target,
    Targets,
)
from promdash.timefmt import parse_rfc3339

T = TypeVar("T")
Labels = dict[str, str]
# An answer's body as the client read it: bytes, or a view of a large one (msgspec
# decodes any buffer, without a copy).
Body = bytes | memoryview
# A sample value: Prometheus sends a number string; a bare number is taken too.
Value = str | float


class NotAnEnvelope(ValueError):
    """Not JSON, or JSON that is not an API envelope: a login page, a proxy, a wrong URL."""


# ---------------------------------------------------------------- wire types


class _Envelope(Struct, Generic[T], rename="camel"):
    status: str
    data: T | UnsetType = UNSET
    error_type: str = ""
    error: str = ""
    warnings: list[str] | None = None
    infos: list[str] | None = None


class _Head(Struct, rename="camel"):
    """Just enough to tell an error envelope from an answer of the wrong shape."""

    status: str
    error_type: Any = ""
    error: Any = ""


class _Histogram(Struct):
    """A native histogram: numbers as strings, like sample values; buckets are
    [boundary rule, lower, upper, count], and absent when every bucket is empty."""

    count: Value
    sum: Value
    buckets: list[tuple[int, Value, Value, Value]] | None = None


class _VectorSample(Struct):
    metric: Labels
    value: tuple[float, Value] | UnsetType = UNSET
    histogram: tuple[float, _Histogram] | UnsetType = UNSET  # instead of a value


class _Vector(Struct, tag="vector", tag_field="resultType"):
    result: list[_VectorSample]


class _Scalar(Struct, tag="scalar", tag_field="resultType"):
    result: tuple[float, Value]


class _String(Struct, tag="string", tag_field="resultType"):
    result: tuple[float, str]


class _MatrixSeries(Struct):
    metric: Labels
    values: list[tuple[float, Value]] | UnsetType = UNSET
    histograms: list[tuple[float, _Histogram]] | UnsetType = UNSET


class _Matrix(Struct, tag="matrix", tag_field="resultType"):
    result: list[_MatrixSeries]


class _FastSeries(Struct):
    metric: Labels
    values: list[tuple[float, float]] | UnsetType = UNSET
    histograms: list[tuple[float, _Histogram]] | UnsetType = UNSET


class _FastMatrix(Struct, tag="matrix", tag_field="resultType"):
    result: list[_FastSeries]


_QueryData = _Vector | _Matrix | _Scalar | _String
_FastQueryData = _Vector | _FastMatrix | _Scalar | _String


class _Target(Struct, rename="camel"):
    """A target as the exact decoder reads it (any answer the fast one did not take)."""

    scrape_url: str
    labels: Labels | None
    health: str
    scrape_pool: str = ""
    # discoveredLabels is not read for active targets: skipping it is a third of the
    # decoding of a 5,000-target answer.
    last_error: str = ""
    last_scrape_duration: float = 0.0
    scrape_interval: str = ""
    scrape_timeout: str = ""
    global_url: str = ""
    last_scrape: str = ""


class _DroppedTarget(Struct, rename="camel"):
    discovered_labels: Labels | None = None
    scrape_pool: str = ""  # Prometheus 3


class _TargetsData(Struct, rename="camel"):
    # Always sent (null from Go when empty); an answer without it is not a targets answer.
    active_targets: list[_Target] | None
    dropped_targets: list[_DroppedTarget] | None = None


class _FastTargetsData(Struct, rename="camel"):
    # Decoded straight into Target, lastScrape read in C: poll after poll, 5,000 targets
    # are not built twice. What it does not take (a time msgspec does not read, labels
    # null, a health of another name) goes to the exact decoder.
    active_targets: list[Target] | None
    dropped_targets: list[_DroppedTarget] | None = None


class _Alert(Struct, rename="camel"):
    labels: Labels | None
    annotations: Labels | None = None
    state: str = ""
    active_at: str | None = None
    value: Value = ""


class _AlertsData(Struct):
    alerts: list[_Alert] | None


class _RuleBase(Struct, rename="camel"):
    name: str
    type: str
    query: str = ""
    duration: float = 0.0
    labels: Labels | None = None
    annotations: Labels | None = None
    state: str = ""
    health: str = ""
    last_error: str = ""
    keep_firing_for: float = 0.0  # Prometheus 2.42 and later


class _Rule(_RuleBase):
    alerts: list[_Alert] | None = None


class _Group(Struct):
    name: str
    file: str = ""
    rules: list[_Rule] | None = None
    interval: float = 0.0
    limit: int = 0  # most alerts an evaluation may make (0: no limit)


class _RulesData(Struct, rename="camel"):
    groups: list[_Group] | None
    group_next_token: str = ""  # Prometheus 3, with group_limit: more groups to ask for


class _RuleHead(_RuleBase):
    """A rule with its alerts kept as raw JSON: each rule's are decoded only as far as
    needed (their states counted, or the whole alerts of a rule that lists them)."""

    alerts: msgspec.Raw = msgspec.Raw()


class _GroupHead(Struct):
    name: str
    file: str = ""
    rules: list[_RuleHead] | None = None
    interval: float = 0.0
    limit: int = 0


class _RuleHeadsData(Struct):
    groups: list[_GroupHead] | None


class _AlertState(Struct):
    state: str = ""


class _AlertmanagerURL(Struct):
    url: str


class _AlertmanagersData(Struct, rename="camel"):
    active_alertmanagers: list[_AlertmanagerURL] | None
    dropped_alertmanagers: list[_AlertmanagerURL] | None = None


class _Metadata(Struct):
    type: str = ""
    help: str = ""
    unit: str = ""


class _Config(Struct):
    yaml: str


class _BuildInfo(Struct, rename="camel"):
    version: str = ""
    revision: str = ""
    branch: str = ""
    go_version: str = ""
    application: str = ""  # Mimir, Thanos, Cortex name themselves here


# strict=False lets msgspec read number strings ("1.5", "NaN", "-Inf") as floats, in C.
# It refuses "+Inf", which Prometheus does send: such answers take the exact decoder.
_QUERY_FAST = msgspec.json.Decoder(_Envelope[_FastQueryData], strict=False)
_QUERY = msgspec.json.Decoder(_Envelope[_QueryData], strict=False)
_TARGETS = msgspec.json.Decoder(_Envelope[_TargetsData])
_TARGETS_FAST = msgspec.json.Decoder(_Envelope[_FastTargetsData])
_RULES = msgspec.json.Decoder(_Envelope[_RulesData])
_RULE_HEADS = msgspec.json.Decoder(_Envelope[_RuleHeadsData])
_ALERT_STATES = msgspec.json.Decoder(list[_AlertState] | None)
_ALERT_LIST = msgspec.json.Decoder(list[_Alert] | None)
_ALERTS = msgspec.json.Decoder(_Envelope[_AlertsData])
_ALERTMANAGERS = msgspec.json.Decoder(_Envelope[_AlertmanagersData])
# Old Prometheus versions answer `"data": null` when no label or series matches.
_NAMES = msgspec.json.Decoder(_Envelope[list[str] | None])
_SERIES = msgspec.json.Decoder(_Envelope[list[Labels] | None])
_METADATA = msgspec.json.Decoder(_Envelope[dict[str, list[_Metadata]]])
_BUILD_INFO = msgspec.json.Decoder(_Envelope[_BuildInfo])
_CONFIG = msgspec.json.Decoder(_Envelope[_Config])
_HEAD = msgspec.json.Decoder(_Head)


# ---------------------------------------------------------------- the envelope


_VM_PARSE_ERROR = re.compile(r"cannot parse|unparsed data|unexpected token")


def _api_error(status: int, error_type: object, message: object) -> APIError:
    kind = str(error_type or "")
    text = str(message or "the server reported an error without a message")
    if kind == "bad_data" or (kind == "422" and _VM_PARSE_ERROR.search(text)):
        # VictoriaMetrics reports PromQL syntax errors as errorType "422".
        return BadQueryError(kind, text, status)
    return APIError(kind, text, status)


def _open(
    decoder: msgspec.json.Decoder[_Envelope[T]], raw: Body, endpoint: str, status: int
) -> tuple[T, list[str]]:
    """The `data` and warnings of a success envelope; raises for anything else."""
    try:
        envelope = decoder.decode(raw)
    except msgspec.ValidationError as exc:
        head = _head(raw)
        if head.status != "success":
            raise _api_error(status, head.error_type, head.error) from None
        raise BadResponseError(endpoint, describe(exc)) from None
    except msgspec.DecodeError:
        raise NotAnEnvelope("not JSON") from None
    if envelope.status != "success":
        raise _api_error(status, envelope.error_type, envelope.error)
    if isinstance(envelope.data, UnsetType):
        raise BadResponseError(endpoint, "data: missing")
    warnings = list(envelope.warnings or ())
    warnings += [f"info: {info}" for info in envelope.infos or ()]
    return envelope.data, warnings


def _head(raw: Body) -> _Head:
    try:
        return _HEAD.decode(raw)
    except msgspec.MsgspecError:
        raise NotAnEnvelope("not an API envelope") from None


_ANY = msgspec.json.Decoder(_Envelope[Any])


def decode_envelope(raw: Body, status: int = 200, endpoint: str = "/api/v1") -> list[str]:
    """The warnings of a success envelope, whatever its data; raises like every decoder."""
    _, warnings = _open(_ANY, raw, endpoint, status)
    return warnings


# ---------------------------------------------------------------- error messages

_TYPE_WORDS = {
    "array": "an array",
    "object": "an object",
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
}
_EXPECTED = re.compile(r"^Expected `([^`]*)`(?:, got `([^`]*)`)?(.*)$")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`$")
_AT = re.compile(r" - at `\$(.*)`$")


def _words(kind: str) -> str:
    # `array | null`: null is allowed where Go writes nil slices, but an array is what is meant.
    options = [k for k in kind.split(" | ") if k != "null"] or ["null"]
    return " or ".join(_TYPE_WORDS.get(k, k) for k in options)


def describe(exc: msgspec.ValidationError) -> str:
    """msgspec's message as people read it: `data.result[0].value: expected ...`."""
    message = str(exc)
    path = ""
    at = _AT.search(message)
    if at is not None:
        # msgspec does not say which key of an object was wrong: `[...]` stands for it.
        path = at.group(1).lstrip(".").replace("[...]", ".<key>")
        message = message[: at.start()]
    expected = _EXPECTED.match(message)
    missing = _MISSING.match(message)
    if expected is not None:
        kind, got, rest = expected.groups()
        rest = rest.replace(" of length ", " of ")
        text = f"expected {_words(kind)}{rest + ' items' if rest else ''}"
        if got:
            text += f", got {_words(got)}"
    elif missing is not None:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        text = "missing"
    else:
        text = message[:1].lower() + message[1:]
    return f"{path}: {text}" if path else text


# ---------------------------------------------------------------- values


def _bad(endpoint: str, path: str, problem: str) -> NoReturn:
    raise BadResponseError(endpoint, f"{path}: {problem}")


def _number(value: Value, endpoint: str, path: str) -> float:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:39] + "…"
        _bad(endpoint, path, f"expected a number string, got {shown!r}")


def _numbers(values: Sequence[Value], endpoint: str, path: str) -> list[float]:
    try:
        return list(map(float, values))
    except ValueError:
        for index, value in enumerate(values):
            _number(value, endpoint, f"{path}[{index}][1]")
        raise  # not reached: the loop raised for the value float() refused


def _health(value: str) -> Health:
    return cast(Health, value) if value in ("up", "down") else "unknown"


def _alert_state(value: str) -> AlertState:
    return cast(AlertState, value) if value in ("pending", "firing") else "inactive"


def _histogram(h: _Histogram, endpoint: str, path: str) -> Histogram:
    buckets = [
        HistogramBucket(
            rule,
            _number(lower, endpoint, f"{path}.buckets[{i}][1]"),
            _number(upper, endpoint, f"{path}.buckets[{i}][2]"),
            _number(count, endpoint, f"{path}.buckets[{i}][3]"),
        )
        for i, (rule, lower, upper, count) in enumerate(h.buckets or ())
    ]
    count = _number(h.count, endpoint, f"{path}.count")
    return Histogram(count, _number(h.sum, endpoint, f"{path}.sum"), buckets)


def _histograms(
    item: _FastSeries | _MatrixSeries, index: int, endpoint: str
) -> list[tuple[float, Histogram]]:
    if not item.histograms:
        return []
    path = f"data.result[{index}].histograms"
    return [
        (at, _histogram(h, endpoint, f"{path}[{i}][1]"))
        for i, (at, h) in enumerate(item.histograms)
    ]


def _value_text(value: Value) -> str:
    return value if isinstance(value, str) else repr(value)


# ---------------------------------------------------------------- one decoder per endpoint


def decode_query(raw: Body, endpoint: str = "/api/v1/query", status: int = 200) -> QueryResult:
    """An instant or range query's answer (`/api/v1/query`, `/api/v1/query_range`)."""
    try:
        data, warnings = _open(_QUERY_FAST, raw, endpoint, status)
    except BadResponseError:
        # A "+Inf" sample, or a real shape error: the exact decoder tells which.
        exact, warnings = _open(_QUERY, raw, endpoint, status)
        return _query_result(exact, warnings, endpoint)
    return _query_result(data, warnings, endpoint)


def _query_result(
    data: _FastQueryData | _QueryData, warnings: list[str], endpoint: str
) -> QueryResult:
    if isinstance(data, _FastMatrix):
        matrix = []
        for index, fast in enumerate(data.result):
            points = fast.values
            if points:
                # Two tight passes beat one loop building both lists: this is the
                # hot path of every graph (see bench/bench_client.py).
                timestamps, values = zip(*points, strict=True)
                histograms = _histograms(fast, index, endpoint)
                matrix.append(Series(fast.metric, list(timestamps), list(values), histograms))
            else:
                matrix.append(_histogram_series(fast, index, endpoint))
        return QueryResult("matrix", matrix=matrix, warnings=warnings)
    if isinstance(data, _Matrix):
        matrix = []
        for index, item in enumerate(data.result):
            if item.values:
                timestamps, texts = zip(*item.values, strict=True)
                path = f"data.result[{index}].values"
                numbers = _numbers(texts, endpoint, path)
                histograms = _histograms(item, index, endpoint)
                matrix.append(Series(item.metric, list(timestamps), numbers, histograms))
            else:
                matrix.append(_histogram_series(item, index, endpoint))
        return QueryResult("matrix", matrix=matrix, warnings=warnings)
    if isinstance(data, _Vector):
        vector = []
        for index, sample in enumerate(data.result):
            if not isinstance(sample.value, UnsetType):
                at, value = sample.value
                path = f"data.result[{index}].value[1]"
                vector.append(Sample(sample.metric, at, _number(value, endpoint, path)))
            elif not isinstance(sample.histogram, UnsetType):
                at, h = sample.histogram
                histogram = _histogram(h, endpoint, f"data.result[{index}].histogram[1]")
                vector.append(Sample(sample.metric, at, math.nan, histogram))
            else:
                _bad(endpoint, f"data.result[{index}]", "missing value (or histogram)")
        return QueryResult("vector", vector=vector, warnings=warnings)
    if isinstance(data, _Scalar):
        at, value = data.result
        scalar = (at, _number(value, endpoint, "data.result[1]"))
        return QueryResult("scalar", scalar=scalar, warnings=warnings)
    return QueryResult("string", string=data.result, warnings=warnings)


def _histogram_series(item: _FastSeries | _MatrixSeries, index: int, endpoint: str) -> Series:
    """A series without float samples: native histograms only (or nothing at all)."""
    if isinstance(item.values, UnsetType) and isinstance(item.histograms, UnsetType):
        _bad(endpoint, f"data.result[{index}]", "missing values (or histograms)")
    return Series(item.metric, [], [], _histograms(item, index, endpoint))


def decode_targets(raw: Body, endpoint: str = "/api/v1/targets", status: int = 200) -> Targets:
    try:
        fast, _ = _open(_TARGETS_FAST, raw, endpoint, status)
    except BadResponseError:
        # A time msgspec does not read, or a real shape error: the exact decoder says.
        data, _ = _open(_TARGETS, raw, endpoint, status)
        return _targets(data.active_targets, data.dropped_targets)
    active = fast.active_targets or []
    for index, target in enumerate(active):
        at = target.last_scrape
        if at is not None and (at.year <= 1970 or at.tzinfo is None):
            active[index] = msgspec.structs.replace(target, last_scrape=_scraped(at))
    return Targets(active, _dropped(fast.dropped_targets))


def _targets(active: Sequence[_Target] | None, dropped: Sequence[_DroppedTarget] | None) -> Targets:
    return Targets(
        active=[
            Target(
                scrape_pool=t.scrape_pool,
                scrape_url=t.scrape_url,
                labels=t.labels or {},
                health=_health(t.health),
                last_error=t.last_error,
                last_scrape=parse_rfc3339(t.last_scrape),
                last_scrape_duration=t.last_scrape_duration,
                scrape_interval=t.scrape_interval,
                scrape_timeout=t.scrape_timeout,
                global_url=t.global_url,
            )
            for t in active or ()
        ],
        dropped=_dropped(dropped),
    )


def _dropped(dropped: Sequence[_DroppedTarget] | None) -> list[DroppedTarget]:
    return [DroppedTarget(t.discovered_labels or {}, t.scrape_pool) for t in dropped or ()]


def _scraped(at: datetime) -> datetime | None:
    """As parse_rfc3339 reads it: UTC when no offset; None for never (Go's zero time,
    VictoriaMetrics' epoch)."""
    if at.year == 1:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at if at.timestamp() > 0 else None


def _alert(a: _Alert) -> Alert:
    return Alert(
        labels=a.labels or {},
        annotations=a.annotations or {},
        state=_alert_state(a.state),
        active_at=parse_rfc3339(a.active_at or ""),
        value=_value_text(a.value),
    )


def decode_rules(raw: Body, endpoint: str = "/api/v1/rules", status: int = 200) -> list[RuleGroup]:
    return decode_rule_page(raw, endpoint, status).groups


def decode_rule_page(raw: Body, endpoint: str = "/api/v1/rules", status: int = 200) -> RulePage:
    """The rule groups, and the token of the next page when `group_limit` cut them."""
    data, _ = _open(_RULES, raw, endpoint, status)
    groups = []
    for g in data.groups or ():
        alerting: list[AlertingRule] = []
        recording: list[RecordingRule] = []
        for r in g.rules or ():
            if r.type == "alerting":
                alerting.append(_alerting_rule(g, r, [_alert(a) for a in r.alerts or ()]))
            elif r.type == "recording":
                recording.append(
                    RecordingRule(
                        group=g.name,
                        file=g.file,
                        name=r.name,
                        query=r.query,
                        labels=r.labels or {},
                        health=r.health,
                        last_error=r.last_error,
                    )
                )
        groups.append(RuleGroup(g.name, g.file, g.interval, alerting, recording, g.limit))
    return RulePage(groups, data.group_next_token)


def _alerting_rule(
    group: _Group | _GroupHead,
    rule: _RuleBase,
    alerts: list[Alert],
    counts: ActiveCounts | None = None,
) -> AlertingRule:
    """An alerting rule of `group` as the wire has it, with its alerts as decoded (or
    only their `counts`)."""
    return AlertingRule(
        group=group.name,
        file=group.file,
        name=rule.name,
        query=rule.query,
        duration=rule.duration,
        labels=rule.labels or {},
        annotations=rule.annotations or {},
        state=_alert_state(rule.state),
        health=rule.health,
        last_error=rule.last_error,
        alerts=alerts,
        counts=counts,
        keep_firing_for=rule.keep_firing_for,
    )


# What decode_alert_rules returns: the groups (alerting rules only), and the active
# rules the answer came without alerts for.
AlertRules = tuple[list[RuleGroup], list[AlertingRule]]


def decode_alert_rules(
    raw: Body,
    endpoint: str = "/api/v1/rules",
    status: int = 200,
    *,
    list_up_to: int = 0,
    also: Collection[tuple[str, str]] = (),
) -> AlertRules:
    """Alerting rules with their active alerts counted by state (`AlertingRule.counts`);
    the alerts themselves only of the rules with at most `list_up_to` of them, and of
    those `also` names as (group, rule). The others' are skipped undecoded: in an alert
    storm they are nearly all of the answer's 30 MB, and their objects ten times that.

    Also returns the active rules the answer came without alerts for (a server that
    honoured `exclude_alerts`): their counts are zero here, to be asked some other way.
    """
    data, _ = _open(_RULE_HEADS, raw, endpoint, status)
    groups = []
    left_out: list[AlertingRule] = []
    for i, g in enumerate(data.groups or ()):
        alerting: list[AlertingRule] = []
        for j, r in enumerate(g.rules or ()):
            if r.type != "alerting":
                continue
            path = f"data.groups[{i}].rules[{j}].alerts"
            states = _decode_raw(_ALERT_STATES, r.alerts, endpoint, path) or []
            firing = sum(a.state == "firing" for a in states)
            pending = sum(a.state == "pending" for a in states)
            alerts: list[Alert] = []
            counts: ActiveCounts | None = ActiveCounts(firing, pending)
            if firing + pending <= list_up_to or (g.name, r.name) in also:
                wire_alerts = _decode_raw(_ALERT_LIST, r.alerts, endpoint, path) or []
                alerts, counts = [_alert(a) for a in wire_alerts], None
            rule = _alerting_rule(g, r, alerts, counts)
            alerting.append(rule)
            if not states and rule.state != "inactive":
                left_out.append(rule)
        groups.append(RuleGroup(g.name, g.file, g.interval, alerting, [], g.limit))
    return groups, left_out


def _decode_raw(
    decoder: msgspec.json.Decoder[T], raw: msgspec.Raw, endpoint: str, path: str
) -> T | None:
    if not len(raw):
        return None
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        problem = describe(exc)
        # describe() starts with the path inside the alerts list, if any: `[3].labels: ...`
        joined = path + problem if problem.startswith("[") else f"{path}: {problem}"
        raise BadResponseError(endpoint, joined) from None


def decode_alerts(raw: Body, endpoint: str = "/api/v1/alerts", status: int = 200) -> list[Alert]:
    data, _ = _open(_ALERTS, raw, endpoint, status)
    return [_alert(a) for a in data.alerts or ()]


def decode_alertmanagers(
    raw: Body, endpoint: str = "/api/v1/alertmanagers", status: int = 200
) -> list[str]:
    """The URLs of the active Alertmanagers (where Prometheus sends alerts)."""
    data, _ = _open(_ALERTMANAGERS, raw, endpoint, status)
    return [a.url for a in data.active_alertmanagers or ()]


def decode_names(raw: Body, endpoint: str = "/api/v1/labels", status: int = 200) -> list[str]:
    """Label names (`/api/v1/labels`) or one label's values (`/api/v1/label/NAME/values`)."""
    data, _ = _open(_NAMES, raw, endpoint, status)
    return data or []


def decode_series(
    raw: Body, endpoint: str = "/api/v1/series", status: int = 200
) -> list[dict[str, str]]:
    data, _ = _open(_SERIES, raw, endpoint, status)
    return data or []


def decode_metadata(
    raw: Body, endpoint: str = "/api/v1/metadata", status: int = 200
) -> dict[str, list[MetricMetadata]]:
    data, _ = _open(_METADATA, raw, endpoint, status)
    return {
        name: [MetricMetadata(name, m.type, m.help, m.unit) for m in entries]
        for name, entries in data.items()
    }


_FLAVORS = ("mimir", "thanos", "cortex", "victoriametrics")


def decode_build_info(
    raw: Body, endpoint: str = "/api/v1/status/buildinfo", status: int = 200
) -> BuildInfo | None:
    """The server's version; None when it does not say (VictoriaMetrics answers `{}`)."""
    data, _ = _open(_BUILD_INFO, raw, endpoint, status)
    if not data.version:
        return None
    application = data.application.lower()
    flavor = next((name for name in _FLAVORS if name in application), "prometheus")
    return BuildInfo(
        version=data.version,
        revision=data.revision,
        branch=data.branch,
        go_version=data.go_version,
        flavor=flavor,
    )


__all__ = [
    "AlertRules",
    "Body",
    "NotAnEnvelope",
    "decode_alert_rules",
    "decode_alertmanagers",
    "decode_alerts",
    "decode_build_info",
    "decode_envelope",
    "decode_metadata",
    "decode_names",
    "decode_query",
    "decode_rule_page",
    "decode_rules",
    "decode_series",
    "decode_targets",
    "describe",
]


def decode_config(
    raw: Body, endpoint: str = "/api/v1/status/config", status: int = 200
) -> dict[str, Any]:
    """The configuration the server runs, its YAML parsed ({} when not a mapping)."""
    from promdash.files import FileProblem, parse_yaml

    data, _ = _open(_CONFIG, raw, endpoint, status)
    try:
        parsed, _ = parse_yaml(data.yaml)
    except FileProblem as exc:
        raise BadResponseError(endpoint, f"data.yaml: {exc}") from None
    return parsed if isinstance(parsed, dict) else {}
