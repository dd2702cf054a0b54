"""`promdash backtest` as users run it, against Debian's real Prometheus.

The Prometheus here evaluates rules on the clock, `floor(vector(time()) / 10) % 2 == 1`
(returned during every odd ten seconds), so each backtest's answer is known exactly
from the ticks it reports, and the same rule name sits in two groups. Whether the
backtest agrees with what Prometheus itself did on real data is
test_backtest_ground_truth.py's.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.prometheus import running_prometheus
from tests.integration.test_client import free_port
from tests.integration.test_query_cli import in_terminal, promdash, run

pytestmark = pytest.mark.prometheus

CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 2s
rule_files: [rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""

# OddTens is returned from 10(2k+1) s to 10(2k+2) s (Unix time), every other ten seconds.
ODD_TENS = "floor(vector(time()) / 10) % 2 == 1"
RULES = f"""\
groups:
  - name: clock
    interval: 1s
    rules:
      - alert: OddTens
        expr: {ODD_TENS}
        for: 3s
        labels: {{severity: page}}
      - alert: Twice
        expr: vector(1)
  - name: copies
    rules:
      - alert: Twice
        expr: vector(1)
      - alert: Paired
        expr: vector(1)
        labels: {{severity: warning}}
      - alert: Paired
        expr: vector(2)
        labels: {{severity: critical}}
