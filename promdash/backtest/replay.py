"""Prometheus's alert states, replayed over evaluation ticks: pure, no I/O.

At each tick Prometheus evaluates an alerting rule; an alert (one label set the
expression returns) is pending from the first tick it is returned, firing at the
first tick it has been returned for at least `for` without a gap, and inactive
again at the first tick it is not returned. A firing alert with `keep_firing_for`
stays firing while that long has not passed since the first tick it was missing;
returned again meanwhile, it simply goes on firing. A pending alert that goes
missing is forgotten: it starts again from pending. `for: 0` fires at the first
tick. (rules/alerting.go, AlertingRule.Eval, since 2.42.)

Ticks are whole milliseconds, as Prometheus stores and compares times, so a
`for` that is a whole number of intervals fires exactly that many ticks later.

The ticks replayed start somewhere: what the alert did before them is not known.
Its states are known from the first tick (`settled`) where they no longer depend on
it: once returned `for` long without a gap (firing, whatever came before), or
missing `keep_firing_for` long (inactive). Before that, it may have been firing
while the replay has it pending, or kept firing while the replay has it gone.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

State = Literal["inactive", "pending", "firing"]
ActiveState = Literal["pending", "firing"]
RANK: dict[State, int] = {"inactive": 0, "pending": 1, "firing": 2}
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Ticks:
    """Evaluation times: `first + i * step` milliseconds for i in range(count)."""

    first: int  # Unix milliseconds
    step: int  # milliseconds, at least 1
    count: int

    @classmethod
    def between(cls, start: float, end: float, every: float, phase: float = 0.0) -> Ticks:
        """The ticks of a schedule every `every` seconds through `phase` (a time one
        of them falls on) from `start` to `end` (seconds), both included."""
        step = max(1, round(every * 1000))
        start_ms, end_ms = math.ceil(start * 1000), math.floor(end * 1000)
        first = start_ms + (round(phase * 1000) - start_ms) % step
        return cls(first, step, max(0, (end_ms - first) // step + 1))

    def at(self, index: int) -> float:
        """The Unix time (seconds) of tick `index`."""
        return (self.first + index * self.step) / 1000

    @property
    def end(self) -> float:
        """The time of the last tick (of the first, when there are none)."""
        return self.at(max(self.count - 1, 0))

    def index(self, seconds: float) -> int:
        """The tick nearest to `seconds` (it may be outside 0..count-1)."""
        return round((seconds * 1000 - self.first) / self.step)

    def after(self, seconds: float) -> int:
        """Ticks needed to cover `seconds`: how many ticks after a start `for` is reached."""
        return math.ceil(round(seconds * 1000) / self.step)

    def part(self, begin: int, stop: int) -> Ticks:
        """Ticks `begin` to `stop - 1` of these."""
        return Ticks(self.first + begin * self.step, self.step, max(0, stop - begin))

    def chunks(self, most: int) -> list[Ticks]:
        """These ticks in consecutive parts of at most `most` ticks each."""
        return [self.part(i, min(i + most, self.count)) for i in range(0, self.count, most)]


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of one alert in one state: from the tick it began at to the tick it
    ended at (`end` None: still so at the last tick)."""

    state: ActiveState
    start: float
    end: float | None
    before_start: bool = False  # it began before the range asked for (cut at its start)

    def seconds(self, until: float) -> float:
        """How long it lasted; an interval not ended lasts `until`."""
        return max(0.0, (self.end if self.end is not None else until) - self.start)


@dataclass(frozen=True, slots=True)
class AlertHistory:
    """One alert (label set) of a rule over the range: its pending and firing stretches.

    `known_from`: set when the alert's states in the range depend on evaluations
    before the ticks replayed (it was returned at the first of them, or kept firing):
    its stretches are known from that time on (one going on then began before it)."""

    labels: dict[str, str]
    intervals: list[Interval] = field(default_factory=list)
    known_from: float | None = None

    @property
    def times_fired(self) -> int:
        """Firing stretches in the range (one already firing at its start included)."""
        return sum(i.state == "firing" for i in self.intervals)

    def seconds(self, state: ActiveState, until: float) -> float:
        return sum((i.seconds(until) for i in self.intervals if i.state == state), 0.0)


def replay(
    present: Iterable[int], count: int, fire_after: int, resolve_after: int
) -> list[tuple[ActiveState, int, int | None]]:
    """One alert's states over `count` ticks, given the ticks it was returned at.

    `fire_after` is `for` in ticks (it fires at the tick that many after it became
    pending), `resolve_after` is `keep_firing_for` in ticks (a firing alert missing
    from tick m on is resolved at tick m + resolve_after, unless returned before).
    Returns (state, first tick, tick it ended at or None) in time order.
    """
    ticks = sorted({i for i in present if 0 <= i < count})
    out: list[tuple[ActiveState, int, int | None]] = []
    firing_since: int | None = None  # the open firing stretch's first tick
    last = -1  # the last tick returned so far
    for run_start, run_end in _runs(ticks):
        if firing_since is not None:
            resolved = last + 1 + resolve_after
            if resolved < run_start:
                out.append(("firing", firing_since, resolved))
                firing_since = None
            else:  # back before keep_firing_for ran out: it never stopped firing
                last = run_end
                continue
        fires = run_start + fire_after
        if fires > run_start:
            out.append(("pending", run_start, min(fires, run_end + 1)))
        if fires <= run_end:
            firing_since = fires
        last = run_end
    if firing_since is not None:
        resolved = last + 1 + resolve_after
        out.append(("firing", firing_since, resolved if resolved < count else None))
    # A pending stretch that ran to the last tick has not ended.
    return [(s, a, None if b is not None and b >= count else b) for s, a, b in out]


