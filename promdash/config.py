"""Settings and connection profiles: which Prometheus to talk to, and how.

Where the server URL comes from, first match wins:

1. `--url` on the command line;
2. `--context NAME` on the command line (a context of the config file);
3. the `PROMDASH_URL` environment variable;
4. the config file's `current-context`;
5. the Prometheus of the stack promdash started most recently;
6. http://127.0.0.1:9090.

An explicit `--context` beats `PROMDASH_URL` because a flag is the more deliberate
choice. A context's credentials are only used with that context's server: a
`--url` or `PROMDASH_URL` never receives the token of `current-context`.

Importing this module stays cheap (no pydantic, no YAML) because every CLI query
command imports it before its first output; the parsers load on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from promdash.errors import PromdashError, UsageError
from promdash.files import FileProblem, describe_validation, line_of, parse_yaml, read_text

if TYPE_CHECKING:
    from pydantic import BaseModel

DEFAULT_URL = "http://127.0.0.1:9090"
DEFAULT_TIMEOUT = 10.0
ENV_CONFIG = "PROMDASH_CONFIG"
ENV_URL = "PROMDASH_URL"
ENV_TOKEN = "PROMDASH_TOKEN"

# Header names whose values are credentials: never shown by repr() or errors.
_SECRET_HEADER_WORDS = ("authorization", "cookie", "token", "secret", "password", "key")


class ConfigError(PromdashError):
    """A config file, token file or connection flag that cannot be used."""


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


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str
    password_file: str


@dataclass(frozen=True, slots=True)
class Context:
    """One named server in the config file; file paths are already absolute."""

    name: str
    url: str
    bearer_token_file: str | None = None
    basic_auth: BasicAuth | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """The parsed config file; an absent file gives the empty default."""

    path: Path
    current_context: str | None = None
    contexts: dict[str, Context] = field(default_factory=dict)
    theme: str | None = None


def _models() -> type[BaseModel]:
    """The pydantic schema of the file, built on first use (pydantic costs ~0.1 s)."""
    global _CONFIG_MODEL
    if _CONFIG_MODEL is not None:
        return _CONFIG_MODEL
    from pydantic import BaseModel, ConfigDict, Field, field_validator

    class _BasicAuthModel(BaseModel):
        model_config = ConfigDict(extra="forbid")
        username: str
        password_file: str

    class _ContextModel(BaseModel):
        model_config = ConfigDict(extra="forbid")
        url: str
        bearer_token_file: str | None = None
        basic_auth: _BasicAuthModel | None = None
        headers: dict[str, str] = Field(default_factory=dict)
        ca_file: str | None = None
        cert_file: str | None = None
        key_file: str | None = None
        insecure_skip_verify: bool = False
        timeout: float | None = Field(default=None, gt=0)

        @field_validator("url")
        @classmethod
        def _http_url(cls, value: str) -> str:
            if not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
            return value.rstrip("/")

    class _ConfigModel(BaseModel):
        model_config = ConfigDict(extra="forbid", populate_by_name=True)
        current_context: str | None = Field(default=None, alias="current-context")
        contexts: dict[str, _ContextModel] = Field(default_factory=dict)
        theme: str | None = None

    _CONFIG_MODEL = _ConfigModel
    return _ConfigModel


_CONFIG_MODEL: type[BaseModel] | None = None


def _read_yaml(path: Path) -> tuple[dict[str, Any], Any]:
    """The file's mapping and its YAML node tree (for line numbers in errors)."""
    try:
        data, node = parse_yaml(read_text(path))
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read: {exc.strerror or exc}") from None
    except FileProblem as exc:
        raise ConfigError(f"config file {exc.where(path)}: {exc}") from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    return data, node