"""


@dataclass
class ClockPrometheus:
    url: str
    directory: Path


@pytest.fixture(scope="module")
def clock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockPrometheus]:
    """A Prometheus with 36 s of history: the tests ask for up to its last 24 s, and the
    backtest reaches back (never before the oldest sample) to where OddTens last turned
    on, up to 10 s earlier, to know its state at the start; with less, whether the
    first stretch is known depended on where the clock stood."""
    directory = tmp_path_factory.mktemp("backtest-prometheus")

    def ready(url: str) -> bool:
        groups = httpx.get(f"{url}/api/v1/rules", timeout=2).json()["data"]["groups"]
        evaluated = all(g["lastEvaluation"][:4] != "0001" for g in groups)
        metrics = httpx.get(f"{url}/metrics", timeout=2).text
        oldest = re.search(r"^prometheus_tsdb_lowest_timestamp_seconds (\S+)$", metrics, re.M)
        return evaluated and time.time() - float(oldest.group(1)) > 36  # type: ignore[union-attr]

    with running_prometheus(
        directory, CONFIG, rules=RULES, ready=ready, what="evaluate its rules", timeout=90
    ) as started:
        yield ClockPrometheus(started.url, directory)


@pytest.fixture(autouse=True)
def _no_ambient_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN", "NO_COLOR", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "no-config.yaml"))


Stretch = tuple[str, float, float | None]


def odd_tens(first: float, every: float, count: int, hold: float) -> list[Stretch]:
    """The stretches OddTens has at ticks first + i * every, worked out from the clock;
    the ticks of the 30 s before `first` (more than an on-off cycle) set the state at it
    (one going on there is cut at `first`)."""
    warm = math.ceil(30 / every)
    ticks = [round(first + i * every, 3) for i in range(-warm, count)]
    out: list[Stretch] = []
    since: float | None = None
    for t in ticks:
        here = math.floor(t / 10) % 2 == 1
        if here and since is None:
            since = t
        elif not here and since is not None:
            out += stretches(since, t, hold)
            since = None
    if since is not None:
        out += stretches(since, None, hold)
    last = ticks[-1]
    cut = [
        (state, max(start, round(first, 3)), None if end is None or end > last else end)
        for state, start, end in out
        if start <= last and (end is None or end > first)
    ]
    return cut


def stretches(since: float, until: float | None, hold: float) -> list[Stretch]:
    fires = since + hold
    if until is not None and fires >= until:
        return [("pending", since, until)]
    return [*([("pending", since, fires)] if hold else []), ("firing", fires, until)]


def intervals(alert: dict[str, object]) -> list[Stretch]:
    found = []
    for i in alert["intervals"]:  # type: ignore[attr-defined]
        end = i["end"]
        found.append((i["state"], round(i["start"], 3), None if end is None else round(end, 3)))
    return found


def backtest_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = promdash(capsys, "backtest", *args, "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- answers


def test_a_server_rule_by_name_pending_then_firing_on_the_groups_ticks(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    end = time.time()
    doc = backtest_json(
        capsys, "OddTens", "--url", clock.url, "--start", repr(end - 22), "--end", repr(end)
    )
    assert doc["rule"] == {
        "name": "OddTens",
        "source": "server",
        "group": "clock",
        "file": str(clock.directory / "rules.yml"),
        "expr": ODD_TENS,
        "forSeconds": 3.0,
        "keepFiringForSeconds": 0.0,
        "labels": {"severity": "page"},
    }
    # The group's own interval (1s), not the server's evaluation_interval (2s).
    assert doc["everySeconds"] == 1.0 and doc["everyFrom"] == "the interval of group clock"
    assert doc["evaluations"] == 22 and doc["queries"] == 1
    [alert] = doc["alerts"]
    assert alert["labels"] == {"alertname": "OddTens", "severity": "page"}
    assert intervals(alert) == odd_tens(doc["firstEvaluation"], 1.0, 22, hold=3.0)
    assert alert["timesFired"] == sum(s == "firing" for s, _, _ in intervals(alert))


def test_the_ticks_fall_where_the_server_evaluates_the_group(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prometheus stamps ALERTS at its ticks, to the millisecond: so are the backtest's.
    doc = backtest_json(capsys, "OddTens", "--url", clock.url, "--range", "10s")
    query = {"query": 'ALERTS{alertname="OddTens"}[20s]'}
    found = httpx.get(f"{clock.url}/api/v1/query", params=query).json()["data"]["result"]
    stamps = {round(t * 1000) for series in found for t, _ in series["values"]}
    assert stamps
    first = round(doc["firstEvaluation"] * 1000)
    assert {(t - first) % 1000 for t in stamps} == {0}


def test_long_ranges_are_asked_in_chunks_and_joined_without_a_seam(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    # About 12,000 ticks of 2 ms: two range queries (10,000 ticks each at most).
    end = time.time()
    doc = backtest_json(
        capsys, "OddTens", "--url", clock.url, "--every", "2ms",
        "--start", repr(end - 24), "--end", repr(end - 0.002),
    )  # fmt: skip
    count = doc["evaluations"]
    assert 11_999 <= count <= 12_000 and doc["queries"] == 2
    [alert] = doc["alerts"]
    assert intervals(alert) == odd_tens(doc["firstEvaluation"], 0.002, count, hold=3.0)


def test_for_and_labels_change_a_named_rule(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = backtest_json(
        capsys, "OddTens", "--url", clock.url, "--range", "22s", "--for", "0s",
        "--labels", "team=ops",
    )  # fmt: skip
    [alert] = doc["alerts"]
    assert alert["labels"] == {"alertname": "OddTens", "severity": "page", "team": "ops"}
    assert {i["state"] for i in alert["intervals"]} == {"firing"}  # for 0: never pending


def test_an_inline_rule_with_keep_firing_for_and_the_servers_interval(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    end = time.time()
    doc = backtest_json(
        capsys, "--url", clock.url, "--expr", ODD_TENS, "--keep-firing-for", "5s",
        "--start", repr(end - 22), "--end", repr(end),
    )  # fmt: skip
    assert doc["rule"]["name"] == "Backtest" and doc["rule"]["source"] == "inline"
    assert doc["everySeconds"] == 2.0 and doc["everyFrom"] == "the server's evaluation_interval"
    [alert] = doc["alerts"]
    for stretch in alert["intervals"]:
        if stretch["end"] is not None:
            # Returned until the first tick of an even ten, kept firing 5 s (2 s ticks: 6 s).
            assert math.floor(stretch["end"] / 10) % 2 == 0
            assert stretch["end"] % 10 >= 5


def held(clock: ClockPrometheus, seconds: float) -> None:
    """Wait until the server holds `seconds` of history."""
    deadline = time.monotonic() + 120
    while True:
        metrics = httpx.get(f"{clock.url}/metrics", timeout=5).text
        found = re.search(r"^prometheus_tsdb_lowest_timestamp_seconds (\S+)$", metrics, re.M)
        if found and time.time() - float(found.group(1)) > seconds:
            return
        assert time.monotonic() < deadline, f"the server did not hold {seconds} s in 2 min"
        time.sleep(1)


def test_keep_firing_for_through_short_gaps_asks_back_until_the_state_is_known(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    # Returned at every second until `since`, then missing one second in five: with for
    # 10s and keep_firing_for 10s, Prometheus fires 10 s after it first saw it and never
    # stops. The range starts 25 s after `since`: past the warm-up for and keep span.
    held(clock, 60)
    end = math.floor(time.time()) - 1.0
    start, since = end - 20, end - 45
    expr = f"vector(1) unless on() (vector(time()) > {since} and vector(time()) % 5 < 1)"
    doc = backtest_json(
        capsys, "--url", clock.url, "--expr", expr, "--for", "10s", "--keep-firing-for", "10s",
        "--every", "1s", "--start", repr(start), "--end", repr(end),
    )  # fmt: skip
    [alert] = doc["alerts"]
    assert intervals(alert) == [("firing", start, None)] and alert["knownFrom"] is None
    assert alert["intervals"][0]["beforeStart"] and doc["queries"] >= 2
    assert doc["firstAsked"] <= since - 10
    # Missing one second in five as far back as the server holds: its state is not known.
    flapping = "vector(1) unless on() (vector(time()) % 5 < 1)"
    code, out, err = promdash(
        capsys, "backtest", "--url", clock.url, "--expr", flapping, "--for", "10s",
        "--keep-firing-for", "10s", "--every", "1s", "--start", repr(start), "--end", repr(end),
    )  # fmt: skip
    assert code == 0, err
    # (before some time in the range, or in all of it: where it becomes known depends on
    # how far back the server holds when the test runs)
    assert re.search(r"its state (before \S+|in this range) is not known", out), out
    assert "pending" not in out


def test_a_rule_file_and_a_stack_file(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = backtest_json(
        capsys, "--url", clock.url, "--rules", str(clock.directory / "rules.yml"),
        "--rule", "OddTens", "--range", "20s",
    )  # fmt: skip
    assert doc["rule"]["source"] == "file" and doc["rule"]["group"] == "clock"
    assert doc["everyFrom"] == "the interval of group clock" and doc["alerts"]
    stack = Path(__file__).parents[1] / "data" / "stacks" / "flapping.yaml"
    doc = backtest_json(
        capsys, "--url", clock.url, "--rules", str(stack), "RPCRateFlappingKept", "--range", "20s"
    )
    assert doc["rule"]["forSeconds"] == 2.0 and doc["rule"]["keepFiringForSeconds"] == 3.0
    assert doc["everySeconds"] == 1.0
    assert doc["alerts"] == []  # no demo exporters here: never returned


def test_a_groups_query_offset_moves_the_ticks_into_the_data(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "offset.yml"
    rules.write_text(
        "groups:\n  - name: late\n    interval: 1s\n    query_offset: 250ms\n    rules:\n"
        f"      - alert: OddTens\n        expr: {ODD_TENS}\n"
    )
    doc = backtest_json(
        capsys, "--url", clock.url, "--rules", str(rules), "--rule", "OddTens", "--range", "10s"
    )
    assert round(doc["firstEvaluation"] * 1000) % 1000 == 750
    assert any("query_offset 250ms" in notice for notice in doc["notices"])


def test_csv_has_a_row_per_stretch(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = promdash(
        capsys, "backtest", "OddTens", "--url", clock.url, "--range", "22s", "--csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["alertname", "severity", "state", "start", "end", "seconds"]
    assert {r["state"] for r in rows} <= {"pending", "firing"}
    assert all(r["alertname"] == "OddTens" for r in rows)


def test_a_terminal_gets_a_coloured_strip_per_alert(clock: ClockPrometheus) -> None:
    code, screen, err = in_terminal(
        ["backtest", "OddTens", "--url", clock.url, "--range", "22s"],
        lambda text: "LASTED" in text,
        columns=100,
    )
    assert code == 0, err
    assert "\x1b[31m█" in screen and "\x1b[33m▄" in screen  # firing red, pending yellow
    assert "\x1b[32m▁" in screen  # inactive green, as the Alerts panel colours it
    # In a pipe: the same table, no strip, no colour.
    piped = run("backtest", "OddTens", "--url", clock.url, "--range", "22s")
    assert piped.returncode == 0 and "\x1b" not in piped.stdout and "█" not in piped.stdout
    assert re.search(r"^  firing +\d\d:\d\d:\d\d +", piped.stdout, re.M)


# ---------------------------------------------------------------- errors: one line, an exit code


def test_an_unknown_name_lists_close_ones_and_exits_64(clock: ClockPrometheus) -> None:
    done = run("backtest", "OddTen", "--url", clock.url)
    assert done.returncode == 64
    assert (
        done.stderr == f"promdash: no alerting rule OddTen in {clock.url}; did you mean OddTens?\n"
    )


def test_a_name_in_two_groups_asks_for_group(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run("backtest", "Twice", "--url", clock.url)
    assert done.returncode == 64
    assert "Twice is in 2 groups" in done.stderr and "clock" in done.stderr
    assert "copies" in done.stderr and "--group" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    doc = backtest_json(capsys, "Twice", "--group", "copies", "--url", clock.url, "--range", "5s")
    assert doc["rule"]["group"] == "copies"


def test_rules_of_one_name_in_one_group_are_picked_by_labels(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run("backtest", "Paired", "--url", clock.url)
    assert done.returncode == 64
    assert done.stderr == (
        f"promdash: group copies of {clock.url} has 2 alerting rules Paired: "
        "severity=warning; severity=critical; pick one with --rule-labels NAME=VALUE\n"
    )
    doc = backtest_json(
        capsys, "Paired", "--rule-labels", "severity=critical", "--url", clock.url,
        "--range", "5s",
    )  # fmt: skip
    assert doc["rule"]["expr"] == "vector(2)" and doc["rule"]["labels"] == {"severity": "critical"}
    # The same from the rule file.
    doc = backtest_json(
        capsys, "--rules", str(clock.directory / "rules.yml"), "--rule", "Paired",
        "--rule-labels", "severity=warning", "--url", clock.url, "--range", "5s",
    )  # fmt: skip
    assert doc["rule"]["expr"] == "vector(1)"


def test_labels_take_one_pair_each_and_leave_the_name_alone(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = backtest_json(
        capsys, "--labels", "team=ops", "--labels", "tier=1", "OddTens", "--url", clock.url,
        "--range", "5s",
    )  # fmt: skip
    assert doc["rule"]["name"] == "OddTens" and doc["rule"]["source"] == "server"
    assert doc["rule"]["labels"] == {"severity": "page", "team": "ops", "tier": "1"}


def test_an_expression_that_does_not_parse_says_where_and_exits_1(clock: ClockPrometheus) -> None:
    done = run("backtest", "--url", clock.url, "--expr", "up == bad(", "--range", "10s")
    assert done.returncode == 1
    assert re.fullmatch(r"promdash: bad_data: .*1:\d+: parse error: .*\n", done.stderr)


def test_a_range_before_the_oldest_sample_says_what_there_is_and_exits_11(
    clock: ClockPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run("backtest", "OddTens", "--url", clock.url, "--range", "2h")
    assert done.returncode == 11
    assert re.fullmatch(
        r"promdash: the range starts at .*, before what the server holds: the server's oldest "
        r"sample is from .* \([0-9ms]+ ago\); ask for --range [0-9ms]+ or less, "
        r"or a later --start\n",
        done.stderr,
    )
    done = run("backtest", "OddTens", "--url", clock.url, "--start", "1000", "--end", "2000")
    assert done.returncode == 11
    assert "ends before what the server holds: the server's oldest sample is from" in done.stderr
    done = run("backtest", "OddTens", "--url", clock.url, "--start=-1m", "--end=-2m")
    assert done.returncode == 64 and "the range is empty" in done.stderr
    # The default range (6h) is not the user's choice: it starts at the oldest sample.
    code, out, err = promdash(capsys, "backtest", "OddTens", "--url", clock.url, "--json")
    assert code == 0 and "backtesting from there" in err
    assert json.loads(out)["notices"]


def test_a_range_without_a_tick_is_a_usage_error(clock: ClockPrometheus) -> None:
    # A second without a whole hour in it, ticks every hour (on the hour: an inline rule).
    start = time.time() - 5
    if math.floor(start / 3600) != math.floor((start + 1) / 3600):
        start -= 2
    done = run(
        "backtest", "--expr", "up", "--url", clock.url, "--every", "1h",
        "--start", repr(start), "--end", repr(start + 1),
    )  # fmt: skip
    assert done.returncode == 64
    assert (
        done.stderr
        == "promdash: the range (1s) holds no evaluation every 1h: ask for a longer one\n"
    )


def test_an_unreachable_server_exits_2() -> None:
    done = run("backtest", "OddTens", "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2 and done.stderr.startswith("promdash: cannot reach")
    assert "Traceback" not in done.stderr


def test_bad_rule_files_name_file_line_and_field(tmp_path: Path, clock: ClockPrometheus) -> None:
    bad = tmp_path / "rules.yml"
    bad.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n"
    )
    done = run("backtest", "--url", clock.url, "--rules", str(bad), "--rule", "A")
    assert done.returncode == 3
    assert done.stderr.startswith(f"promdash: {bad}:6: groups.0.rules.0.for: 'soon' is not")
    done = run("backtest", "--url", clock.url, "--rules", str(tmp_path / "none.yml"), "--rule", "A")
    assert done.returncode == 3 and "cannot read rule file" in done.stderr
