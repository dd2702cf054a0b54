"""The stack file: a small, validated YAML format describing a monitoring stack.

A stack names a Prometheus, an optional Grafana, an optional Alertmanager with
promdash's webhook receiver, a set of demo exporters scraped as one job, and
Prometheus rule groups. Runtimes (local processes, Docker) turn the same model
into processes or containers; `render.py` turns it into `prometheus.yml`, a
rules file and `alertmanager.yml`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from promdash.errors import StackFileError, UsageError
from promdash.files import FileProblem, describe_validation, line_of, parse_yaml, read_text
from promdash.prom.matchers import parse_matcher
from promdash.timefmt import parse_duration

_NAME_RE = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# The webhook receiver's service name, and its receiver's name in alertmanager.yml.
WEBHOOK_SERVICE = "webhook"
RESERVED_SERVICES = ("prometheus", "grafana", "alertmanager", WEBHOOK_SERVICE)
MAX_DASHBOARD_GRAPHS = 6


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


def _check_positive_duration(value: str) -> str:
    if parse_duration(value) <= 0:
        raise ValueError("must be more than 0")
    return value


Duration = Annotated[str, Field(min_length=2), "duration"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PrometheusSpec(_Strict):
    # The current 3.x release; the generated prometheus.yml is valid for 2.42 and later too.
    image: str = "prom/prometheus:v3.15.0"
    port: int = Field(default=9090, ge=1, le=65535)
    scrape_interval: Duration = "15s"
    evaluation_interval: Duration = "5s"
    retention: Duration = "1d"

    _durations = field_validator("scrape_interval", "evaluation_interval", "retention")(
        _check_duration
    )


class GrafanaSpec(_Strict):
    enabled: bool = True
    # 12.4: the last 12.x line, maintained into 2027.
    image: str = "grafana/grafana:13.3.0"
    port: int = Field(default=3000, ge=1, le=65535)
    # Folder holding `datasources/` and `dashboards/`, relative to the stack file.
    provisioning: str = "demo/grafana"


def _label_name(name: str) -> str:
    if not _LABEL_RE.match(name):
        raise ValueError(f"{name!r} is not a valid label name")
    return name


def _matcher(text: str) -> str:
    """One Alertmanager matcher, in the grammar silences are typed in (amtool's)."""
    try:
        parse_matcher(text)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return text


LabelName = Annotated[str, AfterValidator(_label_name)]
# In a route's group_by, "..." stands for every label (one group per alert).
GroupLabel = Annotated[str, AfterValidator(lambda n: n if n == "..." else _label_name(n))]
Matcher = Annotated[str, AfterValidator(_matcher)]


class RouteSpec(_Strict):
    """Alertmanager's root route: how alerts are grouped, and how soon notifications go."""

    group_by: list[GroupLabel] = Field(default_factory=lambda: ["alertname", "instance"])
    group_wait: Duration = "10s"
    group_interval: Duration = "30s"
    repeat_interval: Duration = "4h"

    _wait = field_validator("group_wait")(_check_duration)
    _intervals = field_validator("group_interval", "repeat_interval")(_check_positive_duration)


class InhibitRuleSpec(_Strict):
    """One inhibition rule, in Alertmanager's own format."""

    source_matchers: list[Matcher] = Field(min_length=1)
    target_matchers: list[Matcher] = Field(min_length=1)
    equal: list[LabelName] = Field(default_factory=list)


class WebhookSpec(_Strict):
    """promdash's webhook receiver (`python -m promdash.exporters.webhook`)."""

    enabled: bool = True
    port: int = Field(default=5001, ge=1, le=65535)


class AlertmanagerSpec(_Strict):
    enabled: bool = True
    image: str = "prom/alertmanager:v0.34.1"
    port: int = Field(default=9093, ge=1, le=65535)
    route: RouteSpec = Field(default_factory=RouteSpec)
    inhibit_rules: list[InhibitRuleSpec] = Field(default_factory=list)
    webhook: WebhookSpec = Field(default_factory=WebhookSpec)


class ExporterSpec(_Strict):
    name: str = Field(pattern=_NAME_RE)
    port: int = Field(ge=1, le=65535)
    group: str = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    # Extra flags for the exporter, e.g. ["--normal.mean=0.0002"].
    args: list[str] = Field(default_factory=list)

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name in labels:
            if not _LABEL_RE.match(name) or name.startswith("__"):
                raise ValueError(f"{name!r} is not a valid Prometheus label name")
            if name in ("group", "job", "instance"):
                raise ValueError(f"label {name!r} is set by promdash; use the `{name}` field")
        return labels


class ExportersSpec(_Strict):
    job: str = Field(default="example-random", min_length=1)
    scrape_interval: Duration = "5s"
    image: str = "promdash/random-exporter:0.1.0"
    # Folder with the exporter's Dockerfile, relative to the stack file.
    build: str = "demo/exporter"
    instances: list[ExporterSpec] = Field(min_length=1)

    _durations = field_validator("scrape_interval")(_check_duration)

    @model_validator(mode="after")
    def _unique(self) -> ExportersSpec:
        names = [e.name for e in self.instances]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"exporter name {name!r} is used twice")
            if name in RESERVED_SERVICES:
                raise ValueError(f"exporter name {name!r} is reserved")
        return self


