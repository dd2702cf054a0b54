"""`promdash dashboard check`: what promdash can draw of Grafana dashboards, and whether
each query gives data on the server (the "no data" hunt Grafana users do by hand).

Every file is read first (promdash.grafana): a file that cannot be used, or whose
variables depend on each other in a loop, is one line and exit 3 before the server is
asked anything. Then, per dashboard, over its own time range (`time.from`..`time.to`):
the variables are resolved one at a time in dependency order (one that fails is
reported and the ones after it still resolve), and every panel's targets are run once,
in parallel: an instant query at the range's end for an instant target, else a range
query over the last few steps, with the PromQL and step Grafana would send for a plot
`POINTS` points wide (so `$__rate_interval` and `$__interval` are Grafana's).

Exit status: 0 when every query was answered (with data or without: "no data" is
reported, it is not a failure), 1 when the server rejected a query or a variable's
query (as `promdash query` exits 1 on a bad query, and `promtool check` when something
it checks is wrong), 2 when the server cannot be reached, 3 for a bad file.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

from promdash.commands.query import Session, command
from promdash.errors import APIError, BadResponseError, QueryTimeoutError, UnsupportedError

if TYPE_CHECKING:
    from promdash.grafana.model import Dashboard, Panel, Row, Target, Variable
    from promdash.grafana.variables import Resolution
    from promdash.present.dashboards import DashboardCheck, PanelCheck, QueryCheck, VariableCheck
    from promdash.prom.client import PromClient

T = TypeVar("T")

POINTS = 100  # a plot's points across, as Grafana's maxDataPoints: the step's divisor
STEPS = 4  # a range query covers the last STEPS steps (STEPS + 1 points) up to the end
PARALLEL = 8  # queries in flight at once, per dashboard


@command
def check(s: Session, args: argparse.Namespace) -> None:
    from promdash.config import without_userinfo
    from promdash.errors import PromdashError
    from promdash.present import dashboards as present
    from promdash.prom.client import run

    loaded = [_load(path) for path in args.files]
    now = time.time()
    checks = run(s.connection, lambda c: _check_all(c, loaded, now))
    if s.output.format == "json":
        print(present.check_json(checks, server=without_userinfo(s.connection.url)))
    else:
        print(present.check_text(checks, color=s.output.color))
    failures = sum(c.failures for c in checks)
    if failures and failures == sum(c.timeouts for c in checks):
        # Slow, not refused: the exit status --help gives a slow answer (8).
        raise QueryTimeoutError(without_userinfo(s.connection.url), s.connection.timeout)
    if failures:
        raise PromdashError(
            f"the server refused {failures} of the dashboards' queries (errors above)"
            if failures != 1
            else "the server refused one of the dashboards' queries (error above)"
        )


def _load(path: str) -> Dashboard:
    """A dashboard, its variables' order and its time range checked: a bad file is one
    `DashboardError` line here, before any request."""
    from promdash.grafana.variables import load_checked

    return load_checked(path)


async def _check_all(
    client: PromClient, dashboards: Sequence[Dashboard], now: float
) -> list[DashboardCheck]:
    return [await _check(client, d, now) for d in dashboards]


async def _check(client: PromClient, dashboard: Dashboard, now: float) -> DashboardCheck:
    from promdash.grafana.model import Row
    from promdash.grafana.variables import time_range
    from promdash.present.dashboards import DashboardCheck

    start, end = time_range(dashboard.time_from, dashboard.time_to, now)
    resolved, variable_checks = await _variables(client, dashboard, start, end)
    placed: list[tuple[Panel, Row | None]] = []
    for item in dashboard.layout:
        if isinstance(item, Row):
            placed.extend((panel, item) for panel in item.panels)
        else:
            placed.append((item, None))
    panels = await _gather(
        [_panel(client, panel, row, resolved, start, end) for panel, row in placed]
    )
    return DashboardCheck(
        file=dashboard.source,
        title=dashboard.title,
        uid=dashboard.uid,
        time_from=dashboard.time_from,
        time_to=dashboard.time_to,
        start=start,
        end=end,
        variables=tuple(variable_checks),
        panels=tuple(panels),
    )


async def _gather(operations: Sequence[Awaitable[T]]) -> list[T]:
    """Every operation, PARALLEL at a time, in order; the first error stops the rest."""
    import asyncio

    gate = asyncio.Semaphore(PARALLEL)

    async def gated(operation: Awaitable[T]) -> T:
        async with gate:
            return await operation

    tasks = [asyncio.ensure_future(gated(op)) for op in operations]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# ---------------------------------------------------------------- variables

# What the server says about one query, not about itself: reported in place. An
# unreachable server, a refused credential or a page that is not the API end the check.
_ONE_QUERY_ERRORS = (APIError, BadResponseError, QueryTimeoutError, UnsupportedError)


_RESOLVABLE = frozenset({"query", "custom", "constant", "interval", "textbox", "datasource"})


async def _variables(
    client: PromClient, dashboard: Dashboard, start: float, end: float
) -> tuple[Resolution, list[VariableCheck]]:
    """Each variable resolved after those it uses. One the server refuses keeps the
    selection saved in the file, those that use it are not asked (and say why), and the
    others still resolve."""
    from promdash.grafana.variables import resolve_each

    found = await resolve_each(
        dashboard.variables, client, start=start, end=end, dashboard=dashboard.source,
        errors=_ONE_QUERY_ERRORS,
    )  # fmt: skip
    return found, [
        _variable_check(v, found.problems.get(v.name, ""), v.name in found.waiting)
        for v in found.variables
    ]


def _variable_check(variable: Variable, problem: str, waiting: bool) -> VariableCheck:
    from promdash.grafana.model import ALL
    from promdash.present.dashboards import VariableCheck

    if problem:
        if waiting:
            return VariableCheck(variable.name, variable.type, "notResolved", error=problem)
        return VariableCheck(variable.name, variable.type, "error", error=problem)
    if variable.type not in _RESOLVABLE:
        return VariableCheck(variable.name, variable.type, "notResolved")
    offered = tuple(o.value for o in variable.options if o.value != ALL)
    if variable.is_all:
        values, every = offered, True
    else:
        values, every = variable.current_value, False
    if variable.type == "query" and not offered:
        return VariableCheck(variable.name, variable.type, "noValues", all=every)
    if variable.type == "datasource":
        values = variable.current_text
    return VariableCheck(variable.name, variable.type, "resolved", tuple(values), every)


# ---------------------------------------------------------------- panels and their queries


async def _panel(
    client: PromClient,
    panel: Panel,
    row: Row | None,
    resolved: Resolution,
    start: float,
    end: float,
) -> PanelCheck:
    from promdash.grafana.model import DRAWN_TYPES
    from promdash.present.dashboards import PanelCheck

    queries = [await _query(client, panel, t, resolved, start, end) for t in panel.targets]
    return PanelCheck(
        title=panel.title,
        type=panel.type,
        drawn=panel.type in DRAWN_TYPES,
        id=panel.id,
        row=None if row is None else row.title,
        row_collapsed=row is not None and row.collapsed,
        queries=tuple(queries),
    )


# Grafana's own pseudo datasources: annotations and panels' data, not a server's.
_NOT_A_SERVER = ("-- Grafana --", "-- Dashboard --", "grafana", "datasource")


def _not_prometheus(panel: Panel, target: Target) -> str:
    """Why the target is not for a Prometheus server, or "" when it is."""
    source = target.datasource or panel.datasource
    if source is None:
        return ""
    if source.type and "$" not in source.type and source.type != "prometheus":
        if source.uid == "-- Mixed --":
            return ""
        return f"datasource {source.type}, not Prometheus"
    if source.name in _NOT_A_SERVER or source.uid in _NOT_A_SERVER:
        return f"datasource {source.name or source.uid}, not Prometheus"
    return ""


async def _query(
    client: PromClient,
    panel: Panel,
    target: Target,
    resolved: Resolution,
    start: float,
    end: float,
) -> QueryCheck:
    from promdash.grafana.variables import by_name, expand_target
    from promdash.present.dashboards import QueryCheck

    instant = target.instant and not target.range
    kind: Literal["range", "instant"] = "instant" if instant else "range"
    blocked = resolved.blocking(target.expr)
    skipped = (
        ("hidden" if target.hide else "empty query" if not target.expr.strip() else "")
        or _not_prometheus(panel, target)
        # As the dashboard does: a value that did not resolve would ask the wrong thing.
        or (f"it uses {', '.join(f'${n}' for n in blocked)}, not resolved" if blocked else "")
    )
    if skipped:
        return QueryCheck(target.ref_id, target.expr, kind, "skipped", error=skipped)
    expr, step = expand_target(
        panel, target, by_name(resolved.variables), start=start, end=end, max_data_points=POINTS
    )
    try:
        if instant:
            result = await client.query(expr, end)
            found = len(result.vector) + (result.scalar is not None) + (result.string is not None)
        else:
            result = await client.query_range(expr, end - STEPS * step, end, step)
            found = len(result.matrix)
    except _ONE_QUERY_ERRORS as exc:
        return QueryCheck(target.ref_id, expr, kind, "error", None if instant else step,
                          error=str(exc), timed_out=isinstance(exc, QueryTimeoutError))  # fmt: skip
    return QueryCheck(target.ref_id, expr, kind, "data" if found else "noData",
                      None if instant else step, found)  # fmt: skip
