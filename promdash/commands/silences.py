"""The Alertmanager commands: silences, silence add, silence expire; and finding the
Alertmanager, for them and for the Alertmanager side of `promdash alerts`.

Which Alertmanager: `--alertmanager-url`, else the `alertmanager:` block of the
config context in use, else the running stack's (the one whose Prometheus is in
use), else the first one Prometheus reports (`/api/v1/alertmanagers`) that
answers from here. The silence commands need one (exit 10 without); `alerts`
shows Prometheus's side alone when there is none.

Writes go through Alertmanager's API v2 only, after every argument was checked:
a bad matcher, duration, comment or ID ends the command before anything is sent.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from promdash.commands import AlertmanagerFlags, connection, say
from promdash.commands.query import Output

if TYPE_CHECKING:
    from promdash.config import Connection
    from promdash.prom.alertmanager import AlertmanagerClient
    from promdash.prom.am_types import AlertmanagerAlert, Silence
    from promdash.prom.client import PromClient

T = TypeVar("T")

NAME_ONE = (
    "name one with --alertmanager-url URL, or an alertmanager: block (url: ...) in the "
    "config context"
)


# ---------------------------------------------------------------- finding the Alertmanager


def _named(args: argparse.Namespace, prometheus: Connection) -> Connection | None:
    """The Alertmanager the flags, the config context or the stack name; None if none."""
    return AlertmanagerFlags.from_args(args).named(prometheus)


async def _reported(
    args: argparse.Namespace, prometheus: PromClient
) -> tuple[Connection | None, str]:
    """The first Alertmanager Prometheus reports that answers, and why none did."""
    from promdash.prom.alertmanager import discover

    connect = AlertmanagerFlags.from_args(args).reported
    return await discover(prometheus, connect)


async def find_alertmanager(args: argparse.Namespace, prometheus: Connection) -> Connection:
    """The Alertmanager to use; NoAlertmanager (one line: why, and how to name one)."""
    from promdash.errors import NoAlertmanager
    from promdash.prom.client import PromClient

    named = _named(args, prometheus)
    if named is not None:
        return named
    async with PromClient(prometheus, retries=1) as client:
        found, why = await _reported(args, client)
    if found is None:
        raise NoAlertmanager(f"no Alertmanager found ({why}); {NAME_ONE}")
    return found


@dataclass(frozen=True)
class AlertmanagerSide:
    """What `promdash alerts` adds: the Alertmanager's alerts, and which one it is."""

    url: str
    alerts: list[AlertmanagerAlert]


async def alertmanager_side(
    args: argparse.Namespace, prometheus: PromClient
) -> AlertmanagerSide | None:
    """The alerts of the Alertmanager that goes with `prometheus`; None without one.

    One the user named (flag, context) that fails is an error; one only found
    (the stack's, or reported by Prometheus) that fails is a notice, and the
    command shows Prometheus's side alone.
    """
    from promdash.errors import PromError
    from promdash.prom.alertmanager import AlertmanagerClient

    named = _named(args, prometheus.conn)
    conn = named
    if conn is None:
        conn, _ = await _reported(args, prometheus)
    if conn is None:
        return None
    try:
        async with AlertmanagerClient(conn) as am:
            return AlertmanagerSide(conn.url, await am.alerts())
    except PromError as exc:
        if named is not None and not named.source.startswith("stack "):
            raise
        say(f"promdash: Alertmanager ({conn.source}) left out: {exc}")
        return None


def _on_alertmanager(
    args: argparse.Namespace, operation: Callable[[AlertmanagerClient], Awaitable[T]]
) -> T:
    """Find the Alertmanager, then run `operation` on a client of it."""
    import asyncio

    from promdash.prom.alertmanager import AlertmanagerClient

    prometheus = connection(args)

    async def go() -> T:
        conn = await find_alertmanager(args, prometheus)
        async with AlertmanagerClient(conn) as am:
            return await operation(am)

    return asyncio.run(go())


# ---------------------------------------------------------------- the commands


def list_silences(args: argparse.Namespace) -> None:
    import asyncio

    from promdash.present.silences import silences_csv, silences_json, silences_text

    out = Output.to_stdout(args.output)

    async def both(am: AlertmanagerClient) -> tuple[str, list[Silence], list[AlertmanagerAlert]]:
        silences, alerts = await asyncio.gather(am.silences(), am.alerts())
        return am.conn.url, silences, alerts

    url, silences, alerts = _on_alertmanager(args, both)
    now = time.time()
    if out.format == "json":
        print(silences_json(silences, alerts, now, state=args.state, url=url))
    elif out.format == "csv":
        print(silences_csv(silences, alerts, now, state=args.state))
    else:
        print(
            silences_text(silences, alerts, now, state=args.state, color=out.color, width=out.width)
        )


def add(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime, timedelta

    from promdash.errors import UsageError
    from promdash.prom.am_types import mutes
    from promdash.prom.matchers import parse_matchers
    from promdash.timefmt import date_time_text

    matchers = parse_matchers(args.matchers)
    comment = args.comment.strip()
    if not comment:
        raise UsageError("--comment: say why the alerts are silenced (it is shown to others)")
    author = (args.author if args.author is not None else login_name()).strip()
    if not author:
        raise UsageError("--author NAME: who silenced the alerts (no login name was found)")
    ends = datetime.now(UTC) + timedelta(seconds=args.duration)

    async def create(am: AlertmanagerClient) -> tuple[str, int]:
        alerts = await am.alerts()
        silence_id = await am.create_silence(
            matchers, ends_at=ends, created_by=author, comment=comment
        )
        return silence_id, sum(mutes(matchers, a.labels) for a in alerts)

    silence_id, muted = _on_alertmanager(args, create)
    print(silence_id, flush=True)
    count = f"{muted} current alert{'' if muted == 1 else 's'}"
    say(f"promdash: silence {silence_id} mutes {count} until {date_time_text(ends.timestamp())}")


def expire(args: argparse.Namespace) -> None:
    import re

    from promdash.errors import UsageError, one_line

    for given in args.ids:
        if not re.fullmatch(r"[0-9a-fA-F-]{4,36}", given):
            raise UsageError(
                f"{one_line(given, 80)!r} is not a silence ID (a UUID, or its first characters "
                "as `promdash alerts` shows them; `promdash silences` lists them)"
            )

    async def end_them(am: AlertmanagerClient) -> list[Silence]:
        # Every ID is looked up first: one that does not exist ends nothing.
        listed: list[Silence] | None = None
        found = []
        for given in args.ids:
            if len(given) == 36:
                found.append(await am.silence(given))
                continue
            listed = listed if listed is not None else await am.silences()
            found.append(_by_prefix(given, listed))
        for silence in found:
            if silence.state != "expired":
                await am.expire_silence(silence.id)
        return found

    for silence in _on_alertmanager(args, end_them):
        if silence.state == "expired":
            say(f"promdash: silence {silence.id} had already expired")
        else:
            say(f"promdash: silence {silence.id} expired")


def _by_prefix(prefix: str, silences: list[Silence]) -> Silence:
    """The one silence whose ID starts with `prefix` (a short ID from `promdash alerts`)."""
    from promdash.errors import APIError, UsageError

    matches = [s for s in silences if s.id.startswith(prefix.lower())]
    if not matches:
        raise APIError("", f"no silence has an ID starting with {prefix}", 404)
    if len(matches) > 1:
        ids = ", ".join(s.id for s in matches[:3])
        raise UsageError(f"{prefix} starts {len(matches)} silence IDs ({ids}); give more of it")
    return matches[0]


def login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no $USER and no passwd entry (a bare container)
        return ""
