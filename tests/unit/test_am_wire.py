"""Alertmanager's answers (promdash.prom.am_wire): typed values, or one error of one line.

The good answers are what Debian's Alertmanager 0.25 sent (captured with curl
against it; tests/integration/test_alertmanager_client.py checks the live
ones); the hostile ones put any JSON anywhere in that shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promdash.errors import APIError, BadResponseError
from promdash.prom import am_wire
from promdash.prom.am_types import AlertmanagerAlert, AlertmanagerStatus, Matcher, Silence
from promdash.prom.wire import NotAnEnvelope
from tests.unit.test_wire import any_json, labels, text, times

SILENCE = {
    "id": "e8656723-5dea-4dad-a39a-9a476e068d52",
    "status": {"state": "active"},
    "updatedAt": "2026-12-01T17:15:38.459Z",
    "comment": "c",
    "createdBy": "me",
    "endsAt": "2026-12-01T18:15:38.000Z",
    "matchers": [
        {"isEqual": True, "isRegex": False, "name": "alertname", "value": "InstanceDown"},
        {"isEqual": False, "isRegex": True, "name": "instance", "value": "a.*"},
    ],
    "startsAt": "2026-12-01T17:15:38.459Z",
}
ALERT = {
    "annotations": {},
    "endsAt": "2026-12-01T17:20:35.100Z",
    "fingerprint": "ee19ece562e9fcc7",
    "receivers": [{"name": "hook"}],
    "startsAt": "2026-12-01T17:15:35.100Z",
    "status": {"inhibitedBy": ["cb3b939b98cb8ff6"], "silencedBy": [], "state": "suppressed"},
    "updatedAt": "2026-12-01T17:15:35.100Z",
    "labels": {"alertname": "Slow", "instance": "a:1", "severity": "warning"},
}


def body(value: object) -> bytes:
    return json.dumps(value).encode()


# ---------------------------------------------------------------- what Alertmanager sends


def test_a_silence_as_alertmanager_sends_it() -> None:
    (silence,) = am_wire.decode_silences(body([SILENCE]))
    assert silence == Silence(
        id="e8656723-5dea-4dad-a39a-9a476e068d52",
        matchers=[
            Matcher("alertname", "InstanceDown", is_regex=False, is_equal=True),
            Matcher("instance", "a.*", is_regex=True, is_equal=False),
        ],
        starts_at=datetime(2026, 12, 1, 17, 15, 38, 459000, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 18, 15, 38, tzinfo=UTC),
        created_by="me",
        comment="c",
        state="active",
        updated_at=datetime(2026, 12, 1, 17, 15, 38, 459000, tzinfo=UTC),
    )
    assert am_wire.decode_silence(body(SILENCE)) == silence


def test_an_alert_as_alertmanager_sends_it() -> None:
    (alert,) = am_wire.decode_alerts(body([ALERT]))
    assert alert.state == "suppressed" and alert.inhibited_by == ["cb3b939b98cb8ff6"]
    assert alert.receivers == ["hook"] and alert.silenced_by == []
    assert alert.labels["alertname"] == "Slow" and alert.fingerprint == "ee19ece562e9fcc7"


def test_status_and_a_new_silence_id() -> None:
    status = am_wire.decode_status(
        body(
            {
                "cluster": {"peers": [], "status": "disabled"},
                "config": {"original": "route: ..."},
                "uptime": "2026-12-01T17:15:33.595Z",
                "versionInfo": {
                    "branch": "debian/sid",
                    "buildDate": "20230409-09:50:43",
                    "buildUser": "team+pkg-go@tracker.debian.org",
                    "goVersion": "go1.19.8",
                    "revision": "0.25.0-1+b4",
                    "version": "0.25.0",
                },
            }
        )
    )
    assert (status.version, status.cluster, status.go_version) == ("0.25.0", "disabled", "go1.19.8")
    assert am_wire.decode_silence_id(b'{"silenceID":"b6e63524"}') == "b6e63524"


def test_alertmanager_older_than_negative_matchers_and_null_lists() -> None:
    old = {**SILENCE, "matchers": [{"isRegex": False, "name": "a", "value": "b"}]}
    (silence,) = am_wire.decode_silences(body([old]))
    assert silence.matchers == [Matcher("a", "b", is_regex=False, is_equal=True)]
    bare = {**ALERT, "receivers": None, "status": {"state": "active"}}
    (alert,) = am_wire.decode_alerts(body([bare]))
    assert alert.receivers == [] and alert.silenced_by == [] and alert.inhibited_by == []
    assert am_wire.decode_silences(b"null") == []


def test_an_unknown_silence_state_is_worked_out_from_its_times() -> None:
    past = {**SILENCE, "status": {"state": "archived"}, "endsAt": "2001-01-01T00:00:00Z"}
    past["startsAt"] = "2000-01-01T00:00:00Z"
    (silence,) = am_wire.decode_silences(body([past]))
    assert silence.state == "expired"


# ---------------------------------------------------------------- failures Alertmanager explains


@pytest.mark.parametrize(
    ("status", "raw", "message"),
    [
        (
            400,
            b'"silence invalid: invalid label matcher 0: invalid regular expression"',
            "Alertmanager answered HTTP 400: silence invalid: invalid label matcher 0: "
            "invalid regular expression",
        ),
        (
            422,
            b'{"code":612,"message":"matchers in body should have at least 1 items"}',
            "Alertmanager answered HTTP 422: matchers in body should have at least 1 items",
        ),
        (500, b'"silence not found"', "Alertmanager answered HTTP 500: silence not found"),
        (404, b"", "Alertmanager answered HTTP 404: no reason given"),
        (502, b'{"oops": [1, 2]}', 'Alertmanager answered HTTP 502: {"oops": [1, 2]}'),
        (400, b'"line one\\nline two\\u001b[31m"', "Alertmanager answered HTTP 400: line one"),
    ],
)
def test_failures_are_one_line_with_alertmanagers_words(
    status: int, raw: bytes, message: str
) -> None:
    with pytest.raises(APIError) as caught:
        am_wire.decode_silences(raw, "/api/v2/silences", status)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)
    assert caught.value.status == status


@pytest.mark.parametrize("status", [200, 404, 500])
def test_a_page_that_is_not_json_is_not_the_api(status: int) -> None:
    with pytest.raises(NotAnEnvelope):
        am_wire.decode_alerts(b"<html>login</html>", "/api/v2/alerts", status)


# ---------------------------------------------------------------- wrong shapes


WRONG_SHAPES: list[tuple[Callable[..., Any], object, str]] = [
    (am_wire.decode_silences, {"id": "x"}, "expected an array, got an object"),
    (am_wire.decode_silences, [{**SILENCE, "matchers": None}], "[0].matchers: expected an array"),
    (am_wire.decode_silences, [{**SILENCE, "id": 7}], "[0].id: expected a string, got an integer"),
    (
        am_wire.decode_silences,
        [{**SILENCE, "endsAt": "tomorrow"}],
        "[0].endsAt: expected an RFC 3339 time, got 'tomorrow'",
    ),
    (am_wire.decode_silences, [{**SILENCE, "status": "active"}], "[0].status: expected an object"),
    (am_wire.decode_alerts, [{**ALERT, "labels": {"a": 1}}], "[0].labels.<key>: expected a string"),
    (am_wire.decode_alerts, [{**ALERT, "fingerprint": None}], "[0].fingerprint: expected a string"),
    (am_wire.decode_alerts, [{k: v for k, v in ALERT.items() if k != "status"}], "status: missing"),
    (am_wire.decode_status, {"versionInfo": {"version": ""}}, "versionInfo.version: empty"),
    (am_wire.decode_status, [], "expected an object, got an array"),
    (am_wire.decode_silence_id, {"silenceID": ""}, "silenceID: empty"),
    (am_wire.decode_silence_id, {}, "silenceID: missing"),
]


@pytest.mark.parametrize(("decode", "data", "problem"), WRONG_SHAPES)
def test_wrong_shapes_say_where_and_what(
    decode: Callable[..., Any], data: object, problem: str
) -> None:
    with pytest.raises(BadResponseError) as caught:
        decode(body(data), "/api/v2/x")
    message = str(caught.value)
    assert message.startswith("unexpected answer from /api/v2/x: ") and problem in message
    assert "\n" not in message


def shaped(skeleton: Any) -> st.SearchStrategy[Any]:
    """The API's shape for `skeleton` most of the time; any JSON value one time in ten."""
    if isinstance(skeleton, st.SearchStrategy):
        structure = skeleton
    elif isinstance(skeleton, dict):
        structure = st.fixed_dictionaries({k: shaped(v) for k, v in skeleton.items()})
    elif isinstance(skeleton, list):
        structure = st.lists(shaped(skeleton[0]), max_size=3)
    else:
        raise TypeError(skeleton)
    return st.integers(0, 9).flatmap(lambda n: any_json if n == 0 else structure)


