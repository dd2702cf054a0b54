"""How the CLI presents Prometheus answers: tables, CSV, JSON, plots.

Plain functions from typed values to strings, built from the pieces of
`present.text` the dashboard shows too; printing and exit codes stay in the
command line. `color=False` (pipes, files, NO_COLOR) gives output without any escape
sequence. The JSON shapes are a documented interface: docs/json-output.md.

About 430 lines: every command's text, JSON and CSV document side by side, so
one answer's three forms are changed together.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from promdash.present.text import alert_rows, clip, labels_text, series_name
from promdash.prom.types import (
    MetricMetadata,
    QueryResult,
    RuleGroup,
    Series,
    Target,
)
from promdash.timefmt import is_number, iso, nonfinite_text, seconds_text, since, value_text

JSON_SCHEMA_VERSION = 1

_RESET = "\x1b[0m"
_ANSI = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}
_HEALTH_COLOR = {"up": "green", "down": "red", "unknown": "yellow"}
_STATE_COLOR = {"firing": "red", "pending": "yellow", "inactive": "green"}
# 256-colour palette shared by plot lines and legend swatches, so they match.
PALETTE = (33, 208, 40, 160, 135, 214, 44, 199, 118, 75, 220, 167)
PLOT_MAX_SERIES = len(PALETTE)


def paint(text: str, color: str, enabled: bool) -> str:
    return f"\x1b[{_ANSI[color]}m{text}{_RESET}" if enabled and color in _ANSI else text


def _swatch(index: int, enabled: bool) -> str:
    return f"\x1b[38;5;{PALETTE[index % len(PALETTE)]}m━━{_RESET}" if enabled else "--"


# ---------------------------------------------------------------- small formatters


def json_value(value: float) -> float | str:
    """A sample value for JSON: a number, or "NaN"/"+Inf"/"-Inf" (JSON has no such numbers)."""
    special = nonfinite_text(value)
    return value if special is None else special


def csv_value(value: float) -> str:
    special = nonfinite_text(value)
    return repr(value) if special is None else special


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Columns padded to the widest cell, each cell clipped; colour codes are not counted."""
    rows = [[clip(cell) for cell in row] for row in rows]
    widths = [len(_plain(h)) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(_plain(cell)))
    lines = []
    for row in (headers, *rows):
        cells = [
            cell + " " * (widths[i] - len(_plain(cell))) if i < len(row) - 1 else cell
            for i, cell in enumerate(row)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def _plain(text: str) -> str:
    return _ESCAPES.sub("", text)


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------- targets


def filter_targets(
    targets: Sequence[Target], health: str | None = None, pool: str | None = None
) -> list[Target]:
    return [
        t
        for t in targets
        if (health is None or t.health == health) and (pool is None or t.scrape_pool == pool)
    ]


def _pools(targets: Sequence[Target]) -> dict[str, list[Target]]:
    pools: dict[str, list[Target]] = {}
    for target in sorted(targets, key=lambda t: (t.scrape_pool, t.scrape_url)):
        pools.setdefault(target.scrape_pool, []).append(target)
    return pools


def targets_text(
    targets: Sequence[Target],
    now: float,
    *,
    health: str | None = None,
    pool: str | None = None,
    color: bool = False,
) -> str:
    """Targets grouped by scrape pool, each pool headed by `N/M up`.

    The counts cover the whole pool even when `health` hides some rows.
    """
    blocks = []
    for name, members in _pools(filter_targets(targets, pool=pool)).items():
        shown = filter_targets(members, health=health)
        if not shown:
            continue
        up = sum(t.health == "up" for t in members)
        count = paint(f"{up}/{len(members)} up", "green" if up == len(members) else "red", color)
        rows = [
            [
                t.scrape_url,
                paint(t.health, _HEALTH_COLOR[t.health], color),
                since(t.last_scrape, now),
                seconds_text(t.last_scrape_duration),
                labels_text(t.labels, skip=("job", "instance")) or "-",
                t.last_error or "-",
            ]
            for t in shown
        ]
        headers = ["ENDPOINT", "HEALTH", "LAST SCRAPE", "DURATION", "LABELS", "LAST ERROR"]
        title = paint(clip(name), "bold", color)
        blocks.append(f"{title}  {count}\n{table(headers, rows, '  ')}")
    if not blocks:
        wanted = " ".join(w for w in (health and f"health={health}", pool and f"pool={pool}") if w)
        return f"no targets{' with ' + wanted if wanted else ''}"
    return "\n\n".join(blocks)


def targets_json(
    targets: Sequence[Target], now: float, *, health: str | None = None, pool: str | None = None
) -> str:
    in_pool = filter_targets(targets, pool=pool)
    pools = [
        {
            "pool": name,
            "up": sum(t.health == "up" for t in members),
            "total": len(members),
        }
        for name, members in _pools(in_pool).items()
    ]
    shown = filter_targets(in_pool, health=health)
    return dumps(
        {
            "version": JSON_SCHEMA_VERSION,
            "pools": pools,
            "targets": [
                {
                    "pool": t.scrape_pool,
                    "endpoint": t.scrape_url,
                    "labels": t.labels,
                    "health": t.health,
                    "lastScrape": iso(t.last_scrape),
                    "lastScrapeAgoSeconds": (
                        round(now - t.last_scrape.timestamp(), 3) if t.last_scrape else None
                    ),
                    "lastScrapeDurationSeconds": t.last_scrape_duration,
                    "lastError": t.last_error,
                    "scrapeInterval": t.scrape_interval,
                }
                for t in sorted(shown, key=lambda t: (t.scrape_pool, t.scrape_url))
            ],
        }
    )


# ---------------------------------------------------------------- queries


def instant_text(result: QueryResult) -> str:
    if result.result_type == "scalar" and result.scalar is not None:
        return f"scalar  {value_text(result.scalar[1])}"
    if result.result_type == "string" and result.string is not None:
        return f"string  {clip(result.string[1])}"
    if not result.vector:
        return "no data (the query matched no series at that time)"
    rows = [[series_name(s.metric), value_text(s.value)] for s in result.vector]
    return table(["SERIES", "VALUE"], rows)


def range_text(result: QueryResult) -> str:
    """One row per series: its points summarised (the CSV has every point)."""
    if not result.matrix:
        return "no data (the query matched no series in that range)"
    rows = []
    for s in result.matrix:
        finite = [v for v in s.values if math.isfinite(v)]
        rows.append(
            [
                series_name(s.metric),
                str(len(s.values)),
                value_text(min(finite)) if finite else "-",
                value_text(max(finite)) if finite else "-",
                value_text(s.values[-1]) if s.values else "-",
                time.strftime("%H:%M:%S", time.localtime(s.timestamps[-1])) if s.values else "-",
            ]
        )
    return table(["SERIES", "POINTS", "MIN", "MAX", "LAST", "AT"], rows)


def query_csv(result: QueryResult) -> str:
    """Long format: one row per point, a column per label name (sorted), then timestamp, value."""
    metrics: list[Mapping[str, str]] = [s.metric for s in result.vector]
    metrics += [s.metric for s in result.matrix]
    names = sorted({k for m in metrics for k in m})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "timestamp", "value"])
    if result.scalar is not None:
        writer.writerow([repr(result.scalar[0]), csv_value(result.scalar[1])])
    if result.string is not None:
        writer.writerow([repr(result.string[0]), result.string[1]])
    for sample in result.vector:
        labels = [sample.metric.get(n, "") for n in names]
        writer.writerow([*labels, repr(sample.timestamp), csv_value(sample.value)])
    for series in result.matrix:
        labels = [series.metric.get(n, "") for n in names]
        for ts, value in zip(series.timestamps, series.values, strict=True):
            writer.writerow([*labels, repr(ts), csv_value(value)])
    return out.getvalue().rstrip("\n")


