"""What promdash remembers between runs: the last theme chosen, and graphs per server.

Kept in the state directory, apart from the config file: the config file is the
user's own words (comments, order, mode), and promdash never rewrites it.
Everything here is a convenience: an unreadable or malformed file means "nothing
remembered", never an error.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from promdash.files import FileProblem, atomic_write, private_dir, read_text, state_root

if TYPE_CHECKING:
    from promdash.config import Connection

PREFERENCES_FILE = "preferences.json"
GRAPHS_FILE = "graphs.json"
RECENT_PER_SERVER = 20
SERVERS_KEPT = 50

# A graph of the dashboard's overview: (title, PromQL). The same alias as the TUI's
# (promdash.tui.settings.OverviewGraph), which this module must not import.
OverviewGraph = tuple[str, str]


def preferences_path() -> Path:
    return state_root() / PREFERENCES_FILE


def remembered_theme(path: Path | None = None) -> str | None:
    """The theme chosen last in the dashboard; None when there is none or the file is unusable."""
    try:
        data = json.loads(read_text(path or preferences_path()))
    except (OSError, FileProblem, ValueError):
        return None  # a preference is a convenience: a bad file means "none"
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def remember_theme(theme: str, path: Path | None = None) -> None:
    """Remember `theme` (owner-only file, written atomically)."""
    path = path or preferences_path()
    try:
        data = json.loads(read_text(path))
    except (OSError, FileProblem, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["theme"] = theme
    private_dir(path.parent)
    atomic_write(path, json.dumps(data, indent=2) + "\n")


def server_key(conn: Connection) -> str:
    """Whose graphs: the config context's name (`context prod`), else the server's URL.

    A context keeps its graphs when its URL moves. The URL is cut to scheme, host and
    path, so a password or token in it never reaches the file.
    """
    if conn.source.startswith("context "):
        return conn.source
    parts = urlsplit(conn.url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


class GraphMemory:
    """The graphs one user opened on one server, newest first, and the overview's choice.

    Like shell history, one file serves every server and every run: each change
    re-reads the file, so a dashboard open on another server at the same time loses
    none of its entries (short of two writes in the same instant).
    """

    def __init__(self, server: str, path: Path | None = None) -> None:
        self.server = server
        self.path = path or state_root() / GRAPHS_FILE

    def recent(self) -> list[str]:
        """PromQL of the graphs opened on this server, newest first."""
        return list(self._entry(self._servers()).get("recent", []))

    def opened(self, query: str) -> None:
        """Record `query` as the newest graph opened (once: an older copy moves up)."""
        servers = self._servers()
        entry = self._entry(servers)
        recent = [query] + [q for q in entry.get("recent", []) if q != query]
        entry["recent"] = recent[:RECENT_PER_SERVER]
        self._save(servers, entry)

    def overview(self) -> list[OverviewGraph] | None:
        """The user's own choice of overview graphs; None when never set here."""
        graphs = self._entry(self._servers()).get("overview")
        return None if graphs is None else [(title, query) for title, query in graphs]

    def set_overview(self, graphs: list[OverviewGraph]) -> None:
        servers = self._servers()
        entry = self._entry(servers)
        entry["overview"] = [[title, query] for title, query in graphs]
        self._save(servers, entry)

    def _servers(self) -> dict[str, dict[str, Any]]:
        """Every server's entry, most recently changed first; bad parts left out."""
        try:
            data = json.loads(read_text(self.path))
        except (OSError, FileProblem, ValueError):
            return {}
        servers = data.get("servers") if isinstance(data, dict) else None
        if not isinstance(servers, dict):
            return {}
        return {key: _clean(entry) for key, entry in servers.items() if isinstance(entry, dict)}

    def _entry(self, servers: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return dict(servers.get(self.server, {}))

    def _save(self, servers: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
        others = [(k, v) for k, v in servers.items() if k != self.server]
        kept = dict([(self.server, entry), *others][:SERVERS_KEPT])
        # A memory that cannot be written (read-only or full disk) is not worth
        # stopping the dashboard for: the graphs are simply not remembered.
        with contextlib.suppress(OSError):
            private_dir(self.path.parent)
            atomic_write(self.path, json.dumps({"servers": kept}, indent=2) + "\n")


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry with only well-formed values (a hand-edited file may hold anything)."""
    clean: dict[str, Any] = {}
    recent = entry.get("recent")
    if isinstance(recent, list):
        clean["recent"] = [q for q in recent if isinstance(q, str) and q][:RECENT_PER_SERVER]
    overview = entry.get("overview")
    if isinstance(overview, list):
        clean["overview"] = [list(graph) for graph in overview if _is_graph(graph)]
    return clean


def _is_graph(value: object) -> bool:
    """[title, PromQL], both non-empty text."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(part, str) and part for part in value)
    )
