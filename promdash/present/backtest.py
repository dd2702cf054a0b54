"""How `promdash backtest` presents a backtest: a summary, each alert's stretches, strips.

The strip is one character per slice of the range in the state the Alerts panel
colours it (inactive green, pending yellow, firing red), shaped too, so that it
reads without colour. JSON and CSV are documented in docs/json-output.md.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from typing import Any

from promdash.backtest import AlertHistory, Backtest, Interval, State, strip
from promdash.backtest.run import when
from promdash.present.output import JSON_SCHEMA_VERSION, STATE_COLOR, dumps, flow, paint, table
from promdash.present.text import clip, common_labels, label_parts, labels_text
from promdash.timefmt import clock_text, date_time_text, format_duration, short_duration

STRIP_CHAR: dict[State, str] = {"inactive": "▁", "pending": "▄", "firing": "█"}
STRIP_MIN = 20  # columns below which no strip is drawn


def strip_text(intervals: Sequence[Interval], start: float, end: float, columns: int,
               color: bool, known_from: float | None = None) -> str:  # fmt: skip
    """One line of `columns` characters: the alert's state over start..end; `?` over
    the columns wholly before `known_from` (its state not known there)."""
    states = strip(intervals, start, end, columns)
    unknown = 0
    if known_from is not None and end > start:
        unknown = min(columns, max(0, int((known_from - start) / (end - start) * columns)))
    out, run = ["?" * unknown], unknown
    for index in range(unknown, len(states)):
        state = states[index]
        if index + 1 == len(states) or states[index + 1] != state:
            text = STRIP_CHAR[state] * (index + 1 - run)
            out.append(paint(text, STATE_COLOR[state], color))
            run = index + 1
    return "".join(out)


def _moment(seconds: float, dated: bool) -> str:
    return when(seconds) if dated else clock_text(seconds)


def _axis(moment: float, span: float) -> str:
    """A time at an end of the strips, as precise as their span needs."""
    if span >= 86400:
        return date_time_text(moment)
    return clock_text(moment, seconds=span < 3600)


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def backtest_text(result: Backtest, *, color: bool = False, width: int | None = None) -> str:
    """The backtest for people. With a `width` (a terminal), a strip per alert."""
    plan, rule = result.plan, result.plan.rule
    start, end = plan.start, plan.end
    dated = time.localtime(start)[:3] != time.localtime(end)[:3]
    where = f"group {rule.group}" if rule.group else rule.source
    keep = (
        f", keep_firing_for {format_duration(rule.keep_firing_for)}" if rule.keep_firing_for else ""
    )
    lines = [
        f"{rule.name} ({where}): {clip(' '.join(rule.expr.split()))}",
        f"for {format_duration(rule.hold) if rule.hold else '0s'}{keep}, every "
        f"{format_duration(plan.every)} ({plan.every_from}); "
        f"{_moment(start, True)} to {_moment(end, dated)} "
        f"({short_duration(end - start)}, {_count(result.ticks.count, 'evaluation')})",
    ]
    alerts = result.alerts
    if not alerts:
        lines.append("never pending or firing in this range")
        return "\n".join(lines)
    fired = [a for a in alerts if a.times_fired]
    summary = f"{_count(len(fired), 'alert')} fired {_count(result.times_fired, 'time')}"
    if fired:
        firing = short_duration(result.firing_seconds)
        of = f"of {short_duration(end - start)}"
        summary += f", firing {firing} {of}" if len(fired) == 1 else f"; some firing {firing} {of}"
    pending = [a for a in alerts if a.intervals and not a.times_fired]
    if pending:
        summary += f"; {_count(len(pending), 'alert')} only pending"
    if unknown := sum(not a.intervals for a in alerts):
        summary += f"; {_count(unknown, 'alert')} in a state not known"
    lines.append(summary)
    common = common_labels([a.labels for a in alerts]) if len(alerts) > 1 else {}
    if common:
        lead = "labels of every alert: "
        shared = flow(lead, label_parts(common), width) if width else lead + labels_text(common)
        lines.append(shared)
    lines += ["", _summary_table(alerts, common, start, end, color, width), ""]
    for alert in alerts:
        lines.append(_name(alert, common))
        if alert.known_from is not None:
            lines.append(f"  {_unknown(alert.known_from, result, dated)}")
        rows = [
            [
                paint(i.state, STATE_COLOR[i.state], color),
                _moment(i.start, dated) + _already(i, alert),
                _moment(i.end, dated) if i.end is not None else "(still at the end)",
                short_duration(i.seconds(end)),
            ]
            for i in alert.intervals
        ]
        if rows:
            lines.append(table(["STATE", "FROM", "UNTIL", "LASTED"], rows, indent="  "))
    return "\n".join(lines)


def _already(interval: Interval, alert: AlertHistory) -> str:
    if interval.before_start and interval.start == alert.known_from:
        return " or before"
    return " (already)" if interval.before_start else ""


def _unknown(known_from: float, result: Backtest, dated: bool) -> str:
    """Why an alert's states are known only from `known_from`."""
    asked = result.grid.at(0)
    until = (
        "in this range" if known_from > result.plan.end else f"before {_moment(known_from, dated)}"
    )
    return (
        f"its state {until} is not known: returned (or kept firing) from "
        f"{_moment(asked, True)}, the earliest tick asked, on"
    )


