"""`promdash silences` to first output, beside `amtool silence query`, in one run (issue 11).

    PATH=.venv/bin:$PATH PYTHONPATH=. python bench/bench_silences.py [-n 10]

Starts Debian's Alertmanager (/usr/bin/prometheus-alertmanager: a temporary
config with one receiver and a temporary data directory, a free 127.0.0.1 port,
clustering off) and stops it at the end, also on failure or Ctrl-C. Through its
API v2 it gets 20 silences (one per instance host-00..host-19, two of them regex
matchers) and 5 firing alerts that those silences mute. Then, N times each, in
turn (one untimed warm-up each), as whole processes with stdout a pipe:
`promdash silences --alertmanager-url URL` and
`amtool silence query --alertmanager.url=URL`, each timed from spawn to its first
byte on stdout and to its exit. promdash asks for the silences and the alerts
(to count mutes), amtool for the silences only. Prints median, min and max and
promdash's median over amtool's; then, from one more run of each, that both
listed the same silence IDs (`amtool ... --quiet`) and how many alerts promdash
counts muted (`--json`).
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stackfiles import free_port, stop  # noqa: E402

SILENCES = 20
ALERTS = 5

CONFIG = """\
route:
  receiver: bench
receivers:
  - name: bench
"""


def promdash() -> list[str]:
    """The console script next to this Python, as a user runs it."""
    script = Path(os.path.abspath(sys.executable)).with_name("promdash")
    if script.is_file():
        return [str(script)]
    found = shutil.which("promdash")
    return [found] if found else [sys.executable, "-m", "promdash.cli"]


def require(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if path is None:
        raise SystemExit(f"bench_silences needs {name} (Debian: apt-get install {name})")
    return path


@contextmanager
def local_alertmanager(tmp: Path) -> Iterator[str]:
    """A real Alertmanager, ready when yielded; stopped after."""
    binary = require("prometheus-alertmanager")
    port = free_port()
    (tmp / "alertmanager.yml").write_text(CONFIG)
    log = tmp / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, f"--config.file={tmp / 'alertmanager.yml'}",
             f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             "--cluster.listen-address="],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"alertmanager exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"alertmanager not ready within 30 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)


def fill(url: str) -> None:
    """20 silences and 5 alerts; the first five instances' silences mute one alert each."""
    now = datetime.now(UTC)
    starts, ends = now.isoformat(), (now + timedelta(hours=2)).isoformat()
    for i in range(SILENCES):
        regex = i in (7, 13)  # a couple of regex matchers, as people write them
        matchers = [
            {"name": "alertname", "value": "BenchDown", "isRegex": False, "isEqual": True},
            {"name": "instance", "value": f"host-{i:02d}" + ("|none" if regex else ""),
             "isRegex": regex, "isEqual": True},
        ]  # fmt: skip
        httpx.post(
            f"{url}/api/v2/silences",
            json={"matchers": matchers, "startsAt": starts, "endsAt": ends,
                  "createdBy": "bench", "comment": f"bench silence {i}"},
            timeout=5,
        ).raise_for_status()  # fmt: skip
    alerts = [
        {"labels": {"alertname": "BenchDown", "instance": f"host-{i:02d}", "severity": "critical"},
         "annotations": {"summary": "bench"}, "startsAt": starts}
        for i in range(ALERTS)
    ]  # fmt: skip
    httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    # Until Alertmanager has matched them against the silences, it counts no mutes.
    deadline = time.monotonic() + 30
    while True:
        states = [a["status"]["state"] for a in httpx.get(f"{url}/api/v2/alerts", timeout=5).json()]
        if states.count("suppressed") == ALERTS:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"alerts not silenced within 30 s: {states}")
        time.sleep(0.2)


def timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning `command` to its first byte on stdout, and to its exit."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None
    first = process.stdout.read(1)
    first_at = time.perf_counter() - started
    _, err = process.communicate()
    exit_at = time.perf_counter() - started
    if process.returncode != 0 or not first:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.decode()}")
    return first_at, exit_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="runs of each (default: 10)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("-n must be at least 1")
    amtool = require("amtool")

    with tempfile.TemporaryDirectory(prefix="promdash-bench-silences-") as tmp:
        # promdash finds no config context or running stack of the user's here.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROMDASH_")}
        env |= {"PROMDASH_CONFIG": f"{tmp}/config.yaml", "PROMDASH_STATE_DIR": f"{tmp}/state"}
        with local_alertmanager(Path(tmp)) as url:
            fill(url)
            status = httpx.get(f"{url}/api/v2/status", timeout=5).json()
            version = status["versionInfo"]["version"]
            kinds = {
                "promdash silences": [*promdash(), "silences", "--alertmanager-url", url],
                "amtool silence query": [amtool, "silence", "query", f"--alertmanager.url={url}"],
            }
            for argv in kinds.values():  # warm-up: page cache and bytecode
                timed(argv, env)
            # What is listed: the same silences, and promdash counts the mutes.
            shown = subprocess.run(
                [*kinds["promdash silences"], "--json"], capture_output=True, env=env, check=True
            ).stdout
            listed = json.loads(shown)["silences"]
            ids = subprocess.run(
                [*kinds["amtool silence query"], "--quiet"], capture_output=True, text=True,
                env=env, check=True,
            ).stdout.split()  # fmt: skip
            times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
            for _ in range(args.n):
                for kind, argv in kinds.items():  # in turn: drift hits both alike
                    times[kind].append(timed(argv, env))

    print(
        f"N={args.n} runs each, in turn; Alertmanager {version}, {SILENCES} silences, "
        f"{ALERTS} alerts posted; Python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':<38}{'median':>9}{'min':>9}{'max':>9}")
    medians: dict[str, float] = {}
    for kind, runs in times.items():
        for index, what in ((0, "first output"), (1, "exit")):
            seconds = [run[index] for run in runs]
            medians[f"{kind}: {what}"] = statistics.median(seconds)
            print(
                f"{kind + ': ' + what:<38}{statistics.median(seconds):>8.3f}s"
                f"{min(seconds):>8.3f}s{max(seconds):>8.3f}s"
            )
    for what in ("first output", "exit"):
        ratio = medians[f"promdash silences: {what}"] / medians[f"amtool silence query: {what}"]
        print(f"promdash / amtool, {what}: {ratio:.1f}x (medians)")
    print(
        f"\npromdash listed {len(listed)} silences muting {sum(s['mutes'] for s in listed)} "
        f"alerts; amtool listed {len(ids)} silences"
        f"{', the same IDs' if sorted(ids) == sorted(s['id'] for s in listed) else ', OTHER IDs'}"
    )
    print(f"{' '.join(kinds['promdash silences'][:-1])} URL; {amtool}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Alertmanager was stopped on the way out
        sys.exit(130)
