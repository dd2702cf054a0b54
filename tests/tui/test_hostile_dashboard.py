"""The dashboard against a hostile server (tests/integration/hostile.py), driven by a Pilot.

A wrong-shaped answer is said in the banner (as something promdash cannot read,
not as an unreachable server), the dashboard keeps running, and it recovers by
itself once the server answers properly again. A slow server reads as slow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.hostile import HUGE, HostileServer
from tests.tui.helpers import SIZE, banner_attempt, dash, row_text, text_of, wait_for


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer("a string where a list belongs") as hostile:
        yield hostile


async def test_a_wrong_shape_shows_in_the_banner_then_recovers(server: HostileServer) -> None:
    app = dash(server.url, refresh=1.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.dashboard
        await wait_for(pilot, lambda: screen.banner.has_class("-shown"), what="the banner")
        banner = " ".join(text_of(screen.banner).split())
        assert f"{server.url} answered something promdash cannot read" in banner
        assert (
            "unexpected answer from /api/v1/targets: "
            "data.activeTargets: expected an array, got a string"
        ) in banner
        assert "No answer" not in banner and "Retrying" in banner
        assert "unreadable answers" in text_of(screen.status)
        tries = banner_attempt(app)
        await wait_for(pilot, lambda: banner_attempt(app) > tries, what="another try")
        assert app.is_running

        server.shape = "good"
        await wait_for(pilot, lambda: not screen.banner.has_class("-shown"), what="recovery")
        assert "connected" in text_of(screen.status)
        table = screen.targets.table
        await wait_for(pilot, lambda: "example-random" in row_text(table, "pool|example-random"))
        assert not screen.targets.has_class("-stale")


async def test_a_slow_server_reads_as_slow_not_lost(server: HostileServer) -> None:
    server.shape = "slow"
    app = dash(server.url, refresh=1.0)  # the helper's request timeout is 3 s
    async with app.run_test(size=SIZE) as pilot:
        screen = app.dashboard
        await wait_for(pilot, lambda: screen.banner.has_class("-shown"), what="the banner")
        banner = " ".join(text_of(screen.banner).split())
        assert f"Too slow an answer from {server.url}" in banner
        assert "did not answer within 3s" in banner and "--timeout SECONDS" in banner
        assert "too slow" in text_of(screen.status)
        assert app.is_running


async def test_a_5_mb_label_is_cut_in_the_targets_table(server: HostileServer) -> None:
    server.shape = "huge label"
    app = dash(server.url)
    async with app.run_test(size=SIZE) as pilot:
        table = app.dashboard.targets.table
        key = "big|http://127.0.0.1:1/metrics"
        await wait_for(pilot, lambda: 'big="xxx' in row_text(table, key), what="the target")
        shown = row_text(table, key)
        assert len(shown) < 1000 and "…(+5.2 MB)" in shown
        # The whole value stays in the data: only what is shown is cut.
        targets = app.dashboard.targets.targets
        assert targets is not None and targets.active[0].labels["big"] == HUGE
