"""`promdash up --runtime local` until every target is up, beside its floor.

The floor is Prometheus's own start-to-ready plus its first scrape of every
target: the same Prometheus binary and the config promdash generated, on the
same ports, started by hand with the exporters already running, polled until
the targets API reports all `up`. Both are measured in the same run, in turn.

    python bench/bench_up_local.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.stackfiles import demo_stack_text, free_port


def all_up(url: str, expected: int) -> bool:
    try:
        targets = httpx.get(f"{url}/api/v1/targets", timeout=1).json()["data"]["activeTargets"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    return len(targets) >= expected and all(t["health"] == "up" for t in targets)


def align_to_scrape_phase(interval: float = 5.0) -> None:
    """Sleep to the next wall-clock multiple of the scrape interval.

    Prometheus places a target's first scrape at a fixed phase of the wall clock
    (a hash of the target, modulo the interval); starting both runs at the same
    phase makes them wait for the same slot, so the difference is promdash's own.
    """
    time.sleep(interval - time.time() % interval)


def floor_run(workdir: Path, config: Path, ports: list[int], prom_port: int) -> float:
    """Exporters first (untimed), then time Prometheus from exec to every target up.

    It runs promdash's own generated config on the same ports, so Prometheus
    picks the same scrape offsets and the difference is promdash's overhead.
    """
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
    data = tempfile.mkdtemp(dir=workdir)
    align_to_scrape_phase()
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


def promdash_run(workdir: Path, index: int) -> tuple[float, float]:
    """(promdash up seconds, floor seconds) on the same ports and config."""
    name = f"bench-local-{index}"
    stack = workdir / f"{name}.yaml"
    ports = [free_port(), free_port(), free_port()]
    prom_port = free_port()
    stack.write_text(
        demo_stack_text(
            name, prometheus_port=prom_port, exporter_ports=(ports[0], ports[1], ports[2])
        )
    )
    align_to_scrape_phase()
    start = time.monotonic()
    subprocess.run(
        ["promdash", "up", "--runtime", "local", "--detach", "--stack", str(stack)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - start
    generated = workdir / f"floor-{index}"
    shutil.copytree(
        Path(os.environ["PROMDASH_STATE_DIR"]) / "stacks" / name,
        generated,
        ignore=shutil.ignore_patterns("data", "logs"),
    )
    subprocess.run(
        ["promdash", "down", "--name", name],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return elapsed, floor_run(workdir, generated / "prometheus.yml", ports, prom_port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["PROMDASH_STATE_DIR"] = str(workdir / "state")
        ups, floors = zip(*(promdash_run(workdir, i) for i in range(args.runs)), strict=True)
    floor, up = statistics.median(floors), statistics.median(ups)
    print(
        f"runs: {args.runs} (median; all runs: up {[round(u, 2) for u in ups]}, "
        f"floor {[round(f, 2) for f in floors]})"
    )
    print(f"{'measure':<44} {'seconds':>8}")
    print(f"{'floor: prometheus exec -> every target up':<44} {floor:8.2f}")
    print(f"{'promdash up --runtime local -> every target up':<44} {up:8.2f}")
    diff = statistics.median(u - f for u, f in zip(ups, floors, strict=True))
    print(f"{'difference, median per run (goal: <= 1.5 s)':<44} {diff:8.2f}")


if __name__ == "__main__":
    main()
