"""A backtest against a server: its evaluation ticks, the expression over them, the states.

The expression is asked with range queries whose step is the evaluation interval,
so each point is what an instant evaluation at that tick would return (same
5-minute lookback). A range query answers at most 11,000 points a series, so long
ranges are asked in parts of `CHUNK` ticks, each starting one step after the last.
Before the range, the ticks `for` and `keep_firing_for` span are evaluated too, so
an alert already pending or firing at its start is shown so, as Prometheus had it.
While an alert's states at the start still depend on earlier ticks (returned at the
first one asked, or kept firing through short gaps), earlier ones are asked, back
to the server's oldest sample or `LOOKBACK` times the range; past that, its
stretches are known from where they settle (`AlertHistory.known_from`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promdash.backtest.replay import AlertHistory, Ticks, histories
from promdash.backtest.rules import Rule
from promdash.backtest.schedule import group_phase
from promdash.errors import (
    APIError,
    AuthError,
    BacktestError,
    BadResponseError,
    NotPrometheusError,
    OutsideRetention,
    UnsupportedError,
    UsageError,
)
from promdash.prom.promql import selector
from promdash.prom.types import Series
from promdash.timefmt import (
    clock_text,
    date_time_text,
    format_duration,
    parse_duration,
    short_duration,
)

if TYPE_CHECKING:
    from promdash.prom.client import PromClient

CHUNK = 10_000  # ticks per range query: below the server's 11,000 points per series
PARALLEL = 4  # range queries in flight at once
DEFAULT_INTERVAL = 60.0  # Prometheus's own default evaluation_interval
LOOKBACK = 3  # the warm-up reaches back at most this many times the range (with for and keep)


@dataclass(frozen=True)
class Plan:
    """What a backtest evaluates: a rule over start..end, every `every` seconds."""

    rule: Rule
    start: float
    end: float
    every: float
    every_from: str  # where the interval came from, for people
    phase: float | None = None  # a time the server's ticks fall on, when known
    notices: list[str] = field(default_factory=list)
    oldest: float | None = None  # the server's oldest sample: no tick is asked before it

    @property
    def ticks(self) -> Ticks:
        """The evaluation ticks of the range (its start and end included)."""
        return Ticks.between(self.start, self.end, self.every, self.phase or 0.0)

    @property
    def warm_ticks(self) -> Ticks:
        """The range's ticks and, before them, what settles the states at its start for
        an alert returned all along or gone all along: one more than `for` and
        keep_firing_for span (none before the server's oldest sample)."""
        ticks = self.ticks
        before = ticks.after(self.rule.hold) + ticks.after(self.rule.keep_firing_for) + 1
        return self.earlier(ticks, before)

    def earlier(self, grid: Ticks, more: int) -> Ticks:
        """`grid` with up to `more` ticks before it, none before the oldest sample nor
        `LOOKBACK` times the range (with for and keep_firing_for) before the start."""
        rule = self.rule
        floor = self.start - LOOKBACK * (self.end - self.start + rule.hold + rule.keep_firing_for)
        if self.oldest is not None:
            floor = max(floor, self.oldest)
        room = max(0, (grid.first - math.ceil(floor * 1000)) // grid.step)
        more = min(more, room)
        return Ticks(grid.first - more * grid.step, grid.step, grid.count + more)


@dataclass(frozen=True)
class Backtest:
    """The answer: each alert's pending and firing stretches in the range."""

    plan: Plan
    ticks: Ticks  # the range's ticks (without the warm-up before it)
    alerts: list[AlertHistory]  # by labels
    matrix: list[Series]  # the expression's value at each tick of `grid`
    queries: int  # range queries sent
    warnings: list[str] = field(default_factory=list)
    asked: Ticks | None = None  # the ticks evaluated, warm-up included (None: plan.warm_ticks)

    @property
    def grid(self) -> Ticks:
        return self.plan.warm_ticks if self.asked is None else self.asked

    @property
    def times_fired(self) -> int:
        return sum(a.times_fired for a in self.alerts)

    @property
    def firing_seconds(self) -> float:
        """How long at least one alert was firing in the range: the alerts' own times
        overlap, and added up could say more than the range."""
        end = self.plan.end
        stretches = sorted(
            (i.start, i.end if i.end is not None else end)
            for a in self.alerts
            for i in a.intervals
            if i.state == "firing"
        )
        total, reach = 0.0, -math.inf
        for begin, until in stretches:
            if until > reach:
                total += until - max(begin, reach)
                reach = until
        return total


# ---------------------------------------------------------------- choosing what to evaluate


async def plan(
    client: PromClient,
    rule: Rule,
    start: float,
    end: float,
    every: float | None = None,
    *,
    fit_start: bool = False,
) -> Plan:
    """The ticks to evaluate `rule` at: every `every` seconds, else its group's interval,
    else the server's evaluation_interval, else 1m; phased like the server's own ticks
    when the rule is the server's. A range that starts before the server's oldest sample
    is an error saying what the server holds, or with `fit_start` (a range the user did
    not choose) starts there instead, with a notice."""
    if end <= start:
        raise UsageError(f"the range is empty: it ends ({when(end)}) before it starts")
    oldest, settings = await asyncio.gather(client.oldest_sample(), rule_settings(client))
    server_interval, server_offset = settings
    notices = []
    if oldest is not None and start < oldest - 1:
        held = f"the server's oldest sample is from {when(oldest)} ({_ago(oldest)})"
        if end <= oldest:
            raise OutsideRetention(
                f"the range ({when(start)} to {when(end)}) ends before what the server "
                f"holds: {held}"
            )
        if not fit_start:
            longest = format_duration(max(1, math.floor(end - oldest)))
            raise OutsideRetention(
                f"the range starts at {when(start)}, before what the server holds: {held}; "
                f"ask for --range {longest} or less, or a later --start"
            )
        notices.append(f"{held}: backtesting from there")
        start = oldest
    if every is not None:
        chosen, said = every, "--every"
    elif rule.interval is not None:
        chosen, said = rule.interval, f"the interval of group {rule.group}"
    elif server_interval is not None:
        chosen, said = server_interval, "the server's evaluation_interval"
    else:
        chosen, said = DEFAULT_INTERVAL, "the default evaluation_interval"
    phase = None
    if rule.source == "server" and rule.interval:
        phase = group_phase(rule.file, rule.group, rule.interval)
    offset = rule.query_offset if rule.query_offset is not None else server_offset
    if offset:
        # Prometheus evaluates each tick `offset` earlier in the data, and stamps ALERTS
        # there: the ticks asked are those, and so are the times shown.
        phase = (phase or 0.0) - offset
        notices.append(
            f"query_offset {format_duration(offset)}: each evaluation looks at the data "
            f"{format_duration(offset)} before its tick; times are the data's (as ALERTS "
            "has them), Prometheus acted that much later"
        )
    planned = Plan(rule, start, end, chosen, said, phase, notices, oldest)
    if not planned.ticks.count:
        raise UsageError(
            f"the range ({short_duration(end - start)}) holds no evaluation every "
            f"{format_duration(chosen)}: ask for a longer one"
        )
    return planned


def when(moment: float) -> str:
    """A time with its date, as the backtest's messages and tables say it."""
    return f"{date_time_text(moment)[:10]} {clock_text(moment)}"


def _ago(moment: float) -> str:
    return f"{short_duration(time.time() - moment)} ago"


async def rule_settings(client: PromClient) -> tuple[float | None, float]:
    """The server's global evaluation_interval (None when it does not say) and
    rule_query_offset (Prometheus 3), from the configuration it runs."""
    try:
        config = await client.status_config()
    except (UnsupportedError, NotPrometheusError, APIError, BadResponseError, AuthError):
        return None, 0.0  # not Prometheus itself (VictoriaMetrics, a proxy): the defaults
    settings = config.get("global")
    settings = settings if isinstance(settings, dict) else {}
    return _duration(settings.get("evaluation_interval")), _duration(
        settings.get("rule_query_offset")
    ) or 0.0


def _duration(value: object) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(str(value)) or None
    except ValueError:
        return None


# ---------------------------------------------------------------- evaluating


async def backtest(
    client: PromClient, plan: Plan, progress: Callable[[int, int], None] | None = None
) -> Backtest:
    """Evaluate the plan's rule at each tick and replay Prometheus's alert states.
    `progress(done, total)` is told as range queries come back."""
    limit = asyncio.Semaphore(PARALLEL)
    warnings: list[str] = []
    done = total = 0

    async def ask(part: Ticks) -> list[Series]:
        nonlocal done
        async with limit:
            answer = await client.query_range(
                plan.rule.expr, part.first / 1000, part.at(part.count - 1), part.step / 1000
            )
        warnings.extend(w for w in answer.warnings if w not in warnings)
        done += 1
        if progress is not None:
            progress(done, total)
        return answer.matrix

    async def ask_all(ticks: Ticks) -> list[Series]:
        nonlocal total
        parts = ticks.chunks(CHUNK)
        total += len(parts)
        answers = await asyncio.gather(*(ask(part) for part in parts))
        return [series for answer in answers for series in answer]

    grid = plan.warm_ticks
    matrix = join(await ask_all(grid)) if grid.count else []
    alerts = from_matrix(plan, matrix, grid)
    # Alerts whose states at the start depend on ticks before those asked: ask earlier
    # ones, twice as many each time, while there are any to ask.
    while any(a.known_from is not None for a in alerts):
        wider = plan.earlier(grid, max(grid.count - plan.ticks.count, 1))
        if wider.count == grid.count:
            break
        earlier = wider.part(0, wider.count - grid.count)
        matrix = join([*await ask_all(earlier), *matrix])
        grid = wider
        alerts = from_matrix(plan, matrix, grid)
    if plan.rule.limit:
        counts = Counter(t for series in matrix for t in _times(series))
        if over := sum(n > plan.rule.limit for n in counts.values()):
            warnings.append(
                f"at {over:,} ticks the rule made more alerts than its group's limit "
                f"({plan.rule.limit}): Prometheus failed those evaluations and forgot its "
                "alerts; the backtest did not"
            )
    if templated := plan.rule.templated():
        warnings.append(
            f"label {', '.join(templated)}: a template promdash does not expand, kept as written"
        )
    return Backtest(plan, plan.ticks, alerts, matrix, total, warnings, grid)


Key = tuple[tuple[str, str], ...]


def join(parts: list[Series]) -> list[Series]:
    """The series of consecutive range queries' answers, each series' parts joined."""
    joined: dict[Key, Series] = {}
    for part in parts:
        key = tuple(sorted(part.metric.items()))
        if key in joined:
            old = joined[key]
            old.timestamps.extend(part.timestamps)
            old.values.extend(part.values)
            old.histograms.extend(part.histograms)
        else:
            joined[key] = Series(
                part.metric, list(part.timestamps), list(part.values), list(part.histograms)
            )
    return list(joined.values())


def from_matrix(plan: Plan, matrix: list[Series], grid: Ticks | None = None) -> list[AlertHistory]:
    """Each alert's history from the expression's values at the ticks `grid` (a
    backtest's `grid`; by default the plan's warm-up and range), sorted by labels.

    A changed `for` or `keep_firing_for` replays from the same answer
    (`from_matrix(replace(result.plan, rule=changed), result.matrix, result.grid)`):
    where the answer does not reach back far enough to settle an alert's states, its
    stretches start where they settle (`known_from`) instead of showing a start that
    never happened; `backtest` with the changed plan asks further back. Without
    `grid`, the ticks before the matrix's first sample are taken as not asked."""
    ticks = plan.warm_ticks if grid is None else grid
    if grid is None and (times := [t for s in matrix for t in _times(s)[:1]]):
        ticks = ticks.part(max(0, ticks.index(min(times))), ticks.count)
    present: dict[Key, list[int]] = {}
    labels: dict[Key, dict[str, str]] = {}
    source: dict[Key, dict[str, str]] = {}
    for series in matrix:
        alert = plan.rule.alert_labels(series.metric)
        key = tuple(sorted(alert.items()))
        times = _times(series)
        indexes = [ticks.index(t) for t in times]
        if key not in present:
            present[key], labels[key], source[key] = indexes, alert, series.metric
            continue
        if clash := set(present[key]).intersection(indexes):
            raise BacktestError(
                f"at {when(ticks.at(min(clash)))} the expression returned two series with "
                f"the same labels once __name__ is dropped and the rule's labels added "
                f"({selector(labels=source[key])} and {selector(labels=series.metric)}): "
                "Prometheus fails such an evaluation"
            )
        present[key].extend(indexes)
    found = histories(
        ticks, present, labels, plan.rule.hold, plan.rule.keep_firing_for,
        range_start=plan.ticks.first / 1000,
    )  # fmt: skip
    return sorted(found.values(), key=lambda a: sorted(a.labels.items()))


def _times(series: Series) -> list[float]:
    return sorted([*series.timestamps, *(t for t, _ in series.histograms)])
