"""What PromClient holds while it reads a large answer: an alert storm's, from a real
Prometheus (Debian's 2.42, which sends every alert whatever `exclude_alerts` says).

The storm: Prometheus scrapes a small real exporter (a page of STORM series) and three
rules each fire an alert for every series, with a long annotation, as a fleet's rules
do for every target: some 8 MB of rules, the same at every evaluation.
"""

from __future__ import annotations

import contextlib
import threading
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from promdash.config import Connection
from promdash.prom.client import OWN_MAP_ABOVE, PromClient
from promdash.prom.types import RuleGroup
from tests.integration.prometheus import running_prometheus

pytestmark = pytest.mark.prometheus

STORM = 1500  # series on the exporter's page: alerts of each rule
RULE_NAMES = ("StormA", "StormB", "StormC")
PAGE = "".join(f'storm{{n="{n}"}} 1\n' for n in range(STORM)).encode()

CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: exporter
    static_configs: [{{targets: ["{exporter}"]}}]
"""
# Each alert carries the annotation: STORM alerts of some 1.8 kB each, per rule.
RULES = "groups:\n  - name: storm\n    rules:\n" + "".join(
    f"""\
      - alert: {name}
        expr: storm > 0
        annotations:
          description: "{"storm " * 250}{{{{ $labels.n }}}}"
"""
    for name in RULE_NAMES
)


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _exporter() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Storm:
    url: str
    size: int  # bytes of the rules answer, as sent without compression


def _firing(url: str) -> int:
    answer = httpx.get(f"{url}/api/v1/rules?type=alert", timeout=10).json()
    return sum(
        a["state"] == "firing"
        for g in answer["data"]["groups"]
        for r in g["rules"]
        for a in r["alerts"]
    )


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storm]:
    with (
        _exporter() as exporter,
        running_prometheus(
            Path(tmp_path_factory.mktemp("storm")),
            CONFIG,
            rules=RULES,
            ready=lambda url: _firing(url) == STORM * len(RULE_NAMES),
            what=f"fire {STORM * len(RULE_NAMES)} alerts",
            fields={"exporter": exporter},
        ) as started,
    ):
        size = len(httpx.get(f"{started.url}/api/v1/rules?type=alert", timeout=10).content)
        yield Storm(started.url, size)


def _counts(groups: list[RuleGroup]) -> dict[str, tuple[int, int]]:
    return {r.name: (r.count("firing"), len(r.alerts)) for g in groups for r in g.alerting}


async def test_a_storms_answer_is_counted_without_holding_it_in_pythons_heap(
    storm: Storm,
) -> None:
    # Larger than the first map a large body gets: it grows while read.
    assert storm.size > 4 * OWN_MAP_ABOVE
    async with PromClient(Connection(storm.url)) as client:
        await client.build_info()  # the connection is open, its buffers made
        tracemalloc.start()
        try:
            groups = await client.alert_rules(list_up_to=100)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert _counts(groups) == {name: (STORM, 0) for name in RULE_NAMES}
    # httpx's read() held the chunks and their join at once, twice the body, in the
    # heap, where glibc keeps so large a block after the first one was freed: the
    # dashboard kept 60 MB more in a storm. The body is read into memory of its own:
    # the heap holds its first MB (before it is known to be large) and the decoding
    # (one rule's alert states at a time), not the body once.
    assert peak < storm.size / 2


async def test_a_large_compressed_answer_is_read_whole(storm: Storm) -> None:
    # Asked with gzip, as of a server across a network: decompressed as it comes.
    sent = httpx.get(f"{storm.url}/api/v1/rules", headers={"Accept-Encoding": "gzip"})
    assert sent.headers["Content-Encoding"] == "gzip"
    conn = Connection(storm.url, headers={"Accept-Encoding": "gzip"})
    async with PromClient(conn) as client:
        groups = await client.alert_rules(list_up_to=100, also=[("storm", "StormB")])
    assert _counts(groups) == {"StormA": (STORM, 0), "StormB": (STORM, STORM), "StormC": (STORM, 0)}
    listed = next(r for g in groups for r in g.alerting if r.name == "StormB")
    assert sorted(int(a.labels["n"]) for a in listed.alerts) == list(range(STORM))
    assert all(
        a.annotations["description"] == "storm " * 250 + a.labels["n"] for a in listed.alerts
    )
