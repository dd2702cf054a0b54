"""`promdash silences`, `silence add|expire` and `alerts`' Alertmanager side, as users run them.

Against Debian's real Alertmanager 0.25 and a real Prometheus whose `alerting:`
points at it (InstanceDown fires at once for a closed port and reaches
Alertmanager). Every command runs as a whole process, as test_query_cli.py's
exit-code tests do, in an environment of its own: no config file, no stacks,
no ambient URL or token unless the test makes them.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from promdash.stack.state import StackState
from tests.integration.alertmanager import (
    RECEIVER,
    AlertingPrometheus,
    OwnAlertmanager,
    own_alertmanager,
    prometheus_alerting_to,
    wait_until,
)
from tests.integration.test_client import Reply, SmallServer, free_port

pytestmark = pytest.mark.prometheus

EXIT_ERROR, EXIT_UNREACHABLE, EXIT_NO_ALERTMANAGER, EXIT_USAGE = 1, 2, 10, 64


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnAlertmanager]:
    with own_alertmanager(tmp_path_factory.mktemp("alertmanager")) as server:
        yield server


@pytest.fixture(scope="module")
def prom(
    am: OwnAlertmanager, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AlertingPrometheus]:
    host = am.url.removeprefix("http://")
    with prometheus_alerting_to(tmp_path_factory.mktemp("prometheus"), [host]) as server:
        wait_until(
            lambda: bool(am.alert(alertname="InstanceDown", instance=server.closed)),
            "InstanceDown reaching Alertmanager",
        )
        yield server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The child's world: an empty state directory and no config file."""
    (tmp_path / "state").mkdir()
    return tmp_path


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PROMDASH_URL", "PROMDASH_TOKEN", "COLUMNS", "LINES", "NO_COLOR")
    }
    clean |= {
        "PROMDASH_STATE_DIR": str(home / "state"),
        "PROMDASH_CONFIG": str(home / "config.yaml"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "promdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    err = result.stderr.strip()
    assert err and "\n" not in err and "Traceback" not in err, result.stderr
    assert result.stdout == ""
    return err


def alert_row(table: str, alertname: str) -> str:
    (row,) = [line for line in table.splitlines() if f" {alertname} " in line]
    return row


SILENCE_COLUMNS = [
    "ID", "STATE", "MATCHERS", "STARTS", "ENDS", "REMAINING", "MUTES", "CREATED BY", "COMMENT",
]  # fmt: skip


def read_row(header: str, row: str) -> dict[str, str]:
    """A one-line row of `promdash silences` (a pipe) by column."""
    starts = [header.index(name) for name in SILENCE_COLUMNS]
    ends = [*starts[1:], None]
    return {n: row[a:b].strip() for n, a, b in zip(SILENCE_COLUMNS, starts, ends, strict=True)}


def silence_state(am: OwnAlertmanager, silence_id: str) -> str:
    state: str = am.get(f"silence/{silence_id}")["status"]["state"]
    return state


# ---------------------------------------------------------------- the round trip


def test_silence_mutes_the_alert_and_expiring_it_brings_it_back(
    am: OwnAlertmanager, prom: AlertingPrometheus, home: Path
) -> None:
    flags = ["--url", prom.url, "--alertmanager-url", am.url]
    added = run(
        home, "silence", "add", "alertname=InstanceDown", f'instance="{prom.closed}"',
        "--for", "2h", "--comment", "replacing the disk", *flags,
    )  # fmt: skip
    silence_id = ok(added).strip()
    assert uuid.UUID(silence_id)
    assert added.stderr.startswith(f"promdash: silence {silence_id} mutes 1 current alert until ")

    (silence,) = [s for s in am.silences() if s["id"] == silence_id]
    assert silence["status"]["state"] == "active"
    assert silence["createdBy"] == getpass.getuser() and silence["comment"] == "replacing the disk"
    assert {(m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in silence["matchers"]} == {
        ("alertname", "InstanceDown", False, True),
        ("instance", prom.closed, False, True),
    }
    fingerprint = am.alert(alertname="InstanceDown")["fingerprint"]
    assert am.alert(alertname="InstanceDown")["status"]["silencedBy"] == [silence_id]

    # `promdash alerts`: Prometheus says firing, Alertmanager says silenced, and by what.
    row = alert_row(ok(run(home, "alerts", *flags)), "InstanceDown")
    assert row.startswith("firing ")
    # The silence by its short ID (the JSON has it whole), the receiver it went to.
    assert re.search(f"  suppressed: silenced by {silence_id[:8]} +{RECEIVER}  ", row), row
    (firing,) = [a for a in json.loads(ok(run(home, "alerts", "--json", *flags)))["alerts"]]
    assert firing["alertmanager"] == {
        "state": "suppressed",
        "silencedBy": [silence_id],
        "inhibitedBy": [],
        "receivers": [RECEIVER],
        "fingerprint": fingerprint,
    }

    # `promdash silences`: the silence, active, muting that one alert.
    table = ok(run(home, "silences", *flags))
    cells = read_row(*table.splitlines()[:2])
    assert cells["ID"] == silence_id and cells["STATE"] == "active"
    assert cells["MATCHERS"] == f'alertname="InstanceDown", instance="{prom.closed}"'
    assert cells["MUTES"] == "1" and re.fullmatch(r"1h5\dm", cells["REMAINING"])
    assert cells["CREATED BY"] == getpass.getuser() and cells["COMMENT"] == "replacing the disk"
    assert table.splitlines()[-1] == "1 active, 0 pending silences"
    document = json.loads(ok(run(home, "silences", "--json", *flags)))
    assert document["alertmanager"] == am.url
    (listed,) = document["silences"]
    assert listed["id"] == silence_id and listed["state"] == "active" and listed["mutes"] == 1
    assert listed["matchers"][0] == {
        "name": "alertname", "value": "InstanceDown", "isRegex": False, "isEqual": True,
    }  # fmt: skip
    assert listed["endsAt"].endswith("Z") and 7000 < listed["remainingSeconds"] <= 7200
    assert listed["createdBy"] == getpass.getuser()
    csv_lines = ok(run(home, "silences", "--csv", *flags)).splitlines()
    assert csv_lines[0].startswith("id,state,matchers,startsAt,endsAt,")
    assert csv_lines[1].startswith(f"{silence_id},active,")

    # Expired (by the short ID `alerts` showed): Alertmanager says so, the alert is active.
    expired = run(home, "silence", "expire", silence_id[:8], *flags)
    assert ok(expired) == "" and expired.stderr == f"promdash: silence {silence_id} expired\n"
    assert silence_state(am, silence_id) == "expired"
    (firing,) = json.loads(ok(run(home, "alerts", "--json", *flags)))["alerts"]
    assert firing["alertmanager"]["state"] == "active"
    assert firing["alertmanager"]["silencedBy"] == []
    row = alert_row(ok(run(home, "alerts", *flags)), "InstanceDown")
    assert re.search(f"  active +{RECEIVER}  ", row), row
    assert ok(run(home, "silences", *flags)).startswith("no active or pending silences (")
    (gone,) = json.loads(ok(run(home, "silences", "--state", "expired", "--json", *flags)))[
        "silences"
    ]
    assert gone["id"] == silence_id and gone["mutes"] == 0
    again = run(home, "silence", "expire", silence_id, *flags)
    assert again.returncode == 0 and "had already expired" in again.stderr


# ---------------------------------------------------------------- where the Alertmanager comes from


def test_the_alertmanager_is_found_without_being_named(
    am: OwnAlertmanager, prom: AlertingPrometheus, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def used(*args: str) -> str:
        found: str = json.loads(ok(run(home, "silences", "--json", *args)))["alertmanager"]
        return found

    # The one Prometheus sends alerts to (once Prometheus lists it).
    wait_until(
        lambda: bool(httpx.get(f"{prom.url}/api/v1/alertmanagers").json()["data"]["active"
                                                                              "Alertmanagers"]),
        "Prometheus listing its Alertmanager",
    )  # fmt: skip
    assert used("--url", prom.url) == am.url
    table = ok(run(home, "alerts", "--url", prom.url))
    assert "ALERTMANAGER" in table.splitlines()[0]

    # A config context's alertmanager: block, though its Prometheus is down.
    nobody = f"http://127.0.0.1:{free_port()}"
    (home / "config.yaml").write_text(
        f"current-context: ops\ncontexts:\n  ops:\n    url: {nobody}\n"
        f"    alertmanager:\n      url: {am.url}\n"
    )
    assert used() == am.url
    (home / "config.yaml").unlink()

    # The running stack's, when its Prometheus is the one in use.
    monkeypatch.setenv("PROMDASH_STATE_DIR", str(home / "state"))
    StackState(
        name="demo",
        runtime="local",
        stack_file="demo.yaml",
        prometheus_url=nobody,
        urls={"prometheus": nobody, "alertmanager": am.url},
        started_at=1.0,
    ).save()
    assert used() == am.url


def test_without_an_alertmanager_alerts_shows_prometheus_side_only(
    prom: AlertingPrometheus, home: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    # Named but unreachable: an error. Found in a stack but down: a notice.
    named = run(home, "alerts", "--url", prom.url, "--alertmanager-url", closed)
    assert named.returncode == EXIT_UNREACHABLE
    assert one_line(named) == (
        f"promdash: cannot reach {closed}: connection refused (is Alertmanager running there?)"
    )


# ---------------------------------------------------------------- bad input: one line, no write


BAD_ADDS: list[tuple[list[str], int, str]] = [
    (["alertname~Down"], EXIT_USAGE, "promdash: matcher 'alertname~Down': expected NAME=VALUE"),
    (["=Down"], EXIT_USAGE, "promdash: matcher '=Down': the label name is empty"),
    (["alertname=~("], EXIT_USAGE, "not a valid regular expression: missing ),"),
    ([], EXIT_USAGE, "promdash: a silence needs at least one matcher"),
    (["job=~.*"], EXIT_USAGE, "so the silence would mute every alert"),
    (["a=b", "--for", "0"], EXIT_USAGE, "argument --for: '0': a duration must be more than 0"),
    (["a=b", "--for=-1h"], EXIT_USAGE, "argument --for: '-1h': a duration must be more than 0"),
    (["a=b", "--for", "-1h"], EXIT_USAGE, "argument --for: expected one argument"),
    (["a=b", "--for", "soon"], EXIT_USAGE, "'soon' is not a Prometheus duration"),
    (["a=b", "--comment", " "], EXIT_USAGE, "promdash: --comment: say why"),
    (["a=b", "--author", ""], EXIT_USAGE, "promdash: --author NAME: who silenced"),
    # Python's re takes a lookahead, Alertmanager (Go's RE2) answers 400.
    (["alertname=~(?=x)x"], EXIT_ERROR, "promdash: Alertmanager answered HTTP 400: silence inv"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_ADDS)
def test_a_bad_silence_is_one_line_and_writes_nothing(
    am: OwnAlertmanager, home: Path, args: list[str], code: int, message: str
) -> None:
    before = am.silences()
    defaults = [
        *(["--for", "1h"] if not any(a.startswith("--for") for a in args) else []),
        *(["--comment", "c"] if "--comment" not in args else []),
    ]
    result = run(home, "silence", "add", *args, *defaults, "--alertmanager-url", am.url)
    assert result.returncode == code, result.stderr
    assert message in one_line(result)
    assert am.silences() == before


def test_expire_checks_every_id_before_ending_any(am: OwnAlertmanager, home: Path) -> None:
    flags = ["--alertmanager-url", am.url]
    real = ok(run(home, "silence", "add", "alertname=Nothing", "--for", "1h", "--comment", "c",
                  *flags)).strip()  # fmt: skip
    before = am.silences()
    unknown = str(uuid.uuid4())
    missing = run(home, "silence", "expire", real, unknown, *flags)
    assert missing.returncode == EXIT_ERROR
    assert one_line(missing) == (
        f"promdash: Alertmanager answered HTTP 404: no silence has the ID {unknown}"
    )
    taken = {s["id"][:4] for s in before}
    prefix = next(p for p in (f"{n:04x}" for n in range(99)) if p not in taken)
    nothing = run(home, "silence", "expire", real, prefix, *flags)
    assert nothing.returncode == EXIT_ERROR
    assert one_line(nothing) == f"promdash: no silence has an ID starting with {prefix}"
    malformed = run(home, "silence", "expire", real, "12; rm -rf /", *flags)
    assert malformed.returncode == EXIT_USAGE
    assert one_line(malformed).startswith("promdash: '12; rm -rf /' is not a silence ID")
    assert am.silences() == before and silence_state(am, real) == "active"
    ok(run(home, "silence", "expire", real, *flags))


def test_an_unreachable_alertmanager_writes_nothing(am: OwnAlertmanager, home: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for args in (["silences"], ["silence", "add", "a=b", "--for", "1h", "--comment", "c"]):
        result = run(home, *args, "--alertmanager-url", closed)
        assert result.returncode == EXIT_UNREACHABLE
        assert one_line(result) == (
            f"promdash: cannot reach {closed}: connection refused (is Alertmanager running there?)"
        )


def test_no_alertmanager_found_says_how_to_name_one(home: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    for args in (["silences"], ["silence", "expire", str(uuid.uuid4())]):
        result = run(home, *args, "--url", nobody)
        assert result.returncode == EXIT_NO_ALERTMANAGER
        assert one_line(result) == (
            f"promdash: no Alertmanager found (Prometheus at {nobody} could not be asked "
            f"(cannot reach {nobody}: connection refused (is Prometheus running there?))); "
            "name one with --alertmanager-url URL, or an alertmanager: block (url: ...) in "
            "the config context"
        )


# ---------------------------------------------------------------- credentials


def test_each_server_gets_its_own_token_and_none_is_printed(
    prom: AlertingPrometheus, home: Path
) -> None:
    (home / "prom-token").write_text("PROM-SECRET")
    (home / "am-token").write_text("AM-SECRET")
    seen: list[dict[str, Any]] = []

    def refuse(handler: BaseHTTPRequestHandler) -> Reply:
        seen.append(dict(handler.headers.items()))
        return Reply(401, b'"unauthorized"')

    with SmallServer(refuse) as fake:
        result = run(
            home, "silences", "--url", prom.url, "--token-file", str(home / "prom-token"),
            "--alertmanager-url", fake.url,
            "--alertmanager-token-file", str(home / "am-token"),
        )  # fmt: skip
    assert result.returncode == EXIT_ERROR
    message = one_line(result)
    assert message == f"promdash: HTTP 401: Unauthorized: {fake.url} refused the bearer token " + (
        "(wrong or expired?)"
    )
    assert seen and {h.get("Authorization") for h in seen} == {"Bearer AM-SECRET"}
    assert "SECRET" not in result.stderr + result.stdout
