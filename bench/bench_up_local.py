"""`promdash up --runtime local` until every target is up, beside its floor.

The floor is Prometheus's own start-to-ready plus its first scrape of every
target: the same Prometheus binary and config, started by hand with the
exporters already running, polled until the targets API reports all `up`.
Both are measured in the same run, alternating, on free ports.

    python bench/bench_up_local.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import demo_stack_text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def all_up(url: str, expected: int) -> bool:
    try:
        targets = httpx.get(f"{url}/api/v1/targets", timeout=1).json()["data"]["activeTargets"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    return len(targets) >= expected and all(t["health"] == "up" for t in targets)


def floor_run(workdir: Path) -> float:
    """Exporters first (untimed), then time Prometheus from exec to every target up."""
    ports = [free_port() for _ in range(3)]
    prom_port = free_port()
    exporters = [
        subprocess.Popen(
            [sys.executable, "-m", "promdash.exporters.random", f"--listen-address=127.0.0.1:{p}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    for port in ports:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
    targets = ", ".join(f"'127.0.0.1:{p}'" for p in ports)
    config = workdir / "floor.yml"
    config.write_text(
        "global: {scrape_interval: 15s}\n"
        "scrape_configs:\n"
        f"- job_name: prometheus\n  static_configs: [{{targets: ['127.0.0.1:{prom_port}']}}]\n"
        "- job_name: example-random\n  scrape_interval: 5s\n"
        f"  static_configs: [{{targets: [{targets}]}}]\n"
    )
    data = tempfile.mkdtemp(dir=workdir)
    start = time.monotonic()
    prometheus = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{prom_port}"
    while not all_up(url, 4):
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    for process in [prometheus, *exporters]:
        process.terminate()
        process.wait()
    return elapsed


def promdash_run(workdir: Path, index: int) -> float:
    name = f"bench-local-{index}"
    stack = workdir / f"{name}.yaml"
    stack.write_text(
        demo_stack_text(
            name,
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        )
    )
    start = time.monotonic()
    subprocess.run(
        ["promdash", "up", "--runtime", "local", "--detach", "--stack", str(stack)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - start
    subprocess.run(["promdash", "down", "--name", name], check=True, stdout=subprocess.DEVNULL)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["PROMDASH_STATE_DIR"] = str(workdir / "state")
        floors, ups = [], []
        for index in range(args.runs):
            floors.append(floor_run(workdir))
            ups.append(promdash_run(workdir, index))
    floor, up = statistics.median(floors), statistics.median(ups)
    print(
        f"runs: {args.runs} (median; all runs: up {[round(u, 2) for u in ups]}, "
        f"floor {[round(f, 2) for f in floors]})"
    )
    print(f"{'measure':<44} {'seconds':>8}")
    print(f"{'floor: prometheus exec -> every target up':<44} {floor:8.2f}")
    print(f"{'promdash up --runtime local -> every target up':<44} {up:8.2f}")
    print(f"{'difference (goal: within 1.5 s of the floor)':<44} {up - floor:8.2f}")


if __name__ == "__main__":
    main()
