"""`promdash targets|query|tail|alerts|metrics` as users run them, against real servers.

Most commands run in-process through `cli.main` (fast, output captured); the
ones whose point is the process itself (exit codes and stderr without a
traceback, a terminal, Ctrl-C) run as subprocesses, some inside a real pty.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promdash import cli
from tests.conftest import RunningStack
from tests.integration.test_client import (
    OwnPrometheus,
    Reply,
    SmallServer,
    free_port,
    make_certificates,
    needs_token,
    own_prometheus,
    prometheus_like,
)
from tests.unit.test_output_width import check_labels_cell, check_legend, read_alert_table

pytestmark = pytest.mark.prometheus

ESC = "\x1b"


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPrometheus]:
    with own_prometheus(tmp_path_factory.mktemp("prometheus-cli")) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_ambient_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The developer's own server, token, config and terminal size never leak into a test."""
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN", "NO_COLOR", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "no-config.yaml"))


def promdash(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PROMDASH_URL", "PROMDASH_TOKEN")}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env or child_env(),
    )


def in_terminal(
    args: list[str],
    done: Callable[[str], bool],
    *,
    interrupt: bool = False,
    columns: int = 100,
    rows: int = 30,
    timeout: float = 30,
) -> tuple[int, str, str]:
    """Run promdash with stdout on a real pty of the given size; stderr is piped."""
    leader, follower = pty.openpty()
    termios.tcsetwinsize(follower, (rows, columns)) if hasattr(termios, "tcsetwinsize") else None
    import fcntl

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "promdash.cli", *args],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=child_env(TERM="xterm-256color"),
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + timeout

    def pump(until: Callable[[], bool]) -> None:
        nonlocal output
        while not until() and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the pty
                    return
                if not chunk:
                    return
                output += chunk

    pump(lambda: done(output.decode(errors="replace")) or process.poll() is not None)
    if interrupt and process.poll() is None:
        process.send_signal(signal.SIGINT)
    pump(lambda: False) if process.poll() is None else None
    try:
        code = process.wait(max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert process.stderr is not None
    return code, output.decode(errors="replace"), process.stderr.read().decode()


# ---------------------------------------------------------------- targets


def test_targets_table_groups_pools_with_up_counts(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = promdash(capsys, "targets", "--url", prom.url)
    assert code == 0, err
    assert ESC not in out  # not a terminal: no colours
    blocks = out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["closed  0/1 up", "prometheus  1/1 up"]
    header, row = blocks[0].splitlines()[1:]
    assert header.split() == ["ENDPOINT", "HEALTH", "LAST", "SCRAPE", "DURATION", "LABELS",
                              "LAST", "ERROR"]  # fmt: skip
    assert row.split()[:2] == [f"http://{prom.closed}/metrics", "down"]
    # Labels read as PromQL writes them, as in the dashboard (unified in issue 9).
    assert (" ago " in row or " just now " in row) and 'group="canary"' in row
    assert "connection refused" in row
    up_row = blocks[1].splitlines()[2]
    assert up_row.split()[1] == "up"
    assert up_row.rstrip().endswith("-")  # no last error


def test_targets_filters_by_health_and_pool(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    _, down, _ = promdash(capsys, "targets", "--url", prom.url, "--state", "down")
    assert down.startswith("closed  0/1 up") and "prometheus" not in down.split("\n")[0]
    assert "127.0.0.1" in down and "/metrics  up " not in down
    _, pool, _ = promdash(capsys, "targets", "--url", prom.url, "--pool", "prometheus")
    assert pool.startswith("prometheus  1/1 up") and "closed" not in pool
    _, none, _ = promdash(capsys, "targets", "--url", prom.url, "--state", "unknown")
    assert none.strip() == "no targets with health=unknown"


def test_targets_json_is_the_documented_schema(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = promdash(capsys, "targets", "--url", prom.url, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["version"] == 1
    assert document["pools"] == [
        {"pool": "closed", "up": 0, "total": 1},
        {"pool": "prometheus", "up": 1, "total": 1},
    ]
    down = document["targets"][0]
    assert set(down) == {
        "pool", "endpoint", "labels", "health", "lastScrape", "lastScrapeAgoSeconds",
        "lastScrapeDurationSeconds", "lastError", "scrapeInterval",
    }  # fmt: skip
    assert down["health"] == "down" and "connection refused" in down["lastError"]
    assert down["lastScrape"].endswith("Z") and 0 <= down["lastScrapeAgoSeconds"] < 30
    assert down["labels"] == {"group": "canary", "instance": prom.closed, "job": "closed"}
    _, filtered, _ = promdash(capsys, "targets", "--url", prom.url, "--json", "--state", "up")
    assert [t["pool"] for t in json.loads(filtered)["targets"]] == ["prometheus"]


# ---------------------------------------------------------------- query


def test_instant_query_table_json_and_csv(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, table, _ = promdash(capsys, "query", "up", "--url", prom.url)
    assert code == 0
    lines = table.strip().splitlines()
    assert lines[0].split() == ["SERIES", "VALUE"]
    assert sorted(line.split()[-1] for line in lines[1:]) == ["0", "1"]
    assert any(line.startswith('up{group="canary", instance=') for line in lines)

    _, out, _ = promdash(capsys, "query", "up == 1", "--url", prom.url, "--json", "--time=-1s")
    document = json.loads(out)
    assert document["resultType"] == "vector" and document["query"] == "up == 1"
    assert abs(document["time"] - (time.time() - 1)) < 5
    (sample,) = document["result"]
    assert sample["metric"]["job"] == "prometheus" and sample["value"] == 1.0
    assert document["warnings"] == []

    _, out, _ = promdash(capsys, "query", "up", "--url", prom.url, "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["__name__", "group", "instance", "job", "timestamp", "value"]
    assert sorted(r[3] for r in rows[1:]) == ["closed", "prometheus"]

    _, out, _ = promdash(capsys, "query", "1/0", "--url", prom.url, "--json")
    assert json.loads(out)["result"][0]["value"] == "+Inf"  # JSON has no Inf: a string


def test_range_query_outside_a_terminal_is_a_table_json_or_csv(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["query", "time()", "--url", prom.url, "--range", "10s", "--step", "2s"]
    code, table, _ = promdash(capsys, *base)
    assert code == 0 and ESC not in table and "┤" not in table
    header, row = table.strip().splitlines()
    assert header.split() == ["SERIES", "POINTS", "MIN", "MAX", "LAST", "AT"]
    assert row.split()[:2] == ["{}", "6"]

    _, out, _ = promdash(capsys, *base, "--json")
    document = json.loads(out)
    assert document["resultType"] == "matrix" and document["step"] == 2.0
    assert document["end"] - document["start"] == pytest.approx(10)
    (series,) = document["result"]
    assert len(series["values"]) == 6
    assert all(ts == pytest.approx(value) for ts, value in series["values"])

    _, out, _ = promdash(capsys, *base, "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["timestamp", "value"] and len(rows) == 7


def test_range_query_in_a_terminal_draws_a_plot_with_a_legend(prom: OwnPrometheus) -> None:
    code, screen, err = in_terminal(
        ["query", "up", "--url", prom.url, "--range", "1m"], lambda _: False, columns=90, rows=30
    )
    assert code == 0, err
    assert "┤" in screen and "└" in screen  # axes drawn by plotext
    assert "\nall: up\r\n" in screen  # the name both series share, once
    legend = [line for line in screen.splitlines() if 'job="' in line]
    assert len(legend) == 2 and not any("up{" in line for line in legend)
    assert any('job="prometheus"' in line and line.rstrip().endswith("1") for line in legend)
    assert f"{ESC}[38;5;" in screen  # coloured swatches in a terminal


def test_bad_promql_prints_prometheus_message_with_position_and_exits_1(
    prom: OwnPrometheus,
) -> None:
    result = run("query", "sum(rate(up[5m])", "--url", prom.url)
    assert result.returncode == cli.EXIT_ERROR
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("promdash: bad_data: invalid parameter")
    assert "1:17: parse error" in line
    assert "Traceback" not in result.stderr


def test_unreachable_server_exits_2_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for command in (["query", "up"], ["targets"], ["alerts"], ["metrics"], ["tail", "up"]):
        result = run(*command, "--url", url)
        assert result.returncode == cli.EXIT_UNREACHABLE, command
        assert result.stderr == f"promdash: cannot reach {url}: connection refused (is " \
            "Prometheus running there?)\n"  # fmt: skip


# ---------------------------------------------------------------- alerts and metrics


def test_alerts_lists_firing_and_inactive_rules(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = promdash(capsys, "alerts", "--url", prom.url)
    assert code == 0 and ESC not in out
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["STATE", "ALERT", "LABELS"]
    firing, inactive = lines[1], lines[2]
    assert firing.split()[:2] == ["firing", "InstanceDown"]
    assert f'instance="{prom.closed}"' in firing and 'severity="critical"' in firing
    assert " ago " in firing and f'summary="Instance {prom.closed} is down"' in firing
    assert inactive.split()[:2] == ["inactive", "NeverFires"]
    # Alerts where a rule has them, with how many rules; the dashboard counts rules.
    assert lines[-1] == "1 firing alert (1 rule), 0 pending alerts, 1 inactive rule"

    _, only, _ = promdash(capsys, "alerts", "--url", prom.url, "--state", "inactive")
    assert "NeverFires" in only and "InstanceDown" not in only
    _, none, _ = promdash(capsys, "alerts", "--url", prom.url, "--state", "pending")
    assert none.strip() == "no pending alerts (2 alerting rules loaded)"

    _, out, _ = promdash(capsys, "alerts", "--url", prom.url, "--json")
    alerts = json.loads(out)["alerts"]
    assert [(a["name"], a["state"]) for a in alerts] == [
        ("InstanceDown", "firing"),
        ("NeverFires", "inactive"),
    ]
    assert alerts[0]["activeAt"].endswith("Z") and alerts[0]["value"] == "0e+00"
    assert alerts[0]["query"] == "up == 0" and alerts[1]["forSeconds"] == 60.0
    assert alerts[1]["activeAt"] is None and alerts[1]["value"] is None


def test_metrics_lists_names_types_and_help(
    prom: OwnPrometheus, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = promdash(capsys, "metrics", "http_requests", "--url", prom.url)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "HELP"]
    assert lines[1].split()[:3] == ["prometheus_http_requests_total", "counter", "Counter"]

    _, out, _ = promdash(capsys, "metrics", "^up$|^job:", "--url", prom.url, "--json")
    names = {m["name"]: m for m in json.loads(out)["metrics"]}
    # `up` and recording rules have no metadata but are still listed.
    assert set(names) == {"up", "job:up:sum"}
    assert names["up"] == {"name": "up", "type": "", "help": "", "unit": ""}


# ---------------------------------------------------------------- tail


def test_tail_outside_a_terminal_prints_latest_values_until_ctrl_c(prom: OwnPrometheus) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "promdash.cli", "tail", "up", "--every", "500ms",
         "--url", prom.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]  # two refreshes of two series
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == "" and ESC not in "".join(lines) + out
    assert sum('job="prometheus"' in line for line in lines) == 2
    assert all(line.split()[-1] in ("0", "1") for line in lines)


def test_tail_in_a_terminal_redraws_and_ctrl_c_restores_it(prom: OwnPrometheus) -> None:
    code, screen, err = in_terminal(
        ["tail", "up", "--url", prom.url, "--range", "30s"],
        lambda text: text.count("promdash tail") >= 2,  # the scrape interval (1 s) passed
        interrupt=True,
    )
    assert code == 0, err
    assert "Traceback" not in err and "interrupted" not in err
    assert screen.startswith(f"{ESC}[?1049h{ESC}[?25l")  # alternate screen, cursor hidden
    assert screen.endswith(f"{ESC}[?25h{ESC}[?1049l")  # both undone on the way out
    assert "every 1s" in screen  # asked the server's targets for the interval
    assert "┤" in screen and 'job="closed"' in screen


# ---------------------------------------------------------------- connections


def test_401_login_page_tells_which_credential_and_never_echoes_the_token(
    tmp_path: Path,
) -> None:
    token = "tok-9f8e7d6c5b4a"
    (tmp_path / "good").write_text(token + "\n")
    (tmp_path / "bad").write_text("tok-wrong-0000\n")
    with SmallServer(needs_token(token)) as server:
        missing = run("query", "up", "--url", server.url)
        wrong = run("query", "up", "--url", server.url, "--token-file", str(tmp_path / "bad"))
        good = run("query", "up", "--url", server.url, "--token-file", str(tmp_path / "good"))
        from_env = run("query", "up", "--url", server.url, env=child_env(PROMDASH_TOKEN=token))
    assert missing.returncode == cli.EXIT_ERROR
    assert missing.stderr == (
        f"promdash: HTTP 401: Unauthorized: {server.url} wants credentials; set a bearer token "
        "(--token-file / PROMDASH_TOKEN) or basic auth (basic_auth in a config context)\n"
    )
    assert wrong.returncode == cli.EXIT_ERROR
    assert "refused the bearer token" in wrong.stderr
    assert good.returncode == 0 and from_env.returncode == 0, good.stderr + from_env.stderr
    assert good.stdout.splitlines()[1].split() == ["up", "1"]
    for result in (missing, wrong, good, from_env):
        assert token not in result.stdout + result.stderr
        assert "tok-wrong" not in result.stdout + result.stderr
    assert [r[2].get("Authorization") for r in server.requests] == [
        None, "Bearer tok-wrong-0000", f"Bearer {token}", f"Bearer {token}",
    ]  # fmt: skip


def test_tls_with_ca_refused_without_accepted_insecure(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    with SmallServer(prometheus_like, tls=certs.server_context()) as server:
        trusted = run("query", "up", "--url", server.url, "--ca", str(certs.ca))
        refused = run("query", "up", "--url", server.url)
        insecure = run("query", "up", "--url", server.url, "--insecure")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.splitlines()[1].split() == ["up", "1"]
    assert refused.returncode == cli.EXIT_UNREACHABLE
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"promdash: cannot reach {server.url}: TLS certificate verification")
    assert "--ca FILE" in line and "--insecure" in line
    assert insecure.returncode == 0, insecure.stderr


def test_a_proxy_error_page_is_named_not_a_traceback() -> None:
    page = Reply(502, b"<html>Bad Gateway</html>", "text/html")
    with SmallServer(lambda _: page) as server:
        result = run("targets", "--url", server.url, "--timeout", "2")
    assert result.returncode == cli.EXIT_ERROR
    assert result.stderr == (
        f"promdash: {server.url}/api/v1/targets answered HTTP 502 with text/html, not the "
        "Prometheus API (wrong URL, or a proxy/login page in the way?)\n"
    )


def test_contexts_from_the_config_file(
    prom: OwnPrometheus, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = tmp_path / "config.yaml"
    config.write_text(
        "current-context: local\n"
        "contexts:\n"
        f"  local:\n    url: {prom.url}\n    headers: {{X-Scope-OrgID: team-a}}\n"
        f"  nowhere:\n    url: http://127.0.0.1:{free_port()}\n"
    )
    monkeypatch.setenv("PROMDASH_CONFIG", str(config))
    code, out, _ = promdash(capsys, "query", "up == 1")
    assert code == 0 and 'job="prometheus"' in out
    code, _, err = promdash(capsys, "query", "up", "--context", "nowhere")
    assert code == cli.EXIT_UNREACHABLE and "cannot reach http://127.0.0.1:" in err
    code, _, err = promdash(capsys, "query", "up", "--context", "elsewhere")
    assert code == cli.EXIT_STACK_FILE
    assert err == f"promdash: --context elsewhere: no such context in {config} " \
        "(contexts: local, nowhere)\n"  # fmt: skip

    config.write_text("contexts:\n  local:\n    url: http://x\n    tokn_file: /t\n")
    code, _, err = promdash(capsys, "targets")
    assert code == cli.EXIT_STACK_FILE
    assert err == f"promdash: config file {config}:4: contexts.local.tokn_file: " \
        "unknown field\n"  # fmt: skip


def test_bad_flag_values_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["query", "up", "--range", "fortnight"])
    assert exited.value.code == cli.EXIT_USAGE
    assert "'fortnight' is not a Prometheus duration" in capsys.readouterr().err


# ---------------------------------------------------------------- the demo stack (lead's fixture)


def test_demo_stack_targets_alerts_and_a_stopped_exporter(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo as users see it: 3 example-random targets, alerts, then one exporter down."""
    url = local_stack.url
    code, out, err = promdash(capsys, "targets", "--url", url, "--pool", "example-random")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "example-random  3/3 up"
    assert sorted(re.search(r'group="\w+"', line).group() for line in lines[2:]) == [  # type: ignore[union-attr]
        'group="canary"', 'group="production"', 'group="production"',
    ]  # fmt: skip

    # RPCLatencyHigh has `for: 30s`: it is pending first, then firing.
    deadline = time.monotonic() + 90
    while True:
        _, out, _ = promdash(capsys, "alerts", "--url", url, "--json")
        states = {
            a["name"]: a["state"] for a in json.loads(out)["alerts"] if a["state"] != "inactive"
        }
        if states.get("RPCLatencyHigh") == "firing" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert states.get("RPCLatencyHigh") == "firing"
    _, table, _ = promdash(capsys, "alerts", "--url", url, "--state", "firing")
    firing = [line for line in table.splitlines() if "RPCLatencyHigh" in line]
    # Each exporter's latencies are random: usually all three fire, at least one must.
    assert firing and all('service="normal"' in line for line in firing)

    with local_stack.stopped("random-3"):
        deadline = time.monotonic() + 60
        while True:
            _, out, _ = promdash(capsys, "targets", "--url", url, "--json", "--state", "down")
            down = json.loads(out)["targets"]
            # The scrape the stop interrupted may say "connection reset"; the next is refused.
            refused = down and "connection refused" in down[0]["lastError"]
            if refused or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        _, table, _ = promdash(capsys, "targets", "--url", url, "--state", "down")
    assert [t["labels"]["group"] for t in down] == ["canary"]
    assert "connection refused" in down[0]["lastError"]
    assert table.splitlines()[0] == "example-random  2/3 up"
    assert "connection refused" in table


# ---------------------------------------------------------------- at a terminal's width

CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOTALS = re.compile(
    r"(\d+) firing alerts?(?: \((\d+) rules?\))?, "
    r"(\d+) pending alerts?(?: \((\d+) rules?\))?, "
    r"(\d+) inactive rules?"
)


def plain(screen: str) -> str:
    """What a pty showed, without colours, cursor moves or carriage returns."""
    return CSI.sub("", screen).replace("\r", "")


def demo_alerts(capsys: pytest.CaptureFixture[str], url: str) -> list[dict[str, object]]:
    _, out, _ = promdash(capsys, "alerts", "--url", url, "--json")
    alerts: list[dict[str, object]] = json.loads(out)["alerts"]
    return alerts


@pytest.mark.parametrize("width", [80, 120])
def test_demo_alerts_fit_the_terminal_and_say_what_they_count(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str], width: int
) -> None:
    """In a terminal `width` wide and in a pipe with COLUMNS=width: no line wider, every
    label whole inside its column, and totals that name alerts and rules."""
    url = local_stack.url
    for _ in range(5):  # an alert may turn from pending to firing between two reads
        before = demo_alerts(capsys, url)
        code, screen, err = in_terminal(["alerts", "--url", url], lambda _: False, columns=width)
        piped = run("alerts", "--url", url, env=child_env(COLUMNS=str(width)))
        alerts = demo_alerts(capsys, url)
        if [(a["name"], a["state"]) for a in alerts] == [(a["name"], a["state"]) for a in before]:
            break
    assert code == 0 and piped.returncode == 0, err + piped.stderr
    for text in (plain(screen), piped.stdout):
        table = read_alert_table(text, width)
        assert len(table.rows) == len(alerts)
        for row, alert in zip(table.rows, alerts, strict=True):
            assert row["STATE"] == [alert["state"]] and row["ALERT"] == [alert["name"]]
            labels = dict(alert["labels"])  # type: ignore[call-overload]
            labels.pop("alertname")
            assert {**check_labels_cell(row["LABELS"]), **table.shared} == labels
        totals = TOTALS.fullmatch(table.totals)
        assert totals, table.totals
        firing = [a for a in alerts if a["state"] == "firing"]
        pending = [a for a in alerts if a["state"] == "pending"]
        assert f"{ESC}[31mfiring" in screen or not firing  # coloured in a terminal
        assert int(totals[1]) == len(firing) and int(totals[3]) == len(pending)
        assert int(totals[2] or 0) == len({a["name"] for a in firing})
        assert int(totals[4] or 0) == len({a["name"] for a in pending})
        assert int(totals[5]) == sum(a["state"] == "inactive" for a in alerts)


def test_demo_firing_alerts_say_their_shared_labels_once(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    url = local_stack.url
    deadline = time.monotonic() + 90  # RPCLatencyHigh fires 30 s after its first high p90
    while time.monotonic() < deadline:
        before = [a for a in demo_alerts(capsys, url) if a["state"] == "firing"]
        piped = run("alerts", "--url", url, "--state", "firing", env=child_env(COLUMNS="120"))
        firing = [a for a in demo_alerts(capsys, url) if a["state"] == "firing"]
        if len(firing) >= 2 and firing == before:
            break
        time.sleep(1)
    assert len(firing) >= 2, "usually all three exporters' p90 is above the threshold"
    labels = [dict(a["labels"]) for a in firing]  # type: ignore[call-overload]
    shared = {k: v for k, v in labels[0].items() if all(m.get(k) == v for m in labels)}
    shared.pop("alertname", None)  # other rules may fire too (a test stopped an exporter)
    table = read_alert_table(piped.stdout, 120)
    assert table.shared == shared and "job" in shared
    for name, value in shared.items():
        assert piped.stdout.count(f'{name}="{value}"') == 1  # said once, above the table
    for row, alert_labels in zip(table.rows, labels, strict=True):
        own = check_labels_cell(row["LABELS"])
        assert own == {k: v for k, v in alert_labels.items() if k not in {*shared, "alertname"}}


QUERY = 'rpc_durations_seconds{service="normal"}'


def legend_lines(text: str) -> list[str]:
    """The legend under a plot: from its `all:` line to the end."""
    lines = text.rstrip("\n").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("all: ")), None)
    assert start is not None, f"no all: line in {lines[-12:]}"
    return lines[start:]


@pytest.mark.parametrize("width", [80, 120])
def test_demo_range_and_tail_legends_say_shared_labels_once_and_keep_entries_whole(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str], width: int
) -> None:
    url = local_stack.url
    _, out, _ = promdash(capsys, "query", QUERY, "--url", url, "--range", "1m", "--json")
    metrics = [s["metric"] for s in json.loads(out)["result"]]
    assert len(metrics) == 9  # three quantiles of three exporters

    code, screen, err = in_terminal(
        ["query", QUERY, "--url", url, "--range", "1m"], lambda _: False, columns=width, rows=40
    )
    assert code == 0, err
    shown = check_legend(legend_lines(plain(screen)), width, metrics)
    assert shown.shared == 'rpc_durations_seconds{job="example-random", service="normal"}'

    code, screen, err = in_terminal(
        ["tail", QUERY, "--url", url, "--range", "1m"],
        lambda text: text.count("promdash tail") >= 2,
        interrupt=True, columns=width, rows=40,
    )  # fmt: skip
    assert code == 0, err
    frame = screen.rsplit(f"{ESC}[H", 1)[0].rsplit(f"{ESC}[H", 1)[1]  # the last whole frame
    check_legend(legend_lines(plain(frame)), width, metrics)
