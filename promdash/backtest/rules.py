"""The alerting rule a backtest replays: from the server, a rule file (`rulefiles`) or flags.

A `Rule` is what Prometheus needs to evaluate one: its expression, `for`,
`keep_firing_for` and labels, and where it came from (its group's interval and,
on a server, when the group was last evaluated: the phase of its ticks).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import msgspec

from promdash.errors import BadResponseError, NoSuchRule, UsageError
from promdash.timefmt import parse_rfc3339

if TYPE_CHECKING:
    from promdash.prom.client import PromClient

Source = Literal["server", "file", "inline"]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    expr: str
    hold: float = 0.0  # `for`, seconds
    keep_firing_for: float = 0.0  # seconds
    labels: Mapping[str, str] = field(default_factory=dict)
    source: Source = "inline"
    group: str = ""
    file: str = ""  # the rule file (as the server names it) or the file read
    interval: float | None = None  # the group's evaluation interval, when it says
    last_evaluation: float | None = None  # the group's last evaluation on the server

    def alert_labels(self, metric: Mapping[str, str]) -> dict[str, str]:
        """The labels of the alert a returned series makes: its own without the metric
        name, the rule's (templates of `$labels` expanded), and `alertname`."""
        labels = {k: v for k, v in metric.items() if k != "__name__"}
        for name, value in self.labels.items():
            labels[name] = expand(value, metric)
            if not labels[name]:  # as in Prometheus, a label set empty is no label
                del labels[name]
        labels["alertname"] = self.name
        return labels

    def templated(self) -> list[str]:
        """The rule's label names whose templates promdash does not expand."""
        return [n for n, v in self.labels.items() if "{{" in _TEMPLATE.sub("", v)]


# `{{ $labels.job }}`, `{{ .Labels.job }}`, `{{ index $labels "job" }}`: the forms label
# templates use to copy a label; anything else (`$value`, functions) is kept as written.
_TEMPLATE = re.compile(
    r"\{\{-?\s*(?:\$labels\.|\.Labels\.)([a-zA-Z_][a-zA-Z0-9_]*)\s*-?\}\}"
    r'|\{\{-?\s*index\s+(?:\$labels|\.Labels)\s+"([^"\\]*)"\s*-?\}\}'
)


def expand(value: str, metric: Mapping[str, str]) -> str:
    if "{{" not in value:
        return value
    return _TEMPLATE.sub(lambda m: metric.get(m.group(1) or m.group(2), ""), value)


def pick(rules: Sequence[Rule], name: str, group: str | None, where: str) -> Rule:
    """The rule `name` (in `group`, when given) of those found in `where` (a file or a
    server's URL); one clear line when there is none (close names listed) or several
    (their groups listed)."""
    named = [r for r in rules if r.name == name]
    found = [r for r in named if group is None or r.group == group]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        groups = ", ".join(f"{r.group} ({r.file})" if r.file != where else r.group for r in found)
        raise UsageError(
            f"alerting rule {name} is in {len(found)} groups of {where}: {groups}; "
            "pick one with --group"
        )
    if named:
        groups = ", ".join(sorted({r.group for r in named}))
        raise NoSuchRule(f"no alerting rule {name} in group {group} of {where} (it is in {groups})")
    names = sorted({r.name for r in rules})
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    if close:
        hint = f"; did you mean {', '.join(close)}?"
    elif not names:
        hint = " (it has no alerting rules)"
    elif len(names) <= 8:
        hint = f" (its alerting rules: {', '.join(names)})"
    else:
        hint = f" ({len(names)} alerting rules; `promdash alerts` lists them)"
    raise NoSuchRule(f"no alerting rule {name} in {where}{hint}")


# ---------------------------------------------------------------- rules on the server
# PromClient.rules() keeps neither `keepFiringFor` nor the groups' `lastEvaluation`:
# the rules answer is read here with both.


class _WireRule(msgspec.Struct, rename="camel"):
    name: str
    type: str
    query: str = ""
    duration: float = 0.0
    keep_firing_for: float = 0.0
    labels: dict[str, str] | None = None


class _WireGroup(msgspec.Struct, rename="camel"):
    name: str
    file: str = ""
    interval: float = 0.0
    last_evaluation: str = ""
    rules: list[_WireRule] | None = None


class _WireRules(msgspec.Struct):
    groups: list[_WireGroup] | None = None


class _WireAnswer(msgspec.Struct):
    data: _WireRules


_RULES = msgspec.json.Decoder(_WireAnswer)


def decode_rules(raw: bytes, endpoint: str, status: int) -> list[Rule]:
    """The alerting rules of a `/api/v1/rules` answer (errors as every decoder raises)."""
    from promdash.prom import wire

    wire.decode_envelope(raw, status, endpoint)  # an error envelope raises its error
    try:
        answer = _RULES.decode(raw)
    except msgspec.ValidationError as exc:
        raise BadResponseError(endpoint, wire.describe(exc)) from None
    rules = []
    for g in answer.data.groups or ():
        evaluated = parse_rfc3339(g.last_evaluation)
        for r in g.rules or ():
            if r.type != "alerting":
                continue
            rules.append(
                Rule(
                    name=r.name,
                    expr=r.query,
                    hold=r.duration,
                    keep_firing_for=r.keep_firing_for,
                    labels=r.labels or {},
                    source="server",
                    group=g.name,
                    file=g.file,
                    interval=g.interval or None,
                    last_evaluation=evaluated.timestamp() if evaluated else None,
                )
            )
    return rules


async def server_rule(client: PromClient, name: str, group: str | None = None) -> Rule:
    """The alerting rule `name` (of `group`) the server evaluates."""
    narrow = [("rule_name[]", name)] + ([("rule_group[]", group)] if group else [])
    params = [("type", "alert"), ("exclude_alerts", "true")]
    # The server picks the rule by name where it can (2.44 and later); without a
    # match, all of them are asked for, to name the close ones.
    rules = await client._get("api/v1/rules", decode_rules, params + narrow)
    if not any(r.name == name for r in rules):
        rules = await client._get("api/v1/rules", decode_rules, params)
    return pick(rules, name, group, client.conn.url)
