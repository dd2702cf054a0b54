"""The config file's schema: each model is both what the YAML is checked against
and the type the rest of promdash reads, so a field is declared once.

Kept apart from `promdash.config` because pydantic costs ~0.1 s to import and
most commands never read the file (`--url` given); `config` imports this only
when it does.

```yaml
current-context: mimir
contexts:
  mimir:
    url: https://mimir.example.com/prometheus
    bearer_token_file: ~/.secrets/mimir-token   # relative paths: to this file
    headers: {X-Scope-OrgID: team-a}
    dashboards: [~/grafana/node.json, dashboards/]  # Grafana JSON files or folders (D lists them)
    alertmanager:                                # silences; same fields as the context's
      url: https://mimir.example.com/alertmanager
      bearer_token_file: ~/.secrets/mimir-token
      headers: {X-Scope-OrgID: team-a}
theme: promdash-dark
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from promdash.errors import ConfigError
from promdash.files import FileProblem, describe_validation, line_of, parse_yaml, read_text

_PATH_FIELDS = ("bearer_token_file", "ca_file", "cert_file", "key_file", "password_file")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator(*_PATH_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _absolute(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _absolute(value, info)


def _absolute(value: str, info: ValidationInfo) -> str:
    """A path as written, made absolute against the config file's folder."""
    path = Path(value).expanduser()
    base = (info.context or {}).get("base", Path.cwd())
    return str(path if path.is_absolute() else base / path)


class BasicAuth(_Section):
    username: str
    password_file: str


class Server(_Section):
    """How to reach one server: its URL, credentials and TLS; file paths absolute once loaded."""

    url: str
    bearer_token_file: str | None = None
    basic_auth: BasicAuth | None = None
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


class Context(Server):
    """One named Prometheus, and the Alertmanager that goes with it (its own credentials:
    a context's Prometheus token is never sent to its Alertmanager)."""

    name: str  # the key it is listed under, filled in when the file is read
    alertmanager: Server | None = None
    # Grafana dashboard files and folders (every *.json in one) that D lists with this
    # context; absolute once loaded. Whether they exist is checked by `promdash dash`,
    # the one command that reads them, so a folder not mounted today breaks no query.
    dashboards: tuple[str, ...] = ()

    @field_validator("dashboards", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("dashboards", mode="after")
    @classmethod
    def _absolute_each(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return tuple(_absolute(path, info) for path in value)


class Config(_Section):
    """The config file; an absent file is the empty default."""

    model_config = ConfigDict(populate_by_name=True)
    current_context: str | None = Field(default=None, alias="current-context")
    contexts: dict[str, Context] = Field(default_factory=dict)
    theme: str | None = None
    _path: Path = PrivateAttr(default=Path())
    _node: Any = PrivateAttr(default=None)  # the YAML node tree, for the line of a value

    @property
    def path(self) -> Path:
        return self._path

    def where(self, *loc: str | int) -> str:
        """How a problem with the value at `loc` is told: `config file PATH:LINE: a.b[1]`."""
        line = line_of(self._node, loc) if self._node is not None else None
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        return f"config file {self._path}{f':{line}' if line else ''}: {field}"

    @model_validator(mode="before")
    @classmethod
    def _name_contexts(cls, data: Any) -> Any:
        contexts = data.get("contexts") if isinstance(data, dict) else None
        if isinstance(contexts, dict):
            named = {}
            for key, value in contexts.items():
                if isinstance(value, dict) and "name" in value:
                    raise ValueError(f"contexts.{key}.name: unknown field (the key is the name)")
                named[key] = {**value, "name": str(key)} if isinstance(value, dict) else value
            data = {**data, "contexts": named}
        return data

    @model_validator(mode="after")
    def _current_exists(self) -> Config:
        if self.current_context is not None and self.current_context not in self.contexts:
            known = ", ".join(sorted(self.contexts)) or "none defined"
            raise ValueError(f"no context named {self.current_context!r} (contexts: {known})")
        return self


def empty_config(path: Path) -> Config:
    config = Config()
    config._path = path
    return config


def load_config(path: Path) -> Config:
    """Read and validate the config file at `path`; a missing file is the empty config.

    Any other problem raises ConfigError: one line naming the file, line and field.
    """
    if not path.is_file():
        return empty_config(path)
    try:
        data, node = parse_yaml(read_text(path))
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read: {exc.strerror or exc}") from None
    except FileProblem as exc:
        raise ConfigError(f"config file {exc.where(path)}: {exc}") from None
    if data is None:
        return empty_config(path)
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    try:
        config = Config.model_validate(data, context={"base": path.parent})
    except ValidationError as exc:
        loc, field, message = describe_validation(dict(exc.errors()[0]))
        loc = list(loc)
        if not loc and message.startswith("no context named"):
            loc, field = ["current-context"], "current-context"
        if not loc and message.startswith("contexts."):
            field, _, message = message.partition(": ")
            loc = list(field.split("."))
        line = line_of(node, loc)
        where = f":{line}" if line else ""
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"config file {path}{where}: {field}: {message}{extra}") from None
    config._path = path
    config._node = node
    return config
