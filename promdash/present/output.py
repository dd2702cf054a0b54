"""How the CLI presents Prometheus answers: tables, CSV, JSON, plots.

Plain functions from typed values to strings, built from the pieces of
`present.text` the dashboard shows too; printing and exit codes stay in the
command line. `color=False` (pipes, files, NO_COLOR) gives output without any escape
sequence. The JSON shapes are a documented interface: docs/json-output.md.

About 650 lines: every command's text, JSON and CSV document side by side, so
one answer's three forms are changed together, and the table layout that fits
them to a terminal's width (`fit_table`).
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any

import msgspec

from promdash.present.text import (
    CELL_LIMIT,
    AlertRow,
    alert_rows,
    alertmanager_alert,
    alertmanager_index,
    alertmanager_state_parts,
    clip,
    common_labels,
    distinct_name,
    distinct_values,
    headline,
    histogram_text,
    label_parts,
    labels_text,
    legend_common,
    listed_parts,
    series_name,
    series_parts,
)
from promdash.prom.am_types import AlertmanagerAlert
from promdash.prom.types import (
    Histogram,
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
STATE_COLOR = {"firing": "red", "pending": "yellow", "inactive": "green"}
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
    """Columns padded to the widest cell, each cell clipped; colour codes are not counted.

    What `fit_table` does without a width, a column at a time: it prints 5,000 targets.
    """
    columns = [[clip(cell) for cell in column] for column in zip(headers, *rows, strict=True)]
    padded = [
        [_pad(cell, width) for cell in column]
        for column, width in zip(columns[:-1], (max(map(_width, c)) for c in columns), strict=False)
    ]
    return "\n".join(
        (indent + "  ".join(line)).rstrip() for line in zip(*padded, columns[-1], strict=True)
    )


def _width(cell: str) -> int:
    return len(_plain(cell)) if "\x1b" in cell else len(cell)


def _pad(cell: str, width: int) -> str:
    return cell.ljust(width) if "\x1b" not in cell else cell + " " * (width - _width(cell))


# A table cell as paragraphs, each a run of parts a wrapped line may break between
# (labels whole, the words of prose); each paragraph starts a line of its own.
Cell = Sequence[Sequence[str]]

# A wrapped column keeps parts this wide whole before the table leaves columns out.
_WRAP_FLOOR = 30
# ...and is at least this wide: narrower, prose is a word a line.
_WRAP_MIN = 20


def fit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    width: int | None = None,
    *,
    wrap: Collection[int] = (),
    drop: Sequence[int] = (),
    indent: str = "",
) -> str:
    """Columns padded to the widest cell; colour codes are not counted.

    Without a `width` (a pipe) each row is one line and each cell is clipped to
    CELL_LIMIT characters. Within a `width`, the columns in `drop` are left out, in
    that order, while the rest cannot fit, and the `wrap` columns share the room the
    others leave: their cells wrap between parts, inside their own column. A part
    wider than its column is cut with "…" (-o json has it whole).
    """
    if width is None:
        return table(headers, [[_joined(cell) for cell in row] for row in rows], indent)
    capped = [[_capped(cell) for cell in row] for row in rows]
    columns = _column_widths(headers, capped, width - len(indent), wrap, drop)
    shown = list(columns)
    widths = [columns.get(i, 0) for i in range(len(headers))]
    grid = [[_wrap(row[i], widths[i]) for i in shown] for row in capped]
    out = []
    for lines in [[[headers[i]] for i in shown], *grid]:
        for k in range(max(len(cell_lines) for cell_lines in lines)):
            cells = [cell_lines[k] if k < len(cell_lines) else "" for cell_lines in lines]
            padded = [
                cell + " " * (widths[i] - len(_plain(cell)))
                for i, cell in zip(shown, cells[:-1], strict=False)
            ]
            out.append((indent + "  ".join([*padded, cells[-1]])).rstrip())
    return "\n".join(out)


def _joined(cell: Cell) -> str:
    return " ".join(part for paragraph in cell for part in paragraph)


def _capped(cell: Cell) -> list[list[str]]:
    """At most CELL_LIMIT characters of a cell, parts whole: a server's 5 MB label or
    ten thousand labels must not fill the screen."""
    if sum(len(part) + 1 for paragraph in cell for part in paragraph) <= CELL_LIMIT:
        return [list(paragraph) for paragraph in cell]
    kept: list[list[str]] = []
    room = CELL_LIMIT
    for paragraph in cell:
        kept.append([])
        for part in paragraph:
            if room <= 0:
                kept[-1].append("…")
                return kept
            kept[-1].append(clip(part, room))
            room -= len(part) + 1
    return kept


def _column_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    room: int,
    wrap: Collection[int],
    drop: Sequence[int],
) -> dict[int, int]:
    """The width of each column shown, in order, within `room` when it can be done."""
    natural = [len(h) for h in headers]
    longest = [0] * len(headers)
    # The wrapped cells by the lengths of their parts: the search below counts lines
    # from lengths alone, once per shape (5,000 alerts have a few hundred shapes).
    shapes: Counter[tuple[Shape, ...]] = Counter()
    for row in rows:
        shape = []
        for i, cell in enumerate(row):
            lengths = tuple(tuple(_width(p) if p else _EMPTY for p in para) for para in cell)
            flat = [max(n, 0) for para in lengths for n in para]
            natural[i] = max(natural[i], sum(flat) + len(flat) - 1)
            longest[i] = max(longest[i], *flat) if flat else longest[i]
            if i in wrap:
                shape.append(lengths)
        shapes[tuple(shape)] += 1
    floor = [
        min(natural[i], max(len(h), min(longest[i], _WRAP_FLOOR), _WRAP_MIN))
        if i in wrap
        else natural[i]
        for i, h in enumerate(headers)
    ]
    shown = list(range(len(headers)))

    def spare() -> int:
        return room - sum(floor[i] for i in shown) - 2 * (len(shown) - 1)

    for i in drop:
        if spare() >= 0:
            break
        shown.remove(i)
    widths = {i: floor[i] for i in shown}
    growing = [i for i in shown if i in wrap]
    extra = spare()
    if extra < 0 and growing:
        # Narrower than even the floors: the wrapped columns give up what is missing.
        total = sum(widths[i] for i in growing)
        for i in growing:
            widths[i] = max(len(headers[i]), widths[i] + extra * widths[i] // total)
    elif extra > 0 and growing:
        # The room left goes, a step at a time, where it saves the most lines per
        # column: short rows read better than an even split.
        step = max(1, extra // 20)
        at = [sorted(wrap).index(i) for i in growing]  # each growing column's place in a shape

        def height(trial: Mapping[int, int]) -> int:
            return sum(
                n * max(_line_count(shape[k], trial[j]) for j, k in zip(growing, at, strict=True))
                for shape, n in shapes.items()
            )

        while extra > 0:
            now, best = height(widths), (0.0, 0, 0)
            for i in growing:
                most = min(extra, natural[i] - widths[i])
                for more in [*range(step, most, step), most] if most > 0 else []:
                    saved = now - height({**widths, i: widths[i] + more})
                    if saved > 0:
                        best = max(best, (saved / more, i, more))
                        break
            if not best[2]:
                break  # more room saves no line: the table stays narrower than the screen
            widths[best[1]] += best[2]
            extra -= best[2]
    return widths


# A cell's shape: the widths of its parts, paragraph by paragraph; an empty part is
# _EMPTY (a part of colour codes only is as wide, but starts a line as text does).
Shape = tuple[tuple[int, ...], ...]
_EMPTY = -1


@lru_cache(maxsize=65536)
def _line_count(shape: Shape, width: int) -> int:
    """How many lines `_wrap` makes of a cell of this shape within `width`."""
    count = 0
    for paragraph in shape:
        used, started = 0, False
        for n in paragraph:
            text, n = n != _EMPTY, max(n, 0)
            if started and used + 1 + n > width:
                count += 1
                used, started = n, text
            elif started:
                used += 1 + n
            else:
                used, started = n, text
        count += 1
    return count or 1


def _wrap(cell: Cell, width: int) -> list[str]:
    """The lines of a cell within `width`, broken between parts only."""
    lines = []
    for paragraph in cell:
        line, used = "", 0
        for part in paragraph:
            n = _width(part)
            if n > width:
                part = _plain(part)[: max(width - 1, 0)] + "…"
                n = len(part)
            if line and used + 1 + n > width:
                lines.append(line)
                line, used = part, n
            elif line:
                line, used = f"{line} {part}", used + 1 + n
            else:
                line, used = part, n
        lines.append(line)
    return lines or [""]


def flow(lead: str, parts: Sequence[str], width: int) -> str:
    """`lead` and then `parts`, wrapped between parts at `width` under a hanging indent."""
    lines = _wrap(_capped([parts]), max(width - len(lead), 1))
    return "\n".join((lead if i == 0 else " " * len(lead)) + line for i, line in enumerate(lines))


_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def _plain(text: str) -> str:
    return _ESCAPES.sub("", text) if "\x1b" in text else text


_ENCODER = msgspec.json.Encoder()


def dumps(document: Mapping[str, Any]) -> str:
    """A document as indented UTF-8 JSON (msgspec: 20x json.dumps on 5,000 targets).
    Documents carry no NaN: sample values are strings, as in the API."""
    return msgspec.json.format(_ENCODER.encode(document), indent=2).decode()


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
    rows = [
        [series_name(s.metric), histogram_text(s.histogram) if s.histogram else value_text(s.value)]
        for s in result.vector
    ]
    return table(["SERIES", "VALUE"], rows)


def _latest(series: Series, *, short: bool = False) -> tuple[float, str] | None:
    """When a series' last sample was and its value as text, a float or a native histogram."""
    last = (series.timestamps[-1], value_text(series.values[-1])) if series.values else None
    if series.histograms and (last is None or series.histograms[-1][0] > last[0]):
        at, histogram = series.histograms[-1]
        return at, histogram_text(histogram, short=short)
    return last


