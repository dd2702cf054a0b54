"""How `promdash dashboard check` presents what it found: text for people, JSON for scripts.

The values here are the check's findings, plain and typed (the command fills them in
promdash.commands.dashboards); the functions turn them into strings. The JSON shape is
part of docs/json-output.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from promdash.present.output import JSON_SCHEMA_VERSION, dumps, paint
from promdash.present.text import clip

QueryStatus = Literal["data", "noData", "error", "skipped"]
VariableStatus = Literal["resolved", "noValues", "error", "notResolved"]

_TITLE_LIMIT = 40  # characters of a panel title in the text; JSON has it whole
_VALUES_SHOWN = 6  # a variable's values listed before "… (N more)"


@dataclass(frozen=True, slots=True)
class QueryCheck:
    """One target of a panel, run once against the server (or why it was not)."""

    ref_id: str
    expr: str  # as sent, variables replaced; the target's own when not run
    kind: Literal["range", "instant"]
    status: QueryStatus
    step: float | None = None  # seconds, for a range query
    series: int = 0
    error: str = ""  # the server's message, or why the query was not run
    timed_out: bool = False  # the error is that no answer came within --timeout


@dataclass(frozen=True, slots=True)
class PanelCheck:
    title: str
    type: str
    drawn: bool
    id: int | None = None
    row: str | None = None  # the title of the row the panel is in
    row_collapsed: bool = False
    queries: tuple[QueryCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class VariableCheck:
    name: str
    type: str
    status: VariableStatus
    values: tuple[str, ...] = ()  # what the variable stands for (All: every value)
    all: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True)
class DashboardCheck:
    file: str
    title: str
    uid: str
    time_from: str
    time_to: str
    start: float
    end: float
    variables: tuple[VariableCheck, ...]
    panels: tuple[PanelCheck, ...]

    def queries(self) -> list[QueryCheck]:
        return [q for p in self.panels for q in p.queries]

    def counts(self) -> dict[str, int]:
        queries = self.queries()
        return {
            "panels": len(self.panels),
            "drawn": sum(p.drawn for p in self.panels),
            "notDrawn": sum(not p.drawn for p in self.panels),
            "queries": len(queries),
            "withData": sum(q.status == "data" for q in queries),
            "noData": sum(q.status == "noData" for q in queries),
            "errors": sum(q.status == "error" for q in queries),
            "skipped": sum(q.status == "skipped" for q in queries),
            "variableErrors": sum(v.status == "error" for v in self.variables),
        }

    @property
    def timeouts(self) -> int:
        """Queries that got no answer in time (counted among the errors)."""
        return sum(q.timed_out for q in self.queries())

    @property
    def failures(self) -> int:
        """Queries and variables the server refused: what makes the check exit 1."""
        counts = self.counts()
        return counts["errors"] + counts["variableErrors"]


# ---------------------------------------------------------------- text


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _values_text(variable: VariableCheck) -> str:
    shown = [v if v else '""' for v in variable.values[:_VALUES_SHOWN]]
    more = len(variable.values) - len(shown)
    text = ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")
    return f"All: {text}" if variable.all else text


def _variable_line(variable: VariableCheck, width: int, color: bool) -> str:
    lead = f"    ${variable.name.ljust(width)}  {variable.type:<10}  "
    if variable.status == "error":
        return lead + paint(f"error: {variable.error}", "red", color)
    if variable.status == "notResolved":
        why = variable.error or f"promdash does not resolve {variable.type} variables"
        return lead + paint(f"not resolved: {why}", "yellow", color)
    if variable.status == "noValues":
        return lead + paint("no values", "yellow", color)
    return lead + clip(_values_text(variable))


def _query_result(query: QueryCheck, color: bool) -> str:
    if query.status == "data":
        return _count(query.series, "series", "series")
    if query.status == "noData":
        return paint("no data", "yellow", color) + f"  {clip(query.expr)}"
    if query.status == "error":
        return paint(f"error: {query.error}", "red", color) + f"  {clip(query.expr)}"
    return paint(f"not run: {query.error}", "dim", color)


def _panel_lines(panel: PanelCheck, type_width: int, title_width: int, color: bool) -> list[str]:
    lead = f"      {panel.type:<{type_width}}  {clip(panel.title, _TITLE_LIMIT):<{title_width}}  "
    if not panel.drawn:
        return [lead + paint(f"not drawn: {panel.type or '(no type)'}", "yellow", color)]
    if not panel.queries:
        return [lead.rstrip() if panel.type in ("text", "row") else lead + "no queries"]
    pad = " " * len(lead)
    return [
        (lead if i == 0 else pad) + f"{q.ref_id or '-'}  {_query_result(q, color)}"
        for i, q in enumerate(panel.queries)
    ]


def _summary(counts: dict[str, int]) -> str:
    drawn = f"{counts['drawn']} of {_count(counts['panels'], 'panel')} drawn"
    queries = (
        f"{_count(counts['queries'], 'query', 'queries')}: "
        f"{counts['withData']} with data, {counts['noData']} no data, "
        f"{_count(counts['errors'], 'error')}"
    )
    if counts["skipped"]:
        queries += f", {counts['skipped']} not run"
    return f"{drawn}; {queries}"


def check_text(checks: Sequence[DashboardCheck], *, color: bool = False) -> str:
    """Per dashboard: its variables and their values, then each panel (under its row) with
    what each query gave: a series count, `no data` or the server's error, with the query
    as sent for the last two; then a summary line."""
    return "\n\n".join(_dashboard_text(check, color) for check in checks)


def _dashboard_text(check: DashboardCheck, color: bool) -> str:
    title = paint(clip(check.title or "(untitled)"), "bold", color)
    lines = [f"{check.file}  {title}  ({check.time_from} to {check.time_to})"]
    if check.variables:
        lines.append("  variables")
        width = max(len(v.name) for v in check.variables)
        lines.extend(_variable_line(v, width, color) for v in check.variables)
    lines.append("  panels")
    type_width = max((len(p.type) for p in check.panels), default=0)
    title_width = max((len(clip(p.title, _TITLE_LIMIT)) for p in check.panels), default=0)
    row: tuple[str | None, bool] | None = None
    for panel in check.panels:
        if (panel.row, panel.row_collapsed) != row:
            row = (panel.row, panel.row_collapsed)
            if panel.row is not None:
                folded = " (collapsed)" if panel.row_collapsed else ""
                lines.append(f"    row {clip(panel.row or '(untitled)')}{folded}")
            elif len(lines) and lines[-1] != "  panels":
                lines.append("    (outside the rows)")
        lines.extend(_panel_lines(panel, type_width, title_width, color))
    if not check.panels:
        lines.append("    (none)")
    counts = check.counts()
    summary = _summary(counts)
    if counts["noData"] or counts["errors"]:
        summary += paint("  (see the queries above)", "yellow" if not counts["errors"] else "red",
                         color)  # fmt: skip
    lines.append(f"  {summary}")
    return "\n".join(lines)


# ---------------------------------------------------------------- JSON


def _query_json(query: QueryCheck) -> dict[str, Any]:
    return {
        "refId": query.ref_id,
        "expr": query.expr,
        "kind": query.kind,
        "step": query.step,
        "status": query.status,
        "series": query.series,
        "error": query.error or None,
    }


def _panel_json(panel: PanelCheck) -> dict[str, Any]:
    return {
        "id": panel.id,
        "title": panel.title,
        "type": panel.type,
        "drawn": panel.drawn,
        "row": panel.row,
        "rowCollapsed": panel.row_collapsed,
        "queries": [_query_json(q) for q in panel.queries],
    }


def _variable_json(variable: VariableCheck) -> dict[str, Any]:
    return {
        "name": variable.name,
        "type": variable.type,
        "status": variable.status,
        "all": variable.all,
        "values": list(variable.values),
        "error": variable.error or None,
    }


def check_json(checks: Sequence[DashboardCheck], *, server: str) -> str:
    return dumps(
        {
            "version": JSON_SCHEMA_VERSION,
            "server": server,
            "dashboards": [
                {
                    "file": c.file,
                    "title": c.title,
                    "uid": c.uid,
                    "time": {"from": c.time_from, "to": c.time_to, "start": c.start, "end": c.end},
                    "variables": [_variable_json(v) for v in c.variables],
                    "panels": [_panel_json(p) for p in c.panels],
                    "summary": c.counts(),
                }
                for c in checks
            ],
        }
    )
