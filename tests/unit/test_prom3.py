"""What Prometheus 3 answers, through promdash's client and commands.

No Prometheus 3 runs here: its answers in tests/data/prom3 were built by hand
from the upstream API documentation (not recorded), and a real HTTP server
(tests/integration/prom3_server.py) serves them. They carry what 2.x did not
send: native histograms in query results (`histogram`, `histograms`), UTF-8
metric and label names, `le="1.0"`, targets' `globalUrl`, rules' `keepFiringFor`
and alerts' `keepFiringSince`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promdash.config import Connection
from promdash.errors import BadResponseError
from promdash.present.output import legend
from promdash.present.text import distinct_name, legend_common
from promdash.prom import wire
from promdash.prom.client import PromClient
from promdash.prom.types import Histogram, HistogramBucket
from tests.integration.prom3_server import PROM3, Prom3Server
from tests.integration.test_query_cli import child_env, in_terminal, run

DURATION = '{"http.server.request.duration_seconds"}'  # native histograms
ACTIVE = '{"http.server.active_requests"}'  # a gauge with a UTF-8 name
AT = time.strftime("%H:%M:%S", time.localtime(1735689600))  # the answers' last sample


@pytest.fixture
def prom3() -> Iterator[Prom3Server]:
    with Prom3Server() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No running promdash stack (another test's) is found for Alertmanager's side.
    return child_env(PROMDASH_STATE_DIR=str(tmp_path), PROMDASH_CONFIG=str(tmp_path / "c.yaml"))


def promdash(env: dict[str, str], *args: str) -> str:
    result = run(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def rows(table: str) -> list[list[str]]:
    """A table's rows as cells (columns are two or more spaces apart)."""
    return [[c.strip() for c in line.split("  ") if c.strip()] for line in table.splitlines()]


# ---------------------------------------------------------------- the client


async def test_the_client_decodes_native_histograms_beside_floats(prom3: Prom3Server) -> None:
    async with PromClient(Connection(prom3.url)) as client:
        instant = await client.query(DURATION)
        ranged = await client.query_range(DURATION, 1735689480, 1735689600, 60)
    cart, pay = instant.vector
    assert cart.metric["service.name"] == "checkout"
    assert math.isnan(cart.value)
    assert cart.histogram is not None
    assert (cart.histogram.count, cart.histogram.sum) == (10, 20)
    assert cart.histogram.buckets[2] == HistogramBucket(3, -0.001, 0.001, 2)  # the zero bucket
    assert sum(b.count for b in cart.histogram.buckets) == 10
    assert pay.histogram == Histogram(0, 0, [])  # no observation: no buckets sent

    only_histograms, both = ranged.matrix
    assert (only_histograms.timestamps, only_histograms.values) == ([], [])
    assert [(at, h.count) for at, h in only_histograms.histograms] == [
        (1735689480, 6),
        (1735689540, 8),
        (1735689600, 10),
    ]
    assert (both.timestamps, both.values) == ([1735689480, 1735689540], [0.25, 0.5])
    assert [at for at, _ in both.histograms] == [1735689600]


@given(
    count=st.sampled_from(["10", "+Inf", "NaN", "abc", "", 3, None, [1]]),
    bucket=st.lists(st.sampled_from([0, 3, "1", "+Inf", "x", None]), max_size=5),
)
def test_a_histogram_of_any_shape_decodes_or_is_one_bad_answer(count: Any, bucket: Any) -> None:
    answer = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {}, "histogram": [1, {"count": count, "sum": "1", "buckets": [bucket]}]}
            ],
        },
    }
    try:
        result = wire.decode_query(json.dumps(answer).encode())
    except BadResponseError as exc:
        assert "data.result[0].histogram" in str(exc)
    else:
        (sample,) = result.vector
        assert sample.histogram is not None
        assert len(sample.histogram.buckets) == 1


def test_a_bad_histogram_count_is_named() -> None:
    answer = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {}, "histograms": [[1, {"count": "many", "sum": "1"}]]}],
        },
    }
    with pytest.raises(BadResponseError) as caught:
        wire.decode_query(json.dumps(answer).encode())
    assert "data.result[0].histograms[0][1].count: expected a number string, got 'many'" in str(
        caught.value
    )


# ---------------------------------------------------------------- the commands


def test_query_prints_native_histograms_by_count_sum_and_buckets(
    prom3: Prom3Server, env: dict[str, str]
) -> None:
    out = promdash(env, "query", DURATION, "--url", prom3.url)
    assert rows(out) == [
        ["SERIES", "VALUE"],
        [
            '{"http.server.request.duration_seconds", "http.route"="/cart",'
            ' "service.name"="checkout"}',
            "histogram: count 10, sum 20, 8 buckets",
        ],
        [
            '{"http.server.request.duration_seconds", "http.route"="/pay",'
            ' "service.name"="checkout"}',
            "histogram: count 0, sum 0, 0 buckets",
        ],
    ]
    document = json.loads(promdash(env, "query", DURATION, "--url", prom3.url, "--json"))
    served = json.loads((PROM3 / "query_native_histogram.json").read_text())["data"]["result"]
    assert [item["value"] for item in document["result"]] == [None, None]
    cart = document["result"][0]["histogram"]
    assert (cart["count"], cart["sum"]) == (10, 20)
    assert cart["buckets"] == [
        [rule, float(lower), float(upper), float(count)]
        for rule, lower, upper, count in served[0]["histogram"][1]["buckets"]
    ]
    table = list(
        csv.reader(io.StringIO(promdash(env, "query", DURATION, "--url", prom3.url, "--csv")))
    )
    assert table[0] == [
        "__name__", "http.route", "service.name", "timestamp", "value",
        "histogram_count", "histogram_sum",
    ]  # fmt: skip
    assert [row[3:] for row in table[1:]] == [
        ["1735689600.0", "", "10.0", "20.0"],
        ["1735689600.0", "", "0.0", "0.0"],
    ]


