"""The one vocabulary for durations, times and sample values, in both directions.

Parsing follows Prometheus itself: a duration is what `model.ParseDuration`
accepts (`1h30m`, `500ms`: whole numbers, units from `y` down to `ms`, each once
and in that order), and where the HTTP API also takes a plain number of seconds
(`step`, `timeout`), `parse_seconds` does too. Times are Unix seconds, RFC 3339
or `now`/`-15m`. Text for people is short and the same in the CLI and the
dashboard: 300 s is `5m` everywhere.

Imports nothing of promdash: everything may use it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime

_UNITS = (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_SECONDS = (*(size for _, size in _UNITS), 0.001)
# Unix seconds of 0001-01-01 and 9999-12-31: what a time can be and still be written.
EARLIEST_TIME, LATEST_TIME = -62135596800.0, 253402300799.0


# ---------------------------------------------------------------- parsing


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration (`5s`, `1h30m`, `500ms`, `0`); ValueError otherwise."""
    text = text.strip()
    if text == "0":
        return 0.0
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a Prometheus duration (examples: 30s, 15m, 1h30m)")
    return float(sum(int(g) * unit for g, unit in zip(match.groups(), _SECONDS, strict=True) if g))


def parse_seconds(text: str) -> float:
    """A positive duration as the HTTP API takes one: a Prometheus duration or seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = parse_duration(text)
    if not 0 < seconds < math.inf:
        raise ValueError(f"{text!r}: a duration must be more than 0")
    return seconds


def parse_time(text: str, now: float | None = None) -> float:
    """Unix seconds from `now`, `-15m` (that long ago), a Unix time or RFC 3339."""
    now = time.time() if now is None else now
    text = text.strip()
    if text == "now":
        value = now
    elif text.startswith("-") and not is_number(text):
        value = now - parse_seconds(text[1:])
    elif is_number(text):
        value = float(text)
    elif (moment := parse_rfc3339(text)) is not None:
        value = moment.timestamp()
    else:
        raise ValueError(f"{text!r} is not a time (use now, -15m, a Unix time or RFC 3339)")
    if not EARLIEST_TIME <= value <= LATEST_TIME:  # NaN fails both comparisons
        raise ValueError(f"{text!r} is not a time between the years 1 and 9999")
    return value


def is_number(text: str) -> bool:
    """Whether `text` is a number as Prometheus writes one (`1.5`, `NaN`, `+Inf`)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_rfc3339(text: str | None) -> datetime | None:
    """A Go RFC 3339 time (nanoseconds, `Z` or an offset); None for "never".

    Go writes never as its zero time (0001-01-01), VictoriaMetrics as the Unix epoch.
    """
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # Python reads at most microseconds: cut the fraction there.
        trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
        try:
            parsed = datetime.fromisoformat(trimmed)
        except ValueError:
            return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed if parsed.timestamp() > 0 else None


def shortest_interval(intervals: Iterable[str]) -> float | None:
    """The shortest of scrape intervals as servers report them (`5s`), in seconds."""
    seconds = []
    for text in set(intervals):
        try:
            seconds.append(parse_seconds(text))
        except ValueError:
            continue
    return min(seconds, default=None)


def auto_step(range_seconds: float, columns: int) -> float:
    """About one point per plot column: whole seconds, at least 1 (scrapes are not finer)."""
    return float(max(1, math.ceil(range_seconds / max(columns, 1))))


# ---------------------------------------------------------------- text for people


def format_duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 90 -> `1m30s`, 0.25 -> `250ms` (exact, parseable)."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    parts = []
    for unit, size in _UNITS[2:]:
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)


def short_duration(seconds: float) -> str:
    """A duration at a glance, two units at most: `45s`, `5m`, `3m05s`, `1h30m`, `2d4h`."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h{rest // 60:02d}m" if rest // 60 else f"{hours}h"
    days, rest = divmod(seconds, 86400)
    return f"{days}d{rest // 3600}h" if rest // 3600 else f"{days}d"


def ago(when: float | None, now: float) -> str:
    """`3s ago`; `never` for None; a clock skewed into the future reads `just now`."""
    if when is None:
        return "never"
    delta = now - when
    return "just now" if delta < 1 else f"{short_duration(delta)} ago"


def since(moment: datetime | None, now: float) -> str:
    """`ago` of a datetime (an alert's activeAt, a target's last scrape)."""
    return ago(moment.timestamp() if moment is not None else None, now)


def seconds_text(seconds: float) -> str:
    """A short latency: `850µs`, `12.3ms`, `1.20s`; `-` when there is none."""
    if seconds <= 0:
        return "-"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f}ms"
    return f"{seconds:.2f}s"


def clock_text(epoch: float, *, seconds: bool = True) -> str:
    """Local wall-clock time of an epoch timestamp."""
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(epoch))


def date_time_text(epoch: float) -> str:
    """Local date and time to the minute, for times days apart: `2026-12-01 17:15`."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with `Z`, as Prometheus writes it."""
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


# ---------------------------------------------------------------- sample values


def nonfinite_text(value: float) -> str | None:
    """How Prometheus writes NaN and the infinities (`NaN`, `+Inf`, `-Inf`); None for others."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return None


def value_text(value: float, *, compact: bool = False) -> str:
    """A sample value for people.

    Whole numbers whole, others to 6 significant digits; `compact` (dashboard
    cells and axes) keeps to about 8 characters: 4 digits, exponents beyond
    a million or below a thousandth.
    """
    if (special := nonfinite_text(value)) is not None:
        return special
    if compact:
        magnitude = abs(value)
        if value == 0:
            return "0"
        if magnitude >= 1e6 or magnitude < 1e-3:
            return f"{value:.3g}"
        return str(int(value)) if value == int(value) else f"{value:.4g}"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"