def query_json(
    result: QueryResult,
    expr: str,
    *,
    time: float | None = None,
    start: float | None = None,
    end: float | None = None,
    step: float | None = None,
) -> str:
    document: dict[str, Any] = {
        "version": JSON_SCHEMA_VERSION,
        "query": expr,
        "resultType": result.result_type,
    }
    if result.result_type == "matrix":
        document.update(start=start, end=end, step=step)
        document["result"] = [
            {
                "metric": s.metric,
                "values": [
                    [ts, json_value(v)] for ts, v in zip(s.timestamps, s.values, strict=True)
                ],
            }
            for s in result.matrix
        ]
    else:
        document["time"] = time
        if result.scalar is not None:
            items: list[dict[str, Any]] = [
                {"metric": {}, "timestamp": result.scalar[0], "value": json_value(result.scalar[1])}
            ]
        elif result.string is not None:
            items = [{"metric": {}, "timestamp": result.string[0], "value": result.string[1]}]
        else:
            items = [
                {"metric": s.metric, "timestamp": s.timestamp, "value": json_value(s.value)}
                for s in result.vector
            ]
        document["result"] = items
    document["warnings"] = result.warnings
    return dumps(document)


# ---------------------------------------------------------------- plots


def plot(
    series: Sequence[Series],
    width: int,
    height: int,
    *,
    title: str = "",
    color: bool = True,
    start: float | None = None,
    end: float | None = None,
) -> str:
    """A line chart of up to PLOT_MAX_SERIES series, drawn by plotext, as text."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(max(width, 20), max(height, 6))
    plt.theme("clear")
    if not color:
        plt.colorless()
    if title:
        plt.title(title)
    lo = start if start is not None else min((s.timestamps[0] for s in series if s.timestamps),
                                             default=time.time() - 60)  # fmt: skip
    hi = end if end is not None else max((s.timestamps[-1] for s in series if s.timestamps),
                                         default=time.time())  # fmt: skip
    for index, s in enumerate(series[:PLOT_MAX_SERIES]):
        points = [(t, v) for t, v in zip(s.timestamps, s.values, strict=True) if math.isfinite(v)]
        if points:
            xs, ys = zip(*points, strict=True)
            plt.plot(list(xs), list(ys), marker="braille", color=PALETTE[index % len(PALETTE)])
    if hi > lo:
        plt.xlim(lo, hi)
        ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
        fmt = "%H:%M:%S" if hi - lo < 3 * 3600 else "%m-%d %H:%M"
        plt.xticks(ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks])
    text: str = plt.build()
    plt.clear_figure()
    return text


def legend(series: Sequence[Series], *, color: bool, limit: int = PLOT_MAX_SERIES) -> str:
    """One line per plotted series: its colour swatch, name and latest value."""
    lines = []
    for index, s in enumerate(series[:limit]):
        latest = value_text(s.values[-1]) if s.values else "-"
        lines.append(f"{_swatch(index, color)} {clip(series_name(s.metric))}  {latest}")
    if len(series) > limit:
        lines.append(f"   … {len(series) - limit} more series not plotted (use --csv for all)")
    return "\n".join(lines)


# ---------------------------------------------------------------- alerts


def alerts_text(
    groups: Sequence[RuleGroup], now: float, *, state: str | None = None, color: bool = False
) -> str:
    rows = alert_rows(groups, state)
    if not rows:
        total = sum(len(g.alerting) for g in groups)
        if total == 0:
            return "no alerting rules are loaded"
        return f"no {state} alerts ({total} alerting rules loaded)"
    body = [
        [
            paint(r.state, _STATE_COLOR[r.state], color),
            r.rule.name,
            labels_text(r.labels, skip=("alertname",)) or "-",
            since(r.active_at, now),
            value_text(float(r.value)) if r.value and is_number(r.value) else (r.value or "-"),
            labels_text(r.annotations) or "-",
        ]
        for r in rows
    ]
    firing = sum(r.state == "firing" for r in rows)
    pending = sum(r.state == "pending" for r in rows)
    summary = f"{firing} firing, {pending} pending, {len(rows) - firing - pending} inactive"
    headers = ["STATE", "ALERT", "LABELS", "ACTIVE SINCE", "VALUE", "ANNOTATIONS"]
    return f"{table(headers, body)}\n\n{summary}"


def alerts_json(groups: Sequence[RuleGroup], *, state: str | None = None) -> str:
    return dumps(
        {
            "version": JSON_SCHEMA_VERSION,
            "alerts": [
                {
                    "name": r.rule.name,
                    "state": r.state,
                    "labels": r.labels,
                    "annotations": r.annotations,
                    "activeAt": iso(r.active_at),
                    "value": r.value,
                    "group": r.rule.group,
                    "query": r.rule.query,
                    "forSeconds": r.rule.duration,
                }
                for r in alert_rows(groups, state)
            ],
        }
    )


# ---------------------------------------------------------------- metrics


def metric_entries(
    metadata: Mapping[str, Sequence[MetricMetadata]], pattern: str | None = None
) -> list[MetricMetadata]:
    """One entry per metric name (the first metadata a server gave), filtered by `pattern`.

    `pattern` is a case-insensitive regular expression searched anywhere in the
    name; text that is not a valid expression is matched literally.
    """
    matcher: re.Pattern[str] | None = None
    if pattern:
        try:
            matcher = re.compile(pattern, re.IGNORECASE)
        except re.error:
            matcher = re.compile(re.escape(pattern), re.IGNORECASE)
    return [
        entries[0] if entries else MetricMetadata(name, "", "")
        for name, entries in sorted(metadata.items())
        if matcher is None or matcher.search(name)
    ]


def metrics_text(entries: Sequence[MetricMetadata]) -> str:
    if not entries:
        return "no metrics match"
    return table(["NAME", "TYPE", "HELP"], [[m.name, m.type or "-", m.help] for m in entries])


def metrics_json(entries: Sequence[MetricMetadata]) -> str:
    return dumps(
        {
            "version": JSON_SCHEMA_VERSION,
            "metrics": [
                {"name": m.name, "type": m.type, "help": m.help, "unit": m.unit} for m in entries
            ],
        }
    )
