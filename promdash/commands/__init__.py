"""What each command does, one module per family; `promdash.cli` only parses and maps errors.

- `stack`: up, down, status, logs
- `query`: targets, query, tail, alerts, metrics, config
- `silences`: silences, silence add, silence expire (Alertmanager), and finding one
- `dash`: the dashboard (`promdash` with no command, and `promdash up` in a terminal)
- `dashboards`: dashboard check (Grafana dashboard files against the server)

A handler builds the values its family works with once (a connection and an output
for the query commands, a running stack and its runtime for the stack commands) and
hands them to a small function per command. Handlers print results and progress;
errors are raised (`promdash.errors`, `promdash.prom.types`) and cli.py alone prints
them. httpx, the API client, plotext and textual are imported inside the handlers:
`promdash query` must answer within 0.4 s and `promdash --help` pays for none of them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promdash.config import Connection


def say(message: str) -> None:
    """A line for the person at the terminal (progress, notices): stderr, at once."""
    print(message, file=sys.stderr, flush=True)


def connection(args: argparse.Namespace) -> Connection:
    """The server the connection flags name (see `promdash --help`, connection)."""
    from promdash.config import resolve_connection

    def stack_prometheus() -> tuple[str, str] | None:
        # Read only when no flag names a server (a running stack's Prometheus).
        from promdash.stack.state import stack_prometheus

        return stack_prometheus()

    return resolve_connection(
        url=args.url,
        context=args.context,
        token_file=args.token_file,
        headers=args.header,
        ca_file=args.ca,
        cert_file=args.cert,
        key_file=args.key,
        insecure=args.insecure,
        timeout=args.timeout,
        stack_url=stack_prometheus,
    )


@dataclass(frozen=True)
class AlertmanagerFlags:
    """The `--alertmanager-*` flags (and --timeout): which Alertmanager, and how to reach it."""

    url: str | None = None
    token_file: str | None = None
    headers: tuple[str, ...] = ()
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    timeout: float | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AlertmanagerFlags:
        return cls(
            url=args.alertmanager_url,
            token_file=args.alertmanager_token_file,
            headers=tuple(args.alertmanager_header),
            ca_file=args.alertmanager_ca,
            cert_file=args.alertmanager_cert,
            key_file=args.alertmanager_key,
            insecure=args.alertmanager_insecure,
            timeout=args.timeout,
        )

    def named(self, prometheus: Connection) -> Connection | None:
        """The Alertmanager the flags, the config context or the running stack name."""
        from promdash.config import resolve_alertmanager
        from promdash.stack.state import stack_alertmanager

        return resolve_alertmanager(
            prometheus,
            url=self.url,
            token_file=self.token_file,
            headers=self.headers,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            insecure=self.insecure,
            timeout=self.timeout,
            stack_url=stack_alertmanager,
        )

    def reported(self, url: str) -> Connection:
        """A connection to an Alertmanager Prometheus reports, with these flags' settings."""
        from promdash.config import alertmanager_connection

        return alertmanager_connection(
            url,
            "reported by Prometheus",
            token_file=self.token_file,
            headers=self.headers,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            insecure=self.insecure,
            timeout=self.timeout,
        )
