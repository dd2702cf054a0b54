#!/usr/bin/env python3
"""Start-up of `promdash query up`: wall time to its first output, beside curl.

    python bench/bench_query_startup.py [--url URL] [-n 10]

Without --url a Prometheus is started in a temporary directory (Debian's
/usr/bin/prometheus) and stopped afterwards. Each figure is over N fresh
processes: `promdash query up` (the console script next to this Python, as a
user runs it; `python -m promdash.cli` when there is none), `curl -s` of the same
API call, and `import promdash.cli` alone. Goal: first output in under 0.4 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

GOAL_SECONDS = 0.4


def first_output_seconds(command: Sequence[str]) -> float:
    """Seconds from spawning `command` until its first byte on stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    first = process.stdout.read(1)
    elapsed = time.perf_counter() - started
    _, err = process.communicate()
    if process.returncode != 0 or not first:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.decode()}")
    return elapsed


def exit_seconds(command: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


@contextmanager
def local_prometheus() -> Iterator[str]:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="promdash-bench-") as tmp:
        config = Path(tmp) / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: prometheus\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        )
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/v1/query?query=up", timeout=1) as r:
                        if b'"result":[{' in r.read():
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("prometheus did not answer within 30 s")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(10)


def promdash_command() -> list[str]:
    script = Path(sys.executable).parent / "promdash"
    if (
        script.exists()
        and script.read_bytes()[:2] == b"#!"
        and b"python" in script.read_bytes()[:200]
    ):
        return [str(script)]
    return [sys.executable, "-m", "promdash.cli"]


def import_breakdown() -> list[tuple[str, float]]:
    """The slowest top-level imports of `promdash query`'s path, by -X importtime."""
    code = (
        "import promdash.cli, promdash.config, promdash.present.output, promdash.prom.client;"
        "import asyncio, httpcore"
    )
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True).stderr  # fmt: skip
    tops: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith(" ") or name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # only modules imported directly by the top level
        tops[name.strip()] = int(cumulative) / 1e6
    return sorted(tops.items(), key=lambda item: -item[1])[:6]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an existing Prometheus (default: start one)")
    parser.add_argument("-n", type=int, default=10, help="runs per figure (default: 10)")
    args = parser.parse_args()

    @contextmanager
    def given(url: str) -> Iterator[str]:
        yield url

    with given(args.url) if args.url else local_prometheus() as url:
        env_note = "" if "PROMDASH_URL" not in os.environ else " (PROMDASH_URL ignored)"
        promdash = [*promdash_command(), "query", "up", "--url", url]
        curl = ["curl", "-s", f"{url}/api/v1/query?query=up"]
        first_output_seconds(promdash)  # warm the page cache once
        interpreter = [sys.executable, "-c", "pass"]
        import_cli = [sys.executable, "-c", "import promdash.cli"]
        runs = range(args.n)
        rows = [
            ("promdash query up: first output", [first_output_seconds(promdash) for _ in runs]),
            ("promdash query up: exit", [exit_seconds(promdash) for _ in runs]),
            ("curl -s (same API call)", [first_output_seconds(curl) for _ in runs]),
            ("python -c 'import promdash.cli'", [exit_seconds(import_cli) for _ in runs]),
            ("python -c pass (interpreter)", [exit_seconds(interpreter) for _ in runs]),
        ]
    print(
        f"N={args.n} runs each; {' '.join(promdash_command())}; Python "
        f"{sys.version.split()[0]}; load average {os.getloadavg()[0]:.2f}{env_note}"
    )
    print(f"{'':<36}{'median':>9}{'min':>9}{'max':>9}  goal")
    missed = False
    for name, times in rows:
        goal = GOAL_SECONDS if name.endswith("first output") else None
        verdict = ""
        if goal is not None:
            ok = statistics.median(times) < goal
            missed |= not ok
            verdict = f"< {goal:.1f} s  {'OK' if ok else 'MISSED'}"
        print(f"{name:<36}{statistics.median(times):>8.3f}s{min(times):>8.3f}s"
              f"{max(times):>8.3f}s  {verdict}")  # fmt: skip
    print("\nslowest imports on that path (-X importtime, cumulative, one run):")
    for name, seconds in import_breakdown():
        print(f"  {name:<34}{seconds * 1000:>7.1f} ms")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
