"""The local runtime's processes, as /proc tells them (Linux).

Each process carries its start time (guarding against a recycled PID) and the
stack's markers in its environment, so promdash stops only its own processes
and finds them again without a state file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from promdash.stack.state import ProcessRecord

STOP_GRACE_SECONDS = 10.0
# Every process the local runtime starts carries these in its environment, so
# `status` and `down` find it even when state.json is gone or unreadable (as
# the docker runtime finds its containers by label).
MARK_STACK_DIR = "PROMDASH_STACK_DIR"
MARK_SERVICE = "PROMDASH_SERVICE"
MARK_URL = "PROMDASH_SERVICE_URL"
MARK_STACK_FILE = "PROMDASH_STACK_FILE"


def proc_stat(pid: int) -> tuple[int, str] | None:
    """(start time in clock ticks since boot, state letter) of `pid`, from one read of /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19]), fields[0]


def proc_start(pid: int) -> int | None:
    stat = proc_stat(pid)
    return stat[0] if stat else None


def alive(record: ProcessRecord) -> bool:
    stat = proc_stat(record.pid)
    return stat is not None and stat[0] == record.started and stat[1] != "Z"


def marked_processes() -> Iterator[tuple[int, dict[str, str]]]:
    """(pid, PROMDASH_* markers) of each process the local runtime started.

    Only session leaders: a service's own children inherit its environment.
    Processes of other users cannot be read and are skipped.
    """
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            if b"\0" + MARK_SERVICE.encode() + b"=" not in b"\0" + environ:
                continue
            if os.getsid(pid) != pid:
                continue
        except OSError:
            continue
        marks = dict(
            item.split("=", 1)
            for item in environ.decode("utf-8", "replace").split("\0")
            if item.startswith("PROMDASH_") and "=" in item
        )
        yield pid, marks


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0")[:-1]]


def stop(record: ProcessRecord) -> None:
    """SIGTERM the process group, then SIGKILL after a grace period."""
    if not alive(record):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        _reap(record.pid)
        if not alive(record):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, signal.SIGKILL)
    while alive(record):
        _reap(record.pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    # A child of this very process (tests, the dashboard) stays a zombie until waited for.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def started_epoch(pid: int) -> float | None:
    ticks = proc_start(pid)
    if ticks is None:
        return None
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
