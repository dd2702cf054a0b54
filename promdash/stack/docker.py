"""Runtime "docker": the stack as containers on one user-defined bridge network.

What each container looks like is decided by the pure functions of
`docker_specs`; this module talks to the engine. `down` finds a stack by label
alone, and `up` keeps each running container whose spec hash matches the spec
it wants, recreating what changed.

About 470 lines: one engine client's whole lifecycle (up with its rollback,
down, status, service actions, logs, finding a stack by label) shares the
labelled lookups; the pure specs and the images are modules of their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from promdash.errors import PortInUse, PromdashError, RuntimeUnavailable
from promdash.files import atomic_write
from promdash.stack import render
from promdash.stack.docker_images import Images, short_error
from promdash.stack.docker_specs import (
    LABEL_MANAGED,
    LABEL_SERVICE,
    LABEL_SPEC_HASH,
    LABEL_STACK,
    LABEL_STACK_FILE,
    ContainerSpec,
    alertmanager_files,
    config_dir,
    container_specs,
    generated_files,
    network_labels,
    network_name,
    volume_labels,
    volume_name,
)
from promdash.stack.model import Stack
from promdash.stack.runtime import (
    Progress,
    ServiceStatus,
    check_port,
    http_health,
    no_progress,
    ready_path,
    wait_http,
    wait_targets,
)
from promdash.stack.state import (
    RuntimeName,
    StackState,
    grafana_password,
    private_stack_dir,
)
from promdash.timefmt import parse_rfc3339

# Short, because every demo service exits on SIGTERM/SIGINT at once; the engine
# kills whatever is still running after this.
STOP_TIMEOUT_SECONDS = 2
# API calls other than streams (logs, builds) answer in well under this.
API_TIMEOUT_SECONDS = 30


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
        self.images = Images(self.client)

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
        image_ids = self.images.ensure(stack, specs, progress)
        for service in list(kept):
            spec = next(s for s in specs if s.service == service)
            if existing[service].attrs.get("Image") != image_ids[spec.image]:
                progress(f"{service}: image {spec.image} changed")
                kept.discard(service)
                replaced.append(existing[service])
        to_create = [s for s in specs if s.service not in kept]

        if any(s.service == "grafana" for s in specs):
            grafana_password(stack.name)
        wanted_stack = stack.leaving_out(without)
        _write_config(config_dir(directory), generated_files(wanted_stack))
        render.check_rules(stack, config_dir(directory) / render.RULES_FILE)
        if wanted_stack.alertmanager.enabled:
            am_dir = config_dir(directory, "alertmanager")
            _write_config(am_dir, alertmanager_files(wanted_stack))
            render.check_alertmanager(wanted_stack, am_dir / render.ALERTMANAGER_FILE)
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
        made_network = False
        made_volumes: list[str] = []
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
            for spec in to_create:
                for mount in spec.mounts:
                    if mount.kind == "volume" and self._ensure_volume(
                        stack.name, spec.service, progress
                    ):
                        made_volumes.append(mount.source)

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
                        f"{spec.service}: the Docker engine refused to run it: {short_error(exc)}"
                    ) from None
                progress(f"{spec.service}: started ({spec.name})")

            _parallel(create, to_create)
            self.images.remove_superseded()
            self._wait_ready(state, stack, specs, deadline, progress)
        except BaseException as exc:
            # Undo what this run made; what was kept keeps running. Should the
            # engine itself fail here, the labels still let `down` find the rest.
            with contextlib.suppress(docker.errors.DockerException, requests.RequestException):
                _parallel(_remove_container, created)
                if not kept:
                    if made_network:
                        self.client.networks.get(network_name(stack.name)).remove()
                    for volume in made_volumes:
                        self.client.volumes.get(volume).remove(force=True)
            if not kept:
                state.forget()
            if isinstance(exc, docker.errors.DockerException | requests.RequestException):
                raise PromdashError(
                    f"the Docker engine failed during `up`: {short_error(exc)}"
                ) from None
            raise
        return state

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

    def _ensure_volume(self, stack: str, service: str, progress: Progress) -> bool:
        name = volume_name(stack, service)
        try:
            self.client.volumes.get(name)
            return False
        except docker.errors.NotFound:
            self.client.volumes.create(name, labels=volume_labels(stack, service))
            progress(f"volume {name}: created")
            return True

    def _wait_ready(
        self,
        state: StackState,
        stack: Stack,
        specs: Sequence[ContainerSpec],
        deadline: float,
        progress: Progress,
    ) -> None:
        for spec in specs:
            container = self.client.containers.get(spec.name)
            path = ready_path(spec.service)
            wait_http(
                state.urls[spec.service] + path,
                service=spec.service,
                deadline=deadline,
                last_log=lambda c=container: _log_tail(c, 5),  # type: ignore[misc]
                alive=lambda c=container: _running(c),  # type: ignore[misc]
            )
            progress(f"{spec.service}: ready at {state.urls[spec.service]}")
        names = {e.name for e in stack.exporters.instances}
        exporters = [s for s in specs if s.service in names]
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
