"""One vocabulary for durations, times and values: the grammar Prometheus accepts, one text."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promdash import timefmt


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("1m", 60), ("1h30m", 5400), ("500ms", 0.5), ("2d", 172800), ("1y2w", 32745600),
     ("0", 0), ("0s", 0)],
)  # fmt: skip
def test_a_duration_is_what_prometheus_accepts(text: str, seconds: float) -> None:
    assert timefmt.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 s", "1.5s", "s", "1m1h", "1h1h", "-5s", "5S"])
def test_what_prometheus_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        timefmt.parse_duration(text)


def test_where_the_api_takes_seconds_a_number_is_a_duration_too() -> None:
    assert timefmt.parse_seconds("1.5") == 1.5
    assert timefmt.parse_seconds("15m") == 900
    for text in ("0", "0s", "-1", "inf", "nan", "abc"):
        with pytest.raises(ValueError):
            timefmt.parse_seconds(text)


@given(st.integers(min_value=1, max_value=10**8))
def test_format_duration_reads_back(seconds: int) -> None:
    assert timefmt.parse_duration(timefmt.format_duration(seconds)) == seconds


def test_times() -> None:
    now = 1_700_000_000.0
    assert timefmt.parse_time("now", now) == now
    assert timefmt.parse_time("-15m", now) == now - 900
    assert timefmt.parse_time("1700000000.5", now) == 1_700_000_000.5
    assert timefmt.parse_time("2023-11-14T22:13:20Z", now) == 1_700_000_000
    for text in ("nan", "inf", "1e30", "yesterday", "-1e30"):
        with pytest.raises(ValueError):
            timefmt.parse_time(text, now)


def test_rfc3339_as_go_and_victoriametrics_write_it() -> None:
    moment = timefmt.parse_rfc3339("2024-05-01T10:00:00.123456789Z")
    assert moment == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert timefmt.parse_rfc3339("0001-01-01T00:00:00Z") is None  # Go's "never"
    assert timefmt.parse_rfc3339("1970-01-01T00:00:00Z") is None  # VictoriaMetrics' "never"
    assert timefmt.parse_rfc3339("garbage") is None
    assert timefmt.iso(moment) == "2024-05-01T10:00:00.123456Z"


def test_one_short_duration_for_both_front_ends() -> None:
    # Before: 300 s was "5m" in the dashboard and "5m00s" in `promdash status`.
    assert [timefmt.short_duration(s) for s in (4, 300, 185, 5400, 7200, 190000)] == [
        "4s", "5m", "3m05s", "1h30m", "2h", "2d4h",
    ]  # fmt: skip
    assert timefmt.ago(100.0, 103.4) == "3s ago"
    assert timefmt.ago(None, 1) == "never"
    assert timefmt.ago(110.0, 100.0) == "just now"
    assert timefmt.seconds_text(0.0123) == "12.3ms"


def test_values() -> None:
    assert [timefmt.value_text(v) for v in (math.nan, math.inf, -math.inf, 3.0, 0.1234567)] == [
        "NaN", "+Inf", "-Inf", "3", "0.123457",
    ]  # fmt: skip
    assert timefmt.value_text(0.000123, compact=True) == "0.000123"
    assert timefmt.value_text(1234567.0, compact=True) == "1.23e+06"
    assert timefmt.nonfinite_text(1.0) is None


def test_one_auto_step_and_one_shortest_interval() -> None:
    assert timefmt.auto_step(900, 110) == 9
    assert timefmt.auto_step(10, 200) == 1
    assert timefmt.shortest_interval(["15s", "5s", "junk", "1m"]) == 5
    assert timefmt.shortest_interval([]) is None
