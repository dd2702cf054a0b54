#!/usr/bin/env python3
"""Record a real classic-histogram range answer for the heatmap tests.

    python -m promdash.exporters.random -listen-address 127.0.0.1:8080 &   # two or more
    prometheus --config.file=... (scraping them every 5 s) &
    python tests/data/recorded-histogram/record.py --url http://127.0.0.1:9090

Stores what the server sent, byte for byte, beside this script: the demo's
rpc_durations_histogram_seconds as `sum by (le) (rate(…[1m]))` (one histogram) and
`rate(…[1m])` by instance (one histogram per exporter), over the last five minutes
at a 15 s step; `manifest.json` says what was asked and of which server.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RANGE_SECONDS = 300
QUERIES = {
    "query_range_histogram_sum_by_le": (
        "sum by (le) (rate(rpc_durations_histogram_seconds_bucket[1m]))"
    ),
    "query_range_histogram_by_instance": "rate(rpc_durations_histogram_seconds_bucket[1m])",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Prometheus base URL")
    args = parser.parse_args()
    end = round(time.time(), 3)
    start = end - RANGE_SECONDS
    answers: dict[str, object] = {}
    with httpx.Client(base_url=args.url, timeout=10) as http:
        server = http.get("/api/v1/status/buildinfo").json()["data"]
        for name, query in QUERIES.items():
            params = {"query": query, "start": str(start), "end": str(end), "step": "15"}
            response = http.get("/api/v1/query_range", params=params)
            response.raise_for_status()
            (HERE / f"{name}.json").write_bytes(response.content)
            answers[name] = {"path": "/api/v1/query_range", "params": params}
            print(f"{name:<40} {len(response.content):>8} bytes")
    manifest = {"recordedAt": end, "server": server, "answers": answers}
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
