"""The backtest's alert state machine on constructed series (promdash.backtest.replay).

Besides hand-made cases (for, keep_firing_for, gaps, flapping, series that appear and
vanish, chunk boundaries), a reference evaluates tick by tick as Prometheus's
AlertingRule.Eval does, and every generated pattern must give the same states.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promdash.backtest import (
    Interval,
    Rule,
    State,
    Ticks,
    from_matrix,
    histories,
    replay,
    replay_sets,
    strip,
    tick_states,
)
from promdash.backtest.run import Plan
from promdash.errors import BacktestError
from promdash.prom.types import Series

T0 = 1_700_000_000.0  # a tick
EVERY = 5.0


def ticks(count: int, every: float = EVERY) -> Ticks:
    return Ticks.between(T0, T0 + (count - 1) * every, every, phase=T0)


def at(i: int, every: float = EVERY) -> float:
    return T0 + i * every


def one(pattern: str, hold: float = 0.0, keep: float = 0.0, every: float = EVERY) -> list[Interval]:
    """The intervals of one alert returned at the ticks marked `x` in `pattern`."""
    returned = [{"a"} if c == "x" else set() for c in pattern]
    return replay_sets(ticks(len(pattern), every), returned, hold, keep).get("a", [])


def states(pattern: str, hold: float = 0.0, keep: float = 0.0) -> str:
    """The state at each tick as a string: . inactive, p pending, F firing."""
    mark = {"inactive": ".", "pending": "p", "firing": "F"}
    return "".join(mark[s] for s in tick_states(one(pattern, hold, keep), ticks(len(pattern))))


# ---------------------------------------------------------------- for


def test_pending_from_the_first_tick_firing_once_pending_for_as_long_as_for() -> None:
    # for 30s at 5s: pending at ticks 2..7, firing from tick 8 (2 + 30s / 5s).
    assert one("..xxxxxxxxxxxx..", hold=30) == [
        Interval("pending", at(2), at(8)),
        Interval("firing", at(8), at(14)),
    ]


def test_for_zero_fires_at_the_first_tick_without_pending() -> None:
    assert one("..xx..", hold=0) == [Interval("firing", at(2), at(4))]


def test_for_not_a_multiple_of_the_interval_fires_at_the_next_tick() -> None:
    # 12s after becoming pending is between ticks 2 and 3 after it: tick 3 is the first >= 12s.
    assert states("xxxxxx", hold=12) == "pppFFF"


def test_a_gap_before_for_is_reached_forgets_the_pending_alert() -> None:
    # Pending at 0..2, missing at 3 (resolved there), pending again from 4: for counts anew.
    assert states("xxx.xxxxxxx", hold=20) == "ppp.ppppFFF"
    assert one("xxx.xxxxxxx", hold=20)[:2] == [
        Interval("pending", at(0), at(3)),
        Interval("pending", at(4), at(8)),
    ]


def test_resolved_at_the_first_tick_it_is_missing() -> None:
    assert one("xxxx...", hold=10)[-1] == Interval("firing", at(2), at(4))


# ---------------------------------------------------------------- keep_firing_for


def test_keep_firing_for_bridges_a_shorter_gap() -> None:
    # Missing at ticks 4 and 5 (10s): keep_firing_for 15s keeps it firing throughout.
    assert one("xxxx..xxxx", keep=15) == [Interval("firing", at(0), None)]


def test_keep_firing_for_resolves_that_long_after_the_first_missing_tick() -> None:
    # Missing from tick 4 on: kept firing at 4, 5 (0s, 5s < 10s), resolved at 6 (10s).
    assert states("xxxx.....", keep=10) == "FFFFFF..."
    assert one("xxxx.....", keep=10) == [Interval("firing", at(0), at(6))]


def test_keep_firing_for_not_a_multiple_of_the_interval() -> None:
    # 12s: kept at 4, 5, 6 (0, 5, 10 s < 12 s), resolved at 7 (15s).
    assert states("xxxx......", keep=12) == "FFFFFFF..."


def test_keep_firing_for_keeps_only_firing_alerts() -> None:
    # Pending (for 30s) when it goes missing: forgotten at once, as without keep_firing_for.
    assert states("xxx...xx", hold=30, keep=60) == "ppp...pp"


def test_back_after_keep_firing_for_ran_out_is_a_new_alert() -> None:
    assert one("xx...xx", hold=5, keep=10) == [
        Interval("pending", at(0), at(1)),
        Interval("firing", at(1), at(4)),
        Interval("pending", at(5), at(6)),
        Interval("firing", at(6), None),
    ]


def test_back_at_the_very_tick_keep_firing_for_would_end_it_goes_on_firing() -> None:
    # Missing at 2, 3; keep 10s would resolve it at tick 4, where it is returned again.
    assert one("xx..xx", keep=10) == [Interval("firing", at(0), None)]


# ---------------------------------------------------------------- flapping, appearing, vanishing


def test_flapping_counts_each_firing() -> None:
    history = histories(
        ticks(12), {"a": [0, 1, 4, 5, 8, 9]}, {"a": {"alertname": "X"}}, hold=5, keep=0
    )["a"]
    assert history.times_fired == 3
    assert history.seconds("firing", until=at(11)) == 3 * EVERY
    assert history.seconds("pending", until=at(11)) == 3 * EVERY


def test_flapping_faster_than_for_never_fires() -> None:
    assert "F" not in states("x.x.x.x.x.x.", hold=5)


def test_series_appearing_and_vanishing_are_alerts_of_their_own() -> None:
    returned = [{"a"}, {"a"}, {"a", "b"}, {"b"}, {"b"}, set(), {"c"}]
    found = replay_sets(ticks(7), returned, hold=5)
    assert found == {
        "a": [Interval("pending", at(0), at(1)), Interval("firing", at(1), at(3))],
        "b": [Interval("pending", at(2), at(3)), Interval("firing", at(3), at(5))],
        "c": [Interval("pending", at(6), None)],
    }


def test_never_returned_is_no_alert() -> None:
    assert replay_sets(ticks(5), [set()] * 5, hold=0) == {}


def test_still_pending_or_firing_at_the_last_tick_has_no_end() -> None:
    assert one("..xx", hold=30) == [Interval("pending", at(2), None)]
    assert one("..xx", hold=5) == [
        Interval("pending", at(2), at(3)),
        Interval("firing", at(3), None),
    ]
    # Kept firing past the last tick.
    assert one("xxx.", keep=60) == [Interval("firing", at(0), None)]


def test_unfinished_stretches_last_until_the_end_asked() -> None:
    [pending] = one("..xx", hold=30)
    assert pending.seconds(until=at(3) + 2) == 7.0


# ---------------------------------------------------------------- the range's start


def test_the_ticks_before_the_range_set_the_states_at_its_start() -> None:
    # Firing since tick 1; the range starts at tick 5: firing at its start, cut there.
    found = histories(ticks(10), {"a": range(10)}, {"a": {}}, hold=0, keep=0, range_start=at(5))
    assert found["a"].intervals == [Interval("firing", at(5), None, before_start=True)]
    assert found["a"].times_fired == 1


def test_stretches_over_before_the_range_are_left_out() -> None:
    found = histories(ticks(10), {"a": [0, 1, 7]}, {"a": {}}, hold=0, keep=0, range_start=at(5))
    assert found["a"].intervals == [Interval("firing", at(7), at(8))]


# ---------------------------------------------------------------- ticks and chunks


def test_ticks_fall_on_the_phase_given() -> None:
    # The server's group was last evaluated at .250 s past a 15 s tick.
    grid = Ticks.between(1000.0, 1100.0, 15.0, phase=1000.25 + 15 * 40)
    assert grid.at(0) == 1000.25 and grid.step == 15000
    assert grid.end <= 1100.0 < grid.end + 15
    # Without a phase, multiples of the interval.
    assert Ticks.between(1001.0, 1100.0, 15.0).at(0) == 1005.0


def test_chunks_cover_every_tick_once_in_order() -> None:
    grid = ticks(25_001)
    parts = grid.chunks(10_000)
    assert [p.count for p in parts] == [10_000, 10_000, 5_001]
    assert parts[1].first == parts[0].first + 10_000 * grid.step
    assert parts[-1].at(parts[-1].count - 1) == grid.end


def test_an_alert_firing_across_a_chunk_boundary_is_one_stretch() -> None:
    # The range query answers each chunk apart: the same series comes back in parts.
    rule = Rule("X", "up", hold=10, labels={"severity": "page"})
    grid = ticks(30)
    plan = Plan(rule, grid.at(0), grid.end, EVERY, "--every", phase=T0)
    whole = [i for i in range(30) if 4 <= i <= 25]
    parts = [
        Series({"__name__": "up", "job": "a"}, [at(i) for i in whole if i // 10 == k], [1.0] * 0)
        for k in range(3)
    ]
    for part in parts:
        part.values.extend([1.0] * len(part.timestamps))
    [alert] = from_matrix(plan, parts, plan.warm_ticks)
    assert alert.labels == {"job": "a", "severity": "page", "alertname": "X"}
    assert alert.intervals == [Interval("pending", at(4), at(6)), Interval("firing", at(6), at(26))]


def test_two_series_with_one_alert_label_set_at_once_fail_as_in_prometheus() -> None:
    rule = Rule("X", "a or b")
    grid = ticks(3)
    plan = Plan(rule, grid.at(0), grid.end, EVERY, "--every", phase=T0)
    both = [Series({"__name__": n, "job": "j"}, [at(1)], [1.0]) for n in ("a", "b")]
    with pytest.raises(BacktestError, match="same labels"):
        from_matrix(plan, both)
    # One after the other is one alert, as in Prometheus.
    apart = [Series({"__name__": "a"}, [at(0)], [1.0]), Series({"__name__": "b"}, [at(1)], [1.0])]
    [alert] = from_matrix(plan, apart, plan.warm_ticks)
    assert alert.intervals == [Interval("firing", at(0), at(2))]


# ---------------------------------------------------------------- the strip


def test_strip_shows_a_firing_shorter_than_a_column() -> None:
    intervals = [Interval("pending", 10.0, 11.0), Interval("firing", 11.0, 12.0)]
    assert strip(intervals, 0.0, 100.0, 10) == ["inactive", "firing"] + ["inactive"] * 8


def test_strip_runs_an_unfinished_stretch_to_the_end() -> None:
    assert strip([Interval("pending", 50.0, None)], 0.0, 100.0, 4) == [
        "inactive",
        "inactive",
        "pending",
        "pending",
    ]


# ---------------------------------------------------------------- against a reference


def reference(returned: Sequence[bool], every: float, hold: float, keep: float) -> list[State]:
    """Prometheus's evaluation, one tick at a time, as rules/alerting.go writes it."""
    state: State = "inactive"
    active_at = keep_since = 0.0
    keeping = False
    out: list[State] = []
    for index, here in enumerate(returned):
        ts = index * every
        if here:
            if state == "inactive":
                state, active_at = "pending", ts
            keeping = False
        else:
            if state == "firing" and keep > 0:
                if not keeping:
                    keep_since, keeping = ts, True
                if ts - keep_since < keep:
                    out.append(state)
                    continue
            state, keeping = "inactive", False
            out.append(state)
            continue
        if state == "pending" and ts - active_at >= hold:
            state = "firing"
        out.append(state)
    return out


