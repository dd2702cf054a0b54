"""Histograms as heatmaps: time columns by bucket rows, a count in each cell.

One core for both the Graph panel's heatmap mode and Grafana's `heatmap` panel, with
no Textual in it: a query answer becomes `Heatmap`s (`heatmaps`), a heatmap is merged
down to the cells a screen has room for (`Heatmap.resample`, counts summed so none is
lost), and a cell says its time, bounds and count (`Heatmap.cell`) for hover and
selection.

Two kinds of answer carry histograms:

- classic ones, series with an `le` label (`sum by (le) (rate(x_bucket[1m]))`): the
  buckets are cumulative, so a row's count is its bucket minus the one below, buckets
  ordered by the number `le` holds (2.x writes `le="1"`, 3.x `le="1.0"`; `+Inf` last).
  The other labels tell histograms apart: one heatmap per distinct set of them;
- native histograms (`histogram` of an instant vector, `histograms` of a range matrix):
  each bucket comes with its bounds and count already; the rows are the distinct
  buckets met in the range, one heatmap per series.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from promdash.prom.types import Histogram, QueryResult, Sample, Series
from promdash.timefmt import value_text

NAN = math.nan

# Native histogram boundary rules, as the API numbers them: which ends are inside.
_OPEN_LEFT = {0, 2}  # (lower, …
_OPEN_RIGHT = {1, 2}  # …, upper)


@dataclass(frozen=True, slots=True)
class Bounds:
    """A row's bucket: from `lower` to `upper`, each end inside or not."""

    lower: float
    upper: float
    lower_closed: bool = False
    upper_closed: bool = True  # classic buckets are (lower, le]

    def text(self) -> str:
        left = "[" if self.lower_closed else "("
        right = "]" if self.upper_closed else ")"
        return f"{left}{_bound(self.lower)}, {_bound(self.upper)}{right}"


def _bound(value: float) -> str:
    return value_text(value, compact=True)


