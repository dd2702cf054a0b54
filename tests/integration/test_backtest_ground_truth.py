"""Ground truth: the backtest of a rule against what Prometheus itself did with it.

The stack tests/data/stacks/flapping.yaml runs on the local runtime (Debian's
Prometheus, the demo exporters with a 30 s oscillation period, everything every
second); its alerts flap twice a period on each exporter. After a few periods the
same rules are backtested over the same window and compared with Prometheus's own
record of them, the `ALERTS` series (a sample per evaluation while pending or
firing) and `ALERTS_FOR_STATE` (when each became active): every transition
Prometheus made is in the backtest at the same tick (to the millisecond), and the
backtest has none Prometheus did not make.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from promdash import cli
from promdash.stack.local import LocalRuntime
from promdash.stack.model import Stack, parse_stack
from promdash.stack.state import StackState
from tests.conftest import free_port, require_prometheus

pytestmark = pytest.mark.prometheus

STACK = Path(__file__).parents[1] / "data" / "stacks" / "flapping.yaml"
RULES = ("RPCRateFlapping", "RPCRateFlappingKept")
EVERY = 1.0  # the stack's evaluation interval
# Firings Prometheus makes (of each rule, its three alerts together) before the comparison:
# three periods of the oscillation, about 100 s.
FIRINGS = 9

Key = tuple[tuple[str, str], ...]
Transition = tuple[Key, float, str, str]  # alert, time, from, to


@pytest.fixture(scope="module")
def flapping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """The flapping stack, up; its Prometheus URL and when `up` returned."""
    require_prometheus()
    data = yaml.safe_load(STACK.read_text())  # the stack file as it is, on free ports
    data["name"] = "it-flapping"
    data["prometheus"]["port"] = free_port()
    ports = {data["prometheus"]["port"]}
    for instance in data["exporters"]["instances"]:
        while (port := free_port()) in ports:
            pass
        ports.add(port)
        instance["port"] = port
    path = tmp_path_factory.mktemp("flapping") / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    stack: Stack = parse_stack(path.read_text(), path)
    runtime = LocalRuntime()
    state = runtime.up(stack, without=[], timeout=60)
    try:
        yield state.prometheus_url, time.time()
    finally:
        runtime.down(StackState.load(stack.name) or state, volumes=True)


def key(labels: dict[str, str]) -> Key:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("__name__", "alertstate")))


def samples(url: str, query: str, at: float) -> dict[Key, list[tuple[float, str]]]:
    answer = httpx.get(f"{url}/api/v1/query", params={"query": query, "time": at}, timeout=10)
    found: dict[Key, list[tuple[float, str]]] = {}
    for series in answer.json()["data"]["result"]:
        found.setdefault(key(series["metric"]), []).extend(
            (t, series["metric"].get("alertstate", v)) for t, v in series["values"]
        )
    return found


def prometheus_transitions(url: str, rule: str, at: float, span: float) -> list[Transition]:
    """What Prometheus did: its ALERTS samples, one per evaluation while active. A gap in
    them is the alert resolved when it became active anew after it (ALERTS_FOR_STATE
    changed); else Prometheus skipped evaluations (a loaded machine) and kept its state."""
    out: list[Transition] = []
    active_at = samples(url, f'ALERTS_FOR_STATE{{alertname="{rule}"}}[{span:.0f}s]', at)
    since = {(alert, t): value for alert, points in active_at.items() for t, value in points}
    for alert, points in samples(url, f'ALERTS{{alertname="{rule}"}}[{span:.0f}s]', at).items():
        state, last = "inactive", None
        for t, now in sorted(points):
            gap = last is not None and t - last > 1.5 * EVERY
            if gap and since.get((alert, t)) != since.get((alert, last)):
                out.append((alert, last + EVERY, state, "inactive"))  # type: ignore[operator]
                state = "inactive"
            if now != state:
                out.append((alert, t, state, now))
            state, last = now, t
        if last is not None and last + EVERY < at:
            out.append((alert, last + EVERY, state, "inactive"))
    return out


def backtest_transitions(doc: dict) -> list[Transition]:  # type: ignore[type-arg]
    out: list[Transition] = []
    for alert in doc["alerts"]:
        changes: dict[float, str] = {}
        for stretch in alert["intervals"]:
            if stretch["end"] is not None:
                changes.setdefault(stretch["end"], "inactive")
            changes[stretch["start"]] = stretch["state"]  # a stretch beginning wins
        first = alert["intervals"][0]
        state = first["state"] if first["beforeStart"] else "inactive"
        for t, now in sorted(changes.items()):
            if now != state:
                out.append((key(alert["labels"]), t, state, now))
            state = now
    return out


def matched(t: Transition, among: list[Transition]) -> bool:
    # Prometheus stamps ALERTS at its ticks, to the millisecond, and so are the
    # backtest's: a transition one tick off is not the same one.
    return any(o[0] == t[0] and o[2:] == t[2:] and abs(o[1] - t[1]) < 0.002 for o in among)


def firings(truth: list[Transition], start: float, end: float) -> int:
    return sum(to == "firing" and start < t < end for _, t, _, to in truth)


def wait_for_firings(url: str, start: float) -> None:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        end = time.time() - 2
        if end > start and all(
            firings(prometheus_transitions(url, rule, end, end - start + 60), start, end) >= FIRINGS
            for rule in RULES
        ):
            return
        time.sleep(2)
    pytest.fail(f"Prometheus did not fire each rule {FIRINGS} times within 150 s")


@pytest.mark.parametrize("rule", RULES)
def test_every_transition_prometheus_made_and_none_more(
    flapping: tuple[str, float], rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, ready = flapping
    start = ready + 5  # Prometheus writes ALERTS from its second evaluation on
    wait_for_firings(url, start)
    end = time.time() - 2
    code = cli.main(
        ["backtest", rule, "--url", url, "--start", repr(start), "--end", repr(end), "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["everySeconds"] == EVERY and doc["rule"]["source"] == "server"

    truth = prometheus_transitions(url, rule, end, end - start + 60)
    ours = backtest_transitions(doc)

    def inside(t: Transition) -> bool:  # transitions at the window's edges are not seen whole
        return start + EVERY < t[1] < end - EVERY

    assert firings(truth, start, end) >= FIRINGS
    missing = [t for t in truth if inside(t) and not matched(t, ours)]
    extra = [t for t in ours if inside(t) and not matched(t, truth)]
    assert not missing, f"Prometheus made transitions the backtest lacks: {missing}"
    assert not extra, f"the backtest has transitions Prometheus did not make: {extra}"

    # ALERTS_FOR_STATE: when each alert became active (the tick, in whole seconds, as
    # Prometheus keeps it) is when a stretch of the backtest began.
    query = f'ALERTS_FOR_STATE{{alertname="{rule}"}}[{end - start + 60:.0f}s]'
    active_at = {
        (alert, float(value))
        for alert, points in samples(url, query, end).items()
        for _, value in points
    }
    began = [(t[0], t[1]) for t in ours if t[2] == "inactive"]
    for alert, since in active_at:
        if start + EVERY < since < end - EVERY:
            assert any(a == alert and math.floor(b) == since for a, b in began), (alert, since)