matcher = {"name": text, "value": text, "isRegex": st.booleans(), "isEqual": st.booleans()}
SHAPES: dict[str, Any] = {
    "silences": [
        {
            "id": text,
            "status": {"state": st.sampled_from(["active", "pending", "expired", "odd"])},
            "matchers": [matcher],
            "startsAt": times,
            "endsAt": times,
            "createdBy": text,
            "comment": text,
        }
    ],
    "alerts": [
        {
            "labels": labels,
            "annotations": labels,
            "fingerprint": text,
            "receivers": [{"name": text}],
            "startsAt": times,
            "status": {
                "state": st.sampled_from(["active", "suppressed", "unprocessed", "odd"]),
                "silencedBy": [text],
                "inhibitedBy": [text],
            },
        }
    ],
    "status": {"versionInfo": {"version": text}, "cluster": {"status": text}, "uptime": times},
}


def _check(value: Any) -> None:
    for item in value if isinstance(value, list) else [value]:
        assert isinstance(item, Silence | AlertmanagerAlert | AlertmanagerStatus)
        if isinstance(item, Silence):
            assert item.state in ("active", "pending", "expired")
            assert all(isinstance(m.value, str) for m in item.matchers)
        if isinstance(item, AlertmanagerAlert):
            assert item.state in ("active", "suppressed", "unprocessed")
            assert all(isinstance(r, str) for r in item.receivers)


@pytest.mark.parametrize("endpoint", sorted(SHAPES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_decodes_to_typed_values_or_one_error(endpoint: str, data: st.DataObject) -> None:
    answer = data.draw(shaped(SHAPES[endpoint]))
    decode = getattr(am_wire, f"decode_{endpoint}")
    try:
        value = decode(body(answer), "/api/v2/" + endpoint)
    except BadResponseError as exc:
        message = str(exc)
        assert message.startswith(f"unexpected answer from /api/v2/{endpoint}: ")
        assert "\n" not in message and len(message) < 700
        return
    _check(value)
