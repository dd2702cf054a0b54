"""AlertmanagerClient against Debian's real Alertmanager 0.25 (and a real Prometheus).

Alerts are posted to Alertmanager directly, as Prometheus would send them, so
each test knows what there is to silence; `discover` is tested with a real
Prometheus whose `alerting:` points at this Alertmanager, and at a closed port.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from promdash.config import Connection
from promdash.errors import APIError, UnreachableError, UsageError
from promdash.prom.alertmanager import AlertmanagerClient, discover
from promdash.prom.am_types import mutes
from promdash.prom.client import PromClient
from promdash.prom.matchers import parse_matchers
from tests.integration.alertmanager import (
    RECEIVER,
    OwnAlertmanager,
    own_alertmanager,
    prometheus_alerting_to,
)
from tests.integration.test_client import free_port

pytestmark = pytest.mark.prometheus

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnAlertmanager]:
    with own_alertmanager(tmp_path_factory.mktemp("alertmanager")) as server:
        server.post_alerts(
            {"labels": {"alertname": "Down", "instance": "a:1", "severity": "critical"}},
            {"labels": {"alertname": "Slow", "instance": "a:1", "severity": "warning"}},
            {
                "labels": {"alertname": "Slow", "instance": "b:1", "severity": "warning"},
                "annotations": {"summary": "b is slow"},
            },
        )
        yield server


def client(am: OwnAlertmanager) -> AlertmanagerClient:
    return AlertmanagerClient(Connection(url=am.url, timeout=5))


async def test_status_and_alerts_with_their_state_receivers_and_inhibitions(
    am: OwnAlertmanager,
) -> None:
    async with client(am) as c:
        status = await c.status()
        alerts = {(a.labels["alertname"], a.labels["instance"]): a for a in await c.alerts()}
        active_only = await c.alerts(silenced=False, inhibited=False)
    assert status.version.startswith("0.") and status.cluster == "disabled"
    down, slow_a, slow_b = alerts["Down", "a:1"], alerts["Slow", "a:1"], alerts["Slow", "b:1"]
    assert down.state == "active" and down.receivers == [RECEIVER] and down.fingerprint
    # The critical alert of instance a:1 inhibits that instance's warning, not b:1's.
    assert slow_a.state == "suppressed" and slow_a.inhibited_by == [down.fingerprint]
    assert slow_b.state == "active" and slow_b.annotations == {"summary": "b is slow"}
    assert slow_b.starts_at is not None and slow_b.ends_at is not None
    assert {a.fingerprint for a in active_only} == {down.fingerprint, slow_b.fingerprint}


async def test_create_preview_extend_and_expire_a_silence(am: OwnAlertmanager) -> None:
    matchers = parse_matchers(["alertname=Slow", 'instance=~"b:.*"'])
    async with client(am) as c:
        before = await c.alerts()
        preview = [a.labels["instance"] for a in before if mutes(matchers, a.labels)]
        ends = datetime.now(UTC) + 2 * HOUR
        silence_id = await c.create_silence(
            matchers, ends_at=ends, created_by="ana", comment="deploying b"
        )
        silence = await c.silence(silence_id)
        muted = [a for a in await c.alerts() if silence_id in a.silenced_by]
        listed = {s.id for s in await c.silences()}

        extended = await c.extend_silence(silence_id, ends + HOUR)
        longer = await c.silence(extended)

        await c.expire_silence(silence_id)
        expired = await c.silence(silence_id)
        after = await c.alerts()
    assert preview == ["b:1"]
    assert uuid.UUID(silence_id) and silence_id in listed
    assert silence.state == "active" and silence.created_by == "ana"
    assert silence.comment == "deploying b" and silence.matchers == matchers
    assert abs((silence.ends_at - ends).total_seconds()) < 1
    # What the preview said is what Alertmanager mutes.
    assert [a.labels["instance"] for a in muted] == preview
    assert muted[0].state == "suppressed"
    # An active silence is extended in place: same ID, later end.
    assert extended == silence_id and longer.ends_at > silence.ends_at
    assert expired.state == "expired"
    slow_b = next(a for a in after if a.labels["instance"] == "b:1")
    assert slow_b.state == "active" and slow_b.silenced_by == []


async def test_an_expired_silence_extended_comes_back_under_a_new_id(am: OwnAlertmanager) -> None:
    async with client(am) as c:
        old = await c.create_silence(
            parse_matchers(["alertname=Nothing"]),
            ends_at=datetime.now(UTC) + HOUR,
            created_by="ana",
            comment="c",
        )
        await c.expire_silence(old)
        new = await c.extend_silence(old, datetime.now(UTC) + HOUR)
        silences = {s.id: s.state for s in await c.silences()}
    assert new != old and silences[old] == "expired" and silences[new] == "active"


async def test_bad_writes_change_nothing(am: OwnAlertmanager) -> None:
    before = am.silences()
    async with client(am) as c:
        # Python's re accepts a lookahead; Alertmanager (Go RE2) answers 400.
        with pytest.raises(APIError) as rejected:
            await c.create_silence(
                parse_matchers(["alertname=~(?=x)x"]),
                ends_at=datetime.now(UTC) + HOUR,
                created_by="ana",
                comment="c",
            )
        with pytest.raises(UsageError):
            await c.create_silence(
                parse_matchers(["alertname=Down"]),
                ends_at=datetime.now(UTC) - HOUR,
                created_by="ana",
                comment="c",
            )
        with pytest.raises(UsageError):
            await c.create_silence(
                [], ends_at=datetime.now(UTC) + HOUR, created_by="a", comment="c"
            )
        with pytest.raises(APIError) as unknown:
            await c.silence(str(uuid.uuid4()))
    assert rejected.value.status == 400 and "regular expression" in str(rejected.value)
    assert "\n" not in str(rejected.value)
    assert unknown.value.status == 404 and "no silence has the ID" in str(unknown.value)
    assert am.silences() == before


async def test_unreachable_alertmanager_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AlertmanagerClient(Connection(url=url, timeout=2), retries=1) as c:
        with pytest.raises(UnreachableError) as failed:
            await c.silences()
    assert str(failed.value) == (
        f"cannot reach {url}: connection refused (is Alertmanager running there?)"
    )


async def test_discover_finds_the_alertmanager_prometheus_sends_to(
    am: OwnAlertmanager, tmp_path: Path
) -> None:
    host = am.url.removeprefix("http://")
    closed = f"127.0.0.1:{free_port()}"
    with prometheus_alerting_to(tmp_path / "prometheus", [closed, host]) as prom:
        async with PromClient(Connection(url=prom.url, timeout=5)) as p:

            async def both_listed() -> bool:
                return len(await p.alertmanagers()) == 2

            await _eventually(both_listed, "Prometheus listing both Alertmanagers")
            found, why = await discover(p, lambda url: Connection(url=url, timeout=2))
    # The closed one is listed first and skipped: it does not answer from here.
    assert found is not None and found.url == am.url and why == ""


async def test_discover_says_why_none_answers(tmp_path: Path) -> None:
    closed = f"127.0.0.1:{free_port()}"
    with prometheus_alerting_to(tmp_path / "prometheus", [closed]) as prom:
        async with PromClient(Connection(url=prom.url, timeout=5)) as p:

            async def listed() -> bool:
                return bool(await p.alertmanagers())

            await _eventually(listed, "Prometheus listing the Alertmanager")
            found, why = await discover(p, lambda url: Connection(url=url, timeout=2))
    assert found is None
    assert why == (
        f"Prometheus at {prom.url} sends alerts to http://{closed}: cannot reach "
        f"http://{closed}: connection refused (is Alertmanager running there?)"
    )


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 60
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within 60 s")
        await asyncio.sleep(0.2)
