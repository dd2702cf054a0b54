"""Demo stack files for tests, benches and scripts: renamed and re-ported copies; and
the free port and the stopped server process they all need.

Kept apart from conftest.py so a bench runs from a plain install, without pytest.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Mapping

import yaml

from promdash.stack.model import default_stack_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """A server process stopped: asked to, then killed if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def demo_stack_text(
    name: str,
    *,
    prometheus_port: int,
    exporter_ports: tuple[int, int, int],
    instance_down_for: str = "5s",
    grafana: bool = False,
    alertmanager_port: int | None = None,
    webhook_port: int | None = None,
    route: Mapping[str, object] | None = None,
) -> str:
    """The bundled demo stack file, renamed and re-ported, with a short InstanceDown `for`.

    Tests change the alert's `for` here, in the stack file they hand to `up`,
    never by patching a generated rules file. Alertmanager and the webhook
    receiver take free ports unless given; `route` replaces some of the demo's
    route settings (group_wait, repeat_interval, ...).
    """
    data = yaml.safe_load(default_stack_path().read_text())
    data["name"] = name
    data["prometheus"]["port"] = prometheus_port
    data["grafana"]["enabled"] = grafana
    # Free ports the caller did not give must differ from every port already chosen:
    # the kernel may hand out a port just released by another free_port() call.
    taken = {prometheus_port, *exporter_ports, alertmanager_port, webhook_port}

    def other_port() -> int:
        port = free_port()
        while port in taken:
            port = free_port()
        taken.add(port)
        return port

    data["alertmanager"]["port"] = alertmanager_port or other_port()
    data["alertmanager"]["webhook"]["port"] = webhook_port or other_port()
    data["alertmanager"]["route"].update(route or {})
    data["grafana"]["provisioning"] = str(default_stack_path().parent / "demo" / "grafana")
    data["exporters"]["build"] = str(default_stack_path().parent / "demo" / "exporter")
    for instance, port in zip(data["exporters"]["instances"], exporter_ports, strict=True):
        instance["port"] = port
    for group in data["rules"]:
        for rule in group["rules"]:
            if rule.get("alert") == "InstanceDown":
                rule["for"] = instance_down_for
    return yaml.safe_dump(data, sort_keys=False)