@dataclass(frozen=True, slots=True)
class Cell:
    """What one cell holds: the time it spans, its bucket and its count (NaN: no sample)."""

    start: float
    end: float
    bounds: Bounds
    count: float


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Columns in time order, rows from the lowest bucket up; `counts[column][row]`.

    A column spans `starts[c]` to `ends[c]` (one sample's time, or several merged);
    a cell with no sample is NaN, drawn empty, and unlike 0 (a sample saying none).
    """

    labels: dict[str, str]  # what tells this histogram apart from the others ({} if one)
    starts: list[float]
    ends: list[float]
    rows: list[Bounds]
    counts: list[list[float]]
    native: bool = False

    @property
    def columns(self) -> int:
        return len(self.starts)

    @property
    def height(self) -> int:
        return len(self.rows)

    def max_count(self) -> float:
        return max((c for col in self.counts for c in col if math.isfinite(c)), default=0.0)

    def cell(self, column: int, row: int) -> Cell:
        """The cell at (column, row), row 0 the lowest bucket; IndexError outside."""
        if not (0 <= column < self.columns and 0 <= row < self.height):
            raise IndexError(f"no cell ({column}, {row}) in {self.columns}x{self.height}")
        return Cell(
            self.starts[column], self.ends[column], self.rows[row], self.counts[column][row]
        )

    def resample(self, columns: int, rows: int) -> Heatmap:
        """At most `columns` x `rows` cells: neighbours merged, their counts summed.

        Never stretched: a heatmap that already fits comes back as it is, and the
        one drawing it gives each cell more room.
        """
        columns, rows = max(columns, 1), max(rows, 1)
        if self.columns <= columns and self.height <= rows:
            return self
        col_groups = _groups(self.columns, columns)
        row_groups = _groups(self.height, rows)
        new_rows = [_merged_bounds(self.rows[a:b]) for a, b in row_groups]
        counts = []
        for a, b in col_groups:
            merged_col = []
            for r0, r1 in row_groups:
                merged_col.append(_sum(c for col in self.counts[a:b] for c in col[r0:r1]))
            counts.append(merged_col)
        return Heatmap(
            self.labels,
            [self.starts[a] for a, _ in col_groups],
            [self.ends[b - 1] for _, b in col_groups],
            new_rows,
            counts,
            self.native,
        )


def _groups(size: int, most: int) -> list[tuple[int, int]]:
    """`size` items cut into at most `most` runs of neighbours, as even as can be."""
    if size <= most:
        return [(i, i + 1) for i in range(size)]
    return [(size * i // most, size * (i + 1) // most) for i in range(most)]


def _merged_bounds(bounds: Sequence[Bounds]) -> Bounds:
    return Bounds(
        bounds[0].lower, bounds[-1].upper, bounds[0].lower_closed, bounds[-1].upper_closed
    )


def _sum(values: Iterable[float]) -> float:
    """The sum of the finite counts; NaN when there are none (no sample at all)."""
    total, seen = 0.0, False
    for value in values:
        if math.isfinite(value):
            total += value
            seen = True
    return total if seen else NAN


# ------------------------------------------------------------ from a query answer


def has_histograms(result: QueryResult | None) -> bool:
    """Whether an answer holds anything a heatmap can show (`le` buckets or native ones)."""
    if result is None:
        return False
    if any(s.histogram is not None for s in result.vector):
        return True
    return any(s.histograms or "le" in s.metric for s in result.matrix) or any(
        "le" in s.metric for s in result.vector
    )


def heatmaps(
    result: QueryResult, window: tuple[float, float, float] | None = None
) -> list[Heatmap]:
    """Every histogram in an answer (range or instant) as a heatmap, classic ones first.

    Series without `le` and without native samples are not histograms and are left
    out; an `le` that is not a number (a broken exporter) leaves its series out too.
    With the range query's `window` (start, end, step), every step of it is a column,
    empty where no sample was (before the histogram existed, a scrape that failed), so
    columns stand where their time is on the axis.
    """
    series = list(result.matrix) or [_as_series(s) for s in result.vector]
    classic = [s for s in series if "le" in s.metric and _le(s.metric["le"]) is not None]
    maps = _classic(classic)
    for s in series:
        if s.histograms:
            maps.append(_native(s, _identity(s.metric, ())))
    if window is not None and window[2] > 0:
        maps = [_on_grid(m, *window) for m in maps]
    if len(maps) > 1:
        return maps
    # A single histogram needs no labels to tell it apart.
    return [Heatmap({}, m.starts, m.ends, m.rows, m.counts, m.native) for m in maps]


def _on_grid(heatmap: Heatmap, start: float, end: float, step: float) -> Heatmap:
    steps = max(round((end - start) / step), 0) + 1
    counts = [[NAN] * heatmap.height for _ in range(steps)]
    for at, column in zip(heatmap.starts, heatmap.counts, strict=True):
        slot = round((at - start) / step)
        if 0 <= slot < steps:
            counts[slot] = column
    times = [start + k * step for k in range(steps)]
    return Heatmap(heatmap.labels, times, list(times), heatmap.rows, counts, heatmap.native)


def _as_series(sample: Sample) -> Series:
    if sample.histogram is not None:
        return Series(sample.metric, [], [], [(sample.timestamp, sample.histogram)])
    return Series(sample.metric, [sample.timestamp], [sample.value])


def _le(text: str) -> float | None:
    try:
        number = float(text)  # "1", "1.0", "1e-05", "+Inf": Go and Python read alike
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _identity(metric: Mapping[str, str], skip: Sequence[str]) -> dict[str, str]:
    return {k: v for k, v in sorted(metric.items()) if k not in skip}


def _classic(series: Sequence[Series]) -> list[Heatmap]:
    groups: dict[tuple[tuple[str, str], ...], list[Series]] = {}
    for s in series:
        key = tuple(_identity(s.metric, ("le",)).items())
        groups.setdefault(key, []).append(s)
    maps = []
    for key, members in groups.items():
        # Buckets by their bound; two spellings of one bound (1 and 1.0) are one bucket.
        by_le: dict[float, Series] = {}
        for s in members:
            by_le.setdefault(_le(s.metric["le"]) or 0.0, s)
        les = sorted(by_le)
        times = sorted({t for s in by_le.values() for t in s.timestamps})
        at = {le: dict(zip(by_le[le].timestamps, by_le[le].values, strict=True)) for le in les}
        counts = []
        for t in times:
            column = []
            below = 0.0
            for le in les:
                cumulative = at[le].get(t, NAN)
                if not math.isfinite(cumulative):
                    column.append(NAN)
                    continue
                # Buckets read at slightly different moments can dip below their
                # neighbour (rate() of each): a count is never negative.
                column.append(max(cumulative - below, 0.0))
                below = max(below, cumulative)
            counts.append(column)
        lowers = [-math.inf, *les[:-1]]
        rows = [Bounds(lo, hi) for lo, hi in zip(lowers, les, strict=True)]
        maps.append(Heatmap(dict(key), times, list(times), rows, counts))
    return maps


def _native(series: Series, labels: dict[str, str]) -> Heatmap:
    seen: dict[tuple[float, float], Bounds] = {}
    for _, histogram in series.histograms:
        for b in histogram.buckets:
            seen.setdefault(
                (b.lower, b.upper),
                Bounds(
                    b.lower,
                    b.upper,
                    b.boundaries not in _OPEN_LEFT,
                    b.boundaries not in _OPEN_RIGHT,
                ),
            )
    order = sorted(seen)
    index = {key: i for i, key in enumerate(order)}
    times = [t for t, _ in series.histograms]
    counts = [_native_column(h, index) for _, h in series.histograms]
    return Heatmap(labels, times, list(times), [seen[k] for k in order], counts, native=True)


def _native_column(histogram: Histogram, index: Mapping[tuple[float, float], int]) -> list[float]:
    # A sample lists only its non-empty buckets: the others held none.
    column = [0.0] * len(index)
    for b in histogram.buckets:
        column[index[(b.lower, b.upper)]] += b.count
    return column


def bounds_axis(rows: Sequence[Bounds]) -> list[str]:
    """Each row's label on the axis: its upper bound (Grafana's "upper" bucket bound)."""
    return [_bound(b.upper) for b in rows]


def cell_text(cell: Cell, time_text: str) -> str:
    """One line for a selected cell: `12:00:15 · (0.1, 0.25] · count 3.2`."""
    count = "no sample" if math.isnan(cell.count) else f"count {value_text(float(cell.count))}"
    return f"{time_text} · {cell.bounds.text()} · {count}"
