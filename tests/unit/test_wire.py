"""The API decoder (promdash.prom.wire) fed arbitrary JSON: typed values or one error type.

The strategies follow each endpoint's shape (so decoding gets deep into it) but
at every level may put any JSON value instead; `status` is always "success", so
the only failure allowed is `BadResponseError`, as one line naming the endpoint.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec.structs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promdash.errors import BadResponseError
from promdash.present.text import clip
from promdash.prom import wire
from promdash.prom.types import (
    Alert,
    AlertingRule,
    BuildInfo,
    MetricMetadata,
    QueryResult,
    RecordingRule,
    RuleGroup,
    Sample,
    Series,
    Target,
    Targets,
)
from promdash.timefmt import parse_rfc3339

# ---------------------------------------------------------------- strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
number_strings = (
    st.floats().map(repr)
    | st.sampled_from(["NaN", "+Inf", "-Inf", "1e+00", "0x10", " 1", "", "abc"])
    | st.integers().map(str)
)
offsets = st.timedeltas(min_value=-timedelta(hours=23), max_value=timedelta(hours=23)).map(
    lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1)))
)
times = (
    st.datetimes(timezones=offsets).map(datetime.isoformat)
    | st.datetimes().map(lambda d: d.isoformat() + "Z")
    | st.sampled_from(
        ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-05-01T10:00:00.123456789Z"]
    )
)


# Keys the API always sends; the others are left out now and then.
REQUIRED = {"resultType", "result", "metric", "scrapeUrl", "labels", "health", "name", "type"}


def shaped(skeleton: Any) -> st.SearchStrategy[Any]:
    """Mostly the API's shape for `skeleton` (dicts, one-item lists, strategies), so that
    decoding goes deep; one time in twelve, any JSON value at all in its place."""
    if isinstance(skeleton, st.SearchStrategy):
        structure = skeleton
    elif isinstance(skeleton, dict):
        structure = st.fixed_dictionaries(
            {k: shaped(v) for k, v in skeleton.items() if k in REQUIRED},
            optional={k: shaped(v) for k, v in skeleton.items() if k not in REQUIRED},
        )
    elif isinstance(skeleton, list):
        structure = st.lists(shaped(skeleton[0]), max_size=3)
    else:
        raise TypeError(skeleton)
    return st.integers(0, 11).flatmap(lambda n: any_json if n == 0 else structure)


text = st.text(max_size=20)
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70)
labels = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4)
point = st.tuples(numbers, number_strings)
alert = {
    "labels": labels,
    "annotations": labels,
    "state": st.sampled_from(["inactive", "pending", "firing", "odd"]),
    "activeAt": times,
    "value": number_strings,
}
DATA: dict[str, Any] = {
    "query": st.one_of(
        shaped({"resultType": st.just("vector"), "result": [{"metric": labels, "value": point}]}),
        shaped(
            {"resultType": st.just("matrix"), "result": [{"metric": labels, "values": [point]}]}
        ),
        shaped({"resultType": st.sampled_from(["scalar", "string"]), "result": point}),
        shaped({"resultType": st.sampled_from(["vector", "matrix", "histogram"]), "result": point}),
    ),
    "targets": {
        "activeTargets": [
            {
                "scrapeUrl": text,
                "labels": labels,
                "health": st.sampled_from(["up", "down", "unknown", "odd"]),
                "scrapePool": text,
                "discoveredLabels": labels,
                "lastError": text,
                "lastScrape": times,
                "lastScrapeDuration": numbers,
                "scrapeInterval": text,
            }
        ],
        "droppedTargets": [{"discoveredLabels": labels}],
    },
    "rules": {
        "groups": [
            {
                "name": text,
                "file": text,
                "interval": numbers,
                "limit": st.integers(0, 10),
                "rules": [
                    {
                        "name": text,
                        "type": st.sampled_from(["alerting", "recording", "odd"]),
                        "query": text,
                        "duration": numbers,
                        "keepFiringFor": numbers,
                        "labels": labels,
                        "annotations": labels,
                        "state": text,
                        "health": text,
                        "lastError": text,
                        "alerts": [alert],
                    }
                ],
            }
        ]
    },
    "alerts": {"alerts": [alert]},
    "names": [text],
    "series": [labels],
    "metadata": st.dictionaries(text, shaped([{"type": text, "help": text, "unit": text}])),
    "build_info": {"version": text, "revision": text, "goVersion": text, "application": text},
}


def _check_query(value: QueryResult) -> None:
    assert value.result_type in ("vector", "matrix", "scalar", "string")
    assert all(isinstance(s, Sample) and isinstance(s.value, float) for s in value.vector)
    for series in value.matrix:
        assert isinstance(series, Series) and len(series.timestamps) == len(series.values)
        assert all(isinstance(v, float) for v in series.values)


def _check_targets(value: Targets) -> None:
    for target in value.active:
        assert isinstance(target, Target) and target.health in ("up", "down", "unknown")
        assert all(isinstance(v, str) for v in target.labels.values())
        assert isinstance(target.last_scrape_duration, float)


def _check_rules(value: list[RuleGroup]) -> None:
    for group in value:
        assert isinstance(group, RuleGroup) and isinstance(group.interval, float)
        assert all(isinstance(r, AlertingRule) for r in group.alerting)
        assert all(isinstance(r, RecordingRule) for r in group.recording)
        for rule in group.alerting:
            _check_alerts(rule.alerts)


def _check_alerts(value: list[Alert]) -> None:
    for one in value:
        assert isinstance(one, Alert) and isinstance(one.value, str)
        assert one.state in ("inactive", "pending", "firing")


def _check_names(value: list[str]) -> None:
    assert all(isinstance(name, str) for name in value)


def _check_series(value: list[dict[str, str]]) -> None:
    assert all(isinstance(v, str) for item in value for v in item.values())


def _check_metadata(value: dict[str, list[MetricMetadata]]) -> None:
    assert all(isinstance(m, MetricMetadata) for entries in value.values() for m in entries)


def _check_build_info(value: BuildInfo | None) -> None:
    assert value is None or (isinstance(value, BuildInfo) and value.version)


CHECKS: dict[str, Callable[[Any], None]] = {
    "query": _check_query,
    "targets": _check_targets,
    "rules": _check_rules,
    "alerts": _check_alerts,
    "names": _check_names,
    "series": _check_series,
    "metadata": _check_metadata,
    "build_info": _check_build_info,
}


@pytest.mark.parametrize("endpoint", sorted(DATA))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_decodes_to_typed_values_or_one_error(endpoint: str, data: st.DataObject) -> None:
    skeleton = DATA[endpoint]
    answer = data.draw(skeleton if isinstance(skeleton, st.SearchStrategy) else shaped(skeleton))
    body = json.dumps({"status": "success", "data": answer}).encode()
    decode = getattr(wire, f"decode_{endpoint}")
    try:
        value = decode(body, "/api/v1/" + endpoint)
    except BadResponseError as exc:
        message = str(exc)
        assert message.startswith(f"unexpected answer from /api/v1/{endpoint}: ")
        assert "\n" not in message and len(message) < 700
        return
    CHECKS[endpoint](value)


# ---------------------------------------------------------------- what real servers send


def test_values_prometheus_writes_as_strings_decode() -> None:
    body = json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {"metric": {}, "values": [[1, "NaN"], [2, "+Inf"], [3, "-Inf"], [4, "1e-3"]]}
                ],
            },
        }
    ).encode()
    (series,) = wire.decode_query(body).matrix
    assert math.isnan(series.values[0])
    assert series.values[1:] == [math.inf, -math.inf, 0.001]


def test_servers_fields_of_their_own_are_ignored() -> None:
    body = b"""{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"job":"a"},"value":[1.5,"2"],"thanosReplica":"x"}],"stats":{"samples":1}},
        "partialResponse":true}"""
    (sample,) = wire.decode_query(body).vector
    assert (sample.metric, sample.timestamp, sample.value) == ({"job": "a"}, 1.5, 2.0)


def test_go_nil_lists_are_empty_not_errors() -> None:
    assert wire.decode_names(b'{"status":"success","data":null}') == []
    targets = b'{"status":"success","data":{"activeTargets":null,"droppedTargets":null}}'
    assert wire.decode_targets(targets).active == []


MISSING = object()


def _one_target(**fields: object) -> Target:
    target = {"scrapePool": "p", "scrapeUrl": "http://a/metrics", "labels": {"job": "p"},
              "health": "up", "lastError": "", "lastScrape": "2024-05-01T10:00:00Z",
              "lastScrapeDuration": 0.5, "scrapeInterval": "5s", "scrapeTimeout": "5s"}  # fmt: skip
    target.update(fields)
    target = {k: v for k, v in target.items() if v is not MISSING}
    body = {"status": "success", "data": {"activeTargets": [target], "droppedTargets": []}}
    (decoded,) = wire.decode_targets(json.dumps(body).encode()).active
    return decoded


@pytest.mark.parametrize(
    "sent",
    ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-05-01T10:00:00.123456789Z",
     "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00", "2024-05-01 10:00:00Z", ""],
)  # fmt: skip
def test_a_targets_last_scrape_reads_as_the_exact_parser_reads_it(sent: str) -> None:
    # The answer is decoded straight into Targets, times read in C: never (Go's zero
    # time, VictoriaMetrics' epoch), no offset and a time msgspec does not read all
    # come out as parse_rfc3339 says.
    # (msgspec rounds nanoseconds to the microsecond, the parser cuts them: 1 µs apart.)
    got, exact = _one_target(lastScrape=sent).last_scrape, parse_rfc3339(sent)
    assert got == exact or (got and exact and abs(got - exact) <= timedelta(microseconds=1))


def test_what_the_fast_decoder_does_not_take_is_read_by_the_exact_one() -> None:
    assert _one_target(labels=None).labels == {}
    assert _one_target(health="odd").health == "unknown"
    assert _one_target(lastScrapeDuration=1).last_scrape_duration == 1.0
    bare = _one_target(scrapeInterval=MISSING, scrapeTimeout=MISSING, lastError=MISSING)
    assert (bare.scrape_interval, bare.scrape_timeout, bare.last_error) == ("", "", "")
    assert _one_target() == Target(
        "p", "http://a/metrics", {"job": "p"}, "up", "", datetime(2024, 5, 1, 10, tzinfo=UTC),
        0.5, "5s", "5s",
    )  # fmt: skip


# ---------------------------------------------------------------- the reproduced crashes


VECTOR = "vector"
WRONG_SHAPES: list[tuple[str, object, str]] = [
    ("targets", {"activeTargets": "abc"}, "data.activeTargets: expected an array, got a string"),
    ("targets", None, "data: expected an object, got null"),
    ("targets", [1, 2, 3], "data: expected an object, got an array"),
    (
        "query",
        {"resultType": VECTOR, "result": [{"value": [1]}]},
        "data.result[0].value: expected an array of 2 items",
    ),
    (
        "query",
        {"resultType": VECTOR, "result": [{"value": [1, "1"]}]},
        "data.result[0].metric: missing",
    ),
    (
        "query",
        {"resultType": VECTOR, "result": "abc"},
        "data.result: expected an array, got a string",
    ),
    (
        "query",
        {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "+Inf"], [2, "x"]]}]},
        "data.result[0].values[1][1]: expected a number string, got 'x'",
    ),
    (
        "query",
        {"resultType": "histogram", "result": []},
        "data.resultType: invalid value 'histogram'",
    ),
    (
        "alerts",
        {"alerts": [{"labels": {"a": 1}}]},
        "data.alerts[0].labels.<key>: expected a string, got an integer",
    ),
]


@pytest.mark.parametrize(("decode", "data", "problem"), WRONG_SHAPES)
def test_wrong_shapes_say_where_and_what(decode: str, data: object, problem: str) -> None:
    body = json.dumps({"status": "success", "data": data}).encode()
    with pytest.raises(BadResponseError) as caught:
        getattr(wire, f"decode_{decode}")(body, "/api/v1/x")
    assert str(caught.value) == f"unexpected answer from /api/v1/x: {problem}"


def test_an_answer_without_data_is_a_shape_error() -> None:
    with pytest.raises(BadResponseError, match="data: missing"):
        wire.decode_targets(b'{"status":"success"}')


# ---------------------------------------------------------------- the cell cap


def test_clip_keeps_short_text_and_says_how_much_was_cut() -> None:
    assert clip("abc") == "abc"
    assert clip("x" * 300) == "x" * 300
    huge = "é" * 1_000_000  # 2 bytes each in UTF-8
    assert clip(huge, 10) == "é" * 10 + "…(+2.0 MB)"
    assert clip("y" * 310, 300) == "y" * 300 + "…(+10 B)"


# ---------------------------------------------------------------- alert rules, counted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), list_up_to=st.integers(0, 3))
def test_alert_rules_count_and_list_what_the_whole_decoding_finds(
    data: st.DataObject, list_up_to: int
) -> None:
    answer = data.draw(shaped(DATA["rules"]))
    body = json.dumps({"status": "success", "data": answer}).encode()
    try:
        whole = wire.decode_rules(body)
    except BadResponseError:
        # Alerts left undecoded may be of any shape: an error, if any, is one line.
        with contextlib.suppress(BadResponseError):
            wire.decode_alert_rules(body, list_up_to=list_up_to)
        return
    groups, left_out = wire.decode_alert_rules(body, list_up_to=list_up_to)
    assert [g.name for g in groups] == [g.name for g in whole]
    for light, full in zip(groups, whole, strict=True):
        assert light == msgspec.structs.replace(full, alerting=light.alerting, recording=[])
        for rule, expected in zip(light.alerting, full.alerting, strict=True):
            # The same rule as the whole decoding's (its `for`, keepFiringFor, ...) but
            # its alerts.
            assert rule == msgspec.structs.replace(expected, alerts=rule.alerts, counts=rule.counts)
            for state in ("firing", "pending"):
                assert rule.count(state) == expected.count(state)
            active = expected.count("firing") + expected.count("pending")
            assert rule.listed == (active <= list_up_to)
            assert rule.alerts == (expected.alerts if rule.listed else [])
            assert (rule in left_out) == (not expected.alerts and rule.state != "inactive")


def test_a_listed_rules_alerts_of_the_wrong_shape_say_where() -> None:
    rule = {"name": "A", "type": "alerting", "state": "firing"}
    data = {"groups": [{"name": "g", "rules": [{**rule, "alerts": [{"labels": {"a": 1}}]}]}]}
    body = json.dumps({"status": "success", "data": data}).encode()
    with pytest.raises(BadResponseError) as caught:
        wire.decode_alert_rules(body, "/api/v1/rules", list_up_to=5)
    assert str(caught.value) == (
        "unexpected answer from /api/v1/rules: "
        "data.groups[0].rules[0].alerts[0].labels.<key>: expected a string, got an integer"
    )
