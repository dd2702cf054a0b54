"""`promdash up --runtime docker` against a real Docker engine.

Nothing is mocked: the engine, Prometheus (the image `prom/prometheus:v3.15.0`),
Alertmanager (`prom/alertmanager:v0.34.1`) and the demo exporter image that
promdash builds from stacks/demo/exporter (it runs the webhook receiver too) are
real. Machines without a registry build local stand-ins for the three base
images first (scripts/standin-images.sh). Grafana cannot run here (no image of it can
be had), so these stacks run without it; its container spec is checked in
tests/unit/test_docker_specs.py and its provisioning in
tests/unit/test_grafana_provisioning.py.

In CI a missing engine or image fails these tests instead of skipping them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from promdash import cli
from promdash.errors import PortInUse, RuntimeUnavailable
from promdash.stack import docker_specs as dockerrt
from promdash.stack.docker import DockerRuntime
from promdash.stack.model import AlertmanagerSpec, PrometheusSpec, Stack
from promdash.stack.state import StackState
from tests.conftest import IN_CI, demo_stack_text, free_port, write_stack

pytestmark = pytest.mark.docker

NAME = "it-docker"
PROMETHEUS_IMAGE = PrometheusSpec().image
BASE_IMAGES = (PROMETHEUS_IMAGE, AlertmanagerSpec().image, "python:3.12-slim")
SERVICES = {"prometheus", "alertmanager", "webhook", "random-1", "random-2", "random-3"}


def require_docker() -> DockerRuntime:
    """A runtime on the real engine with the base images present, else fail (CI) or skip."""
    try:
        runtime = DockerRuntime()
    except RuntimeUnavailable as exc:
        message = f"no Docker engine: {exc} (scripts/start-dockerd.sh starts one)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    missing = [image for image in BASE_IMAGES if runtime.images.image_id(image) is None]
    if missing:
        message = (
            f"images {', '.join(missing)} are missing and no registry may be reachable: "
            "run scripts/standin-images.sh"
        )
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return runtime


def leftovers(runtime: DockerRuntime, stack: str) -> list[str]:
    """Every container, network and volume that carries the stack's label."""
    selector = {"label": f"{dockerrt.LABEL_STACK}={stack}"}
    client = runtime.client
    return (
        [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
        + [f"network {n.name}" for n in client.networks.list(filters=selector)]
        + [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
    )


def _api(url: str, path: str, **params: str) -> Any:
    answer = httpx.get(f"{url}/api/v1/{path}", params=params, timeout=5)
    answer.raise_for_status()
    body = answer.json()
    assert body["status"] == "success"
    return body["data"]


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def _random_targets(url: str) -> dict[str, dict[str, Any]]:
    targets = _api(url, "targets", state="active")["activeTargets"]
    return {
        t["labels"]["instance"].split(":")[0]: t
        for t in targets
        if t["labels"]["job"] == "example-random"
    }


def _ids(runtime: DockerRuntime) -> dict[str, str]:
    return {service: c.id for service, c in runtime._containers(NAME).items()}


@dataclass
class DockerStack:
    runtime: DockerRuntime
    stack: Stack
    state: StackState
    path: Path
    ports: dict[str, int]

    @property
    def url(self) -> str:
        return self.state.prometheus_url

    def rewrite(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the stack file, as a user editing it would."""
        data = yaml.safe_load(self.path.read_text())
        change(data)
        self.path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def docker_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerStack]:
    runtime = require_docker()
    runtime.remove_stack(NAME, volumes=True)  # whatever an aborted earlier run left
    exporter_ports = (free_port(), free_port(), free_port())
    text = demo_stack_text(NAME, prometheus_port=free_port(), exporter_ports=exporter_ports)
    path, stack = write_stack(tmp_path_factory.mktemp("docker-stack"), text)
    # Generous: the first run builds the exporter image.
    state = runtime.up(stack, without=[], timeout=240)
    try:
        yield DockerStack(runtime, stack, state, path, stack.ports())
    finally:
        runtime.remove_stack(NAME, volumes=True)
        state.forget()


# ---------------------------------------------------------------- the happy path


def test_up_brings_every_exporter_up_with_its_group(docker_stack: DockerStack) -> None:
    targets = _random_targets(docker_stack.url)
    assert sorted(targets) == [
        "promdash-it-docker-random-1",
        "promdash-it-docker-random-2",
        "promdash-it-docker-random-3",
    ]
    assert all(t["health"] == "up" for t in targets.values())
    groups = {name.rsplit("-", 1)[1]: t["labels"]["group"] for name, t in targets.items()}
    assert groups == {"1": "production", "2": "production", "3": "canary"}
    # Real demo data arrives: the summary of every service.
    result = _api(docker_stack.url, "query", query="rpc_durations_seconds")["result"]
    assert {r["metric"]["service"] for r in result} == {"uniform", "normal", "exponential"}


def test_ports_are_published_on_loopback_and_everything_is_labelled(
    docker_stack: DockerStack,
) -> None:
    containers = docker_stack.runtime._containers(NAME)
    assert set(containers) == SERVICES
    for service, container in containers.items():
        bindings = container.attrs["HostConfig"]["PortBindings"]
        (binding,) = next(iter(bindings.values()))
        assert binding == {"HostIp": "127.0.0.1", "HostPort": str(docker_stack.ports[service])}
        assert container.labels[dockerrt.LABEL_MANAGED] == "true"
        assert container.labels[dockerrt.LABEL_SERVICE] == service
        assert len(container.labels[dockerrt.LABEL_SPEC_HASH]) == 64
    assert sorted(leftovers(docker_stack.runtime, NAME)) == [
        "container promdash-it-docker-alertmanager",
        "container promdash-it-docker-prometheus",
        "container promdash-it-docker-random-1",
        "container promdash-it-docker-random-2",
        "container promdash-it-docker-random-3",
        "container promdash-it-docker-webhook",
        "network promdash-it-docker",
        "volume promdash-it-docker-alertmanager-data",
        "volume promdash-it-docker-prometheus-data",
    ]


def test_second_up_keeps_every_container(docker_stack: DockerStack) -> None:
    before = _ids(docker_stack.runtime)
    assert cli.main(["up", "--runtime", "docker", "--stack", str(docker_stack.path)]) == 0
    assert _ids(docker_stack.runtime) == before


def test_changing_one_exporter_recreates_only_that_container(docker_stack: DockerStack) -> None:
    before = _ids(docker_stack.runtime)

    def slower_normal(data: dict[str, Any]) -> None:
        data["exporters"]["instances"][1]["args"] = ["--normal.mean=0.0002"]

    docker_stack.rewrite(slower_normal)
    assert cli.main(["up", "--runtime", "docker", "--stack", str(docker_stack.path)]) == 0
    after = _ids(docker_stack.runtime)
    assert {s for s in before if before[s] != after[s]} == {"random-2"}
    command = docker_stack.runtime._containers(NAME)["random-2"].attrs["Args"]
    assert "--normal.mean=0.0002" in command
    assert _random_targets(docker_stack.url)["promdash-it-docker-random-2"]["health"] == "up"


def test_stopped_exporter_is_down_and_instance_down_fires(docker_stack: DockerStack) -> None:
    runtime, state, url = docker_stack.runtime, docker_stack.state, docker_stack.url
    runtime.stop_service(state, "random-3")
    try:
        (row,) = [r for r in runtime.status(state) if r.name == "random-3"]
        assert row.state == "exited"
        _wait_for(
            "random-3 to be down",
            lambda: _random_targets(url)["promdash-it-docker-random-3"]["health"] == "down",
        )
        seen: set[str] = set()

        def instance_down(state: str) -> bool:
            alerts = _api(url, "alerts")["alerts"]
            seen.update(
                a["state"]
                for a in alerts
                if a["labels"]["alertname"] == "InstanceDown"
                and a["labels"]["instance"].startswith("promdash-it-docker-random-3")
            )
            return state in seen

        # `for: 5s` in the stack file: pending first, firing one evaluation later.
        _wait_for("InstanceDown pending", lambda: instance_down("pending"))
        _wait_for("InstanceDown firing", lambda: instance_down("firing"))

        # Alertmanager's container notifies the webhook receiver's, by container name.
        def notified() -> bool:
            lines = runtime.logs(state, "webhook", tail=1000)
            return any(
                " firing InstanceDown " in line
                and 'instance="promdash-it-docker-random-3:8080"' in line
                and " receiver=webhook " in line
                for line in lines
            )

        _wait_for("the webhook receiver to log InstanceDown", notified)
    finally:
        runtime.start_service(state, "random-3")
    _wait_for(
        "random-3 to be up again",
        lambda: _random_targets(url)["promdash-it-docker-random-3"]["health"] == "up",
    )


def test_status_and_logs_come_from_the_containers(docker_stack: DockerStack) -> None:
    runtime, state = docker_stack.runtime, docker_stack.state
    rows = {r.name: r for r in runtime.status(state)}
    assert set(rows) == SERVICES
    for row in rows.values():
        assert (row.state, row.health) == ("running", "healthy")
        assert row.started_at is not None and 0 <= time.time() - row.started_at < 600
    assert rows["prometheus"].url == docker_stack.url
    lines = list(runtime.logs(state, "prometheus", tail=200))
    assert any("Server is ready to receive web requests" in line for line in lines)
    assert len(list(runtime.logs(state, "prometheus", tail=2))) == 2


def test_prometheus_reaches_alertmanager_on_the_stack_network(docker_stack: DockerStack) -> None:
    """Alertmanager runs in a container from its image (here the stand-in built from
    Debian's binaries) and Prometheus sends to it by container name."""
    active = _api(docker_stack.url, "alertmanagers")["activeAlertmanagers"]
    assert active == [{"url": "http://promdash-it-docker-alertmanager:9093/api/v2/alerts"}]
    am_url = docker_stack.state.urls["alertmanager"]
    assert am_url == f"http://127.0.0.1:{docker_stack.ports['alertmanager']}"

    def received() -> bool:
        alerts = httpx.get(f"{am_url}/api/v2/alerts", timeout=5).json()
        return any(a["labels"].get("promdash_stack") == NAME for a in alerts)

    # The demo's RPCLatencyHigh fires within a minute, InstanceDown when a test stops one.
    _wait_for("an alert from Prometheus in Alertmanager", received, timeout=90)
    status = httpx.get(f"{am_url}/api/v2/status", timeout=5).json()
    assert status["cluster"]["status"] == "disabled"
    assert "promdash-it-docker-webhook:5001" in status["config"]["original"]
    container = docker_stack.runtime._containers(NAME)["alertmanager"]
    assert container.attrs["Config"]["Image"] == "prom/alertmanager:v0.34.1"
    assert dockerrt.network_name(NAME) in container.attrs["NetworkSettings"]["Networks"]


# ---------------------------------------------------------------- errors, for real


def test_port_held_by_a_listening_socket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = require_docker()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        text = demo_stack_text(
            "it-docker-port",
            prometheus_port=port,
            exporter_ports=(free_port(), free_port(), free_port()),
        )
        path, _ = write_stack(tmp_path, text)
        code = cli.main(["up", "--runtime", "docker", "--stack", str(path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_PORT == 5
    assert f"port {port} is already in use" in err
    assert "Traceback" not in err
    assert leftovers(runtime, "it-docker-port") == []
    assert StackState.load("it-docker-port") is None


def test_port_held_by_a_container_names_it(docker_stack: DockerStack, tmp_path: Path) -> None:
    taken = docker_stack.ports["random-1"]
    text = demo_stack_text(
        "it-docker-clash",
        prometheus_port=free_port(),
        exporter_ports=(free_port(), taken, free_port()),
    )
    _, stack = write_stack(tmp_path, text)
    with pytest.raises(PortInUse) as caught:
        docker_stack.runtime.up(stack, without=[], timeout=30)
    assert caught.value.port == taken
    assert "promdash-it-docker-random-1" in str(caught.value)
    assert leftovers(docker_stack.runtime, "it-docker-clash") == []


def test_missing_image_is_named_and_nothing_is_left_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = require_docker()
    text = demo_stack_text(
        "it-docker-noimage",
        prometheus_port=free_port(),
        exporter_ports=(free_port(), free_port(), free_port()),
    ).replace(PROMETHEUS_IMAGE, "promdash-test/no-such-image:0")
    path, _ = write_stack(tmp_path, text)
    code = cli.main(["up", "--runtime", "docker", "--stack", str(path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_UNAVAILABLE == 4
    assert "promdash-test/no-such-image:0" in err
    assert "docker pull" in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("promdash: image promdash-test/no-such-image:0")
    assert leftovers(runtime, "it-docker-noimage") == []
    assert StackState.load("it-docker-noimage") is None


def test_dead_docker_host_is_runtime_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/nobody.sock")
    with pytest.raises(RuntimeUnavailable) as caught:
        DockerRuntime()
    assert "unix:///tmp/nobody.sock" in str(caught.value)
    assert "--runtime local" in str(caught.value)
    path, _ = write_stack(
        tmp_path,
        demo_stack_text(
            "it-docker-nohost",
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        ),
    )
    assert cli.main(["up", "--runtime", "docker", "--stack", str(path)]) == 4
    err = capsys.readouterr().err
    assert err.startswith("promdash: no Docker engine answers at unix:///tmp/nobody.sock")
    assert len(err.strip().splitlines()) == 1


def test_exporter_that_dies_is_named_with_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = require_docker()
    data = yaml.safe_load(
        demo_stack_text(
            "it-docker-dies",
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        )
    )
    data["exporters"]["instances"][0]["args"] = ["--no-such-flag"]
    path, _ = write_stack(tmp_path, yaml.safe_dump(data))
    code = cli.main(["up", "--runtime", "docker", "--stack", str(path), "--timeout", "60"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == cli.EXIT_TIMEOUT
    assert err.startswith("promdash: random-1 exited during start-up -- last log lines:")
    assert "--no-such-flag" in err
    assert leftovers(runtime, "it-docker-dies") == []


def test_interrupted_up_leaves_nothing_behind(tmp_path: Path) -> None:
    runtime = require_docker()
    _, stack = write_stack(
        tmp_path,
        demo_stack_text(
            "it-docker-ctrlc",
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        ),
    )

    def interrupt_once_started(message: str) -> None:
        if message.startswith("prometheus: started"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runtime.up(stack, without=[], timeout=60, progress=interrupt_once_started)
    assert leftovers(runtime, "it-docker-ctrlc") == []
    assert StackState.load("it-docker-ctrlc") is None


def test_down_by_label_without_a_state_file(tmp_path: Path) -> None:
    """A stack whose state file is gone is still found and removed through its labels."""
    runtime = require_docker()
    name = "it-docker-orphan"
    _, stack = write_stack(
        tmp_path,
        demo_stack_text(
            name,
            prometheus_port=free_port(),
            exporter_ports=(free_port(), free_port(), free_port()),
        ),
    )
    specs = dockerrt.container_specs(stack, state_directory=tmp_path)
    client = runtime.client
    client.networks.create(dockerrt.network_name(name), labels=dockerrt.network_labels(name))
    client.volumes.create(dockerrt.volume_name(name), labels=dockerrt.volume_labels(name))
    for spec in specs[:2]:
        client.containers.create(**spec.create_kwargs())
    assert StackState.load(name) is None
    assert name in runtime.labelled_stacks()
    runtime.remove_stack(name, volumes=True)
    assert leftovers(runtime, name) == []


# ---------------------------------------------------------------- last: down


def test_down_removes_every_container_network_and_volume(docker_stack: DockerStack) -> None:
    assert cli.main(["down", "--name", NAME, "--volumes"]) == 0
    assert leftovers(docker_stack.runtime, NAME) == []
    assert StackState.load(NAME) is None
