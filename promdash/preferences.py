"""What promdash remembers between runs (the last theme chosen).

Kept in the state directory, apart from the config file: the config file is the
user's own words (comments, order, mode), and promdash never rewrites it.
"""

from __future__ import annotations

import json
from pathlib import Path

from promdash.files import FileProblem, atomic_write, private_dir, read_text, state_root

PREFERENCES_FILE = "preferences.json"


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
