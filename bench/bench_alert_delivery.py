"""From `InstanceDown` firing in Prometheus to its notification at the demo's webhook receiver.

    PYTHONPATH=. python bench/bench_alert_delivery.py [--stacks 2]

Each stack is the demo stack on the local runtime (Debian's Prometheus and
Alertmanager, the demo exporters, promdash's webhook receiver) with the demo's
route timings as stacks/demo.yaml states them; only InstanceDown's `for` is
shortened (5s), which changes when the alert fires, not what follows. All three
exporters are stopped at once; each instance's InstanceDown is a group of its
own (the route groups by alertname and instance), so each stop is one sample.

The delay of a sample is the notification's arrival at the receiver (its
`receivedAt`, the receiver's clock) minus the alert's `startsAt` in the same
notification, which Prometheus sets to the evaluation at which the alert turned
firing; both clocks are this machine's. As a check that does not rely on
`startsAt`, the alerts API is also polled every 0.1 s and the first time each
alert is seen firing is taken instead. The delay is printed beside the setting
that bounds it: a new group's first notification waits `group_wait`. A last
stack runs with `group_wait: 1s` to show the delay follows that setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from promdash.stack.local import LocalRuntime
from promdash.stack.model import Stack, load_stack, parse_stack
from promdash.timefmt import parse_duration, parse_rfc3339
from tests.stackfiles import demo_stack_text, free_port

TIMEOUT = 120.0


def delays(stack: Stack) -> tuple[list[float], list[float]]:
    """Seconds from firing to the receiver, one per exporter stopped: from `startsAt`,
    and from when polling first saw the alert firing."""
    runtime = LocalRuntime()
    state = runtime.up(stack, without=[], timeout=60)
    try:
        instances = {
            f"127.0.0.1:{e.port}": e.name for e in stack.exporters.instances
        }  # instance label -> service
        for service in instances.values():
            runtime.stop_service(state, service)
        found: dict[str, float] = {}
        seen: dict[str, datetime] = {}  # instance -> when polling first saw it firing
        polled: dict[str, float] = {}
        deadline = time.monotonic() + TIMEOUT
        while len(found) < len(instances):
            if time.monotonic() > deadline:
                raise SystemExit(f"no notification for {set(instances) - set(found)} in time")
            time.sleep(0.1)
            alerts = httpx.get(f"{state.prometheus_url}/api/v1/alerts", timeout=5).json()
            for alert in alerts["data"]["alerts"]:
                if alert["labels"]["alertname"] == "InstanceDown" and alert["state"] == "firing":
                    seen.setdefault(alert["labels"]["instance"], datetime.now(UTC))
            notifications = httpx.get(f"{state.urls['webhook']}/notifications", timeout=5).json()
            for notification in notifications:
                group = notification["groupLabels"]
                if group.get("alertname") != "InstanceDown" or notification["status"] != "firing":
                    continue
                received = parse_rfc3339(notification["receivedAt"])
                fired = parse_rfc3339(notification["alerts"][0]["startsAt"])
                assert received is not None and fired is not None
                found.setdefault(group["instance"], (received - fired).total_seconds())
                if group["instance"] in seen:
                    polled.setdefault(
                        group["instance"], (received - seen[group["instance"]]).total_seconds()
                    )
        return [found[i] for i in instances], [polled[i] for i in instances if i in polled]
    finally:
        runtime.down(state, volumes=True)


def stack_file(name: str, **route: str) -> Stack:
    text = demo_stack_text(
        name,
        prometheus_port=free_port(),
        exporter_ports=(free_port(), free_port(), free_port()),
        route=route,
    )
    return parse_stack(text)


def row(label: str, samples: list[float], bound: str) -> str:
    shown = ", ".join(f"{s:.2f}" for s in samples)
    return f"{label:<34} {statistics.median(samples):7.2f} s   {bound:<22} ({shown})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=2, help="demo stacks, 3 samples each")
    args = parser.parse_args()
    route = load_stack().alertmanager.route
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PROMDASH_STATE_DIR"] = tmp
        runs = [delays(stack_file(f"bench-alert-{n}")) for n in range(args.stacks)]
        demo = [d for from_starts, _ in runs for d in from_starts]
        demo_polled = [d for _, from_polls in runs for d in from_polls]
        fast, fast_polled = delays(stack_file("bench-alert-fast", group_wait="1s"))
    print(
        f"demo route: group_wait {route.group_wait}, group_interval {route.group_interval}, "
        f"repeat_interval {route.repeat_interval}; Prometheus evaluates every "
        f"{load_stack().prometheus.evaluation_interval}"
    )
    print(f"{'InstanceDown firing -> webhook':<34} {'median':>9}   {'bound':<22} (samples)")
    print(row("demo timings", demo, f"group_wait = {route.group_wait}"))
    print(row("  firing as polled (0.1 s polls)", demo_polled, f"group_wait = {route.group_wait}"))
    print(row("the same, group_wait 1s", fast, "group_wait = 1s"))
    print(row("  firing as polled (0.1 s polls)", fast_polled, "group_wait = 1s"))
    over = statistics.median(demo) - parse_duration(route.group_wait)
    print(
        f"beyond group_wait, median: {over * 1000:.0f} ms (Prometheus's send, Alertmanager, HTTP)"
    )


if __name__ == "__main__":
    main()
