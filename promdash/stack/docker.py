"""Runtime "docker": the stack as containers on one user-defined bridge network.

What each container looks like is decided by pure functions (`container_specs`),
so it can be checked without an engine. Every container, network and volume
carries `io.promdash.*` labels: `down` finds a stack by label alone, and `up`
compares each running container's `io.promdash.spec-hash` with the spec it
wants, keeping what matches and recreating what changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker
import docker.errors
import requests
from docker.types import Mount
from docker.utils import parse_repository_tag

import promdash
from promdash.errors import PortInUse, PromdashError, RuntimeUnavailable
from promdash.files import atomic_write
from promdash.stack import render
from promdash.stack.model import ExporterSpec, Stack
from promdash.stack.runtime import (
    Progress,
    ServiceStatus,
    check_port,
    http_health,
    no_progress,
    wait_http,
    wait_targets,
)
from promdash.stack.state import (
    GRAFANA_PASSWORD_FILE,
    RuntimeName,
    StackState,
    grafana_password,
    private_stack_dir,
)
from promdash.timefmt import parse_rfc3339

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
PASSWORD_TARGET = "/run/secrets/grafana-admin-password"
# Short, because every demo service exits on SIGTERM/SIGINT at once; the engine
# kills whatever is still running after this.
STOP_TIMEOUT_SECONDS = 2
READY_PATHS = {"prometheus": "/-/ready", "grafana": "/api/health"}  # exporters: /metrics
# API calls other than streams (logs, builds) answer in well under this.
API_TIMEOUT_SECONDS = 30


# ---------------------------------------------------------------- names


def container_name(stack: str, service: str) -> str:
    return f"promdash-{stack}-{service}"


def network_name(stack: str) -> str:
    return f"promdash-{stack}"


def volume_name(stack: str) -> str:
    return f"promdash-{stack}-prometheus-data"


def config_dir(state_directory: Path) -> Path:
    """Where the generated Prometheus config lives; mounted read-only at /etc/prometheus."""
    return state_directory / "docker" / "prometheus"


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

    return {
        "prometheus.yml": render.prometheus_config(stack, address, f"localhost:{PROMETHEUS_PORT}"),
        render.RULES_FILE: render.rules_file(stack),
    }


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
    """Every container of the stack, exporters first so Prometheus finds them answering."""
    stack = stack.leaving_out(without)
    specs = [exporter_spec(stack, e) for e in stack.exporters.instances]
    if stack.grafana.enabled:
        specs.append(grafana_spec(stack, state_directory, user))
    specs.append(prometheus_spec(stack, state_directory))
    return specs


def network_labels(stack: str) -> dict[str, str]:
    return resource_labels(
        stack, "network", _digest({"name": network_name(stack), "driver": "bridge"})
    )


def volume_labels(stack: str) -> dict[str, str]:
    return resource_labels(
        stack, "prometheus", _digest({"name": volume_name(stack), "driver": "local"})
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


# ---------------------------------------------------------------- the engine


def _engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect() -> Any:
    """A client for the engine `DOCKER_HOST` names (or the default socket) that answered a ping."""
    where = _engine_address()
    try:
        client = docker.from_env(timeout=API_TIMEOUT_SECONDS)
        client.ping()
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        text = str(exc)
        if "Permission denied" in text or "PermissionError" in text:
            raise RuntimeUnavailable(
                f"permission denied on the Docker engine at {where}: add your user to the "
                "`docker` group and log in again, or use `--runtime local`"
            ) from None
        raise RuntimeUnavailable(
            f"no Docker engine answers at {where}: start Docker "
            "(`sudo systemctl start docker`, or Docker Desktop) or use `--runtime local`"
        ) from None
    return client


def _parse_started(text: str | None) -> float | None:
    """Epoch seconds of Docker's `State.StartedAt` (RFC 3339 with nanoseconds)."""
    moment = parse_rfc3339(text)
    return moment.timestamp() if moment is not None else None


def _short(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(explanation).split())[:200]


def _parallel(work: Callable[[Any], None], items: Sequence[Any]) -> None:
    if not items:
        return
    with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
        for future in [pool.submit(work, item) for item in items]:
            future.result()


