"""Summaries with quantiles: CKMS targeted quantiles over a sliding time window.

The stream follows Cormode, Korn, Muthukrishnan and Srivastava, "Effective Computation of
Biased Quantiles over Data Streams" (ICDE 2005), with the targeted-quantiles invariant. The
window follows client_golang's summary: several streams of staggered age, all fed every
observation, queried through the oldest one, which is reset every max_age / age_buckets.

We do not use the `quantile-estimator` package: its 0.1.3 release counts many observations
twice (100k inputs end as ~100.8k, sorted input as ~200k) and misses the 0.99 target's error
bound, and it reads the wall clock directly, so its window cannot be tested without waiting.

prometheus_client's own Summary exposes only _count and _sum, so QuantileSummaryVec is a
collector that adds the quantile series. The streams do not lock; the summaries do.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric, SummaryMetricFamily
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

# client_golang's DefBufCap: a batch this big amortises one merge and compression pass.
DEFAULT_BUFFER_SIZE = 500


@dataclass(frozen=True)
class Target:
    """A quantile to track and the rank error allowed for it, both as fractions of n."""

    quantile: float
    error: float

    def __post_init__(self) -> None:
        if not 0.0 < self.quantile < 1.0:
            raise ValueError(f"quantile must be in (0, 1), got {self.quantile}")
        if not 0.0 < self.error < 1.0:
            raise ValueError(f"error must be in (0, 1), got {self.error}")


class QuantileStream:
    """A CKMS summary of every value inserted since creation or the last reset.

    Tuples (value, g, delta) are kept sorted by value. g is the rank gap to the previous
    tuple, so the sum of g up to tuple i is the smallest rank value i can have (rmin), and
    rmin + delta the largest (rmax). Compression merges neighbours while the targeted
    invariant g + delta <= f(rank, n) holds, which bounds the rank error at each target.
    """

    def __init__(self, targets: Sequence[Target], buffer_size: int = DEFAULT_BUFFER_SIZE) -> None:
        if not targets:
            raise ValueError("at least one target quantile is needed")
        # Per target: its quantile, the slopes of f below and above its rank, and f there.
        self._shapes = [
            (
                t.quantile,
                2.0 * t.error / (1.0 - t.quantile),
                2.0 * t.error / t.quantile,
                2.0 * t.error,
            )
            for t in targets
        ]
        self._buffer_size = buffer_size
        self._buffer: list[float] = []
        self._values: list[float] = []
        self._gaps: list[int] = []
        self._deltas: list[int] = []
        self._count = 0
        # Answers since the last flush: scrapes often come faster than observations.
        self._answers: dict[float, float] = {}

    @property
    def count(self) -> int:
        """Values inserted, buffered ones included."""
        return self._count + len(self._buffer)

    @property
    def size(self) -> int:
        """Tuples kept after the last flush: the memory the summary actually uses."""
        return len(self._values)

    def insert(self, value: float) -> None:
        self._buffer.append(value)
        if len(self._buffer) >= self._buffer_size:
            self._flush()

    def reset(self) -> None:
        self._buffer = []
        self._values = []
        self._gaps = []
        self._deltas = []
        self._count = 0
        self._answers = {}

    def query(self, quantile: float) -> float:
        """The value whose possible ranks lie closest to quantile * n; NaN when empty.

        The paper returns the tuple before the first whose rmax passes the target rank plus
        f/2. Picking the tuple whose rank interval strays least from the target rank is never
        worse than that, and it is exact while no tuples have been merged yet.
        """
        self._flush()
        answer = self._answers.get(quantile)
        if answer is None:
            answer = self._answers[quantile] = self._search(quantile)
        return answer

    def _search(self, quantile: float) -> float:
        if not self._values:
            return math.nan
        target = quantile * self._count
        best_value = self._values[0]
        best_error = math.inf
        rmin = 0
        for value, gap, delta in zip(self._values, self._gaps, self._deltas, strict=True):
            rmin += gap
            below, above = target - rmin, rmin + delta - target
            error = below if below > above else above
            if error < best_error:
                best_value, best_error = value, error
            elif -below > best_error:
                break  # rmin only grows from here, so no later tuple can do better.
        return best_value

    def _allowed(self, low: float, high: float, n: int) -> float:
        """The least f(rank, n) over low <= rank <= high: the g + delta a tuple there may carry.

        The paper checks f only at the rank just below the tuple. Below a target f falls as
        rank rises, so a merge allowed there could break the invariant at the tuple's own
        ranks; on uniform and on heavy-tailed input that overshot the 0.9 and 0.5 error
        bounds by 5% and 9%. Each target's f is V-shaped (falling to 2 * error * n at its rank,
        then rising), so its least value over the range is at an end or at that rank.
        """
        allowed = math.inf
        for quantile, below, above, at_target in self._shapes:
            target = quantile * n
            if high < target:
                bound = below * (n - high)
            elif low > target:
                bound = above * low
            else:
                bound = at_target * n
            allowed = min(allowed, bound)
        return allowed

    def _flush(self) -> None:
        if not self._buffer:
            return
        # Only the pending batch (at most buffer_size values) is sorted, never the stream.
        batch = sorted(self._buffer)
        self._buffer = []
        old_values, old_gaps, old_deltas = self._values, self._gaps, self._deltas
        values: list[float] = []
        gaps: list[int] = []
        deltas: list[int] = []
        size = len(old_values)
        i = 0
        for value in batch:
            while i < size and old_values[i] <= value:
                values.append(old_values[i])
                gaps.append(old_gaps[i])
                deltas.append(old_deltas[i])
                i += 1
            # The value's rank can be as high as its successor's rmax, nothing more; at
            # either end of the stream its rank is exact. This is the true uncertainty and,
            # while the invariant holds, no larger than the paper's floor(f) - 1.
            delta = 0 if i in (0, size) else old_gaps[i] + old_deltas[i] - 1
            values.append(value)
            gaps.append(1)
            deltas.append(delta)
        values.extend(old_values[i:])
        gaps.extend(old_gaps[i:])
        deltas.extend(old_deltas[i:])
        self._count += len(batch)
        self._values, self._gaps, self._deltas = values, gaps, deltas
        self._answers = {}
        self._compress()

    def _compress(self) -> None:
        """Fold tuple i into tuple i+1 wherever the merged tuple still meets the invariant.

        The walk goes from the top down, as in the paper, so a tuple can absorb several
        neighbours in one pass. The first tuple is kept as it is so the minimum stays exact.
        """
        size = len(self._values)
        if size < 3:
            return
        n = self._count
        old_values, old_gaps, old_deltas = self._values, self._gaps, self._deltas
        values = [old_values[-1]]
        gaps = [old_gaps[-1]]
        deltas = [old_deltas[-1]]
        above = old_gaps[-1]  # sum of g over the tuples after i
        for i in range(size - 2, 0, -1):
            gap = old_gaps[i]
            rank = n - above - gap  # rmin of tuple i - 1
            merged = gap + gaps[-1] + deltas[-1]
            if merged <= self._allowed(rank, rank + merged, n):
                gaps[-1] += gap
            else:
                values.append(old_values[i])
                gaps.append(gap)
                deltas.append(old_deltas[i])
            above += gap
        values.append(old_values[0])
        gaps.append(old_gaps[0])
        deltas.append(old_deltas[0])
        values.reverse()
        gaps.reverse()
        deltas.reverse()
        self._values, self._gaps, self._deltas = values, gaps, deltas


class SlidingWindowQuantiles:
    """Quantiles over roughly the last max_age seconds, as client_golang summaries give.

    age_buckets streams receive every observation; the head stream, the oldest, answers
    queries. Every max_age / age_buckets seconds the head is reset and the next stream
    becomes the head, so a query covers between max_age * (1 - 1 / age_buckets) and
    max_age seconds of observations.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        max_age: float = 600.0,
        age_buckets: int = 5,
        clock: Callable[[], float] = time.monotonic,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> None:
        if max_age <= 0 or age_buckets < 1:
            raise ValueError("max_age must be positive and age_buckets at least 1")
        self._clock = clock
        self._streams = [QuantileStream(targets, buffer_size) for _ in range(age_buckets)]
        self._head = 0
        self._rotate_every = max_age / age_buckets
        self._head_expires = clock() + self._rotate_every

    def observe(self, value: float) -> None:
        self._rotate()
        for stream in self._streams:
            stream.insert(value)

    def query(self, quantile: float) -> float:
        self._rotate()
        return self._streams[self._head].query(quantile)

    @property
    def count(self) -> int:
        """Observations inside the current window."""
        self._rotate()
        return self._streams[self._head].count

    def _rotate(self) -> None:
        now = self._clock()
        while now > self._head_expires:
            self._streams[self._head].reset()
            self._head = (self._head + 1) % len(self._streams)
            self._head_expires += self._rotate_every


