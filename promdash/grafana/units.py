"""Sample values in a Grafana unit, as Grafana writes them: `1.50 MiB`, `250 ms`, `42%`.

Follows Grafana's value formats (packages/grafana-data/src/valueFormats: toFixed,
scaledUnits, the SI and IEC prefixes, the time and throughput formatters): without
`decimals`, a value gets about 3 significant digits (`1.50`, `15.3`, `154`) and whole
values none; a unit Grafana does not know is written after the number (`12 apples`),
and `suffix:`, `prefix:`, `si:` and `count:` custom units work as in Grafana. NaN and
the infinities are written as everywhere in promdash (`NaN`, `+Inf`, `-Inf`); the
`dtdurations` units use promdash's short durations (`2d4h`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from promdash import timefmt


@dataclass(frozen=True, slots=True)
class Formatted:
    """A value's parts, so a stat panel can draw the number large and the unit small."""

    text: str
    suffix: str = ""
    prefix: str = ""

    def __str__(self) -> str:
        return f"{self.prefix}{self.text}{self.suffix}"


Formatter = Callable[[float, int | None], Formatted]


def format_value(value: float, unit: str = "", decimals: int | None = None) -> str:
    """`value` in the Grafana `unit` with `decimals` (None: chosen by magnitude)."""
    return str(formatted(value, unit, decimals))


def formatted(value: float, unit: str = "", decimals: int | None = None) -> Formatted:
    if (special := timefmt.nonfinite_text(value)) is not None:
        return Formatted(special)
    return formatter(unit)(value, decimals)


def formatter(unit: str) -> Formatter:
    """The formatter of a unit id; an unknown one writes the unit after the value."""
    known = _UNITS.get(unit or "short")
    if known is not None:
        return known
    kind, _, text = unit.partition(":")
    if text and kind in _CUSTOM:
        return _CUSTOM[kind](text)
    return _fixed_unit(" " + unit)


# ---------------------------------------------------------------- Grafana's toFixed


def _js_text(number: float) -> str:
    """A number as JavaScript's String() writes it (no exponent between 1e-7 and 1e21)."""
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    if 1e-7 <= abs(number) < 1e21:
        return format(Decimal(repr(number)), "f")
    return repr(number).replace("e-0", "e-").replace("e+0", "e+")


def _auto_decimals(value: float) -> int:
    magnitude = math.floor(math.log(abs(value)) / math.log(10))
    decimals = -magnitude + 1
    if abs(value) / 10.0**-decimals > 2.25:
        decimals += 1
    if value % 1 == 0:
        decimals = 0
    return max(0, decimals)


def to_fixed(value: float, decimals: int | None = None) -> str:
    """Grafana's toFixed: rounded to `decimals` (None: by magnitude), padded with zeros."""
    if decimals is None:
        decimals = _auto_decimals(value) if value else 0
    decimals = max(0, min(decimals, 20))
    if value == 0:
        return f"{0:.{decimals}f}"
    factor = 10**decimals
    text = _js_text(math.floor(value * factor + 0.5) / factor)  # JS Math.round: half up
    if "e" in text:
        return text
    point = text.find(".")
    precision = 0 if point == -1 else len(text) - point - 1
    if precision < decimals:
        return (text if precision else text + ".") + "0" * (decimals - precision)
    return text


# ---------------------------------------------------------------- formatter families


def _fixed_unit(suffix: str) -> Formatter:
    return lambda value, decimals: Formatted(to_fixed(value, decimals), suffix)


def _scaled(factor: int, suffixes: Sequence[str], offset: int = 0) -> Formatter:
    def format_(value: float, decimals: int | None) -> Formatted:
        step = 0 if value == 0 else math.floor(math.log(abs(value)) / math.log(factor))
        suffix = suffixes[min(max(offset + step, 0), len(suffixes) - 1)]
        power = min(max(step, -offset), len(suffixes) - offset - 1)
        return Formatted(to_fixed(value / factor**power, decimals), suffix)

    return format_


_SI = ("f", "p", "n", "µ", "m", "", "k", "M", "G", "T", "P", "E", "Z", "Y")
_IEC = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi")


def _si(unit: str, offset: int = 0) -> Formatter:
    return _scaled(1000, [f" {p}{unit}" for p in _SI], _SI.index("") + offset)


def _iec(unit: str, offset: int = 0) -> Formatter:
    return _scaled(1024, [f" {p}{unit}" for p in _IEC], offset)


def _count(symbol: str) -> Formatter:
    scale = _scaled(1000, ["", "K", "M", "B", "T"])

    def format_(value: float, decimals: int | None) -> Formatted:
        scaled = scale(value, decimals)
        return Formatted(scaled.text, f"{scaled.suffix} {symbol}")

    return format_


_short = _scaled(1000, ["", " K", " Mil", " Bil", " Tri", " Quadr", " Quint", " Sext", " Sept"])


def _percent(scale: float) -> Formatter:
    return lambda value, decimals: Formatted(to_fixed(value * scale, decimals), "%")


