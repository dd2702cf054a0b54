"""Where promdash finds the Alertmanager, and whose credentials go to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from promdash.config import Connection, load_config, resolve_alertmanager, resolve_connection
from promdash.errors import ConfigError, UsageError

CONFIG = """\
current-context: prod
contexts:
  prod:
    url: https://prom.example.com
    bearer_token_file: prom-token
    alertmanager:
      url: https://am.example.com/
      bearer_token_file: am-token
      headers: {X-Scope-OrgID: team-a}
      timeout: 3
  bare:
    url: http://bare:9090
    bearer_token_file: prom-token
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMDASH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "config.yaml"))
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "prom-token").write_text("PROM-SECRET\n")
    (tmp_path / "am-token").write_text("AM-SECRET\n")
    return tmp_path


def no_stack(url: str) -> None:
    raise AssertionError(f"the stack was asked for {url}")


def test_the_flag_comes_first_with_only_its_own_credentials(home: Path) -> None:
    prometheus = resolve_connection()
    am = resolve_alertmanager(prometheus, url="am.local:9093", stack_url=no_stack)
    assert am is not None and am.url == "http://am.local:9093"
    assert am.source == "--alertmanager-url" and am.bearer_token is None and am.headers == {}
    (home / "t").write_text("FLAG-SECRET")
    am = resolve_alertmanager(prometheus, url="https://x", token_file=str(home / "t"))
    assert am is not None and am.bearer_token == "FLAG-SECRET"


def test_the_contexts_alertmanager_block_with_its_own_credentials(home: Path) -> None:
    prometheus = resolve_connection()
    assert prometheus.bearer_token == "PROM-SECRET" and prometheus.context == "prod"
    am = resolve_alertmanager(prometheus, stack_url=no_stack)
    assert am is not None and am.url == "https://am.example.com"
    assert am.bearer_token == "AM-SECRET" and am.headers == {"X-Scope-OrgID": "team-a"}
    assert am.timeout == 3 and am.source == "context prod: alertmanager"
    # Flags override the block's settings.
    am = resolve_alertmanager(prometheus, headers=["X-Scope-OrgID=team-b"], timeout=7)
    assert am is not None and am.headers == {"X-Scope-OrgID": "team-b"} and am.timeout == 7


def test_the_stack_whose_prometheus_is_in_use(home: Path) -> None:
    asked: list[str] = []

    def stack(url: str) -> tuple[str, str] | None:
        asked.append(url)
        return ("http://127.0.0.1:9093", "stack demo") if url == "http://127.0.0.1:9090" else None

    ours = Connection(url="http://127.0.0.1:9090", bearer_token="PROM-SECRET")
    am = resolve_alertmanager(ours, stack_url=stack)
    assert am is not None and am.url == "http://127.0.0.1:9093" and am.source == "stack demo"
    assert am.bearer_token is None
    # A context without an alertmanager: block, or another server: nothing names one.
    bare = resolve_connection(context="bare")
    assert resolve_alertmanager(bare, stack_url=stack) is None
    assert asked == ["http://127.0.0.1:9090", "http://bare:9090"]


def test_the_prometheus_token_never_goes_to_the_alertmanager(home: Path) -> None:
    for prometheus in (resolve_connection(), resolve_connection(context="bare")):
        for am in (
            resolve_alertmanager(prometheus, url="http://elsewhere:9093"),
            resolve_alertmanager(prometheus, stack_url=lambda _: ("http://s:9093", "stack s")),
        ):
            assert am is not None and am.bearer_token != "PROM-SECRET"
            assert "PROM-SECRET" not in repr(am)


def test_mistakes_name_the_alertmanager_setting(home: Path) -> None:
    prometheus = resolve_connection()
    with pytest.raises(UsageError, match="--alertmanager-url: 'ftp://x' is not an http"):
        resolve_alertmanager(prometheus, url="ftp://x")
    with pytest.raises(ConfigError, match="--alertmanager-cert FILE and --alertmanager-key"):
        resolve_alertmanager(prometheus, url="http://x", cert_file=str(home / "am-token"))
    with pytest.raises(ConfigError, match="--alertmanager-ca /nope: no such file"):
        resolve_alertmanager(prometheus, url="http://x", ca_file="/nope")
    (home / "am-token").unlink()
    with pytest.raises(ConfigError, match="context prod: alertmanager: bearer_token_file"):
        resolve_alertmanager(prometheus)


def test_the_block_is_checked_like_a_context(home: Path) -> None:
    (home / "config.yaml").write_text(
        "contexts:\n  a:\n    url: http://a\n    alertmanager:\n      url: am:9093\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(home / "config.yaml")
    assert str(caught.value).startswith(f"config file {home / 'config.yaml'}:5: ")
    assert "alertmanager.url" in str(caught.value) and "http://" in str(caught.value)
    (home / "config.yaml").write_text(
        "contexts:\n  a:\n    url: http://a\n    alertmanager:\n      url: http://am\n"
        "      bearer_token: inline\n"
    )
    with pytest.raises(ConfigError, match="bearer_token"):
        load_config(home / "config.yaml")
