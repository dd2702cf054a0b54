"""The demo stack file's `dashboard:` graphs show data on the real demo stack.

Each query runs against the real Prometheus of the `local_stack` fixture,
scraping the three real demo exporters.
"""

from __future__ import annotations

import math
import time

import pytest

from promdash.config import Connection
from promdash.prom.client import PromClient, run
from promdash.prom.types import QueryResult
from promdash.stack.model import load_stack
from tests.conftest import RunningStack

pytestmark = pytest.mark.prometheus

# A bound, not a timing: a fresh stack has data after two scrapes, 5 s apart.
PATIENCE = 60.0


def _query(url: str, expr: str) -> QueryResult:
    async def go(client: PromClient) -> QueryResult:
        return await client.query(expr)

    return run(Connection(url=url), go)


def test_every_demo_dashboard_graph_has_data(local_stack: RunningStack) -> None:
    graphs = load_stack().dashboard.graphs
    assert graphs, "the demo stack file defines no dashboard graphs"
    # The fixture's stack file is the demo's, renamed and re-ported: same graphs.
    assert local_stack.stack.dashboard.graphs == graphs
    services = {"uniform", "normal", "exponential"}
    for graph in graphs:
        deadline = time.monotonic() + PATIENCE
        result = _query(local_stack.url, graph.query)
        while not _drawable(result) and time.monotonic() < deadline:
            time.sleep(0.5)
            result = _query(local_stack.url, graph.query)
        assert _drawable(result), f"{graph.title}: no data after {PATIENCE:.0f}s: {result}"
        # One line per service of the demo exporters, as the titles promise.
        assert {s.metric.get("service") for s in result.vector} == services, graph.title


def _drawable(result: QueryResult) -> bool:
    return bool(result.vector) and all(math.isfinite(s.value) for s in result.vector)
