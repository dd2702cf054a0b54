"""How the CLI presents Alertmanager's silences: a table, JSON and CSV.

Built from `present.output`'s table layout and `present.text`'s silence pieces
(the order, remaining time and mute counts the dashboard shows too). The JSON
shape is part of docs/json-output.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from promdash.present.output import JSON_SCHEMA_VERSION, Cell, dumps, fit_table, paint
from promdash.present.text import (
    listed_parts,
    short_id,
    silence_mutes,
    silence_remaining,
    silence_rows,
)
from promdash.prom.am_types import AlertmanagerAlert, Silence, matchers_text
from promdash.timefmt import date_time_text, iso

CSV_COLUMNS = [
    "id", "state", "matchers", "startsAt", "endsAt", "remainingSeconds", "createdBy", "comment",
    "mutes",
]  # fmt: skip
_STATE_COLOR = {"active": "green", "pending": "yellow", "expired": "dim"}


def silences_text(
    silences: Sequence[Silence],
    alerts: Sequence[AlertmanagerAlert],
    now: float,
    *,
    state: str | None = None,
    color: bool = False,
    width: int | None = None,
) -> str:
    """Active silences, then pending, then (asked for) expired ones, and a count.

    Within a terminal's `width` IDs are short (as `promdash alerts` shows them; `silence
    expire` takes them), matchers and comments wrap in their columns, and a narrow one
    leaves out the start, the author, the end, then the mute count. Without one (a
    pipe) each row is one line with the whole ID.
    """
    rows = silence_rows(silences, state)
    if not rows:
        return _none(silences, state)
    body: list[list[Cell]] = [
        [
            [[s.id if width is None else short_id(s.id)]],
            [[paint(s.state, _STATE_COLOR[s.state], color)]],
            [listed_parts([str(m) for m in s.matchers])],
            [[date_time_text(s.starts_at.timestamp())]],
            [[date_time_text(s.ends_at.timestamp())]],
            [[silence_remaining(s, now)]],
            [[str(silence_mutes(s, alerts))]],
            [[s.created_by or "-"]],
            [(s.comment or "-").split(" ")] if width is not None else [[s.comment or "-"]],
        ]
        for s in rows
    ]
    headers = ["ID", "STATE", "MATCHERS", "STARTS", "ENDS", "REMAINING", "MUTES", "CREATED BY"]
    headers.append("COMMENT")
    table = fit_table(headers, body, width, wrap=(2, 8), drop=(3, 7, 4, 6))
    return f"{table}\n\n{_totals(silences, state)}"


def _none(silences: Sequence[Silence], state: str | None) -> str:
    if state is None:
        expired = sum(s.state == "expired" for s in silences)
        hidden = f" ({expired} expired: --state expired)" if expired else ""
        return f"no active or pending silences{hidden}"
    return "no silences" if state == "all" else f"no {state} silences"


def _totals(silences: Sequence[Silence], state: str | None) -> str:
    """`2 active, 1 pending silences (4 expired not shown)`."""
    counts = {name: sum(s.state == name for s in silences) for name in ("active", "pending")}
    expired = sum(s.state == "expired" for s in silences)
    if state in ("active", "pending", "expired"):
        count = counts.get(state, expired)
        return f"{count} {state} silence{'' if count == 1 else 's'}"
    said = f"{counts['active']} active, {counts['pending']} pending"
    if state == "all":
        return f"{said}, {expired} expired silences"
    hidden = f" ({expired} expired not shown: --state expired)" if expired else ""
    return f"{said} silences{hidden}"


def _record(s: Silence, alerts: Sequence[AlertmanagerAlert], now: float) -> dict[str, Any]:
    remaining = s.ends_at.timestamp() - now if s.state != "expired" else 0.0
    return {
        "id": s.id,
        "state": s.state,
        "matchers": [
            {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
            for m in s.matchers
        ],
        "startsAt": iso(s.starts_at),
        "endsAt": iso(s.ends_at),
        "remainingSeconds": round(remaining, 3),
        "createdBy": s.created_by,
        "comment": s.comment,
        "mutes": silence_mutes(s, alerts),
    }


def silences_json(
    silences: Sequence[Silence],
    alerts: Sequence[AlertmanagerAlert],
    now: float,
    *,
    state: str | None = None,
    url: str = "",
) -> str:
    rows = silence_rows(silences, state)
    return dumps(
        {
            "version": JSON_SCHEMA_VERSION,
            "alertmanager": url,
            "silences": [_record(s, alerts, now) for s in rows],
        }
    )


def silences_csv(
    silences: Sequence[Silence],
    alerts: Sequence[AlertmanagerAlert],
    now: float,
    *,
    state: str | None = None,
) -> str:
    """One row per silence; matchers as amtool writes them, times RFC 3339 UTC."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in silence_rows(silences, state):
        record = {**_record(s, alerts, now), "matchers": matchers_text(s.matchers)}
        writer.writerow([record[column] for column in CSV_COLUMNS])
    return out.getvalue().rstrip("\n")
