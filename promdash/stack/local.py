"""Runtime "local": Prometheus, Alertmanager, Grafana, the exporters and the webhook
receiver as processes of this machine.

Every process runs in its own session so `down` can stop its whole group, and
is recorded in the state directory with its start time, so a recycled PID is
never mistaken for ours.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from promdash.errors import PromdashError, RuntimeUnavailable
from promdash.files import atomic_write, private_dir, private_opener, state_root
from promdash.stack import render
from promdash.stack.model import WEBHOOK_SERVICE, ExporterSpec, Stack, load_stack
from promdash.stack.procs import (
    MARK_SERVICE,
    MARK_STACK_DIR,
    MARK_STACK_FILE,
    MARK_URL,
    alive,
    cmdline,
    marked_processes,
    proc_start,
    proc_stat,
    started_epoch,
    stop,
)
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
    ProcessRecord,
    RuntimeName,
    StackState,
    grafana_password,
    private_stack_dir,
    stack_dir,
)


def find_prometheus() -> str | None:
    return os.environ.get("PROMDASH_PROMETHEUS_BIN") or shutil.which("prometheus")


def find_alertmanager() -> str | None:
    """Debian names Alertmanager's binary `prometheus-alertmanager`; upstream, `alertmanager`."""
    return (
        os.environ.get("PROMDASH_ALERTMANAGER_BIN")
        or shutil.which("prometheus-alertmanager")
        or shutil.which("alertmanager")
    )


def _read_tail(path: str, lines: int = 100) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


