"""`promdash backtest`: when would an alerting rule have been pending and firing?

The rule comes from the server by name, from a rule file or stack file (`--rules`),
or from the flags (`--expr`); `--for`, `--keep-firing-for` and `--labels` change a
named rule too (what if it waited longer?). The work is promdash.backtest's.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from promdash.commands import say
from promdash.commands.query import Session, command

if TYPE_CHECKING:
    from promdash.backtest import Backtest, Rule
    from promdash.prom.client import PromClient

DEFAULT_RANGE = 6 * 3600.0
INLINE_NAME = "Backtest"  # the alertname of a rule given with --expr and no NAME


@command
def backtest(s: Session, args: argparse.Namespace) -> None:
    from promdash.present import backtest as present
    from promdash.prom.client import run

    start, end, chosen = _window(args)
    changes = _changes(args)
    local = _local_rule(args, changes)

    async def go(client: PromClient) -> Backtest:
        from promdash.backtest import backtest, plan, server_rule

        rule = local or _changed(
            await server_rule(
                client, args.name, args.group, _pairs("--rule-labels", args.rule_labels)
            ),
            changes,
        )
        planned = await plan(client, rule, start, end, args.every, fit_start=not chosen)
        for notice in planned.notices:
            say(f"promdash: {notice}")
        return await backtest(client, planned, _progress() if sys.stderr.isatty() else None)

    result = run(s.connection, go)
    if s.output.format == "json":
        print(present.backtest_json(result))
    elif s.output.format == "csv":
        print(present.backtest_csv(result))
    else:
        print(present.backtest_text(result, color=s.output.color, width=s.output.width))
    for warning in result.warnings:
        say(f"promdash: warning: {warning}")


def _window(args: argparse.Namespace) -> tuple[float, float, bool]:
    """Start, end, and whether the user chose the start (else it may move to the oldest
    sample the server holds)."""
    from promdash.errors import UsageError

    if args.start is not None and args.range is not None:
        raise UsageError("give --range (ending at --end, default now) or --start, not both")
    end = args.end if args.end is not None else time.time()
    if args.start is not None:
        return args.start, end, True
    return end - (args.range or DEFAULT_RANGE), end, args.range is not None


def _changes(args: argparse.Namespace) -> dict[str, object]:
    """What the flags change in the rule: `for`, keep_firing_for, labels added."""
    from promdash.errors import UsageError
    from promdash.timefmt import parse_duration

    changes: dict[str, object] = {}
    for flag, key in (("hold", "hold"), ("keep_firing_for", "keep_firing_for")):
        text = getattr(args, flag)
        if text is not None:
            try:
                changes[key] = parse_duration(text)
            except ValueError as exc:
                name = "--for" if flag == "hold" else "--keep-firing-for"
                raise UsageError(f"{name}: {exc}") from None
    if labels := _pairs("--labels", args.labels):
        changes["labels"] = labels
    return changes


def _pairs(flag: str, given: list[str]) -> dict[str, str]:
    """NAME=VALUE flags as a mapping."""
    from promdash.errors import UsageError

    pairs = {}
    for pair in given:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"{flag} {pair!r}: expected NAME=VALUE, e.g. severity=page")
        pairs[name.strip()] = value
    return pairs


def _changed(rule: Rule, changes: dict[str, object]) -> Rule:
    import dataclasses

    labels = changes.get("labels")
    if isinstance(labels, dict):
        changes = {**changes, "labels": {**rule.labels, **labels}}
    return dataclasses.replace(rule, **changes)  # type: ignore[arg-type]


def _local_rule(args: argparse.Namespace, changes: dict[str, object]) -> Rule | None:
    """The rule the flags or a file give; None: ask the server for args.name."""
    from promdash.backtest import Rule, pick
    from promdash.errors import UsageError

    name = args.rule or args.name
    if args.rule and args.name and args.rule != args.name:
        raise UsageError(f"two rule names: {args.name} and --rule {args.rule}; give one")
    if args.expr is not None:
        if args.rules is not None:
            raise UsageError("give the rule with --expr or --rules FILE, not both")
        return _changed(Rule(name or INLINE_NAME, args.expr), changes)
    if args.rules is not None:
        from promdash.backtest.rulefiles import file_rules

        if not name:
            raise UsageError("--rules FILE needs the rule's name: --rule NAME")
        path = Path(args.rules).expanduser()
        picked = pick(file_rules(path), name, args.group, str(path),
                      _pairs("--rule-labels", args.rule_labels))  # fmt: skip
        return _changed(picked, changes)
    if args.rule:
        raise UsageError("--rule NAME picks a rule of --rules FILE; for the server's, give NAME")
    if not args.name:
        raise UsageError(
            "which rule? give its NAME (on the server), --rules FILE --rule NAME, or --expr EXPR"
        )
    return None


def _progress() -> Callable[[int, int], None]:
    """Tells the terminal how many range queries came back, when there are several."""

    def tell(done: int, total: int) -> None:
        if total > 1:
            end = "\n" if done == total else ""
            print(f"\rpromdash: {done}/{total} range queries answered", end=end,
                  file=sys.stderr, flush=True)  # fmt: skip

    return tell
