"""Values in Grafana units, as Grafana writes them (its valueFormats: toFixed, scaledUnits,
SI and IEC prefixes, the time and throughput formatters)."""

from __future__ import annotations

import math

import pytest

from promdash.grafana.units import format_value, formatted, to_fixed


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (1.5, None, "1.50"),  # about 3 significant digits
        (15.34, None, "15.3"),
        (153.7, None, "154"),
        (0.0123, None, "0.0123"),
        (42.0, None, "42"),  # whole values have no decimals
        (2.5, 3, "2.500"),
        (0.0, 2, "0.00"),
        (2.675, 1, "2.7"),
        (0.125, 2, "0.13"),  # JavaScript rounds halves up, not to even
        (2.5, 0, "3"),
        (-1.5, None, "-1.50"),
    ],
)
def test_to_fixed_chooses_decimals_like_grafana(
    value: float, decimals: int | None, text: str
) -> None:
    assert to_fixed(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        (1234567, "short", None, "1.23 Mil"),
        (999, "short", None, "999"),
        (1500, "", None, "1.50 K"),  # no unit is "short"
        (2.5, "none", None, "2.50"),
        (0.25, "s", None, "250 ms"),
        (42, "s", None, "42 s"),
        (120, "s", None, "2 mins"),
        (3600, "s", None, "1 hour"),
        (3 * 86400, "s", None, "3 days"),
        (0.0000005, "s", None, "500 ns"),
        (90000, "ms", None, "1.50 mins"),
        (250, "ms", None, "250 ms"),
        (1500, "µs", None, "1.50 ms"),
        (1500, "us", None, "1.50 ms"),
        (500, "ns", None, "500 ns"),
        (90, "m", None, "1.50 hours"),
        (36, "h", None, "1.50 days"),
        (14, "d", None, "2 weeks"),
        (93784, "dtdurations", None, "1d2h"),
        (93784000, "dtdurationms", None, "1d2h"),
        (1536, "bytes", None, "1.50 KiB"),
        (1536 * 1024**2, "bytes", 1, "1.5 GiB"),
        (1500, "decbytes", None, "1.50 kB"),
        (2048, "bits", None, "2 Kib"),
        (1500, "bps", None, "1.50 kbps"),
        (1500, "Bps", None, "1.50 kB/s"),
        (2048, "binBps", None, "2 KiB/s"),
        (0.5, "percentunit", None, "50%"),
        (0.1234, "percentunit", 1, "12.3%"),
        (42, "percent", None, "42%"),
        (1500, "reqps", None, "1.50K req/s"),
        (15, "reqps", None, "15 req/s"),
        (3, "ops", None, "3 ops"),
        (7, "rps", None, "7 rd/s"),
        (7, "wps", None, "7 wr/s"),
        (2500, "iops", None, "2.50K io/s"),
        (1.5e9, "hertz", None, "1.50 GHz"),
        (21.5, "celsius", None, "21.5 °C"),
        (5, "apples", None, "5 apples"),  # unknown: the unit after the value
        (5, "suffix:/min", None, "5/min"),
        (5, "prefix:$", None, "$5"),
        (0, "bytes", None, "0 B"),
        (-2048, "bytes", None, "-2 KiB"),
    ],
)
def test_units(value: float, unit: str, decimals: int | None, text: str) -> None:
    assert format_value(value, unit, decimals) == text


@pytest.mark.parametrize("unit", ["bytes", "s", "percentunit", "short", "apples"])
def test_nan_and_infinities_are_written_as_promdash_writes_them(unit: str) -> None:
    assert [format_value(v, unit) for v in (math.nan, math.inf, -math.inf)] == [
        "NaN", "+Inf", "-Inf",
    ]  # fmt: skip


def test_a_value_splits_into_number_and_unit_for_big_stat_numbers() -> None:
    parts = formatted(1536, "bytes")
    assert (parts.prefix, parts.text, parts.suffix) == ("", "1.50", " KiB")
