"""The user's files: read with bounds, written atomically, kept private.

Stack files, the config file and `state.json` are small. Reading them is
bounded (size and nesting), so `--stack /dev/zero` or a deeply nested YAML file
is one line of error, never an exhausted memory or a `RecursionError`. Files
promdash writes are replaced in one rename after an fsync, so a crash never
leaves half a file, and they never get a wider mode than the one asked for.

Imports nothing of promdash and no YAML or pydantic at import time: the query
commands import this before their first output.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 1 << 20  # the demo stack is 3 KB; a state file well under 100 KB
MAX_DEPTH = 64  # YAML nesting; the demo stack needs 6


class FileProblem(ValueError):
    """A file that cannot be used as it is; `str()` says why, without the file's name.

    `line` is the 1-based line it is about, when there is one.
    """

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line

    def where(self, name: object) -> str:
        """`name:line` (or just `name`), the prefix of the one-line error users see."""
        return f"{name}:{self.line}" if self.line else str(name)


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a small file; FileProblem when it is larger than `limit` or not text.

    OSError (missing, unreadable) is left to the caller, which knows what the file is for.
    """
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)  # never more: /dev/zero and FIFOs end here
    if len(data) > limit:
        raise FileProblem(f"larger than {limit // 1024} KiB; this is not the file promdash wants")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileProblem("not a text file (UTF-8 expected)") from None


def parse_yaml(text: str) -> tuple[Any, Any]:
    """(data, node tree) of one YAML document; the nodes give line numbers for errors.

    Raises FileProblem with the 1-based line when the YAML is invalid or nested
    deeper than MAX_DEPTH.
    """
    import yaml

    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            _check_depth(node)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FileProblem(f"invalid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise FileProblem("invalid YAML: " + " ".join(str(exc).split())) from None
    return data, node


def _check_depth(root: Any) -> None:
    import yaml

    todo = [(root, 1)] if root is not None else []
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise FileProblem(f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            todo.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((child, depth + 1) for child in node.value)


def line_of(node: Any, loc: Sequence[int | str]) -> int | None:
    """1-based line of the YAML node at `loc`, or of its closest existing parent.

    An unknown field points at its own key; a missing one at its parent.
    """
    import yaml

    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next((p for p in node.value if getattr(p[0], "value", None) == key), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def describe_validation(error: dict[str, Any]) -> tuple[list[str | int], str, str]:
    """(location, dotted field, message) of one pydantic error, in the words users read."""
    loc = [p for p in error["loc"] if p not in ("function-after", "function-plain")]
    field = ".".join("for" if p == "for_" else str(p) for p in loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return loc, field, "unknown field"
    if kind == "missing":
        return loc, field, "required field is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and kind.endswith("_type"):
        message += f" (got {type(error['input']).__name__})"
    return loc, field, message


def state_root() -> Path:
    """`$PROMDASH_STATE_DIR`, else `$XDG_STATE_HOME/promdash`, else ~/.local/state/promdash."""
    if explicit := os.environ.get("PROMDASH_STATE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "promdash"


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) as a directory only its owner can enter (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # not ours: leave its mode alone
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    return path


def atomic_write(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Replace `path` with `text` in one rename: readers see the old file or the new one.

    The new file has exactly `mode`, whatever the umask; the data is on disk
    (fsync) before the rename, and the rename before this returns.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def private_opener(path: str, flags: int) -> int:
    """`open(..., opener=private_opener)`: a new file is created owner-only (logs)."""
    return os.open(path, flags, 0o600)