def settled(present: Iterable[int], count: int, fire_after: int, resolve_after: int) -> int:
    """The first of `count` ticks from which an alert returned at `present` is in the
    same state whatever it was before tick 0 (`count` when none is): the last tick
    of `fire_after + 1` returned in a row (firing), or of `resolve_after + 1` missing
    in a row (inactive)."""
    last = -1  # the last tick returned so far
    for run_start, run_end in _runs(sorted({i for i in present if 0 <= i < count})):
        if run_start - last - 1 > resolve_after:
            return last + 1 + resolve_after
        if run_end - run_start >= fire_after:
            return run_start + fire_after
        last = run_end
    return min(count, last + 1 + resolve_after) if count - last - 1 > resolve_after else count


def _runs(ticks: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Consecutive ticks as (first, last) runs."""
    if not ticks:
        return
    start = prev = ticks[0]
    for tick in ticks[1:]:
        if tick != prev + 1:
            yield start, prev
            start = tick
        prev = tick
    yield start, prev


def histories(
    ticks: Ticks,
    present: Mapping[K, Collection[int]],
    labels: Mapping[K, dict[str, str]],
    hold: float,
    keep: float,
    *,
    range_start: float | None = None,
) -> dict[K, AlertHistory]:
    """Each alert's history: `present[key]` are the ticks the alert `key` was returned
    at, `labels[key]` its labels; `hold` and `keep` are `for` and `keep_firing_for` in
    seconds. Stretches ending before `range_start` (the ticks before it only warm the
    states up) are left out, and one going on at it is cut there. An alert whose
    states at `range_start` the ticks do not settle is cut where they do
    (`known_from`). Alerts never pending or firing in the range are left out."""
    fire_after, resolve_after = ticks.after(hold), ticks.after(keep)
    begin = ticks.first / 1000 if range_start is None else range_start
    out: dict[K, AlertHistory] = {}
    for key, returned in present.items():
        known = settled(returned, ticks.count, fire_after, resolve_after)
        unsettled = range_start is not None and begin < ticks.at(known)
        known_from = ticks.at(known) if unsettled else None
        cut = ticks.at(known) if unsettled else begin
        intervals = []
        for state, a, b in replay(returned, ticks.count, fire_after, resolve_after):
            start, end = ticks.at(a), None if b is None else ticks.at(b)
            if (end is not None and end <= cut) or (unsettled and known >= ticks.count):
                continue
            # Where the states settle, a stretch going on may have begun before.
            before = start < cut or (unsettled and start == cut)
            intervals.append(Interval(state, max(start, cut), end, before))
        if intervals or known_from is not None:
            out[key] = AlertHistory(labels[key], intervals, known_from)
    return out


def replay_sets(
    ticks: Ticks, returned: Sequence[Collection[K]], hold: float, keep: float = 0.0
) -> dict[K, list[Interval]]:
    """`histories` from what the rule returned at each tick (`returned[i]`: the alerts
    at tick i), as Prometheus sees it one evaluation at a time."""
    present: dict[K, list[int]] = {}
    for index, alerts in enumerate(returned):
        for key in alerts:
            present.setdefault(key, []).append(index)
    found = histories(ticks, present, {k: {} for k in present}, hold, keep)
    return {key: history.intervals for key, history in found.items()}


def tick_states(intervals: Sequence[Interval], ticks: Ticks) -> list[State]:
    """The alert's state at each tick."""
    states: list[State] = ["inactive"] * ticks.count
    for interval in intervals:
        first = max(0, ticks.index(interval.start))
        stop = ticks.count if interval.end is None else min(ticks.count, ticks.index(interval.end))
        states[first:stop] = [interval.state] * max(0, stop - first)
    return states


def strip(intervals: Sequence[Interval], start: float, end: float, columns: int) -> list[State]:
    """The alert's state in each of `columns` equal slices of start..end: the highest
    state the slice saw (firing over pending over inactive), so that a firing shorter
    than a column still shows."""
    states: list[State] = ["inactive"] * columns
    if columns <= 0 or end <= start:
        return states
    width = (end - start) / columns
    for interval in intervals:
        stop = end if interval.end is None else interval.end
        first = max(0, int((interval.start - start) / width))
        last = min(columns - 1, math.ceil((stop - start) / width) - 1)
        for column in range(first, max(first, last) + 1):
            if column < columns and RANK[interval.state] > RANK[states[column]]:
                states[column] = interval.state
    return states