class RuleSpec(_Strict):
    """One rule, in Prometheus's own rule-file format."""

    record: str | None = None
    alert: str | None = None
    expr: str = Field(min_length=1)
    for_: Duration | None = Field(default=None, alias="for")
    keep_firing_for: Duration | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    _durations = field_validator("for_", "keep_firing_for")(
        lambda v: v if v is None else _check_duration(v)
    )

    @model_validator(mode="after")
    def _kind(self) -> RuleSpec:
        if (self.record is None) == (self.alert is None):
            raise ValueError("a rule needs exactly one of `record` or `alert`")
        if self.record is not None and (self.for_ or self.annotations):
            raise ValueError("`for` and `annotations` only apply to alerting rules")
        return self

    def to_prometheus(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True) | {
            "expr": self.expr
        }


class RuleGroupSpec(_Strict):
    name: str = Field(min_length=1)
    interval: Duration | None = None
    rules: list[RuleSpec] = Field(min_length=1)

    _durations = field_validator("interval")(lambda v: v if v is None else _check_duration(v))


def _not_blank(value: str) -> str:
    """`value` without the spaces around it (a YAML `|` block ends in a newline)."""
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _one_line(value: str) -> str:
    if "\n" in value:
        raise ValueError("must be one line")
    return value


class GraphSpec(_Strict):
    """One graph of the dashboard's overview."""

    title: Annotated[str, AfterValidator(_not_blank), AfterValidator(_one_line)]
    query: Annotated[str, AfterValidator(_not_blank)]  # PromQL; may span lines


class DashboardSpec(_Strict):
    graphs: list[GraphSpec] = Field(default_factory=list)

    @field_validator("graphs")
    @classmethod
    def _few(cls, graphs: list[GraphSpec]) -> list[GraphSpec]:
        # The overview shares its screen with targets and alerts: more graphs than
        # this would each be too small to read.
        if len(graphs) > MAX_DASHBOARD_GRAPHS:
            raise ValueError(f"at most {MAX_DASHBOARD_GRAPHS} graphs (found {len(graphs)})")
        return graphs