def range_text(result: QueryResult) -> str:
    """One row per series: its points summarised (the CSV has every point)."""
    if not result.matrix:
        return "no data (the query matched no series in that range)"
    rows = []
    for s in result.matrix:
        finite = [v for v in s.values if math.isfinite(v)]
        last = _latest(s)
        rows.append(
            [
                series_name(s.metric),
                str(len(s.values) + len(s.histograms)),
                value_text(min(finite)) if finite else "-",
                value_text(max(finite)) if finite else "-",
                last[1] if last else "-",
                time.strftime("%H:%M:%S", time.localtime(last[0])) if last else "-",
            ]
        )
    return table(["SERIES", "POINTS", "MIN", "MAX", "LAST", "AT"], rows)


def query_csv(result: QueryResult) -> str:
    """Long format: one row per point, a column per label name (sorted), then timestamp, value.

    Native histogram samples, where there are any, fill two more columns,
    histogram_count and histogram_sum, and leave value empty (-o json has their buckets).
    """
    metrics: list[Mapping[str, str]] = [s.metric for s in result.vector]
    metrics += [s.metric for s in result.matrix]
    names = sorted({k for m in metrics for k in m})
    histograms = any(s.histogram for s in result.vector) or any(s.histograms for s in result.matrix)
    extra = ["histogram_count", "histogram_sum"] if histograms else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "timestamp", "value", *extra])

    def cells(value: float | Histogram) -> list[str]:
        if isinstance(value, Histogram):
            return ["", csv_value(value.count), csv_value(value.sum)]
        return [csv_value(value)] + [""] * len(extra)

    if result.scalar is not None:
        writer.writerow([repr(result.scalar[0]), csv_value(result.scalar[1])])
    if result.string is not None:
        writer.writerow([repr(result.string[0]), result.string[1]])
    for sample in result.vector:
        labels = [sample.metric.get(n, "") for n in names]
        writer.writerow([*labels, repr(sample.timestamp), *cells(sample.histogram or sample.value)])
    for series in result.matrix:
        labels = [series.metric.get(n, "") for n in names]
        points: list[tuple[float, float | Histogram]] = [
            *zip(series.timestamps, series.values, strict=True),
            *series.histograms,
        ]
        for ts, value in sorted(points, key=lambda point: point[0]):
            writer.writerow([*labels, repr(ts), *cells(value)])
    return out.getvalue().rstrip("\n")


