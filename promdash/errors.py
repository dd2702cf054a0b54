"""Errors a user can cause. Each `str()` is one line; cli.py maps classes to exit codes."""

from __future__ import annotations


class PromdashError(Exception):
    """Base for every error promdash reports to users without a traceback."""


class StackFileError(PromdashError):
    """A stack file that cannot be read, parsed or validated."""


class RuntimeUnavailable(PromdashError):
    """The runtime cannot run here: no Docker engine, no prometheus binary, no image."""


class PortInUse(PromdashError):
    """A port the stack publishes is already taken."""

    def __init__(self, port: int, holder: str = "") -> None:
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"port {port} is already in use{who}; free it or change the port in the stack file"
        )
        self.port = port
        self.holder = holder


class ReadinessTimeout(PromdashError):
    """A service did not become ready in time; the message carries its last log lines."""


class StackNotRunning(PromdashError):
    """A command needs a running stack and there is none."""


class ConfigError(PromdashError):
    """A config file, token file or connection flag that cannot be used."""


class UsageError(PromdashError):
    """A flag or argument value that cannot work (a bad URL, an unknown service name)."""


class StateFileError(PromdashError):
    """A stack's state file that exists but cannot be read or does not have the state's shape."""


class StackBusy(PromdashError):
    """Another promdash process holds the stack's lock for longer than we may wait."""
