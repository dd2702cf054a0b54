"""Times no server could take are refused before any request, as usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from promdash import cli
from promdash.timefmt import EARLIEST_TIME, LATEST_TIME, parse_time

OUT_OF_RANGE = "is not a time between the years 1 and 9999"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("nan", f"'nan' {OUT_OF_RANGE}"),
        ("inf", f"'inf' {OUT_OF_RANGE}"),
        ("1e30", f"'1e30' {OUT_OF_RANGE}"),
        ("1e12", f"'1e12' {OUT_OF_RANGE}"),  # the year 33658
        ("-1e30", f"'-1e30' {OUT_OF_RANGE}"),  # a Unix time, not '1e30 ago'
        ("-inf", f"'-inf' {OUT_OF_RANGE}"),
    ],
)
def test_a_time_outside_the_years_1_to_9999_is_a_usage_error(value: str, says: str) -> None:
    # Nothing listens at the URL: the time is refused before any request.
    args = ["query", "up", f"--time={value}", "--url", "http://127.0.0.1:9"]
    result = subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == cli.EXIT_USAGE
    (line,) = result.stderr.splitlines()
    assert line.startswith("promdash: argument --time: ") and says in line, line
    assert result.stdout == ""


def test_times_within_range_are_kept() -> None:
    assert parse_time("now", now=1000.0) == 1000.0
    assert parse_time("-15m", now=1000.0) == 100.0
    assert parse_time("1700000000.5") == 1700000000.5
    assert parse_time("2024-05-01T10:00:00Z") == 1714557600.0
    assert parse_time("-1000s", now=EARLIEST_TIME + 1000) == EARLIEST_TIME
    assert parse_time("9999-12-31T23:59:59Z") == parse_time(repr(LATEST_TIME)) == LATEST_TIME
