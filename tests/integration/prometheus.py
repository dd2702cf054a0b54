"""Debian's real Prometheus, started in a directory of its own for a test or a bench.

`running_prometheus` writes the config (and rules) it is given, starts the binary on
a free 127.0.0.1 port, waits until `ready(url)` holds (failing with Prometheus's log
when it exits first or takes too long) and stops it after, killing it if it does
not stop. A missing binary fails the test (never a skip).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.stackfiles import free_port, stop

# Every 1 s, with rules.yml, scraping itself: the start of a test's config (a format
# string: `port` is Prometheus's own), to which it adds its jobs.
SELF_SCRAPE = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""


def binary(name: str, package: str) -> str:
    """The path of a server binary; a missing one fails the test (never a skip)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(f"no {name} binary: apt-get install {package}")
    return path


@dataclass(frozen=True)
class Started:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    directory: Path


def answers_ready(url: str) -> bool:
    return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200


@contextlib.contextmanager
def running_prometheus(
    directory: Path,
    config: str,
    *,
    rules: str | None = None,
    ready: Callable[[str], bool] = answers_ready,
    what: str = "become ready",
    timeout: float = 60,
    args: Sequence[str] = (),
    fields: Mapping[str, object] | None = None,
) -> Iterator[Started]:
    """Prometheus on `config`, a format string given its own `port` and `fields`, ready
    when yielded."""
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "prometheus.yml").write_text(config.format(port=port, **(fields or {})))
    if rules is not None:
        (directory / "rules.yml").write_text(rules)
    log_path = directory / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary("prometheus", "prometheus"),
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited: {log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError, AttributeError):
                if ready(url):
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"prometheus did not {what} within {timeout:g} s")
            time.sleep(0.2)
        yield Started(url, port, process, directory)
    finally:
        stop(process)
