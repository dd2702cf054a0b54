"""Settings and connection profiles: which Prometheus (and Alertmanager) to talk to, and how.

Where the server URL comes from, first match wins:

1. `--url` on the command line;
2. `--context NAME` on the command line (a context of the config file);
3. the `PROMDASH_URL` environment variable;
4. the config file's `current-context`;
5. the Prometheus of the stack promdash started most recently;
6. http://127.0.0.1:9090.

The Alertmanager (silences, and its side of alerts) is `--alertmanager-url`, else
the `alertmanager:` block of the context in use, else the running stack's (when its
Prometheus is the one in use), else one Prometheus reports (`resolve_alertmanager`).

An explicit `--context` beats `PROMDASH_URL` because a flag is the more deliberate
choice. A context's credentials are only used with that context's server: a
`--url` or `PROMDASH_URL` never receives the token of `current-context`.

Importing this module stays cheap (no pydantic, no YAML) because every CLI query
command imports it before its first output; the parsers load on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from promdash.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from promdash.configfile import Config, Context, Server

DEFAULT_URL = "http://127.0.0.1:9090"
DEFAULT_TIMEOUT = 10.0
ENV_CONFIG = "PROMDASH_CONFIG"
ENV_URL = "PROMDASH_URL"
ENV_TOKEN = "PROMDASH_TOKEN"

# Header names whose values are credentials: never shown by repr() or errors.
_SECRET_HEADER_WORDS = ("authorization", "cookie", "token", "secret", "password", "key")


@dataclass(frozen=True, slots=True)
class Connection:
    """Everything needed to reach one Prometheus-compatible server."""

    url: str = DEFAULT_URL
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None  # (user, password)
    headers: dict[str, str] = field(default_factory=dict)
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    timeout: float = DEFAULT_TIMEOUT
    source: str = "default"  # where `url` came from, for messages: "--url", "context prod", ...
    context: str | None = None  # the config context whose settings it uses, if any

    def __repr__(self) -> str:
        parts = [f"url={self.url!r}"]
        if self.bearer_token is not None:
            parts.append("bearer_token=<hidden>")
        if self.basic_auth is not None:
            parts.append(f"basic_auth=({self.basic_auth[0]!r}, <hidden>)")
        if self.headers:
            shown = {k: ("<hidden>" if is_secret_header(k) else v) for k, v in self.headers.items()}
            parts.append(f"headers={shown!r}")
        for name in ("ca_file", "client_cert", "client_key"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        if self.insecure:
            parts.append("insecure=True")
        parts.append(f"timeout={self.timeout!r}")
        parts.append(f"source={self.source!r}")
        return f"Connection({', '.join(parts)})"

    __str__ = __repr__

    @property
    def credential(self) -> str:
        """Which credential is sent, in words (never the secret itself)."""
        if self.bearer_token is not None:
            return "bearer token"
        if self.basic_auth is not None:
            return "basic auth"
        if any(k.lower() == "authorization" for k in self.headers):
            return "Authorization header"
        return ""


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


# ---------------------------------------------------------------- the config file


def config_path() -> Path:
    """`$PROMDASH_CONFIG`, else `$XDG_CONFIG_HOME/promdash/config.yaml`, else ~/.config/..."""
    if explicit := os.environ.get(ENV_CONFIG):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "promdash" / "config.yaml"


def load_config(path: Path | None = None) -> Config:
    """The config file (`config_path()` unless given), validated; see promdash.configfile."""
    from promdash.configfile import load_config as load

    return load(path or config_path())


# ---------------------------------------------------------------- resolving a connection


def _read_secret(path: str, what: str) -> str:
    try:
        value = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    if not value:
        raise ConfigError(f"{what} {path} is empty")
    return value


def parse_header(text: str) -> tuple[str, str]:
    """`K=V` (or `K: V`) from --header into a (name, value) pair."""
    for sep in ("=", ":"):
        name, found, value = text.partition(sep)
        if found and name.strip():
            return name.strip(), value.strip()
    raise ConfigError(f"--header {text!r}: expected NAME=VALUE, e.g. X-Scope-OrgID=tenant1")


def without_userinfo(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//", url)


def _checked_url(raw: str, source: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without `user:password@` (kept apart, so it is never printed) and that pair.

    A malformed URL is one line naming where it came from, never a traceback.
    """
    text = raw.strip()
    if "://" not in text:
        text = "http://" + text
    text = text.rstrip("/")
    error = UsageError if source in ("--url", ENV_URL, "--alertmanager-url") else ConfigError
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise error(f"{source}: {without_userinfo(raw)!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        shown = without_userinfo(text)
        raise error(f"{source}: {shown!r} is not an http:// or https:// URL with a host")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=netloc)), auth


def resolve_connection(
    *,
    url: str | None = None,
    context: str | None = None,
    token_file: str | None = None,
    headers: Sequence[str] | Mapping[str, str] = (),
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    insecure: bool = False,
    timeout: float | None = None,
    config: Config | None = None,
    environ: Mapping[str, str] | None = None,
    stack_url: Callable[[], tuple[str, str] | None] | None = None,
) -> Connection:
    """The Connection the flags, the environment and the config file describe.

    Flags win over a context's settings; see the module docstring for the order
    in which the URL is looked for.
    """
    env = os.environ if environ is None else environ
    ctx: Context | None = None
    source: str
    if url:
        source = "--url"
        if context:
            ctx = _context(context, config)
    elif context:
        ctx = _context(context, config)
        url, source = ctx.url, f"context {ctx.name}"
    elif env.get(ENV_URL):
        url, source = env[ENV_URL], ENV_URL
    else:
        config = config or load_config()
        if config.current_context:
            ctx = config.contexts[config.current_context]
            url, source = ctx.url, f"context {ctx.name}"
        elif stack_url is not None and (found := stack_url()):
            url, source = found
        else:
            url, source = DEFAULT_URL, "default"

    return _connection(
        url,
        source,
        ctx,
        f"context {ctx.name}" if ctx else "",
        flags="--",
        token_file=token_file,
        env_token=env.get(ENV_TOKEN),
        headers=headers,
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
        insecure=insecure,
        timeout=timeout,
        context=ctx.name if ctx else None,
    )


