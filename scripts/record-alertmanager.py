#!/usr/bin/env python3
"""Record a real Alertmanager's API answers into tests/data/recorded-alertmanager/.

    python scripts/record-alertmanager.py [--binary PATH] [--out DIR]

It starts Debian's Alertmanager (`prometheus-alertmanager`; `alertmanager` upstream)
on a free 127.0.0.1 port with the demo's route and inhibit rule, gives it the
firing alerts of the recorded Prometheus answer (tests/data/recorded/alerts.json)
as that Prometheus would send them (with the demo stack's external label), and
writes silences as people would: an active one muting one alert, an active one
muting none, a pending one, and one expired. Then it stores what Alertmanager
answers to the dashboard's two calls, byte for byte (`<name>.json`), and
`manifest.json`: what was asked, when, and of which Alertmanager.

The dashboard's snapshot tests serve these next to the recorded Prometheus answers
(tests/tui/test_snapshots.py), with the clock at this recording's time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_ALERTS = ROOT / "tests" / "data" / "recorded" / "alerts.json"
EXTERNAL_LABELS = {"promdash_stack": "demo"}  # what the demo stack's Prometheus adds

CONFIG = """\
route:
  receiver: webhook
  group_by: [alertname, instance]
receivers:
  - name: webhook
    webhook_configs:
      - url: http://127.0.0.1:{closed}/
inhibit_rules:
  - source_matchers: [alertname="InstanceDown", severity="critical"]
    target_matchers: [severity="warning"]
    equal: [instance]
"""

# name -> (path, params): the calls the dashboard makes on each refresh.
ANSWERS: dict[str, tuple[str, dict[str, str]]] = {
    "am_alerts": ("/api/v2/alerts", {}),
    "am_silences": ("/api/v2/silences", {}),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def alertmanager(binary: str) -> Iterator[str]:
    """A fresh Alertmanager (clustering off, data in a temporary directory); its URL."""
    with tempfile.TemporaryDirectory(prefix="promdash-record-am-") as tmp:
        directory = Path(tmp)
        (directory / "alertmanager.yml").write_text(CONFIG.format(closed=_free_port()))
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={directory / 'alertmanager.yml'}",
                f"--storage.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: httpx.get(f"{url}/-/ready", timeout=1).status_code == 200, "ready")
            yield url
        finally:
            process.terminate()
            process.wait(10)


def _wait(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"record-alertmanager: {what}: not within {timeout:g} s")
        time.sleep(0.2)


def _matcher(name: str, value: str, regex: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "isRegex": regex, "isEqual": True}


def _silence(
    http: httpx.Client,
    matchers: list[dict[str, Any]],
    *,
    starts: datetime,
    hours: float,
    by: str,
    comment: str,
) -> str:
    body = {
        "matchers": matchers,
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=hours)).isoformat(),
        "createdBy": by,
        "comment": comment,
    }
    answer = http.post("/api/v2/silences", json=body)
    answer.raise_for_status()
    silence_id: str = answer.json()["silenceID"]
    return silence_id


def fill(http: httpx.Client) -> None:
    """The recorded Prometheus's firing alerts, and silences in each state."""
    firing = [
        a
        for a in json.loads(PROMETHEUS_ALERTS.read_text())["data"]["alerts"]
        if a["state"] == "firing"
    ]
    http.post(
        "/api/v2/alerts",
        json=[
            {
                "labels": {**a["labels"], **EXTERNAL_LABELS},
                "annotations": a["annotations"],
                "startsAt": a["activeAt"],
                "generatorURL": "http://prometheus.recorded:9090/graph",
            }
            for a in firing
        ],
    ).raise_for_status()
    _wait(lambda: len(http.get("/api/v2/alerts").json()) == len(firing), "the alerts held")
    now = datetime.now(UTC)
    latency = next(a for a in firing if a["labels"]["alertname"] == "RPCLatencyHigh")
    _silence(
        http,
        [
            _matcher("alertname", "RPCLatencyHigh"),
            _matcher("instance", latency["labels"]["instance"]),
        ],
        starts=now,
        hours=2,
        by="ana",
        comment="latency test in progress on this instance",
    )
    _silence(
        http,
        [_matcher("alertname", "DiskFull"), _matcher("instance", "db-2:9100")],
        starts=now,
        hours=26,
        by="ops-bot",
        comment="disk swap on db-2",
    )
    _silence(
        http,
        [_matcher("alertname", "RPCRateLow"), _matcher("service", "exponential")],
        starts=now + timedelta(hours=1),
        hours=0.5,
        by="ben",
        comment="planned load test",
    )
    expired = _silence(
        http,
        [_matcher("alertname", "InstanceDown"), _matcher("instance", "127.0.0.1:.*", regex=True)],
        starts=now,
        hours=1,
        by="ana",
        comment="exporter restart",
    )
    http.delete(f"/api/v2/silence/{expired}").raise_for_status()
    _wait(
        lambda: (
            any(s["status"]["state"] == "active" for s in http.get("/api/v2/silences").json())
            and any(a["status"]["silencedBy"] for a in http.get("/api/v2/alerts").json())
        ),
        "the silence in effect",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="Alertmanager's binary (default: found on PATH)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "tests" / "data" / "recorded-alertmanager"
    )
    args = parser.parse_args()
    binary = args.binary or shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        print("record-alertmanager: no Alertmanager binary (Debian: apt-get install "
              "prometheus-alertmanager)", file=sys.stderr)  # fmt: skip
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with alertmanager(binary) as url, httpx.Client(base_url=url, timeout=10) as http:
        fill(http)
        recorded_at = round(time.time(), 3)
        answers: dict[str, object] = {}
        for name, (path, params) in ANSWERS.items():
            response = http.get(path, params=params)
            response.raise_for_status()
            (args.out / f"{name}.json").write_bytes(response.content)
            answers[name] = {"path": path, "params": params, "status": response.status_code}
            print(f"{name:<14} HTTP {response.status_code}  {len(response.content):>6} bytes")
        version = http.get("/api/v2/status").json()["versionInfo"]
    manifest = {"recordedAt": recorded_at, "server": version, "answers": answers}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"recorded {len(answers)} answers of Alertmanager {version['version']} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
