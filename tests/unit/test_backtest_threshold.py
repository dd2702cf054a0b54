"""The threshold a backtest plot draws: the number an alerting rule's expression is
compared with at its top level, and the expression compared."""

from __future__ import annotations

import math

import pytest

from promdash.backtest.threshold import Threshold, threshold


@pytest.mark.parametrize(
    ("expr", "found"),
    [
        ("up == 0", Threshold("up", "==", 0.0)),
        ("rate(errors_total[5m]) > 0.05", Threshold("rate(errors_total[5m])", ">", 0.05)),
        (
            'sum by (job) (rate(x{code=~"5..", a!="b>c"}[5m])) >= 1e3',
            Threshold('sum by (job) (rate(x{code=~"5..", a!="b>c"}[5m]))', ">=", 1000.0),
        ),
        ("node_load1 <= -0.5", Threshold("node_load1", "<=", -0.5)),
        ("x != (2)", Threshold("x", "!=", 2.0)),
        ("x > 0x10", Threshold("x", ">", 16.0)),
        ("x > 1_000", Threshold("x", ">", 1000.0)),
        # Comparisons group to the left: the last one is the top one.
        ("x > 1 < 5", Threshold("x > 1", "<", 5.0)),
        # A number on the left is turned round.
        ("0.9 < histogram_quantile(0.9, b)", Threshold("histogram_quantile(0.9, b)", ">", 0.9)),
        # Inside brackets, strings and comments nothing counts.
        ('x{a=">"} # > 3\n > 2', Threshold('x{a=">"}', ">", 2.0)),
        ("max_over_time((y > 3)[5m:]) > 4", Threshold("max_over_time((y > 3)[5m:])", ">", 4.0)),
    ],
)
def test_the_top_level_comparison_with_a_number(expr: str, found: Threshold) -> None:
    assert threshold(expr) == found


@pytest.mark.parametrize(
    "expr",
    [
        "up",
        "rate(x[5m]) > 0.5 and y < 3",  # and binds more loosely: no one threshold
        "x > 1 or vector(0)",
        "x > 1 unless y",
        "x > y",
        "x > bool 1",
        "x > on(job) 1",
        "x > 0.5 * 2",
        "max_over_time((y > 3)[5m:])",
        "x > (1",  # does not parse: no threshold, the server says why
        "1 > 2",
    ],
)
def test_no_threshold(expr: str) -> None:
    assert threshold(expr) is None


def test_names_that_contain_set_operators_are_names() -> None:
    assert threshold("errors_or_warnings > 3") == Threshold("errors_or_warnings", ">", 3.0)


def test_inf() -> None:
    found = threshold("x < +Inf")
    assert found is not None and math.isinf(found.value)


def test_comments_are_not_part_of_either_side() -> None:
    assert threshold("rate(x[5m]) > 0.05  # 5%") == Threshold("rate(x[5m])", ">", 0.05)
    found = threshold("sum(x)  # the errors\n  > 3")
    assert found == Threshold("sum(x)", ">", 3.0)  # nothing appended to it is commented out
    assert threshold('x{a="#1"} > 2') == Threshold('x{a="#1"}', ">", 2.0)
