"""Plain typed values decoded from Alertmanager's API v2: alerts, silences, status.

What the CLI and the dashboard show of Alertmanager comes through these types,
as `promdash.prom.types` does for Prometheus. Matching (`Matcher.matches`,
`Silence.mutes`) is Alertmanager's own rule, so a silence can be previewed
before it is saved: which current alerts it would mute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from msgspec import Struct, field

SilenceState = Literal["active", "pending", "expired"]
# unprocessed: received, not yet run through inhibitions and silences.
AlertmanagerState = Literal["unprocessed", "active", "suppressed"]
Operator = Literal["=", "!=", "=~", "!~"]


class Matcher(Struct, frozen=True, gc=False):
    """One label matcher of a silence (`instance="a:1"`, `job=~"node.*"`)."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True  # False: `!=` or `!~`

    @property
    def operator(self) -> Operator:
        if self.is_regex:
            return "=~" if self.is_equal else "!~"
        return "=" if self.is_equal else "!="

    def __str__(self) -> str:
        """As amtool and Alertmanager's UI write it: `name="value"` (quotes escaped)."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.operator}"{escaped}"'

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Alertmanager's rule: a missing label is the empty string; a regex matches whole."""
        value = labels.get(self.name, "")
        if self.is_regex:
            found = _anchored(self.value).fullmatch(value) is not None
        else:
            found = value == self.value
        return found == self.is_equal


def _anchored(pattern: str) -> re.Pattern[str]:
    # Alertmanager anchors every regex (`^(?:...)$`): fullmatch does the same.
    # Patterns come checked (promdash.prom.matchers) or from Alertmanager, which
    # accepted them; one that Python's re still refuses matches nothing.
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return re.compile(r"(?!)")


def matchers_text(matchers: Iterable[Matcher]) -> str:
    """`{alertname="InstanceDown", instance=~"a.*"}`, as amtool prints a silence's matchers."""
    return "{" + ", ".join(map(str, matchers)) + "}"


def mutes(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether a silence with these matchers mutes an alert with these labels (all match)."""
    return bool(matchers) and all(m.matches(labels) for m in matchers)


class Silence(Struct, frozen=True, gc=False):
    id: str
    matchers: list[Matcher]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: SilenceState
    updated_at: datetime | None = None

    def mutes(self, labels: Mapping[str, str]) -> bool:
        """Whether this silence's matchers match `labels` (whatever its state)."""
        return mutes(self.matchers, labels)


class AlertmanagerAlert(Struct, frozen=True, gc=False):
    """An alert as Alertmanager holds it: its state there and where it was sent."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertmanagerState
    silenced_by: list[str] = field(default_factory=list)  # silence IDs
    inhibited_by: list[str] = field(default_factory=list)  # fingerprints of inhibiting alerts
    receivers: list[str] = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    updated_at: datetime | None = None
    generator_url: str = ""


class AlertmanagerStatus(Struct, frozen=True, gc=False):
    version: str
    revision: str = ""
    branch: str = ""
    go_version: str = ""
    cluster: str = ""  # "ready", "settling" or "disabled"
    uptime: datetime | None = None