class QuantileSummary:
    """One labelled summary: cumulative count and sum, quantiles over the sliding window."""

    def __init__(
        self,
        objectives: Mapping[float, float],
        max_age: float,
        age_buckets: int,
        clock: Callable[[], float],
    ) -> None:
        self._quantiles = sorted(objectives)
        targets = [Target(q, objectives[q]) for q in self._quantiles]
        self._window = SlidingWindowQuantiles(targets, max_age, age_buckets, clock)
        # One lock for window, count and sum, so a scrape never sees a count that
        # disagrees with the quantiles it comes with.
        self._lock = threading.Lock()
        self._count = 0
        self._sum = 0.0

    def observe(self, value: float) -> None:
        with self._lock:
            self._window.observe(value)
            self._count += 1
            self._sum += value

    def snapshot(self) -> tuple[int, float, list[tuple[float, float]]]:
        """Count, sum, and (quantile, value) pairs; values are NaN when the window is empty."""
        with self._lock:
            quantiles = [(q, self._window.query(q)) for q in self._quantiles]
            return self._count, self._sum, quantiles


class QuantileSummaryVec:
    """A summary family with labels and quantiles, like client_golang's SummaryVec.

    Register it with a CollectorRegistry; children appear on first use of labels().
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        objectives: Mapping[float, float],
        max_age: float = 600.0,
        age_buckets: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._objectives = dict(objectives)
        # Formatted once: scrapes are frequent and the labels never change.
        # prometheus_client leaves floatToGoString unannotated.
        self._quantile_labels = {
            q: floatToGoString(q)  # type: ignore[no-untyped-call]
            for q in self._objectives
        }
        self._max_age = max_age
        self._age_buckets = age_buckets
        self._clock = clock
        self._lock = threading.Lock()
        self._children: dict[tuple[str, ...], QuantileSummary] = {}

    def labels(self, *values: str) -> QuantileSummary:
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name} takes labels {self._labelnames}, got {values}")
        with self._lock:
            child = self._children.get(values)
            if child is None:
                child = QuantileSummary(
                    self._objectives, self._max_age, self._age_buckets, self._clock
                )
                self._children[values] = child
            return child

    def describe(self) -> Iterator[Metric]:
        # Lets the registry check names without collecting.
        yield SummaryMetricFamily(self._name, self._documentation, labels=self._labelnames)

    def collect(self) -> Iterator[Metric]:
        family = SummaryMetricFamily(self._name, self._documentation, labels=self._labelnames)
        with self._lock:
            children = sorted(self._children.items())
        for values, child in children:
            count, total, quantiles = child.snapshot()
            labels = dict(zip(self._labelnames, values, strict=True))
            for quantile, value in quantiles:
                quantile_labels = {**labels, "quantile": self._quantile_labels[quantile]}
                family.samples.append(Sample(self._name, quantile_labels, value))
            family.add_metric(values, count, total)
        yield family
