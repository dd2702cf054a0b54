"""The alerting rule a backtest replays: from the server, a rule file (`rulefiles`) or flags.

A `Rule` is what Prometheus needs to evaluate one: its expression, `for`,
`keep_firing_for` and labels, and where it came from (its group and file, which
set the phase of its ticks on a server, and the group's interval, limit and
query_offset).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from promdash.errors import NoSuchRule, UsageError

if TYPE_CHECKING:
    from promdash.prom.client import PromClient
    from promdash.prom.types import RuleGroup

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
    limit: int = 0  # the group's limit of alerts an evaluation may make (0: none)
    query_offset: float | None = None  # the group's query_offset, when it says

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


def _apart(rules: Sequence[Rule]) -> list[str]:
    """What tells rules of one name apart: the labels whose values differ, else their
    expression and `for`."""
    names = sorted({k for r in rules for k in r.labels})
    differ = [k for k in names if len({r.labels.get(k) for r in rules}) > 1]
    if differ:
        return [", ".join(f"{k}={r.labels.get(k, '')}" for k in differ) for r in rules]
    return [f"{' '.join(r.expr.split())} for {r.hold:g}s" for r in rules]


def expand(value: str, metric: Mapping[str, str]) -> str:
    if "{{" not in value:
        return value
    return _TEMPLATE.sub(lambda m: metric.get(m.group(1) or m.group(2), ""), value)


def pick(
    rules: Sequence[Rule],
    name: str,
    group: str | None,
    where: str,
    labels: Mapping[str, str] | None = None,
) -> Rule:
    """The rule `name` (in `group`, with `labels` among its own, when given) of those
    found in `where` (a file or a server's URL); one clear line when there is none
    (close names listed) or several (their groups, or the labels that tell them
    apart, listed)."""
    named = [r for r in rules if r.name == name]
    found = [r for r in named if group is None or r.group == group]
    if labels:
        found = [r for r in found if all(r.labels.get(k) == v for k, v in labels.items())]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        groups = {r.group for r in found}
        if len(groups) > 1:
            shown = ", ".join(
                f"{r.group} ({r.file})" if r.file != where else r.group for r in found
            )
            raise UsageError(
                f"alerting rule {name} is in {len(found)} groups of {where}: {shown}; "
                "pick one with --group"
            )
        raise UsageError(
            f"group {found[0].group} of {where} has {len(found)} alerting rules {name}: "
            f"{'; '.join(_apart(found))}; pick one with --rule-labels NAME=VALUE"
        )
    if named and labels:
        asked = ", ".join(f"{k}={v}" for k, v in labels.items())
        raise NoSuchRule(
            f"no alerting rule {name} with {asked} in {where} "
            f"(its rules {name}: {'; '.join(_apart(named))})"
        )
    if named:
        groups_text = ", ".join(sorted({r.group for r in named}))
        raise NoSuchRule(
            f"no alerting rule {name} in group {group} of {where} (it is in {groups_text})"
        )
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


async def server_rule(
    client: PromClient,
    name: str,
    group: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Rule:
    """The alerting rule `name` (of `group`, with `labels`) the server evaluates."""
    # The server picks the rule by name where it can (2.44 and later); without a
    # match, all of them are asked for, to name the close ones.
    groups = await client.rules(
        "alert", exclude_alerts=True, rule_name=[name], rule_group=[group] if group else []
    )
    rules = _server_rules(groups)
    if not any(r.name == name for r in rules):
        rules = _server_rules(await client.rules("alert", exclude_alerts=True))
    return pick(rules, name, group, client.conn.url, labels)


def _server_rules(groups: Sequence[RuleGroup]) -> list[Rule]:
    return [
        Rule(
            name=r.name,
            expr=r.query,
            hold=r.duration,
            keep_firing_for=r.keep_firing_for,
            labels=r.labels,
            source="server",
            group=g.name,
            file=g.file,
            interval=g.interval or None,
            limit=g.limit,
        )
        for g in groups
        for r in g.alerting
    ]