def test_range_query_summarises_histogram_series(prom3: Prom3Server, env: dict[str, str]) -> None:
    out = promdash(env, "query", DURATION, "--range", "5m", "--url", prom3.url)
    latest = "histogram: count 10, sum 20, 8 buckets"
    assert [row[1:] for row in rows(out)] == [
        ["POINTS", "MIN", "MAX", "LAST", "AT"],
        ["3", "-", "-", latest, AT],  # histograms only: no float to take a min of
        ["3", "0.25", "0.5", latest, AT],  # floats, then a histogram
    ]
    table = list(
        csv.reader(
            io.StringIO(
                promdash(env, "query", DURATION, "--range", "5m", "--url", prom3.url, "--csv")
            )
        )
    )
    pay = [row[3:] for row in table[1:] if row[1] == "/pay"]
    assert pay == [
        ["1735689480.0", "0.25", "", ""],
        ["1735689540.0", "0.5", "", ""],
        ["1735689600.0", "", "10.0", "20.0"],
    ]
    document = json.loads(
        promdash(env, "query", DURATION, "--range", "5m", "--url", prom3.url, "-o", "json")
    )
    assert [len(s.get("histograms", [])) for s in document["result"]] == [3, 1]
    assert [len(s["values"]) for s in document["result"]] == [0, 2]


def test_a_legend_quotes_utf8_names_inside_the_braces(prom3: Prom3Server) -> None:
    answer = (PROM3 / "query_range_utf8_gauge.json").read_bytes()
    series = wire.decode_query(answer, "/api/v1/query_range").matrix
    assert legend(series, color=False, width=100).splitlines() == [
        'all: {"http.server.active_requests", "service.name"="checkout"}',
        '-- "http.request.method"="GET"   3   -- "http.request.method"="POST"  1',
    ]
    # In a terminal: the plot, and histograms' latest count and sum in the legend.
    code, screen, err = in_terminal(
        ["query", DURATION, "--range", "5m", "--url", prom3.url], lambda _: False, columns=100
    )
    assert code == 0, err
    assert 'all: {"http.server.request.duration_seconds", "service.name"="checkout"}' in screen
    entries = [line for line in screen.splitlines() if '"http.route"' in line]
    assert entries and all(line.count("count 10, sum 20") == 2 for line in entries)


def test_a_utf8_name_without_other_labels_is_still_quoted_in_braces() -> None:
    common = legend_common([{"__name__": "a.b"}, {"__name__": "up"}])
    assert distinct_name({"__name__": "a.b"}, common) == '{"a.b"}'
    assert distinct_name({"__name__": "up"}, common) == "up"


def test_utf8_names_and_3_0_le_values_are_printed_as_promql_writes_them(
    prom3: Prom3Server, env: dict[str, str]
) -> None:
    out = promdash(env, "query", ACTIVE, "--url", prom3.url)
    assert rows(out)[1] == [
        '{"http.server.active_requests", "http.request.method"="GET", "service.name"="checkout"}',
        "3",
    ]
    buckets = promdash(
        env, "query", 'http_request_duration_seconds_bucket{job="api"}', "--url", prom3.url
    )
    assert [row[0] for row in rows(buckets)[1:]] == [
        f'http_request_duration_seconds_bucket{{job="api", le="{le}"}}'
        for le in ("0.1", "1.0", "+Inf")
    ]


def test_targets_and_alerts_of_prometheus_3(prom3: Prom3Server, env: dict[str, str]) -> None:
    targets = promdash(env, "targets", "--url", prom3.url)
    assert targets.splitlines()[0] == "node_exporter  1/2 up"
    assert '"k8s.namespace.name"="monitoring"' in targets
    assert "connect: connection refused" in targets
    document = json.loads(promdash(env, "targets", "--url", prom3.url, "--json"))
    assert [(p["pool"], p["up"], p["total"]) for p in document["pools"]] == [
        ("node_exporter", 1, 2),
        ("prometheus", 1, 1),
    ]
    alerts = promdash(env, "alerts", "--url", prom3.url)
    down = next(line for line in alerts.splitlines() if "InstanceDown" in line)
    assert down.startswith("firing")
    assert '"k8s.namespace.name"="monitoring"' in down
    assert alerts.rstrip().endswith("2 firing alerts (2 rules), 0 pending alerts, 1 inactive rule")
    found = json.loads(promdash(env, "alerts", "--url", prom3.url, "--json"))["alerts"]
    assert [(a["name"], a["state"], a["forSeconds"]) for a in found] == [
        ("HighRequestLatency", "firing", 600),
        ("InstanceDown", "firing", 60),
        ("DiskAlmostFull", "inactive", 300),
    ]