_PLURAL = {" min", " hour", " day", " week", " year"}


def _time_scaled(value: float, decimals: int | None, suffix: str) -> Formatted:
    # Grafana writes "2 hours" and "1 hour" (appendPluralIf).
    plural = suffix in _PLURAL and abs(value) > 1
    return Formatted(to_fixed(value, decimals), suffix + ("s" if plural else ""))


def _time(steps: Sequence[tuple[float, float, str]], last: tuple[float, str]) -> Formatter:
    """Below each limit, divide by the size and write the suffix; beyond all, `last`."""

    def format_(value: float, decimals: int | None) -> Formatted:
        for limit, size, suffix in steps:
            if abs(value) < limit:
                return _time_scaled(value / size, decimals, suffix)
        return _time_scaled(value / last[0], decimals, last[1])

    return format_


def _seconds(value: float, decimals: int | None) -> Formatted:
    if value == 0:
        return Formatted("0", " s")
    if abs(value) < 1e-6:
        return _time_scaled(value * 1e9, decimals, " ns")
    if abs(value) < 1e-3:
        return _time_scaled(value * 1e6, decimals, " µs")
    if abs(value) < 1:
        return _time_scaled(value * 1e3, decimals, " ms")
    return _SECONDS_UP(value, decimals)


_SECONDS_UP = _time(
    [(60, 1, " s"), (3600, 60, " min"), (86400, 3600, " hour"), (604800, 86400, " day"),
     (31536000, 604800, " week")],
    (3.15569e7, " year"),
)  # fmt: skip
_MILLISECONDS = _time(
    [(1000, 1, " ms"), (60000, 1000, " s"), (3600000, 60000, " min"),
     (86400000, 3600000, " hour"), (31536000000, 86400000, " day")],
    (31536000000, " year"),
)  # fmt: skip
_MICROSECONDS = _time([(1000, 1, " µs"), (1000000, 1000, " ms")], (1000000, " s"))
_NANOSECONDS = _time(
    [(1000, 1, " ns"), (1e6, 1e3, " µs"), (1e9, 1e6, " ms"), (6e10, 1e9, " s"),
     (3.6e12, 6e10, " min"), (8.64e13, 3.6e12, " hour")],
    (8.64e13, " day"),
)  # fmt: skip
_MINUTES = _time(
    [(60, 1, " min"), (1440, 60, " hour"), (10080, 1440, " day"), (604800, 10080, " week")],
    (525948, " year"),
)
_HOURS = _time([(24, 1, " hour"), (168, 24, " day"), (8760, 168, " week")], (8760, " year"))
_DAYS = _time([(7, 1, " day"), (365, 7, " week")], (365, " year"))


def _duration(scale: float) -> Formatter:
    def format_(value: float, decimals: int | None) -> Formatted:
        seconds = value * scale
        sign = "-" if seconds < 0 else ""
        return Formatted(sign + timefmt.short_duration(abs(seconds)))

    return format_


_UNITS: dict[str, Formatter] = {
    "short": _short,
    "none": _fixed_unit(""),
    "percent": _percent(1),
    "percentunit": _percent(100),
    # time
    "ns": _NANOSECONDS,
    "µs": _MICROSECONDS,
    "us": _MICROSECONDS,
    "ms": _MILLISECONDS,
    "s": _seconds,
    "m": _MINUTES,
    "h": _HOURS,
    "d": _DAYS,
    "dtdurations": _duration(1),
    "dtdurationms": _duration(0.001),
    # data (IEC and SI)
    "bytes": _iec("B"),
    "decbytes": _si("B"),
    "bits": _iec("b"),
    "decbits": _si("b"),
    "kbytes": _iec("B", 1),
    "deckbytes": _si("B", 1),
    "mbytes": _iec("B", 2),
    "decmbytes": _si("B", 2),
    "gbytes": _iec("B", 3),
    "decgbytes": _si("B", 3),
    # data rate
    "bps": _si("bps"),
    "Bps": _si("B/s"),
    "binbps": _iec("b/s"),
    "binBps": _iec("B/s"),
    "pps": _si("p/s"),
    # throughput
    "ops": _count("ops"),
    "reqps": _count("req/s"),
    "rps": _count("rd/s"),
    "wps": _count("wr/s"),
    "iops": _count("io/s"),
    "opm": _count("ops/min"),
    "reqpm": _count("req/min"),
    # others
    "hertz": _si("Hz"),
    "celsius": _fixed_unit(" °C"),
    "fahrenheit": _fixed_unit(" °F"),
    "volt": _si("V"),
    "watt": _si("W"),
}


def _prefixed(prefix: str) -> Formatter:
    return lambda value, decimals: Formatted(to_fixed(value, decimals), prefix=prefix)


_CUSTOM: dict[str, Callable[[str], Formatter]] = {
    "suffix": lambda text: _fixed_unit(text),
    "prefix": _prefixed,
    "si": lambda text: _si(text),
    "count": lambda text: _count(text),
}
