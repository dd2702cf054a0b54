"""Alerting rules read from a Prometheus rule file or a promdash stack file.

A rule file is read as Prometheus reads it, but leniently: fields promdash does not
need (annotations...) are ignored, so any valid rule file works; a field of the
wrong shape is one line naming the file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from promdash.backtest.rules import Rule
from promdash.errors import RuleFileError, StackFileError
from promdash.files import FileProblem, describe_validation, line_of, parse_yaml, read_text
from promdash.timefmt import parse_duration


class _Lenient(BaseModel):
    # Prometheus reads `expr: 1` and `labels: {priority: 1}` as text: so does this.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


class _FileRule(_Lenient):
    alert: str | None = None
    record: str | None = None
    expr: str = ""
    for_: str = Field(default="0s", alias="for")
    keep_firing_for: str = "0s"
    labels: dict[str, str] = Field(default_factory=dict)


class _FileGroup(_Lenient):
    name: str
    interval: str | None = None
    query_offset: str | None = None
    limit: int = 0
    rules: list[_FileRule] = Field(default_factory=list)


class _RuleFile(_Lenient):
    groups: list[_FileGroup] = Field(default_factory=list)


def file_rules(path: Path) -> list[Rule]:
    """The alerting rules of a Prometheus rule file (`groups:`) or a promdash stack file
    (`rules:`, their interval the stack's evaluation_interval unless the group says)."""
    try:
        data, node = parse_yaml(read_text(path))
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read rule file: {exc.strerror or exc}") from None
    except FileProblem as exc:
        raise RuleFileError(f"{exc.where(path)}: {exc}") from None
    if isinstance(data, dict) and "groups" not in data and "rules" in data:
        return _stack_rules(path)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise RuleFileError(
            f"{path}: neither a Prometheus rule file (groups:) nor a promdash stack file (rules:)"
        )
    try:
        parsed = _RuleFile.model_validate(data)
    except ValidationError as exc:
        at, where, message = describe_validation(dict(exc.errors()[0]))
        raise RuleFileError(f"{_at(path, node, at)}: {where}: {message}") from None
    rules = []
    for g, group in enumerate(parsed.groups):
        interval = _seconds(path, node, ["groups", g, "interval"], group.interval)
        offset = _seconds(path, node, ["groups", g, "query_offset"], group.query_offset)
        for r, rule in enumerate(group.rules):
            if rule.alert is None:
                continue
            loc: list[str | int] = ["groups", g, "rules", r]
            rules.append(
                Rule(
                    name=rule.alert,
                    expr=rule.expr,
                    hold=_seconds(path, node, [*loc, "for"], rule.for_) or 0.0,
                    keep_firing_for=_seconds(
                        path, node, [*loc, "keep_firing_for"], rule.keep_firing_for
                    )
                    or 0.0,
                    labels=rule.labels,
                    source="file",
                    group=group.name,
                    file=str(path),
                    interval=interval or None,
                    limit=group.limit,
                    query_offset=offset,
                )
            )
    return rules


def _at(path: Path, node: Any, loc: list[str | int]) -> str:
    line = line_of(node, loc)
    return f"{path}:{line}" if line else str(path)


def _seconds(path: Path, node: Any, loc: list[str | int], text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        where = ".".join(map(str, loc))
        raise RuleFileError(f"{_at(path, node, loc)}: {where}: {exc}") from None


def _stack_rules(path: Path) -> list[Rule]:
    from promdash.stack.model import load_stack

    try:
        stack = load_stack(path)
    except StackFileError as exc:
        raise RuleFileError(str(exc)) from None
    default = parse_duration(stack.prometheus.evaluation_interval)
    return [
        Rule(
            name=rule.alert,
            expr=rule.expr,
            hold=parse_duration(rule.for_) if rule.for_ else 0.0,
            keep_firing_for=parse_duration(rule.keep_firing_for) if rule.keep_firing_for else 0.0,
            labels=rule.labels,
            source="file",
            group=group.name,
            file=str(path),
            interval=parse_duration(group.interval) if group.interval else default,
        )
        for group in stack.rules
        for rule in group.rules
        if rule.alert is not None
    ]