@settings(max_examples=400, deadline=None)
@given(
    returned=st.lists(st.booleans(), min_size=1, max_size=60),
    every=st.sampled_from([1.0, 5.0, 15.0, 60.0]),
    hold=st.sampled_from([0.0, 1.0, 5.0, 12.0, 30.0, 60.0, 300.0]),
    keep=st.sampled_from([0.0, 1.0, 5.0, 7.0, 30.0, 120.0]),
)
def test_replay_matches_prometheus_tick_by_tick(
    returned: list[bool], every: float, hold: float, keep: float
) -> None:
    grid = ticks(len(returned), every)
    found = replay_sets(grid, [{"a"} if r else set() for r in returned], hold, keep)
    assert tick_states(found.get("a", []), grid) == reference(returned, every, hold, keep)


def test_replay_in_ticks() -> None:
    # The raw form: (state, first tick, end tick) with fire_after and resolve_after in ticks.
    assert replay([3, 4, 5, 6], 10, fire_after=2, resolve_after=1) == [
        ("pending", 3, 5),
        ("firing", 5, 8),
    ]


def test_what_if_another_for_needs_only_the_matrix() -> None:
    # The dashboard's what-if: the same answer replayed with another `for`.
    import dataclasses

    grid = ticks(20)
    plan = Plan(Rule("X", "up", hold=10), grid.at(0), grid.end, EVERY, "--every", phase=T0)
    matrix = [Series({"job": "a"}, [at(i) for i in (*range(2, 6), *range(10, 13))], [1.0] * 7)]
    assert sum(a.times_fired for a in from_matrix(plan, matrix, plan.warm_ticks)) == 2
    longer = dataclasses.replace(plan, rule=dataclasses.replace(plan.rule, hold=20))
    [alert] = from_matrix(longer, matrix, plan.warm_ticks)  # the ticks asked
    assert alert.times_fired == 0 and [i.state for i in alert.intervals] == ["pending"] * 2
    assert alert.known_from is None


