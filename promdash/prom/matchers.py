"""Silence matchers as people type them: `name=value`, `name!=value`, `name=~regex`, `name!~regex`.

The syntax is amtool's (Alertmanager's `labels.ParseMatcher`): spaces around the
operator are allowed, the value may be in double quotes (`instance="a:1"`) with
`\\"`, `\\\\` and `\\n` escapes. Every problem is a `UsageError` of one line that
quotes what was typed, raised before anything is sent.

Regular expressions are checked with Python's `re`. Alertmanager uses Go's RE2,
which is close enough for `re` to reject nearly every pattern RE2 rejects
(unbalanced brackets, a dangling `*`); the few that only `re` accepts
(lookarounds, backreferences) are then refused by Alertmanager with a 400,
still before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from promdash.errors import UsageError, one_line
from promdash.prom.am_types import Matcher

# The name is anything up to the first operator, so an empty or bad one can be named.
_SPLIT = re.compile(r"^\s*(?P<name>[^=!~]*?)\s*(?P<op>=~|!=|!~|=)\s*(?P<value>.*?)\s*$", re.DOTALL)
_LABEL_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_EXAMPLES = 'e.g. alertname=InstanceDown, instance=~"web-.*", severity!=info'


def parse_matcher(text: str) -> Matcher:
    """One matcher; UsageError (one line) when `text` is not one."""
    parts = _SPLIT.match(text)
    if parts is None:
        raise UsageError(
            f"matcher {_shown(text)}: expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX "
            f"or NAME!~REGEX ({_EXAMPLES})"
        )
    name, op = parts["name"], parts["op"]
    if not name:
        raise UsageError(f"matcher {_shown(text)}: the label name is empty")
    if not _LABEL_NAME.match(name):
        raise UsageError(
            f"matcher {_shown(text)}: {name!r} is not a label name "
            "(letters, digits, _ and :, not starting with a digit)"
        )
    value = _unquoted(parts["value"], text)
    is_regex = op in ("=~", "!~")
    if is_regex:
        try:
            re.compile(value)
        except re.error as exc:
            raise UsageError(
                f"matcher {_shown(text)}: not a valid regular expression: {exc}"
            ) from None
    return Matcher(name=name, value=value, is_regex=is_regex, is_equal=op in ("=", "=~"))


def parse_matchers(texts: Sequence[str]) -> list[Matcher]:
    """The matchers of a new silence: at least one, and not all matching every alert.

    Alertmanager refuses a silence whose every matcher matches the empty string
    (it would mute every alert); saying so here names the way out.
    """
    if not texts:
        raise UsageError(f"a silence needs at least one matcher ({_EXAMPLES})")
    matchers = [parse_matcher(text) for text in texts]
    if all(m.matches({}) for m in matchers):
        raise UsageError(
            "every matcher also matches alerts without that label, so the silence would "
            "mute every alert; add one that names something, e.g. alertname=NAME"
        )
    return matchers


def _unquoted(raw: str, text: str) -> str:
    """The value with amtool's quoting undone: `"a \\"b\\""` -> `a "b"`."""
    quoted = raw.startswith('"')
    if quoted:
        if len(raw) < 2 or not raw.endswith('"') or _escaped_end(raw[1:-1]):
            raise UsageError(f"matcher {_shown(text)}: the value's closing double quote is missing")
        raw = raw[1:-1]
    out = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following == "n":
                out.append("\n")
            elif following in ('"', "\\"):
                out.append(following)
            else:  # a lone backslash is itself, as in Alertmanager
                out.append("\\" + following)
        elif char == '"':
            raise UsageError(
                f'matcher {_shown(text)}: a double quote inside the value must be written \\"'
            )
        else:
            out.append(char)
    return "".join(out)


def _escaped_end(inner: str) -> bool:
    """Whether the character after `inner` (the closing quote) is escaped by a backslash."""
    backslashes = len(inner) - len(inner.rstrip("\\"))
    return backslashes % 2 == 1


def _shown(text: str) -> str:
    return repr(one_line(text, 80))