class LocalRuntime:
    name: RuntimeName = "local"

    # ------------------------------------------------------------ commands

    def _commands(self, stack: Stack, directory: Path, url: str) -> dict[str, list[str]]:
        host = stack.bind_host
        prometheus = find_prometheus()
        if prometheus is None:
            raise RuntimeUnavailable(
                "no `prometheus` binary on PATH and no Docker engine: install one "
                "(Debian: `apt-get install prometheus`; or start Docker) "
                "or attach to a server with `promdash --url URL`"
            )
        commands = {
            "prometheus": [
                prometheus,
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--storage.tsdb.retention.time={stack.prometheus.retention}",
                f"--web.listen-address={host}:{stack.prometheus.port}",
                f"--web.external-url={url}",
            ]
        }
        alertmanager = find_alertmanager()
        if stack.alertmanager.enabled and alertmanager:
            port = stack.alertmanager.port
            commands["alertmanager"] = [
                alertmanager,
                f"--config.file={directory / render.ALERTMANAGER_FILE}",
                f"--storage.path={directory / 'alertmanager'}",
                f"--web.listen-address={host}:{port}",
                f"--web.external-url=http://127.0.0.1:{port}",
                # One Alertmanager, no peers: without this it would also listen on
                # every interface for gossip, and wait for peers before notifying.
                "--cluster.listen-address=",
            ]
        if stack.webhook_enabled:
            commands[WEBHOOK_SERVICE] = [
                sys.executable,
                "-m",
                "promdash.exporters.webhook",
                f"--listen-address={host}:{stack.alertmanager.webhook.port}",
            ]
        for exporter in stack.exporters.instances:
            commands[exporter.name] = [
                sys.executable,
                "-m",
                "promdash.exporters.random",
                f"--listen-address={host}:{exporter.port}",
                *exporter.args,
            ]
        grafana = shutil.which("grafana-server")
        if stack.grafana.enabled and grafana:
            commands["grafana"] = [grafana, "--homepath", "/usr/share/grafana"]
        return commands

    def _grafana_env(self, stack: Stack, directory: Path, prometheus_url: str) -> dict[str, str]:
        # Grafana reads the admin password from a file so it never appears in `ps`.
        password_file = directory / "grafana-admin-password"
        grafana_password(stack.name)
        return {
            "GF_PATHS_PROVISIONING": str(stack.base_dir / stack.grafana.provisioning),
            "GF_PATHS_DATA": str(directory / "grafana"),
            "GF_SERVER_HTTP_ADDR": stack.bind_host,
            "GF_SERVER_HTTP_PORT": str(stack.grafana.port),
            "GF_SECURITY_ADMIN_PASSWORD__FILE": str(password_file),
            "GF_AUTH_ANONYMOUS_ENABLED": "true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
            "GF_USERS_ALLOW_SIGN_UP": "false",
            "PROMDASH_PROMETHEUS_URL": prometheus_url,
        }

    def _write_config(self, stack: Stack, directory: Path) -> None:
        self_address = f"127.0.0.1:{stack.prometheus.port}"
        alertmanager = f"127.0.0.1:{stack.alertmanager.port}"
        webhook_url = f"http://127.0.0.1:{stack.alertmanager.webhook.port}/"

        def address(exporter: ExporterSpec) -> str:
            return f"127.0.0.1:{exporter.port}"

        atomic_write(
            directory / "prometheus.yml",
            render.prometheus_config(stack, address, self_address, alertmanager),
        )
        atomic_write(directory / render.RULES_FILE, render.rules_file(stack))
        atomic_write(
            directory / render.ALERTMANAGER_FILE, render.alertmanager_config(stack, webhook_url)
        )

    def _spawn(
        self, name: str, command: list[str], state: StackState, env: dict[str, str] | None = None
    ) -> ProcessRecord:
        directory = private_stack_dir(state.name)
        log_path = private_dir(directory / "logs") / f"{name}.log"
        marks = {
            MARK_STACK_DIR: str(directory.resolve()),
            MARK_SERVICE: name,
            MARK_URL: state.urls.get(name, ""),
            MARK_STACK_FILE: state.stack_file,
        }
        # What services log (queries, addresses, errors) is the user's alone.
        with open(log_path, "ab", opener=private_opener) as log:
            os.fchmod(log.fileno(), 0o600)
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=directory,
                env={**os.environ, **(env or {}), **marks},
            )
        started = proc_start(process.pid)
        if started is None:
            raise PromdashError(f"{name} exited at once; see {log_path}")
        return ProcessRecord(process.pid, started, command, str(log_path))

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
        wanted = stack.leaving_out(without)
        if wanted.alertmanager.enabled and find_alertmanager() is None:
            # Left out of the generated files too, so Prometheus sends alerts nowhere.
            progress(
                "alertmanager: skipped (no prometheus-alertmanager here; Debian: "
                "`apt-get install prometheus-alertmanager`; the docker runtime runs it)"
            )
            wanted = wanted.leaving_out(["alertmanager"])
        directory = private_stack_dir(stack.name)
        url = f"http://127.0.0.1:{stack.prometheus.port}"
        commands = self._commands(wanted, directory, url)
        self._write_config(wanted, directory)
        render.check_rules(wanted, directory / render.RULES_FILE)
        render.check_alertmanager(wanted, directory / render.ALERTMANAGER_FILE)
        kept = {
            name: record
            for name, record in (previous.processes if previous else {}).items()
            if name in commands and alive(record) and record.command == commands[name]
        }
        if previous:
            for name, record in previous.processes.items():
                if name not in kept:
                    stop(record)
        ports = stack.ports()
        for name in commands:
            if name not in kept:
                check_port(stack.bind_host, ports[name])

        if wanted.grafana.enabled and "grafana" not in commands:
            progress("grafana: skipped (no grafana-server here; the docker runtime runs it)")
        state = StackState(
            name=stack.name,
            runtime="local",
            stack_file=str(stack.source or ""),
            prometheus_url=url,
            urls={name: f"http://127.0.0.1:{ports[name]}" for name in commands},
            processes=dict(kept),
            without=list(without),
            started_at=previous.started_at if previous and kept else time.time(),
        )
        for name in ("prometheus", "alertmanager"):
            if name in kept:
                # Same config files, new content maybe: SIGHUP makes both reload them (no
                # --web.enable-lifecycle, which would let anyone who reaches them stop them).
                os.kill(kept[name].pid, signal.SIGHUP)
        started: list[str] = []
        try:
            for name, command in commands.items():
                if name in kept:
                    progress(f"{name}: already running (pid {kept[name].pid})")
                    continue
                env = self._grafana_env(stack, directory, url) if name == "grafana" else None
                state.processes[name] = self._spawn(name, command, state, env)
                started.append(name)
                state.save()  # saved after each start so Ctrl-C leaves nothing untracked
                progress(f"{name}: started (pid {state.processes[name].pid})")
            self._wait_ready(state, wanted, deadline, progress)
        except BaseException:
            for name in started:
                stop(state.processes.pop(name))
            if state.processes:
                state.save()
            else:
                state.forget()
            raise
        return state

    def _wait_ready(
        self, state: StackState, stack: Stack, deadline: float, progress: Progress
    ) -> None:
        for name, record in state.processes.items():
            wait_http(
                state.urls[name] + ready_path(name),
                service=name,
                deadline=deadline,
                last_log=lambda r=record: "\n".join(_read_tail(r.log, 5)),  # type: ignore[misc]
                alive=lambda r=record: alive(r),  # type: ignore[misc]
            )
            progress(f"{name}: ready at {state.urls[name]}")
        expected = 1 + len([e for e in stack.exporters.instances if e.name in state.processes])
        wait_targets(state.prometheus_url, expected=expected, deadline=deadline, progress=progress)

    def down(
        self, state: StackState, *, volumes: bool = False, progress: Progress = no_progress
    ) -> None:
        # What is recorded, and whatever else still carries this stack's marker
        # (left by a crash between a start and the state file's next write).
        records = list(state.processes.items())
        found = self.find(state.name)
        if found is not None:
            recorded = {r.pid for _, r in records}
            records += [(n, r) for n, r in found.processes.items() if r.pid not in recorded]
        for name, record in records:
            stop(record)
            progress(f"{name}: stopped")
        state.forget()
        if volumes:
            shutil.rmtree(stack_dir(state.name) / "data", ignore_errors=True)
            shutil.rmtree(stack_dir(state.name) / "grafana", ignore_errors=True)
            shutil.rmtree(stack_dir(state.name) / "alertmanager", ignore_errors=True)

    def find(self, name: str) -> StackState | None:
        """The stack from its running processes' markers, for when state.json cannot say."""
        directory = str(stack_dir(name).resolve())
        state = StackState(name=name, runtime="local", stack_file="", prometheus_url="")
        for pid, marks in marked_processes():
            stat = proc_stat(pid)
            if marks.get(MARK_STACK_DIR) != directory or stat is None or stat[1] == "Z":
                continue
            service = marks[MARK_SERVICE]
            log = stack_dir(name) / "logs" / f"{service}.log"
            state.processes[service] = ProcessRecord(pid, stat[0], cmdline(pid), str(log))
            state.urls[service] = marks.get(MARK_URL, "")
            state.stack_file = marks.get(MARK_STACK_FILE) or state.stack_file
        if not state.processes:
            return None
        state.prometheus_url = state.urls.get("prometheus", "")
        starts = [started_epoch(r.pid) for r in state.processes.values()]
        state.started_at = min((s for s in starts if s is not None), default=time.time())
        return state

    def found_stacks(self) -> list[str]:
        stacks = (state_root() / "stacks").resolve()
        return sorted(
            {
                Path(marks[MARK_STACK_DIR]).name
                for _, marks in marked_processes()
                if Path(marks.get(MARK_STACK_DIR, "/")).parent == stacks
            }
        )

    def status(self, state: StackState) -> list[ServiceStatus]:
        rows = []
        for name, url in state.urls.items():
            record = state.processes.get(name)
            running = record is not None and alive(record)
            started = started_epoch(record.pid) if record and running else None
            rows.append(
                ServiceStatus(
                    name=name,
                    state="running" if running else "stopped",
                    health=http_health(name, url) if running else "",
                    url=url,
                    started_at=started,
                    detail=f"pid {record.pid}" if record and running else "",
                )
            )
        return rows

    def _record(self, state: StackState, service: str) -> ProcessRecord:
        if service not in state.urls:
            raise PromdashError(
                f"no service {service!r} in stack {state.name!r} "
                f"(services: {', '.join(state.urls)})"
            )
        return state.processes[service]

    def stop_service(self, state: StackState, service: str) -> None:
        stop(self._record(state, service))

    def start_service(self, state: StackState, service: str) -> None:
        record = self._record(state, service)
        if alive(record):
            return
        stack = load_stack(Path(state.stack_file)) if state.stack_file else load_stack()
        directory = stack_dir(state.name)
        env = (
            self._grafana_env(stack, directory, state.prometheus_url)
            if service == "grafana"
            else None
        )
        state.processes[service] = self._spawn(service, record.command, state, env)
        state.save()

    def restart_service(self, state: StackState, service: str) -> None:
        self.stop_service(state, service)
        self.start_service(state, service)

    def logs(
        self, state: StackState, service: str, *, follow: bool = False, tail: int = 100
    ) -> Iterator[str]:
        record = self._record(state, service)
        yield from _read_tail(record.log, tail)
        if not follow:
            return
        with open(record.log, encoding="utf-8", errors="replace") as handle:
            handle.seek(0, os.SEEK_END)
            while True:
                line = handle.readline()
                if line:
                    yield line.rstrip("\n")
                else:
                    time.sleep(0.2)