def test_what_if_a_longer_for_than_the_answer_covers_shows_no_made_up_start() -> None:
    # Returned at every tick asked (and for days before): with for 0 one tick before the
    # range was asked. With for 10m, the answer does not say whether it was pending or
    # firing before +9m; it was firing by then.
    import dataclasses

    every = 60.0
    plan = Plan(Rule("X", "up"), T0, T0 + 30 * every, every, "--every", phase=T0)
    grid = plan.warm_ticks
    matrix = [Series({"job": "a"}, [grid.at(i) for i in range(grid.count)], [1.0] * grid.count)]
    longer = dataclasses.replace(plan, rule=dataclasses.replace(plan.rule, hold=600))
    for asked in (grid, None):  # the grid asked, or (not given) from the first sample on
        [alert] = from_matrix(longer, matrix, asked)
        assert alert.intervals == [Interval("firing", T0 + 540, None, before_start=True)]
        assert alert.known_from == T0 + 540


def test_keep_firing_for_through_short_gaps_since_long_before_the_range() -> None:
    # for 10m, keep_firing_for 10m, every 1m: returned at every tick from 2h before the
    # range, then missing one tick in five from 30m before it: Prometheus stays firing.
    every = 60.0
    plan = Plan(Rule("X", "up", hold=600, keep_firing_for=600), T0, T0 + 60 * every,
                every, "--every", phase=T0)  # fmt: skip
    full = Ticks(plan.ticks.first - 120 * 60_000, 60_000, plan.ticks.count + 120)
    here = [i for i in range(full.count) if not (i >= 90 and i % 5 == 4)]
    truth = replay_sets(full, [{"a"} if i in here else set() for i in range(full.count)],
                        600, 600)["a"]  # fmt: skip
    assert truth[-1] == Interval("firing", full.at(10), None)

    def answer(grid: Ticks) -> list[Series]:
        times = [full.at(i) for i in here if full.at(i) >= grid.at(0)]
        return [Series({"job": "a"}, times, [1.0] * len(times))]

    # The warm-up for + keep_firing_for spans settles nothing: no stretch is made up.
    [alert] = from_matrix(plan, answer(plan.warm_ticks), plan.warm_ticks)
    assert alert.intervals == [] and alert.known_from is not None
    # Asked back to where it was returned 11 ticks in a row: firing all along.
    [alert] = from_matrix(plan, answer(full), full)
    assert alert.intervals == [Interval("firing", T0, None, before_start=True)]
    assert alert.known_from is None


def test_settled_is_where_the_states_no_longer_depend_on_earlier_ticks() -> None:
    from promdash.backtest.replay import settled

    assert settled([0, 1, 2, 3], 10, fire_after=2, resolve_after=0) == 2  # firing either way
    assert settled([0, 2, 4], 10, fire_after=0, resolve_after=0) == 0
    assert settled([0, 2, 4], 10, fire_after=1, resolve_after=0) == 1  # missing: inactive
    assert settled([0, 2, 4, 6, 8], 10, fire_after=1, resolve_after=1) == 10  # never
    assert settled([5], 10, fire_after=3, resolve_after=2) == 2  # missing 0..2
    assert settled([], 10, fire_after=3, resolve_after=2) == 2
