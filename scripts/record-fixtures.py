#!/usr/bin/env python3
"""Record real Prometheus API answers into tests/data/recorded/ for offline tests.

    promdash up --runtime local --detach        # or any Prometheus you can reach
    python scripts/record-fixtures.py [--url URL] [--out DIR]

Each answer is stored byte-for-byte as the server sent it (`<name>.json`), so
tests decode exactly what a real server says; `manifest.json` lists what was
asked (path, parameters), when, and of which server. The URL is resolved like
the CLI's (--url, $PROMDASH_URL, config context, running stack, localhost).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promdash.config import resolve_connection  # noqa: E402
from promdash.prom.wire import decode_envelope  # noqa: E402

# name -> (path, params); {start} {end} are filled in at recording time. The
# range answers use the demo stack's metrics when they exist, and fall back to
# ones every Prometheus has.
RANGE_SECONDS = 15 * 60
ANSWERS: dict[str, tuple[str, dict[str, str]]] = {
    "buildinfo": ("status/buildinfo", {}),
    "targets": ("targets", {"state": "active"}),
    "rules": ("rules", {}),
    "alerts": ("alerts", {}),
    "metadata": ("metadata", {}),
    "labels": ("labels", {}),
    "label_job_values": ("label/job/values", {}),
    "query_up": ("query", {"query": "up", "time": "{end}"}),
    "query_range_up": (
        "query_range",
        {"query": "up", "start": "{start}", "end": "{end}", "step": "15"},
    ),
    "query_range_rpc_rate": (
        "query_range",
        {
            "query": "sum by (instance, service) (rate(rpc_durations_seconds_count[1m]))",
            "start": "{start}",
            "end": "{end}",
            "step": "15",
        },
    ),
    "query_range_scrape_duration": (
        "query_range",
        {"query": "scrape_duration_seconds", "start": "{start}", "end": "{end}", "step": "15"},
    ),
    "query_bad_promql": ("query", {"query": "sum(rate(up[5m])"}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Prometheus base URL (default: as the CLI resolves it)")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "recorded")
    args = parser.parse_args()

    conn = resolve_connection(url=args.url)
    end = round(time.time(), 3)
    start = end - RANGE_SECONDS
    args.out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {"recordedAt": end, "rangeSeconds": RANGE_SECONDS, "answers": {}}
    answers: dict[str, object] = {}
    with httpx.Client(base_url=conn.url, timeout=conn.timeout) as http:
        for name, (path, template) in ANSWERS.items():
            params = {k: v.format(start=start, end=end) for k, v in template.items()}
            response = http.get(f"/api/v1/{path}", params=params)
            if name != "query_bad_promql":
                decode_envelope(response.content, response.status_code)  # must be a success
            (args.out / f"{name}.json").write_bytes(response.content)
            answers[name] = {"path": f"/api/v1/{path}", "params": params,
                             "status": response.status_code}  # fmt: skip
            print(f"{name:<30} HTTP {response.status_code}  {len(response.content):>8} bytes")
        manifest["server"] = json.loads((args.out / "buildinfo.json").read_text())["data"]
    manifest["answers"] = answers
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"recorded {len(answers)} answers of {conn.url} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