class Stack(_Strict):
    version: Literal[1] = 1
    name: str = Field(pattern=_NAME_RE)
    # `loopback` publishes ports on 127.0.0.1 only; `all` opts in to every interface.
    publish: Literal["loopback", "all"] = "loopback"
    prometheus: PrometheusSpec = Field(default_factory=PrometheusSpec)
    grafana: GrafanaSpec = Field(default_factory=GrafanaSpec)
    alertmanager: AlertmanagerSpec = Field(default_factory=AlertmanagerSpec)
    exporters: ExportersSpec
    rules: list[RuleGroupSpec] = Field(default_factory=list)
    # Graphs the dashboard's overview shows for this stack's Prometheus.
    dashboard: DashboardSpec = Field(default_factory=DashboardSpec)

    # Where the file was read from; relative paths in the stack resolve against it.
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _ports(self) -> Stack:
        seen: dict[int, str] = {}
        for name, port in self.ports().items():
            if port in seen:
                raise ValueError(f"port {port} is used by both {seen[port]} and {name}")
            seen[port] = name
        return self

    @property
    def base_dir(self) -> Path:
        return self.source.parent if self.source else Path.cwd()

    def service_names(self) -> list[str]:
        return list(self.ports())

    @property
    def webhook_enabled(self) -> bool:
        """The webhook receiver runs only beside the Alertmanager that sends to it."""
        return self.alertmanager.enabled and self.alertmanager.webhook.enabled

    def ports(self) -> dict[str, int]:
        """Host port of every service, by service name."""
        ports = {"prometheus": self.prometheus.port}
        if self.grafana.enabled:
            ports["grafana"] = self.grafana.port
        if self.alertmanager.enabled:
            ports["alertmanager"] = self.alertmanager.port
        if self.webhook_enabled:
            ports[WEBHOOK_SERVICE] = self.alertmanager.webhook.port
        return ports | {e.name: e.port for e in self.exporters.instances}

    @property
    def bind_host(self) -> str:
        return "0.0.0.0" if self.publish == "all" else "127.0.0.1"

    def leaving_out(self, names: Sequence[str]) -> Stack:
        """The stack without the named services (`up --without`), so nothing scrapes them."""
        unknown = sorted(set(names) - set(self.service_names()))
        if unknown:
            raise UsageError(
                f"--without {unknown[0]}: no such service (services: "
                f"{', '.join(self.service_names())})"
            )
        if "prometheus" in names:
            raise UsageError("--without prometheus: every stack needs its Prometheus")
        instances = [e for e in self.exporters.instances if e.name not in names]
        if not instances:
            raise UsageError("--without: a stack needs at least one exporter")
        alertmanager = self.alertmanager
        webhook = alertmanager.webhook.model_copy(
            update={"enabled": alertmanager.webhook.enabled and WEBHOOK_SERVICE not in names}
        )
        return self.model_copy(
            update={
                "exporters": self.exporters.model_copy(update={"instances": instances}),
                "grafana": self.grafana.model_copy(
                    update={"enabled": self.grafana.enabled and "grafana" not in names}
                ),
                "alertmanager": alertmanager.model_copy(
                    update={
                        "enabled": alertmanager.enabled and "alertmanager" not in names,
                        "webhook": webhook,
                    }
                ),
            }
        )

    def exporter(self, name: str) -> ExporterSpec | None:
        return next((e for e in self.exporters.instances if e.name == name), None)


def default_stack_path() -> Path:
    """The demo stack shipped with promdash (repo checkout or installed wheel)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (
        here / "_data" / "stacks" / "demo.yaml",
        here.parent / "stacks" / "demo.yaml",
    ):
        if candidate.is_file():
            return candidate
    raise StackFileError("the bundled demo stack is missing; reinstall promdash")


def parse_stack(text: str, source: Path | None = None) -> Stack:
    """Validate stack YAML; errors name the file, line and field in one line."""
    where = str(source) if source else "<stack>"
    try:
        data, node = parse_yaml(text)
    except FileProblem as exc:
        raise StackFileError(f"{exc.where(where)}: {exc}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{where}: a stack file must be a YAML mapping (see stacks/demo.yaml)")
    try:
        stack = Stack.model_validate(data)
    except ValidationError as exc:
        loc, field, message = describe_validation(dict(exc.errors()[0]))
        line_no = line_of(node, loc)
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        at = f":{line_no}" if line_no else ""
        raise StackFileError(f"{where}{at}: {field}: {message}{more}") from None
    return stack.model_copy(update={"source": source})


def load_stack(path: Path | None = None) -> Stack:
    path = path or default_stack_path()
    try:
        text = read_text(path)
    except OSError as exc:
        raise StackFileError(f"{path}: cannot read stack file: {exc.strerror or exc}") from None
    except FileProblem as exc:
        raise StackFileError(f"{path}: {exc}") from None
    return parse_stack(text, path.resolve())


def source_line(stack: Stack, loc: Sequence[int | str]) -> int | None:
    """Line in the stack's own file of the field at `loc`, for errors found after parsing."""
    if stack.source is None:
        return None
    try:
        node = parse_yaml(read_text(stack.source))[1]
    except (OSError, FileProblem):
        return None
    return line_of(node, loc)
