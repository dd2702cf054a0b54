"""PromQL text promdash writes: string literals, selectors, and names old and new.

Prometheus 3 accepts any UTF-8 metric and label name, but only quoted (inside
braces for a metric name); a name valid in Prometheus 2 is left bare so both
understand it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache

LEGACY_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LEGACY_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# Text that needs no escape inside a PromQL string: most label values.
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')


def promql_string(text: str) -> str:
    """`text` as a double-quoted PromQL string literal."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'  # what json.dumps gives, ten times faster: tables quote 20,000
    return json.dumps(text, ensure_ascii=False)


def quote_metric_name(name: str) -> str:
    """A selector for metric `name`: `up`, or `{"http.server.duration"}` for UTF-8 names.

    Prometheus 3.x accepts any UTF-8 metric name, but only inside braces and
    quotes; a legacy-valid name is left bare so 2.x servers understand it.
    """
    return name if LEGACY_NAME.match(name) else "{" + promql_string(name) + "}"


@lru_cache(maxsize=1024)
def quote_label_name(name: str) -> str:
    return name if LEGACY_LABEL.match(name) else promql_string(name)


def selector(name: str | None = None, labels: Mapping[str, str] | None = None) -> str:
    """A series selector for `name` and equality matchers, quoting UTF-8 names as needed."""
    matchers = [f"{quote_label_name(k)}={promql_string(v)}" for k, v in (labels or {}).items()]
    if name is None:
        return "{" + ", ".join(matchers) + "}"
    if LEGACY_NAME.match(name):
        return name + ("{" + ", ".join(matchers) + "}" if matchers else "")
    return "{" + ", ".join([promql_string(name), *matchers]) + "}"


def escape_label_name_for_path(name: str) -> str:
    """A label name for `/api/v1/label/<name>/values`: UTF-8 names use `U__` escaping."""
    if LEGACY_LABEL.match(name):
        return name
    out = ["U__"]
    for char in name:
        if char == "_":
            out.append("__")
        elif char.isascii() and (char.isalnum() or char == ":"):
            out.append(char)
        else:
            out.append(f"_{ord(char):x}_")
    return "".join(out)
