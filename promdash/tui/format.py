"""Small, pure formatting helpers shared by the panels (and unit-tested on their own)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_POSITION_RE = re.compile(r"(?:^|[^\d])(\d+):(\d+): parse error")
# Characters of one value a detail pane shows: an expression or the labels of a target
# may be long, but a server's 5 MB annotation must not stall the redraw.
DETAIL_LIMIT = 2000


def parse_duration(text: str) -> float | None:
    """Seconds in a Prometheus duration (`5s`, `1m30s`, `500ms`), or None if it is not one."""
    text = text.strip()
    if not text:
        return None
    total = 0.0
    position = 0
    for match in _DURATION_RE.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return total if position == len(text) and total > 0 else None


def duration_text(seconds: float) -> str:
    """A short duration for people: `45s`, `5m`, `1h30m`, `2d`."""
    seconds = round(seconds)
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
    """`3s ago`, `never` for None; a clock skew into the future reads as `just now`."""
    if when is None:
        return "never"
    delta = now - when
    if delta < 1:
        return "just now"
    return f"{duration_text(delta)} ago"


def value_text(value: float) -> str:
    """A sample value in at most ~8 characters, keeping small latencies readable."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        return f"{value:.3g}"
    if value == int(value):
        return str(int(value))
    return f"{value:.4g}"


def clock_text(epoch: float, *, seconds: bool = True) -> str:
    """Local wall-clock time of an epoch timestamp."""
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(epoch))


def datetime_epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def labels_text(labels: Mapping[str, str], skip: Iterable[str] = ()) -> str:
    """`group="canary", le="0.5"` without the labels named in `skip`."""
    skipped = set(skip)
    return ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k not in skipped)


def series_name(metric: Mapping[str, str], common: Mapping[str, str] | None = None) -> str:
    """A legend entry: the metric name and the labels that tell this series apart."""
    common = common or {}
    name = metric.get("__name__", "")
    rest = labels_text({k: v for k, v in metric.items() if k != "__name__" and k not in common})
    if rest:
        return f"{name}{{{rest}}}"
    return name or "{}"


def common_labels(metrics: list[dict[str, str]]) -> dict[str, str]:
    """Labels with one value across every series (shown once, not in every legend entry)."""
    if len(metrics) < 2:
        return {}
    first = metrics[0]
    return {
        k: v for k, v in first.items() if k != "__name__" and all(m.get(k) == v for m in metrics)
    }


def step_for(range_seconds: float, columns: int) -> int:
    """About one point per plot column: range/width, whole seconds, at least 1."""
    return max(1, math.ceil(range_seconds / max(columns, 1)))


def error_position(message: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of a PromQL parse error such as `1:7: parse error: ...`."""
    match = _POSITION_RE.search(message)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def short_scrape_error(error: str, scrape_url: str) -> str:
    """A scrape error without the `Get "URL": ` prefix the row above already shows."""
    prefix = f'Get "{scrape_url}": '
    return error[len(prefix) :] if error.startswith(prefix) else error
