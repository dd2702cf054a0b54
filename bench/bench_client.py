#!/usr/bin/env python3
"""Decoding cost of a big range answer: the client's checked, typed decoding vs json.loads.

    python bench/bench_client.py [--series 1000] [--points 240] [--repeat 7]

The answer is generated in the exact shape Prometheus sends for /api/v1/query_range
(`[unix_seconds, "value-as-string"]` pairs, millisecond timestamps, six labels per
series). Times are the best of --repeat runs; peak memory comes from tracemalloc
in separate runs (tracemalloc slows code down, so it never overlaps the timing).
Goal (issue 12): the typed decoding no slower than json.loads of the same bytes
(ratio <= 1.0x; issue 4 asked for at most 2x). Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promdash.prom.types import QueryResult
from promdash.prom.wire import decode_query

GOAL_RATIO = 1.0  # issue 12: no slower than json.loads (issue 4's was 2.0)


def range_answer(series: int, points: int, step: float = 15.0) -> bytes:
    rng = random.Random(42)
    start = 1_700_000_000.0
    result = []
    for i in range(series):
        values = []
        level = rng.uniform(0, 1000)
        for j in range(points):
            level = max(0.0, level + rng.gauss(0, 5))
            # Prometheus prints floats with Go's shortest representation.
            values.append([round(start + j * step, 3), repr(level)])
        result.append(
            {
                "metric": {
                    "__name__": "rpc_durations_seconds",
                    "instance": f"10.0.{i // 250}.{i % 250}:8080",
                    "job": "example-random",
                    "group": "production" if i % 3 else "canary",
                    "service": ("uniform", "normal", "exponential")[i % 3],
                    "quantile": ("0.5", "0.9", "0.99")[i % 3],
                },
                "values": values,
            }
        )
    body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    return json.dumps(body, separators=(",", ":")).encode()


def typed(raw: bytes) -> QueryResult:
    """Exactly what PromClient does with a range answer's body: checked and typed."""
    return decode_query(raw, "/api/v1/query_range")


def plain(raw: bytes) -> Any:
    return json.loads(raw)


def best_time(fn: Callable[[bytes], Any], raw: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn(raw)
        times.append(time.perf_counter() - started)
    return min(times)


def memory(fn: Callable[[bytes], Any], raw: bytes) -> tuple[int, int]:
    """(peak while decoding, still held by the decoded value) in bytes."""
    gc.collect()
    tracemalloc.start()
    kept = fn(raw)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak, held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--points", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    raw = range_answer(args.series, args.points)
    result = typed(raw)
    assert len(result.matrix) == args.series
    assert all(len(s.values) == args.points for s in result.matrix)

    t_plain = best_time(plain, raw, args.repeat)
    t_typed = best_time(typed, raw, args.repeat)
    (m_plain, h_plain), (m_typed, h_typed) = memory(plain, raw), memory(typed, raw)
    ratio = t_typed / t_plain

    mib = 1024 * 1024
    print(
        f"range answer: {args.series} series x {args.points} points, {len(raw) / mib:.1f} MiB "
        f"of JSON; best of {args.repeat}; Python {sys.version.split()[0]}"
    )
    verdict = f"<= {GOAL_RATIO:.1f} x (no slower than json.loads)  " + (
        "OK" if ratio <= GOAL_RATIO else "MISSED"
    )
    rows = [
        ("json.loads (baseline)", f"{t_plain * 1000:.1f} ms", f"{m_plain / mib:.1f} MiB",
         f"{h_plain / mib:.1f} MiB", ""),
        ("PromClient typed decode", f"{t_typed * 1000:.1f} ms", f"{m_typed / mib:.1f} MiB",
         f"{h_typed / mib:.1f} MiB", ""),
        ("ratio typed / json.loads", f"{ratio:.2f} x", f"{m_typed / m_plain:.2f} x",
         f"{h_typed / h_plain:.2f} x", verdict),
    ]  # fmt: skip
    print(f"{'':<26}{'time':>11}{'peak memory':>13}{'held after':>12}  goal (time)")
    for name, t, m, h, goal in rows:
        print(f"{name:<26}{t:>11}{m:>13}{h:>12}  {goal}")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
