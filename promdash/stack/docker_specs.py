"""What the docker runtime asks the engine for, decided without an engine.

Names, labels and one `ContainerSpec` per service are pure functions of the
stack file, so they are checked in unit tests and hashed: every container,
network and volume carries `io.promdash.*` labels, and `up` compares a running
container's `io.promdash.spec-hash` with the spec it wants.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from docker.types import Mount

import promdash
from promdash.stack import render
from promdash.stack.model import WEBHOOK_SERVICE, ExporterSpec, Stack
from promdash.stack.state import GRAFANA_PASSWORD_FILE

LABEL_STACK = "io.promdash.stack"
LABEL_SERVICE = "io.promdash.service"
LABEL_SPEC_HASH = "io.promdash.spec-hash"
LABEL_MANAGED = "io.promdash.managed"
# The stack file a container was made from, so a stack is found whole without state.json.
LABEL_STACK_FILE = "io.promdash.stack-file"
# On images promdash built: a digest of the build context, to rebuild when the source changed.
LABEL_CONTEXT_HASH = "io.promdash.context-hash"

PROMETHEUS_PORT = 9090
GRAFANA_PORT = 3000
EXPORTER_PORT = 8080
ALERTMANAGER_PORT = 9093
WEBHOOK_PORT = 5001
PASSWORD_TARGET = "/run/secrets/grafana-admin-password"


# ---------------------------------------------------------------- names


def container_name(stack: str, service: str) -> str:
    return f"promdash-{stack}-{service}"


def network_name(stack: str) -> str:
    return f"promdash-{stack}"


def volume_name(stack: str, service: str = "prometheus") -> str:
    return f"promdash-{stack}-{service}-data"


def config_dir(state_directory: Path, service: str = "prometheus") -> Path:
    """Where a service's generated config lives; mounted read-only at /etc/SERVICE."""
    return state_directory / "docker" / service


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def resource_labels(stack: str, service: str, spec_hash: str) -> dict[str, str]:
    return {
        LABEL_STACK: stack,
        LABEL_SERVICE: service,
        LABEL_SPEC_HASH: spec_hash,
        LABEL_MANAGED: "true",
    }


# ---------------------------------------------------------------- specs (pure)


@dataclass(frozen=True)
class MountSpec:
    source: str  # a host path for binds, a volume name for volumes
    target: str
    kind: Literal["bind", "volume"] = "bind"
    read_only: bool = True