def histogram_json(histogram: Histogram) -> dict[str, Any]:
    """A native histogram for JSON: its buckets as the API sends them, numbers as numbers."""
    return {
        "count": json_value(histogram.count),
        "sum": json_value(histogram.sum),
        "buckets": [
            [b.boundaries, json_value(b.lower), json_value(b.upper), json_value(b.count)]
            for b in histogram.buckets
        ],
    }


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
                # Native histogram samples, only where there are some (Prometheus 3).
                **(
                    {"histograms": [[ts, histogram_json(h)] for ts, h in s.histograms]}
                    if s.histograms
                    else {}
                ),
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
                if s.histogram is None
                else {
                    "metric": s.metric,
                    "timestamp": s.timestamp,
                    "value": None,
                    "histogram": histogram_json(s.histogram),
                }
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


def legend(
    series: Sequence[Series], *, color: bool, width: int, limit: int = PLOT_MAX_SERIES
) -> str:
    """The plotted series within `width`: what they all share once (`all: ...`), then
    each one's swatch, what sets it apart and its latest value, in equal columns.

    An entry too wide for a line shows only its label values, as the dashboard's legend
    does, and is cut with "…" if that is still too wide; lines break between entries.
    """
    common = legend_common([s.metric for s in series])
    lines = [flow("all: ", series_parts(common), width)] if common else []
    shown = series[:limit]
    latest = [last[1] if (last := _latest(s, short=True)) else "-" for s in shown]
    room = max(width - 5 - max(map(len, latest), default=0), 1)  # swatch, spaces, value
    entries = [distinct_name(s.metric, common) for s in shown]
    if max(map(len, entries), default=0) > room:
        values = [distinct_values(s.metric, common) for s in shown]
        entries = [short or long for short, long in zip(values, entries, strict=True)]
    entries = [name if len(name) <= room else name[: room - 1] + "…" for name in entries]
    name_width = max(map(len, entries), default=0)
    value_width = max(map(len, latest), default=0)
    cell = 3 + name_width + 2 + value_width
    per_line = max(1, (width + 3) // (cell + 3))
    for first in range(0, len(shown), per_line):
        row = [
            f"{_swatch(i, color)} {entries[i].ljust(name_width)}  {latest[i].ljust(value_width)}"
            for i in range(first, min(first + per_line, len(shown)))
        ]
        lines.append("   ".join(row).rstrip())
    if len(series) > limit:
        lines.append(f"   … {len(series) - limit} more series not plotted (use --csv for all)")
    return "\n".join(lines)


# ---------------------------------------------------------------- alerts


def alerts_text(
    groups: Sequence[RuleGroup],
    now: float,
    *,
    state: str | None = None,
    color: bool = False,
    width: int | None = None,
    alertmanager: Sequence[AlertmanagerAlert] | None = None,
) -> str:
    """Alerts, firing first, then pending, then inactive rules, and what they count.

    Within a terminal's `width` the labels every row shares are said once above the
    table, labels and each alert's headline (summary) wrap inside their columns, and a
    narrow terminal leaves out the headline, then the value. Without one (a pipe) each
    row is one line with every annotation. With `alertmanager` (its alerts), each
    alert also says what Alertmanager does with it and where it went.
    """
    rows = alert_rows(groups, state)
    if not rows:
        total = sum(len(g.alerting) for g in groups)
        if total == 0:
            return "no alerting rules are loaded"
        return f"no {state} alerts ({total} alerting rules loaded)"
    if width is None and alertmanager is None:
        # A pipe: one line a row, every annotation, no wrapping (5,000 alerts in 40 ms).
        lines = [
            [
                paint(r.state, STATE_COLOR[r.state], color),
                r.rule.name,
                labels_text(r.labels, ("alertname",)) or "-",
                since(r.active_at, now),
                _alert_value(r.value),
                labels_text(r.annotations) or "-",
            ]
            for r in rows
        ]
        headers = ["STATE", "ALERT", "LABELS", "ACTIVE SINCE", "VALUE", "ANNOTATIONS"]
        return f"{table(headers, lines)}\n\n{_alert_totals(rows, state)}"
    shared = common_labels([r.labels for r in rows]) if width is not None else {}
    shared.pop("alertname", None)  # the ALERT column says it
    skip = {"alertname", *shared}
    body: list[list[Cell]] = [
        [
            [[paint(r.state, STATE_COLOR[r.state], color)]],
            [[r.rule.name]],
            [label_parts(r.labels, skip) or ["-"]],
            [[since(r.active_at, now)]],
            [[_alert_value(r.value)]],
            [(headline(r.annotations) or "-").split(" ")]
            if width is not None
            else [[labels_text(r.annotations) or "-"]],
        ]
        for r in rows
    ]
    last = "ANNOTATIONS" if width is None else "SUMMARY"
    headers = ["STATE", "ALERT", "LABELS", "ACTIVE SINCE", "VALUE", last]
    wrap: tuple[int, ...] = (2, 5)
    drop: tuple[int, ...] = (5, 4, 3)
    if alertmanager is not None:
        index = alertmanager_index(alertmanager)
        by_fingerprint = {a.fingerprint: a for a in alertmanager}
        for row, cells in zip(rows, body, strict=True):
            found = alertmanager_alert(row.labels, index) if row.state == "firing" else None
            cells[3:3] = _alertmanager_cells(row, found, by_fingerprint, color)
        headers[3:3] = ["ALERTMANAGER", "RECEIVERS"]
        wrap, drop = (2, 3, 7), (7, 6, 5, 4)
    text = fit_table(headers, body, width, wrap=wrap, drop=drop)
    if shared and width is not None:
        text = f"{flow('all: ', label_parts(shared), width)}\n{text}"
    return f"{text}\n\n{_alert_totals(rows, state)}"


def _alert_value(value: str | None) -> str:
    return value_text(float(value)) if value and is_number(value) else (value or "-")


_AM_COLOR = {"active": "red", "suppressed:": "yellow", "unprocessed": "dim"}


def _alertmanager_cells(
    row: AlertRow,
    found: AlertmanagerAlert | None,
    by_fingerprint: Mapping[str, AlertmanagerAlert],
    color: bool,
) -> list[Cell]:
    """ALERTMANAGER and RECEIVERS of one row. Prometheus sends only firing alerts; a
    firing one Alertmanager does not hold (yet) says so."""
    if found is None:
        return [[["not", "received"] if row.state == "firing" else ["-"]], [["-"]]]
    parts = alertmanager_state_parts(found, by_fingerprint)
    parts[0] = paint(parts[0], _AM_COLOR.get(parts[0], ""), color)
    return [[parts], [listed_parts(found.receivers) or ["-"]]]


def _alert_totals(rows: Sequence[AlertRow], state: str | None) -> str:
    """`3 firing alerts (1 rule), 0 pending alerts, 2 inactive rules`: alerts where a
    rule has them, and how many rules they come from, since the dashboard counts rules."""
    said = []
    for wanted in ("firing", "pending"):
        if state in (None, wanted):
            alerts = [r for r in rows if r.state == wanted]
            rules = len({id(r.rule) for r in alerts})  # by identity: two rules can share a name
            count = _count(len(alerts), f"{wanted} alert")
            said.append(f"{count} ({_count(rules, 'rule')})" if alerts else count)
    if state in (None, "inactive"):
        said.append(_count(sum(r.state == "inactive" for r in rows), "inactive rule"))
    return ", ".join(said)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def alerts_json(
    groups: Sequence[RuleGroup],
    *,
    state: str | None = None,
    alertmanager: Sequence[AlertmanagerAlert] | None = None,
) -> str:
    """Every alert row; with `alertmanager` (its alerts), each says what it does with it."""
    rows = alert_rows(groups, state)
    items: list[dict[str, Any]] = [
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
        for r in rows
    ]
    if alertmanager is not None:
        index = alertmanager_index(alertmanager)
        for row, item in zip(rows, items, strict=True):
            found = alertmanager_alert(row.labels, index) if row.state == "firing" else None
            item["alertmanager"] = None if found is None else _alertmanager_json(found)
    return dumps({"version": JSON_SCHEMA_VERSION, "alerts": items})


def _alertmanager_json(alert: AlertmanagerAlert) -> dict[str, Any]:
    return {
        "state": alert.state,
        "silencedBy": alert.silenced_by,
        "inhibitedBy": alert.inhibited_by,
        "receivers": alert.receivers,
        "fingerprint": alert.fingerprint,
    }


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