class DockerRuntime:
    name: RuntimeName = "docker"

    def __init__(self, client: Any = None) -> None:
        self.client = client if client is not None else connect()
        # Exporter images this process replaced by a rebuild, removed once unused.
        self._superseded: list[str] = []

    # ------------------------------------------------------------ lookups

    def _containers(self, stack: str) -> dict[str, Any]:
        """The stack's containers, running or not, by service."""
        found = self.client.containers.list(all=True, filters={"label": f"{LABEL_STACK}={stack}"})
        return {c.labels.get(LABEL_SERVICE, c.name): c for c in found}

    def _container(self, state: StackState, service: str) -> Any:
        container = self._containers(state.name).get(service)
        if container is None:
            services = ", ".join(state.urls) or "none"
            raise PromdashError(
                f"no container for service {service!r} in stack {state.name!r} "
                f"(services: {services}); run `promdash up`"
            )
        return container

    def labelled_stacks(self) -> list[str]:
        """Names of stacks that have containers here, found by label (no state file needed)."""
        found = self.client.containers.list(all=True, filters={"label": LABEL_MANAGED})
        return sorted({c.labels[LABEL_STACK] for c in found if LABEL_STACK in c.labels})

    def _port_holders(self) -> dict[int, str]:
        holders: dict[int, str] = {}
        for summary in self.client.api.containers():
            name = (summary.get("Names") or ["?"])[0].lstrip("/")
            for binding in summary.get("Ports") or []:
                if binding.get("PublicPort"):
                    holders[int(binding["PublicPort"])] = name
        return holders

    # ------------------------------------------------------------ images

    def _image_id(self, image: str) -> str | None:
        try:
            return str(self.client.images.get(image).id)
        except docker.errors.ImageNotFound:
            return None

    def _ensure_images(
        self, stack: Stack, specs: Sequence[ContainerSpec], progress: Progress
    ) -> dict[str, str]:
        """Image ID of every image the specs use: present, pulled once, or built (the exporter).

        Images to pull come first: a missing one fails fast, before a build.
        """
        build_dir = stack.base_dir / stack.exporters.build
        built = stack.exporters.image if (build_dir / "Dockerfile").is_file() else None
        ids: dict[str, str] = {}
        for spec in sorted(specs, key=lambda s: s.image == built):
            if spec.image in ids:
                continue
            if spec.image == built:
                ids[spec.image] = self._ensure_built(spec.image, build_dir, progress)
                continue
            image_id = self._image_id(spec.image)
            if image_id is None:
                image_id = self._pull(spec, progress)
            ids[spec.image] = image_id
        return ids

    def _pull(self, spec: ContainerSpec, progress: Progress) -> str:
        progress(f"{spec.service}: pulling {spec.image}")
        repository, tag = parse_repository_tag(spec.image)
        try:
            self.client.images.pull(repository, tag=tag or "latest")
        except (docker.errors.DockerException, requests.RequestException) as exc:
            ways = [f"run `docker pull {spec.image}`", f"build an image tagged {spec.image}"]
            if spec.service == "grafana":
                ways.append("leave Grafana out with `--without grafana`")
            raise RuntimeUnavailable(
                f"image {spec.image} (for {spec.service}) is not here and could not be pulled "
                f"({_short(exc)}): {', '.join(ways[:-1])} or {ways[-1]}"
            ) from None
        image_id = self._image_id(spec.image)
        if image_id is None:
            raise RuntimeUnavailable(f"image {spec.image} is still missing after `docker pull`")
        return image_id

    def _ensure_built(self, image: str, build_dir: Path, progress: Progress) -> str:
        """The exporter image: built from the stack's Dockerfile when missing or out of date.

        Only images promdash built itself (they carry its context-hash label) are
        rebuilt when the exporter source changes; an image someone else made
        under that name is used as it is.
        """
        context, context_hash = exporter_build_context(build_dir)
        try:
            current = self.client.images.get(image)
        except docker.errors.ImageNotFound:
            current = None
        if current is not None:
            built_hash = (current.labels or {}).get(LABEL_CONTEXT_HASH)
            if built_hash in (None, context_hash):
                return str(current.id)
            progress(f"{image}: exporter source changed, rebuilding")
            self._superseded.append(str(current.id))
        else:
            progress(f"{image}: building from {build_dir} (first use)")
        started = time.monotonic()
        image_id: str | None = None
        try:
            for chunk in self.client.api.build(
                fileobj=io.BytesIO(context),
                custom_context=True,
                tag=image,
                rm=True,
                forcerm=True,
                decode=True,
                labels={LABEL_MANAGED: "true", LABEL_CONTEXT_HASH: context_hash},
            ):
                if "error" in chunk:
                    detail = " ".join(str(chunk["error"]).split())
                    raise RuntimeUnavailable(f"building {image} from {build_dir} failed: {detail}")
                if "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = str(chunk["aux"]["ID"])
                for line in str(chunk.get("stream", "")).splitlines():
                    line = line.strip()
                    if line and not line.startswith(("--->", "Removing intermediate")):
                        progress(f"{image}: {line}")
        except (docker.errors.DockerException, requests.RequestException) as exc:
            raise RuntimeUnavailable(
                f"building {image} from {build_dir} failed: {_short(exc)}"
            ) from None
        image_id = image_id or self._image_id(image)
        if image_id is None:
            raise RuntimeUnavailable(f"building {image} from {build_dir} produced no image")
        progress(f"{image}: built in {time.monotonic() - started:.1f}s")
        return image_id

    # ------------------------------------------------------------ lifecycle

    def up(
        self,
        stack: Stack,
        *,
        previous: StackState | None = None,
        without: list[str],
        timeout: float,
        progress: Progress = no_progress,
    ) -> StackState:
        deadline = time.monotonic() + timeout
        stack.leaving_out(without)  # rejects unknown names before any change
        directory = private_stack_dir(stack.name)
        specs = [
            dataclasses.replace(spec, stack_file=str(stack.source or ""))
            for spec in container_specs(
                stack,
                state_directory=directory,
                without=without,
                user=f"{os.getuid()}:{os.getgid()}",
            )
        ]
        existing = self._containers(stack.name)
        wanted = {s.service for s in specs}
        kept = {
            s.service
            for s in specs
            if s.service in existing
            and existing[s.service].status == "running"
            and existing[s.service].labels.get(LABEL_SPEC_HASH) == s.spec_hash
        }
        # Checks come before any change, so a failed `up` leaves things as they were.
        replaced = [c for service, c in existing.items() if service not in kept]
        self._check_ports([s for s in specs if s.service not in kept], replaced)
        image_ids = self._ensure_images(stack, specs, progress)
        for service in list(kept):
            spec = next(s for s in specs if s.service == service)
            if existing[service].attrs.get("Image") != image_ids[spec.image]:
                progress(f"{service}: image {spec.image} changed")
                kept.discard(service)
                replaced.append(existing[service])
        to_create = [s for s in specs if s.service not in kept]

        if any(s.service == "grafana" for s in specs):
            grafana_password(stack.name)
        _write_config(config_dir(directory), generated_files(stack.leaving_out(without)))
        render.check_rules(stack, config_dir(directory) / render.RULES_FILE)
        state = StackState(
            name=stack.name,
            runtime="docker",
            stack_file=str(stack.source or ""),
            prometheus_url=f"http://127.0.0.1:{stack.prometheus.port}",
            urls={s.service: f"http://127.0.0.1:{s.host_port}" for s in specs},
            without=list(without),
            started_at=previous.started_at if previous and kept else time.time(),
        )
        # Saved before anything is created: an interrupted `up` is still found by `down`.
        state.save()

        created: list[Any] = []
        made_network = made_volume = False
        try:
            for service in sorted(kept):
                progress(f"{service}: unchanged, kept running")
            if replaced:
                for container in replaced:
                    service = _service_of(container)
                    progress(
                        f"{service}: {'changed' if service in wanted else 'not wanted'}, removing"
                    )
                _parallel(_remove_container, replaced)
            made_network = self._ensure_network(stack.name, progress)
            if any(s.service == "prometheus" for s in to_create):
                made_volume = self._ensure_volume(stack.name, progress)

            def create(spec: ContainerSpec) -> None:
                try:
                    container = self.client.containers.create(**spec.create_kwargs())
                    created.append(container)
                    container.start()
                except docker.errors.APIError as exc:
                    if "port is already allocated" in str(exc) or "address already in use" in str(
                        exc
                    ):
                        raise PortInUse(spec.host_port) from None
                    raise PromdashError(
                        f"{spec.service}: the Docker engine refused to run it: {_short(exc)}"
                    ) from None
                progress(f"{spec.service}: started ({spec.name})")

            _parallel(create, to_create)
            self._remove_superseded_images()
            self._wait_ready(state, specs, deadline, progress)
        except BaseException as exc:
            # Undo what this run made; what was kept keeps running. Should the
            # engine itself fail here, the labels still let `down` find the rest.
            with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
                _parallel(_remove_container, created)
                if not kept:
                    if made_network:
                        self.client.networks.get(network_name(stack.name)).remove()
                    if made_volume:
                        self.client.volumes.get(volume_name(stack.name)).remove(force=True)
            if not kept:
                state.forget()
            if isinstance(exc, docker.errors.DockerException | requests.RequestException):
                raise PromdashError(
                    f"the Docker engine failed during `up`: {_short(exc)}"
                ) from None
            raise
        return state

    def _remove_superseded_images(self) -> None:
        # Each rebuild would otherwise leave a dangling image behind.
        while self._superseded:
            with contextlib.suppress(docker.errors.APIError):  # still used, or already gone
                self.client.images.remove(self._superseded.pop())

    def _check_ports(self, specs: Sequence[ContainerSpec], replaced: Sequence[Any]) -> None:
        """PortInUse for the first port to publish that something else already holds."""
        ours = {c.name for c in replaced}
        holders: dict[int, str] | None = None
        for spec in specs:
            for host, port in spec.ports.values():
                if holders is None:
                    holders = self._port_holders()
                holder = holders.get(port)
                if holder in ours:
                    continue  # ours, and about to be replaced
                if holder is not None:
                    raise PortInUse(port, f"container {holder}")
                check_port(host, port)

    def _ensure_network(self, stack: str, progress: Progress) -> bool:
        """The stack's one network: found by label, created once, duplicates removed.

        Docker allows several networks of one name; containers then cannot join
        "an ambiguous" name. Older promdash versions, racing, could make two:
        the one with containers attached (else the oldest) is kept.
        """
        name = network_name(stack)
        found = [
            n
            for n in self.client.networks.list(filters={"label": f"{LABEL_STACK}={stack}"})
            if n.name == name
        ]
        if not found:
            self.client.networks.create(name, driver="bridge", labels=network_labels(stack))
            progress(f"network {name}: created")
            return True
        if len(found) > 1:
            for network in found:
                network.reload()  # `list` leaves out which containers are attached
            found.sort(key=lambda n: (not n.attrs.get("Containers"), n.attrs.get("Created", "")))
            for extra in found[1:]:
                with contextlib.suppress(docker.errors.NotFound):
                    extra.remove()
                progress(f"network {name}: removed a duplicate ({extra.short_id})")
        return False

    def _ensure_volume(self, stack: str, progress: Progress) -> bool:
        name = volume_name(stack)
        try:
            self.client.volumes.get(name)
            return False
        except docker.errors.NotFound:
            self.client.volumes.create(name, labels=volume_labels(stack))
            progress(f"volume {name}: created")
            return True

    def _wait_ready(
        self, state: StackState, specs: Sequence[ContainerSpec], deadline: float, progress: Progress
    ) -> None:
        for spec in specs:
            container = self.client.containers.get(spec.name)
            path = READY_PATHS.get(spec.service, "/metrics")
            wait_http(
                state.urls[spec.service] + path,
                service=spec.service,
                deadline=deadline,
                last_log=lambda c=container: _log_tail(c, 5),  # type: ignore[misc]
                alive=lambda c=container: _running(c),  # type: ignore[misc]
            )
            progress(f"{spec.service}: ready at {state.urls[spec.service]}")
        exporters = [s for s in specs if s.service not in ("prometheus", "grafana")]
        wait_targets(
            state.prometheus_url, expected=1 + len(exporters), deadline=deadline, progress=progress
        )

    def down(
        self, state: StackState, *, volumes: bool = False, progress: Progress = no_progress
    ) -> None:
        self.remove_stack(state.name, volumes=volumes, progress=progress)
        state.forget()

    def remove_stack(
        self, stack: str, *, volumes: bool = False, progress: Progress = no_progress
    ) -> None:
        """Remove everything labelled with the stack's name; works without a state file."""
        selector = {"label": f"{LABEL_STACK}={stack}"}
        containers = self.client.containers.list(all=True, filters=selector)
        _parallel(_remove_container, containers)
        for container in containers:
            progress(f"{_service_of(container)}: removed")
        for network in self.client.networks.list(filters=selector):
            with contextlib.suppress(docker.errors.NotFound):
                network.remove()
            progress(f"network {network.name}: removed")
        if volumes:
            for volume in self.client.volumes.list(filters=selector):
                with contextlib.suppress(docker.errors.NotFound):
                    volume.remove(force=True)
                progress(f"volume {volume.name}: removed")

    def find(self, name: str) -> StackState | None:
        """The stack from its labelled containers, for when state.json cannot say."""
        containers = self._containers(name)
        if not containers:
            return None
        state = StackState(name=name, runtime="docker", stack_file="", prometheus_url="")
        starts = []
        for service, container in sorted(containers.items()):
            state.stack_file = container.labels.get(LABEL_STACK_FILE) or state.stack_file
            bindings = (container.attrs.get("HostConfig") or {}).get("PortBindings") or {}
            ports = [b.get("HostPort") for spec in bindings.values() for b in spec or ()]
            if ports and ports[0]:
                state.urls[service] = f"http://127.0.0.1:{ports[0]}"
            started = _parse_started((container.attrs.get("State") or {}).get("StartedAt"))
            if started is not None:
                starts.append(started)
        state.prometheus_url = state.urls.get("prometheus", "")
        state.started_at = min(starts, default=time.time())
        return state

    def found_stacks(self) -> list[str]:
        return self.labelled_stacks()

    def status(self, state: StackState) -> list[ServiceStatus]:
        containers = self._containers(state.name)
        rows = []
        for service in [*state.urls, *sorted(set(containers) - set(state.urls))]:
            container = containers.get(service)
            url = state.urls.get(service, "")
            if container is None:
                rows.append(ServiceStatus(service, "missing", "", url, None))
                continue
            docker_state: dict[str, Any] = container.attrs.get("State", {})
            running = container.status == "running"
            health = str((docker_state.get("Health") or {}).get("Status", ""))
            if running and not health and url:
                health = http_health(service, url)
            rows.append(
                ServiceStatus(
                    name=service,
                    state=str(container.status),
                    health=health,
                    url=url,
                    started_at=_parse_started(docker_state.get("StartedAt")) if running else None,
                    detail=f"container {container.name} ({container.short_id})",
                )
            )
        return rows

    def stop_service(self, state: StackState, service: str) -> None:
        self._container(state, service).stop(timeout=STOP_TIMEOUT_SECONDS)

    def start_service(self, state: StackState, service: str) -> None:
        self._container(state, service).start()

    def restart_service(self, state: StackState, service: str) -> None:
        self._container(state, service).restart(timeout=STOP_TIMEOUT_SECONDS)

    def logs(
        self, state: StackState, service: str, *, follow: bool = False, tail: int = 100
    ) -> Iterator[str]:
        container = self._container(state, service)
        if not follow:
            text = container.logs(tail=tail).decode("utf-8", "replace")
            yield from text.splitlines()
            return
        pending = ""
        for chunk in container.logs(stream=True, follow=True, tail=tail):
            pending += chunk.decode("utf-8", "replace")
            *lines, pending = pending.split("\n")
            yield from lines
        if pending:
            yield pending


# ---------------------------------------------------------------- helpers


def _write_config(directory: Path, files: Mapping[str, str]) -> None:
    # Readable by the container's user (Prometheus runs as nobody): the
    # configuration holds no secrets, and a strict umask must not hide it.
    # The stack's directory above it stays owner-only; the engine mounts this one.
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name, text in files.items():
        atomic_write(directory / name, text, mode=0o644)


def _remove_container(container: Any) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        if container.status == "running":
            container.stop(timeout=STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(docker.errors.NotFound):
        try:
            container.remove(v=True, force=True)
        except docker.errors.APIError as exc:
            # Another `down` got there first.
            if "already in progress" not in str(exc):
                raise


def _service_of(container: Any) -> str:
    return str(container.labels.get(LABEL_SERVICE, container.name))


def _running(container: Any) -> bool:
    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return bool(container.status == "running")


def _log_tail(container: Any, lines: int) -> str:
    try:
        return bytes(container.logs(tail=lines)).decode("utf-8", "replace")
    except docker.errors.DockerException:
        return ""