def _name(alert: AlertHistory, common: dict[str, str]) -> str:
    return clip(labels_text(alert.labels, skip=common) or labels_text(alert.labels))


def _summary_table(
    alerts: Sequence[AlertHistory],
    common: dict[str, str],
    start: float,
    end: float,
    color: bool,
    width: int | None,
) -> str:
    headers = ["ALERT", "FIRED", "FIRING", "PENDING"]
    rows = [
        [
            _name(a, common),
            str(a.times_fired),
            short_duration(a.seconds("firing", end)),
            short_duration(a.seconds("pending", end)),
        ]
        for a in alerts
    ]
    if width is not None:
        used = max(len(r[0]) for r in rows) + 2 + 5 + 2 + 8 + 2 + 8 + 2
        columns = min(width - used, 120)
        if columns >= STRIP_MIN:
            left, right = (_axis(t, end - start) for t in (start, end))
            headers.append(f"{left}{' ' * max(1, columns - len(left) - len(right))}{right}")
            for row, alert in zip(rows, alerts, strict=True):
                row.append(
                    strip_text(alert.intervals, start, end, columns, color, alert.known_from)
                )
    return table(headers, rows)


# ---------------------------------------------------------------- for scripts


def backtest_json(result: Backtest) -> str:
    plan, rule = result.plan, result.plan.rule
    document: dict[str, Any] = {
        "version": JSON_SCHEMA_VERSION,
        "rule": {
            "name": rule.name,
            "source": rule.source,
            "group": rule.group or None,
            "file": rule.file or None,
            "expr": rule.expr,
            "forSeconds": rule.hold,
            "keepFiringForSeconds": rule.keep_firing_for,
            "labels": dict(rule.labels),
        },
        "start": plan.start,
        "end": plan.end,
        "everySeconds": plan.every,
        "everyFrom": plan.every_from,
        "firstEvaluation": result.ticks.at(0) if result.ticks.count else None,
        "firstAsked": result.grid.at(0) if result.grid.count else None,
        "evaluations": result.ticks.count,
        "queries": result.queries,
        "alerts": [
            {
                "labels": alert.labels,
                "timesFired": alert.times_fired,
                "firingSeconds": alert.seconds("firing", plan.end),
                "pendingSeconds": alert.seconds("pending", plan.end),
                "knownFrom": alert.known_from,
                "intervals": [_interval_json(i, plan.end) for i in alert.intervals],
            }
            for alert in result.alerts
        ],
        "timesFired": result.times_fired,
        "notices": plan.notices,
        "warnings": result.warnings,
    }
    return dumps(document)


def _interval_json(interval: Interval, end: float) -> dict[str, Any]:
    return {
        "state": interval.state,
        "start": interval.start,
        "end": interval.end,
        "seconds": interval.seconds(end),
        "beforeStart": interval.before_start,
    }


def backtest_csv(result: Backtest) -> str:
    """A row per stretch: a column per label name (sorted), then state, start, end, seconds."""
    names = sorted({k for a in result.alerts for k in a.labels})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*names, "state", "start", "end", "seconds"])
    for alert in result.alerts:
        labels = [alert.labels.get(n, "") for n in names]
        for i in alert.intervals:
            end = "" if i.end is None else repr(i.end)
            writer.writerow(
                [*labels, i.state, repr(i.start), end, repr(i.seconds(result.plan.end))]
            )
    return out.getvalue().rstrip("\n")
