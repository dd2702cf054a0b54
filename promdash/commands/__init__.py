"""What each command does, one module per family; `promdash.cli` only parses and maps errors.

- `stack`: up, down, status, logs
- `query`: targets, query, tail, alerts, metrics, config
- `silences`: silences, silence add, silence expire (Alertmanager), and finding one
- `dash`: the dashboard (`promdash` with no command, and `promdash up` in a terminal)

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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promdash.config import Connection


def say(message: str) -> None:
    """A line for the person at the terminal (progress, notices): stderr, at once."""
    print(message, file=sys.stderr, flush=True)


def connection(args: argparse.Namespace) -> Connection:
    """The server the connection flags name (see `promdash --help`, connection)."""
    from promdash.config import resolve_connection
    from promdash.stack.state import stack_prometheus

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