def _connection(
    url: str,
    source: str,
    server: Server | None,
    where: str,
    *,
    flags: str,
    token_file: str | None,
    env_token: str | None,
    headers: Sequence[str] | Mapping[str, str],
    ca_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    insecure: bool,
    timeout: float | None,
    context: str | None,
) -> Connection:
    """A Connection to `url`: the flags' settings (`flags` is their prefix: `--`cert)
    over those of `server`, a section of the config file (`where` in messages)."""
    url, url_auth = _checked_url(url, source)

    bearer: str | None = None
    if token_file:
        bearer = _read_secret(token_file, f"{flags}token-file")
    elif env_token:
        bearer = env_token.strip()
    elif server is not None and server.bearer_token_file:
        bearer = _read_secret(server.bearer_token_file, f"{where}: bearer_token_file")

    basic: tuple[str, str] | None = url_auth if bearer is None else None
    if bearer is None and server is not None and server.basic_auth is not None:
        password = _read_secret(
            server.basic_auth.password_file, f"{where}: basic_auth.password_file"
        )
        basic = (server.basic_auth.username, password)

    merged = dict(server.headers) if server is not None else {}
    pairs = headers.items() if isinstance(headers, Mapping) else map(parse_header, headers)
    merged.update(pairs)

    ca = ca_file or (server.ca_file if server else None)
    cert = cert_file or (server.cert_file if server else None)
    key = key_file or (server.key_file if server else None)
    if bool(cert) != bool(key):
        raise ConfigError(f"a client certificate needs both {flags}cert FILE and {flags}key FILE")
    for what, path in ((f"{flags}ca", ca), (f"{flags}cert", cert), (f"{flags}key", key)):
        if path and not Path(path).is_file():
            raise ConfigError(f"{what} {path}: no such file")

    if timeout is not None and timeout <= 0:
        raise ConfigError(f"--timeout {timeout}: must be more than 0 seconds")
    return Connection(
        url=url,
        bearer_token=bearer,
        basic_auth=basic,
        headers=merged,
        ca_file=ca,
        client_cert=cert,
        client_key=key,
        insecure=insecure or (server.insecure_skip_verify if server else False),
        timeout=timeout or (server.timeout if server and server.timeout else DEFAULT_TIMEOUT),
        source=source,
        context=context,
    )


# ---------------------------------------------------------------- the Alertmanager


def resolve_alertmanager(
    prometheus: Connection,
    *,
    url: str | None = None,
    token_file: str | None = None,
    headers: Sequence[str] | Mapping[str, str] = (),
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    insecure: bool = False,
    timeout: float | None = None,
    config: Config | None = None,
    stack_url: Callable[[str], tuple[str, str] | None] | None = None,
) -> Connection | None:
    """The Alertmanager that goes with `prometheus`, when something names one.

    First match wins: `--alertmanager-url`; the `alertmanager:` block of the config
    context `prometheus` uses; the running stack whose Prometheus it is
    (`stack_url(prometheus.url)` gives its Alertmanager's URL and "stack NAME").
    None when nothing does: then ask Prometheus (`promdash.prom.alertmanager.discover`).

    The `--alertmanager-*` flags apply to each; a context's Alertmanager credentials
    only to its own URL, and the Prometheus credentials never.
    """

    def connect(url: str, source: str, server: Server | None = None, where: str = "") -> Connection:
        return alertmanager_connection(
            url,
            source,
            token_file=token_file,
            headers=headers,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            insecure=insecure,
            timeout=timeout,
            server=server,
            where=where,
        )

    if url:
        return connect(url, "--alertmanager-url")
    if prometheus.context is not None:
        ctx = _context(prometheus.context, config)
        if ctx.alertmanager is not None:
            where = f"context {ctx.name}: alertmanager"
            return connect(ctx.alertmanager.url, where, ctx.alertmanager, where)
    if stack_url is not None and (found := stack_url(prometheus.url)):
        return connect(*found)
    return None


def alertmanager_connection(
    url: str,
    source: str,
    *,
    token_file: str | None = None,
    headers: Sequence[str] | Mapping[str, str] = (),
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    insecure: bool = False,
    timeout: float | None = None,
    server: Server | None = None,
    where: str = "",
) -> Connection:
    """A Connection to an Alertmanager at `url` with the `--alertmanager-*` flags' settings
    over those of `server` (a context's `alertmanager:` block)."""
    return _connection(
        url,
        source,
        server,
        where,
        flags="--alertmanager-",
        token_file=token_file,
        env_token=None,
        headers=headers,
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
        insecure=insecure,
        timeout=timeout,
        context=None,
    )


def _context(name: str, config: Config | None) -> Context:
    config = config or load_config()
    try:
        return config.contexts[name]
    except KeyError:
        known = ", ".join(sorted(config.contexts)) or "none defined"
        raise ConfigError(
            f"--context {name}: no such context in {config.path} (contexts: {known})"
        ) from None
