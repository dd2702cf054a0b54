"""Where promdash finds its server and credentials, and how config mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from promdash.config import (
    DEFAULT_URL,
    ConfigError,
    Connection,
    config_path,
    load_config,
    parse_header,
    resolve_connection,
)
from promdash.stack.state import StackState, stack_prometheus

CONFIG = """\
current-context: prod
theme: gruvbox
contexts:
  prod:
    url: https://prom.example.com/
    bearer_token_file: secrets/prod-token
    headers:
      X-Scope-OrgID: team-a
    ca_file: ca.pem
    timeout: 30
  staging:
    url: http://staging:9090
    basic_auth:
      username: alice
      password_file: ~/staging-password
    insecure_skip_verify: true
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean world: no config file, no stacks, no ambient URL or token."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMDASH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PROMDASH_CONFIG", str(tmp_path / "config.yaml"))
    for name in ("PROMDASH_URL", "PROMDASH_TOKEN", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def config(home: Path) -> Path:
    path = home / "config.yaml"
    path.write_text(CONFIG)
    (home / "secrets").mkdir()
    (home / "secrets" / "prod-token").write_text("prod-token-123\n")
    (home / "staging-password").write_text("hunter2\n")
    (home / "ca.pem").write_text("not really a CA, only has to exist\n")
    return path


def test_config_path_honours_promdash_config_then_xdg(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_path() == home / "config.yaml"
    monkeypatch.delenv("PROMDASH_CONFIG")
    assert config_path() == home / ".config" / "promdash" / "config.yaml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert config_path() == home / "xdg" / "promdash" / "config.yaml"


def test_no_config_and_no_stack_means_localhost(home: Path) -> None:
    conn = resolve_connection()
    assert conn.url == DEFAULT_URL and conn.source == "default"
    assert conn.bearer_token is None and conn.headers == {}
    assert load_config().contexts == {}


def test_a_running_stack_comes_before_the_default(home: Path) -> None:
    StackState("demo", "local", "", "http://127.0.0.1:19999", started_at=1.0).save()
    StackState("newer", "local", "", "http://127.0.0.1:29999", started_at=2.0).save()
    conn = resolve_connection(stack_url=stack_prometheus)
    assert conn.url == "http://127.0.0.1:29999" and conn.source == "stack newer"


def test_current_context_with_its_credentials(config: Path, home: Path) -> None:
    StackState("demo", "local", "", "http://127.0.0.1:19999", started_at=1.0).save()
    conn = resolve_connection(stack_url=stack_prometheus)
    assert conn.url == "https://prom.example.com" and conn.source == "context prod"
    assert conn.bearer_token == "prod-token-123"  # file relative to the config file
    assert conn.headers == {"X-Scope-OrgID": "team-a"}
    assert conn.ca_file == str(home / "ca.pem")
    assert conn.timeout == 30


def test_precedence_url_then_context_then_env_then_current_context(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMDASH_URL", "http://from-env:9090")
    assert resolve_connection().url == "http://from-env:9090"
    staging = resolve_connection(context="staging")
    assert staging.url == "http://staging:9090" and staging.basic_auth == ("alice", "hunter2")
    assert staging.insecure is True
    flag = resolve_connection(url="http://from-flag:9090", context="staging")
    assert flag.url == "http://from-flag:9090" and flag.source == "--url"
    assert flag.basic_auth == ("alice", "hunter2")  # an explicit --context still applies


def test_another_server_never_gets_the_current_contexts_token(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = resolve_connection(url="http://somewhere-else:9090")
    assert conn.bearer_token is None and conn.headers == {}
    monkeypatch.setenv("PROMDASH_URL", "http://also-elsewhere:9090")
    assert resolve_connection().bearer_token is None


def test_token_from_file_flag_or_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("  from-file \n")
    assert resolve_connection(token_file=str(token_file)).bearer_token == "from-file"
    monkeypatch.setenv("PROMDASH_TOKEN", "from-env")
    assert resolve_connection().bearer_token == "from-env"
    assert resolve_connection(token_file=str(token_file)).bearer_token == "from-file"
    with pytest.raises(ConfigError, match=r"--token-file .*/missing: cannot read"):
        resolve_connection(token_file=str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        resolve_connection(token_file=str(tmp_path / "empty"))


def test_flags_override_context_settings(config: Path, tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("x")
    (tmp_path / "k.pem").write_text("x")
    conn = resolve_connection(
        headers=["X-Scope-OrgID=team-b", "X-Extra: yes"],
        timeout=3,
        cert_file=str(tmp_path / "c.pem"),
        key_file=str(tmp_path / "k.pem"),
    )
    assert conn.headers == {"X-Scope-OrgID": "team-b", "X-Extra": "yes"}
    assert conn.timeout == 3
    assert conn.client_cert == str(tmp_path / "c.pem")
    with pytest.raises(ConfigError, match="both --cert FILE and --key FILE"):
        resolve_connection(cert_file=str(tmp_path / "c.pem"))
    with pytest.raises(ConfigError, match=r"--ca /nonexistent\.pem: no such file"):
        resolve_connection(url="https://x", ca_file="/nonexistent.pem")


def test_repr_never_shows_secrets() -> None:
    conn = Connection(
        url="https://prom",
        bearer_token="sekrit-token",
        basic_auth=("alice", "sekrit-password"),
        headers={"Authorization": "Bearer sekrit-header", "X-Scope-OrgID": "team-a"},
    )
    for text in (repr(conn), str(conn), f"{conn}", repr([conn])):
        assert "sekrit" not in text
        assert "alice" in text and "team-a" in text and "<hidden>" in text


def test_parse_header() -> None:
    assert parse_header("X-Scope-OrgID=team-a") == ("X-Scope-OrgID", "team-a")
    assert parse_header("Accept: text/plain") == ("Accept", "text/plain")
    assert parse_header("X-Token=a=b") == ("X-Token", "a=b")
    with pytest.raises(ConfigError, match="expected NAME=VALUE"):
        parse_header("no-separator")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "contexts:\n  a:\n    url: http://x\n    bearer_token: abc\n",
            ":4: contexts.a.bearer_token: unknown field",
        ),
        ("contexts:\n  a:\n    url: ftp://x\n", ":3: contexts.a.url: must start with http"),
        ("contexts:\n  a:\n    headers: {}\n", ":2: contexts.a.url: required field is missing"),
        (
            "current-context: b\ncontexts:\n  a:\n    url: http://x\n",
            ":1: current-context: no context named 'b' (contexts: a)",
        ),
        ("contexts: [\n", ":2: invalid YAML"),
        ("- just\n- a list\n", ": expected a mapping at the top level"),
        ("contexts:\n  a:\n    url: http://x\n    timeout: -1\n", ":4: contexts.a.timeout:"),
        (
            "contexts:\n  a:\n    url: http://x\n    dashboards:\n      - a.json\n      - {}\n",
            ":6: contexts.a.dashboards.1: Input should be a valid string",
        ),
    ],
)
def test_config_mistakes_are_one_line_with_file_line_and_field(
    home: Path, text: str, message: str
) -> None:
    path = home / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value).startswith(f"config file {path}{message}")
    assert "\n" not in str(caught.value)


def test_a_contexts_dashboards_are_files_or_folders_made_absolute(home: Path) -> None:
    path = home / "conf" / "config.yaml"
    path.parent.mkdir()
    path.write_text(
        "contexts:\n"
        "  a:\n"
        "    url: http://x\n"
        "    dashboards: [boards, ~/node.json, /srv/grafana/]\n"
        "  b:\n"
        "    url: http://y\n"
        "    dashboards: one.json\n"
        "  c:\n"
        "    url: http://z\n"
    )
    contexts = load_config(path).contexts
    assert contexts["a"].dashboards == (
        str(home / "conf" / "boards"),
        str(home / "node.json"),
        "/srv/grafana",
    )
    assert contexts["b"].dashboards == (str(home / "conf" / "one.json"),)
    assert contexts["c"].dashboards == ()


def test_the_config_files_theme_is_read(config: Path) -> None:
    assert load_config().theme == "gruvbox"


def test_url_without_scheme_gets_http(home: Path) -> None:
    assert resolve_connection(url="localhost:9090").url == "http://localhost:9090"


def test_credentials_in_the_url_become_basic_auth_and_are_never_shown(home: Path) -> None:
    conn = resolve_connection(url="http://alice:s%40cret@127.0.0.1:9090/")
    assert conn.url == "http://127.0.0.1:9090"
    assert conn.basic_auth == ("alice", "s@cret")
    assert "cret" not in repr(conn)


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:99999", "http://", "ftp://alice:pw@host"]
)
def test_a_malformed_url_is_a_usage_error_without_its_password(home: Path, url: str) -> None:
    from promdash.errors import UsageError

    with pytest.raises(UsageError) as caught:
        resolve_connection(url=url)
    assert str(caught.value).startswith("--url: ")
    assert "pw" not in str(caught.value)


def test_config_command_shows_file_contexts_and_the_server_in_use(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from promdash import cli

    assert cli.main(["config"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert f"config file:  {config}\n" in out
    assert "server:       https://prom.example.com  (from context prod)" in out
    assert "credential:   bearer token" in out
    assert "* prod" in out and "  staging" in out
    assert "prod-token-123" not in out and "hunter2" not in out