def _resolve_path(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file (`config_path()` unless given).

    A missing file is not an error: it is the empty config. Any other problem
    raises ConfigError with one line naming the file, line and field.
    """
    path = path or config_path()
    if not path.is_file():
        return Config(path=path)
    data, node = _read_yaml(path)
    model = _models()
    from pydantic import ValidationError

    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        loc, field_name, message = describe_validation(dict(exc.errors()[0]))
        line = line_of(node, loc)
        where = f":{line}" if line else ""
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"config file {path}{where}: {field_name}: {message}{extra}") from None
    base = path.parent
    raw: dict[str, Any] = parsed.model_dump()
    contexts = {}
    for name, ctx in raw["contexts"].items():
        basic = ctx["basic_auth"]
        contexts[name] = Context(
            name=name,
            url=ctx["url"],
            bearer_token_file=_resolve_path(base, ctx["bearer_token_file"]),
            basic_auth=(
                BasicAuth(basic["username"], _resolve_path(base, basic["password_file"]) or "")
                if basic
                else None
            ),
            headers=dict(ctx["headers"]),
            ca_file=_resolve_path(base, ctx["ca_file"]),
            cert_file=_resolve_path(base, ctx["cert_file"]),
            key_file=_resolve_path(base, ctx["key_file"]),
            insecure_skip_verify=ctx["insecure_skip_verify"],
            timeout=ctx["timeout"],
        )
    current = raw["current_context"]
    if current is not None and current not in contexts:
        line = line_of(node, ["current-context"])
        where = f":{line}" if line else ""
        known = ", ".join(sorted(contexts)) or "none defined"
        raise ConfigError(
            f"config file {path}{where}: current-context: no context named {current!r} "
            f"(contexts: {known})"
        )
    return Config(path=path, current_context=current, contexts=contexts, theme=raw["theme"])


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


def _stack_url() -> tuple[str, str] | None:
    from promdash.stack.state import running_stacks

    try:
        stacks = running_stacks()
    except OSError:
        return None
    for stack in stacks:
        if stack.prometheus_url:
            return stack.prometheus_url, f"stack {stack.name}"
    return None


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
    error = UsageError if source in ("--url", ENV_URL) else ConfigError
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
        elif found := _stack_url():
            url, source = found
        else:
            url, source = DEFAULT_URL, "default"

    url, url_auth = _checked_url(url, source)

    bearer: str | None = None
    if token_file:
        bearer = _read_secret(token_file, "--token-file")
    elif env.get(ENV_TOKEN):
        bearer = env[ENV_TOKEN].strip()
    elif ctx is not None and ctx.bearer_token_file:
        bearer = _read_secret(ctx.bearer_token_file, f"context {ctx.name}: bearer_token_file")

    basic: tuple[str, str] | None = url_auth if bearer is None else None
    if bearer is None and ctx is not None and ctx.basic_auth is not None:
        password = _read_secret(
            ctx.basic_auth.password_file, f"context {ctx.name}: basic_auth.password_file"
        )
        basic = (ctx.basic_auth.username, password)

    merged = dict(ctx.headers) if ctx is not None else {}
    pairs = headers.items() if isinstance(headers, Mapping) else map(parse_header, headers)
    merged.update(pairs)

    cert = cert_file or (ctx.cert_file if ctx else None)
    key = key_file or (ctx.key_file if ctx else None)
    if bool(cert) != bool(key):
        raise ConfigError("a client certificate needs both --cert FILE and --key FILE")
    for what, path in (
        ("--ca", ca_file or (ctx.ca_file if ctx else None)),
        ("--cert", cert),
        ("--key", key),
    ):
        if path and not Path(path).is_file():
            raise ConfigError(f"{what} {path}: no such file")

    if timeout is not None and timeout <= 0:
        raise ConfigError(f"--timeout {timeout}: must be more than 0 seconds")
    return Connection(
        url=url,
        bearer_token=bearer,
        basic_auth=basic,
        headers=merged,
        ca_file=ca_file or (ctx.ca_file if ctx else None),
        client_cert=cert,
        client_key=key,
        insecure=insecure or (ctx.insecure_skip_verify if ctx else False),
        timeout=timeout or (ctx.timeout if ctx and ctx.timeout else DEFAULT_TIMEOUT),
        source=source,
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