@dataclass(frozen=True)
class ContainerSpec:
    """Everything `up` decides about one container; `spec_hash` covers all of it."""

    stack: str
    service: str
    image: str
    command: tuple[str, ...]
    # None: the image's own ENTRYPOINT.
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[MountSpec, ...] = ()
    # container port -> (host address, host port)
    ports: Mapping[int, tuple[str, int]] = field(default_factory=dict)
    user: str | None = None
    # Generated files the container reads through a mount, by name: their
    # content is part of the spec, so a changed rule recreates Prometheus.
    files: Mapping[str, str] = field(default_factory=dict)
    # Where the stack came from: a label only, not part of the spec hash.
    stack_file: str = ""

    @property
    def name(self) -> str:
        return container_name(self.stack, self.service)

    @property
    def network(self) -> str:
        return network_name(self.stack)

    @property
    def spec_hash(self) -> str:
        """sha256 of everything the engine is asked for, plus the mounted generated files."""
        files = {
            name: hashlib.sha256(text.encode()).hexdigest() for name, text in self.files.items()
        }
        return _digest({"container": self._engine_kwargs(), "files": files})

    @property
    def labels(self) -> dict[str, str]:
        return resource_labels(self.stack, self.service, self.spec_hash)

    @property
    def host_port(self) -> int:
        return next(iter(self.ports.values()))[1]

    def _engine_kwargs(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "command": list(self.command),
            **({"entrypoint": list(self.entrypoint)} if self.entrypoint is not None else {}),
            "name": self.name,
            "environment": dict(self.environment),
            "mounts": [
                Mount(target=m.target, source=m.source, type=m.kind, read_only=m.read_only)
                for m in self.mounts
            ],
            "ports": {f"{port}/tcp": binding for port, binding in self.ports.items()},
            "network": self.network,
            # A fixed hostname: Prometheus seeds its scrape offsets with it, so
            # the same stack scrapes at the same moments after every recreate.
            "hostname": self.name,
            "user": self.user,
            "detach": True,
        }

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `client.containers.create`."""
        return self._engine_kwargs() | {"labels": self.labels | {LABEL_STACK_FILE: self.stack_file}}


def generated_files(stack: Stack) -> dict[str, str]:
    """`prometheus.yml` and the rules file, with exporters addressed by container name."""

    def address(exporter: ExporterSpec) -> str:
        return f"{container_name(stack.name, exporter.name)}:{EXPORTER_PORT}"

    alertmanager = f"{container_name(stack.name, 'alertmanager')}:{ALERTMANAGER_PORT}"
    return {
        "prometheus.yml": render.prometheus_config(
            stack, address, f"localhost:{PROMETHEUS_PORT}", alertmanager
        ),
        render.RULES_FILE: render.rules_file(stack),
    }


def alertmanager_files(stack: Stack) -> dict[str, str]:
    """`alertmanager.yml`, sending to the webhook receiver by its container name."""
    webhook = f"http://{container_name(stack.name, WEBHOOK_SERVICE)}:{WEBHOOK_PORT}/"
    return {render.ALERTMANAGER_FILE: render.alertmanager_config(stack, webhook)}


def prometheus_spec(stack: Stack, state_directory: Path) -> ContainerSpec:
    port = stack.prometheus.port
    return ContainerSpec(
        stack=stack.name,
        service="prometheus",
        image=stack.prometheus.image,
        # The official image's CMD, plus retention and the URL users reach it at.
        command=(
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--web.console.libraries=/usr/share/prometheus/console_libraries",
            "--web.console.templates=/usr/share/prometheus/consoles",
            f"--storage.tsdb.retention.time={stack.prometheus.retention}",
            f"--web.external-url=http://127.0.0.1:{port}",
        ),
        mounts=(
            MountSpec(str(config_dir(state_directory)), "/etc/prometheus"),
            MountSpec(volume_name(stack.name), "/prometheus", kind="volume", read_only=False),
        ),
        ports={PROMETHEUS_PORT: (stack.bind_host, port)},
        files=generated_files(stack),
    )


def grafana_spec(stack: Stack, state_directory: Path, user: str) -> ContainerSpec:
    """Grafana, reading its admin password from the owner-only file in the state directory.

    Only the path of the password file is in the spec (env, labels, hash), never
    its content. The container runs as the file's owner (`user`), which
    Grafana's image supports, so it can read a file nobody else can.
    """
    return ContainerSpec(
        stack=stack.name,
        service="grafana",
        image=stack.grafana.image,
        command=(),
        environment={
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
            "GF_USERS_ALLOW_SIGN_UP": "false",
            "GF_SECURITY_ADMIN_PASSWORD__FILE": PASSWORD_TARGET,
            "PROMDASH_PROMETHEUS_URL": (
                f"http://{container_name(stack.name, 'prometheus')}:{PROMETHEUS_PORT}"
            ),
        },
        mounts=(
            MountSpec(
                str(stack.base_dir / stack.grafana.provisioning), "/etc/grafana/provisioning"
            ),
            MountSpec(str(state_directory / GRAFANA_PASSWORD_FILE), PASSWORD_TARGET),
        ),
        ports={GRAFANA_PORT: (stack.bind_host, stack.grafana.port)},
        user=user,
    )


def alertmanager_spec(stack: Stack, state_directory: Path) -> ContainerSpec:
    port = stack.alertmanager.port
    return ContainerSpec(
        stack=stack.name,
        service="alertmanager",
        image=stack.alertmanager.image,
        # The official image's CMD, plus the URL users reach it at; one Alertmanager,
        # no peers, so no gossip port and no wait for peers before notifying.
        command=(
            f"--config.file=/etc/alertmanager/{render.ALERTMANAGER_FILE}",
            "--storage.path=/alertmanager",
            f"--web.external-url=http://127.0.0.1:{port}",
            "--cluster.listen-address=",
        ),
        mounts=(
            MountSpec(str(config_dir(state_directory, "alertmanager")), "/etc/alertmanager"),
            MountSpec(
                volume_name(stack.name, "alertmanager"),
                "/alertmanager",
                kind="volume",
                read_only=False,
            ),
        ),
        ports={ALERTMANAGER_PORT: (stack.bind_host, port)},
        files=alertmanager_files(stack),
    )


def webhook_spec(stack: Stack) -> ContainerSpec:
    """promdash's webhook receiver, from the exporter's image (it ships the receiver too)."""
    return ContainerSpec(
        stack=stack.name,
        service=WEBHOOK_SERVICE,
        image=stack.exporters.image,
        entrypoint=("python", "-m", "promdash.exporters.webhook"),
        command=(f"--listen-address=0.0.0.0:{WEBHOOK_PORT}",),
        ports={WEBHOOK_PORT: (stack.bind_host, stack.alertmanager.webhook.port)},
    )


def exporter_spec(stack: Stack, exporter: ExporterSpec) -> ContainerSpec:
    return ContainerSpec(
        stack=stack.name,
        service=exporter.name,
        image=stack.exporters.image,
        command=(f"--listen-address=0.0.0.0:{EXPORTER_PORT}", *exporter.args),
        ports={EXPORTER_PORT: (stack.bind_host, exporter.port)},
    )


def container_specs(
    stack: Stack,
    *,
    state_directory: Path,
    without: Sequence[str] = (),
    user: str = "0:0",
) -> list[ContainerSpec]:
    """Every container of the stack, exporters first so Prometheus finds them answering
    (and the webhook receiver before the Alertmanager that sends to it)."""
    stack = stack.leaving_out(without)
    specs = [exporter_spec(stack, e) for e in stack.exporters.instances]
    if stack.webhook_enabled:
        specs.append(webhook_spec(stack))
    if stack.alertmanager.enabled:
        specs.append(alertmanager_spec(stack, state_directory))
    if stack.grafana.enabled:
        specs.append(grafana_spec(stack, state_directory, user))
    specs.append(prometheus_spec(stack, state_directory))
    return specs


def network_labels(stack: str) -> dict[str, str]:
    return resource_labels(
        stack, "network", _digest({"name": network_name(stack), "driver": "bridge"})
    )


def volume_labels(stack: str, service: str = "prometheus") -> dict[str, str]:
    return resource_labels(
        stack, service, _digest({"name": volume_name(stack, service), "driver": "local"})
    )


def exporter_build_context(build_dir: Path) -> tuple[bytes, str]:
    """A tar of the Dockerfile folder plus the exporter's source, and a digest of it.

    The exporter is part of promdash, so its source is taken from the installed
    package rather than kept as a second copy beside the Dockerfile. Entries are
    normalised (owner, mode, mtime) so the same source always gives the same
    tar and the engine's build cache is reused.
    """
    package = Path(promdash.__file__).resolve().parent
    entries: list[tuple[str, Path]] = [
        (str(p.relative_to(build_dir)), p) for p in sorted(build_dir.rglob("*")) if p.is_file()
    ]
    entries.append(("promdash/__init__.py", package / "__init__.py"))
    entries += [
        (f"promdash/exporters/{p.name}", p) for p in sorted((package / "exporters").glob("*.py"))
    ]
    buffer = io.BytesIO()
    digest = hashlib.sha256()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for arcname, path in entries:
            data = path.read_bytes()
            digest.update(arcname.encode() + b"\0" + data + b"\0")
            info = tarfile.TarInfo(arcname)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), digest.hexdigest()
