"""`promdash up --runtime docker` until every target is up, beside its floor; cold up; down.

    python bench/bench_docker_up.py [--runs 3]

warm up   `promdash up` as a user runs it (a new process), images present, the
          stack down before, until it returns: every target `up`.
floor     the least the Docker SDK can do for the same result: a hand-written
          script in this file (run as a new process too) that creates the same
          network and the same containers (names, hostnames, images, args,
          mounts, ports), with the same generated Prometheus config, one after
          the other, then polls the targets API until every target is `up`.
          No checks, no labels, no readiness waits, no state.
cold up   warm up after removing the exporter image: includes building it.
down      `promdash down --volumes` until nothing with the stack's label remains.

Warm and floor runs alternate. Most of either is Prometheus itself: it applies
new static targets after about 5 s, then scrapes each target at an offset within
its scrape interval (15 s for its own target in the demo stack). Both use the
same hostnames and target labels, so the offsets are the same in both.

Needs a Docker engine and the base images (scripts/start-dockerd.sh,
scripts/standin-images.sh on machines without a registry).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import httpx

ROOT = Path(__file__).resolve().parent.parent
NAME = "bench-docker"
WARM_GOAL = 1.10  # warm up at most 10 % over the floor
DOWN_GOAL = 3.0  # seconds


# ---------------------------------------------------------------- the floor


def floor(stack_file: str, config_dir: str) -> None:
    """The same containers with the bare Docker SDK, then poll until every target is up."""
    import yaml

    stack = yaml.safe_load(Path(stack_file).read_text())
    name = stack["name"]
    exporters = stack["exporters"]
    prometheus = stack["prometheus"]
    client = docker.from_env()
    network = f"promdash-{name}"
    client.networks.create(network, driver="bridge")
    for exporter in exporters["instances"]:
        container = f"promdash-{name}-{exporter['name']}"
        client.containers.run(
            exporters["image"],
            ["--listen-address=0.0.0.0:8080", *exporter.get("args", [])],
            name=container,
            hostname=container,
            network=network,
            ports={"8080/tcp": ("127.0.0.1", exporter["port"])},
            detach=True,
        )
    container = f"promdash-{name}-prometheus"
    client.containers.run(
        prometheus["image"],
        [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--web.console.libraries=/usr/share/prometheus/console_libraries",
            "--web.console.templates=/usr/share/prometheus/consoles",
            f"--storage.tsdb.retention.time={prometheus['retention']}",
            "--web.enable-lifecycle",
            f"--web.external-url=http://127.0.0.1:{prometheus['port']}",
        ],
        name=container,
        hostname=container,
        network=network,
        ports={"9090/tcp": ("127.0.0.1", prometheus["port"])},
        volumes={
            config_dir: {"bind": "/etc/prometheus", "mode": "ro"},
            f"promdash-{name}-prometheus-data": {"bind": "/prometheus", "mode": "rw"},
        },
        detach=True,
    )
    expected = 1 + len(exporters["instances"])
    url = f"http://127.0.0.1:{prometheus['port']}/api/v1/targets"
    with httpx.Client(timeout=2) as http:
        while True:
            try:
                targets = http.get(url).json()["data"]["activeTargets"]
            except (httpx.HTTPError, ValueError, KeyError):
                targets = []
            if len(targets) >= expected and all(t["health"] == "up" for t in targets):
                return
            time.sleep(0.1)


def remove_floor(client: Any) -> None:
    for container in client.containers.list(all=True, filters={"name": f"promdash-{NAME}-"}):
        container.remove(force=True, v=True)
    for network in client.networks.list(names=[f"promdash-{NAME}"]):
        network.remove()
    for volume in client.volumes.list(filters={"name": f"promdash-{NAME}-"}):
        volume.remove(force=True)


# ---------------------------------------------------------------- measuring


def timed(*command: str) -> float:
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def labelled(client: Any) -> int:
    selector = {"label": f"io.promdash.stack={NAME}"}
    return (
        len(client.containers.list(all=True, filters=selector))
        + len(client.networks.list(filters=selector))
        + len(client.volumes.list(filters=selector))
    )


def promdash_up(stack_file: Path) -> float:
    return timed(sys.executable, "-m", "promdash.cli", "up", "--runtime", "docker",
                 "--stack", str(stack_file))  # fmt: skip


def promdash_down(client: Any) -> float:
    start = time.monotonic()
    timed(sys.executable, "-m", "promdash.cli", "down", "--name", NAME, "--volumes")
    while labelled(client):
        time.sleep(0.01)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--floor", nargs=2, metavar=("STACK", "CONFIG_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return

    sys.path.insert(0, str(ROOT))
    from promdash.stack import docker as dockerrt
    from promdash.stack.model import load_stack
    from tests.stackfiles import demo_stack_text, free_port

    workdir = Path(tempfile.mkdtemp(prefix="promdash-bench-docker-"))
    os.environ["PROMDASH_STATE_DIR"] = str(workdir / "state")
    stack_file = workdir / "stack.yaml"
    stack_file.write_text(
        demo_stack_text(
            NAME,
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        )
    )
    stack = load_stack(stack_file)
    config_dir = workdir / "floor-config"
    config_dir.mkdir()
    for file_name, text in dockerrt.generated_files(stack).items():
        (config_dir / file_name).write_text(text)
    config_dir.chmod(0o755)

    client = docker.from_env()
    dockerrt.DockerRuntime(client).remove_stack(NAME, volumes=True)
    remove_floor(client)

    # Cold: without the exporter image, so `up` builds it.
    if client.images.list(name=stack.exporters.image):
        client.images.remove(stack.exporters.image, force=True)
    cold = promdash_up(stack_file)
    downs = [promdash_down(client)]

    warm: list[float] = []
    floors: list[float] = []
    for _ in range(args.runs):
        warm.append(promdash_up(stack_file))
        downs.append(promdash_down(client))
        floors.append(timed(sys.executable, __file__, "--floor", str(stack_file), str(config_dir)))
        remove_floor(client)

    shutil.rmtree(workdir, ignore_errors=True)
    w, f, d = statistics.median(warm), statistics.median(floors), statistics.median(downs)
    engine = client.version()
    print(f"promdash up --runtime docker: {len(stack.exporters.instances)} exporters + Prometheus "
          f"(no Grafana), engine {engine['Version']}, {args.runs} warm runs, medians")  # fmt: skip
    print()
    rows = [
        ("measure", "promdash", "floor", "ratio", "goal", ""),
        ("warm up, every target up", f"{w:.2f} s", f"{f:.2f} s", f"{w / f:.2f}",
         f"<= {WARM_GOAL:.2f} x floor", "ok" if w <= WARM_GOAL * f else "MISSED"),
        ("cold up, incl. exporter build", f"{cold:.2f} s", "-", "-", "(reported)", ""),
        ("down, nothing labelled left", f"{d:.2f} s", "-", "-", f"< {DOWN_GOAL:.0f} s",
         "ok" if d < DOWN_GOAL else "MISSED"),
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print()
    print("runs (s): " + json.dumps({
        "warm": [round(x, 2) for x in warm],
        "floor": [round(x, 2) for x in floors],
        "down": [round(x, 2) for x in downs],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
