"""The threshold of an alerting rule's expression: `rate(errors[5m]) > 0.05` compares
`rate(errors[5m])` with 0.05, which a plot can draw as a line under the values.

Only the top level counts: the last comparison outside any brackets (comparisons
group to the left, so `a > 1 < 5` compares `a > 1` with 5), in an expression
without a top-level `and`, `or` or `unless` (they bind more loosely: no single
line is the threshold then). A comparison with `bool` or vector matching
(`on(...)`, `group_left`) is not a threshold either; a number on the left is
turned round (`0.5 < x` is `x > 0.5`). Pure text, no server asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
_NUMBER = re.compile(
    r"[+-]?\s*(?:inf|nan|0x[0-9a-f]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:e[+-]?\d+)?)", re.I
)
_SET_OPERATOR = re.compile(r"(?<![\w:.])(?:and|or|unless)(?![\w:])", re.I)
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_MODIFIER = re.compile(r"(?:bool|on|ignoring|group_left|group_right)(?![\w:])", re.I)


@dataclass(frozen=True, slots=True)
class Threshold:
    left: str  # the expression compared, as written
    op: str  # >, >=, <, <=, ==, !=
    value: float


def threshold(expr: str) -> Threshold | None:
    """The expression's top-level comparison with a number, if it has one."""
    scanned = _scan(expr)
    if scanned is None or _SET_OPERATOR.search(scanned[0]):
        return None
    top, expr = scanned  # comments out of the way: `x > 0.05  # 5%` compares with 0.05
    found: tuple[int, str] | None = None
    i = 0
    while i < len(top):
        pair = top[i : i + 2]
        if pair in ("==", "!=", ">=", "<="):
            found = i, pair
            i += 2
            continue
        if top[i] in "<>":
            found = i, top[i]
        i += 1
    if found is None:
        return None
    at, op = found
    left, right = expr[:at].strip(), expr[at + len(op) :].strip()
    if _MODIFIER.match(right):
        return None
    if (value := _number(right)) is not None and left and _number(left) is None:
        return Threshold(left, op, value)
    if (value := _number(left)) is not None and right and _number(right) is None:
        return Threshold(right, _FLIPPED[op], value)
    return None


def _number(text: str) -> float | None:
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if not _NUMBER.fullmatch(text):
        return None
    plain = text.replace(" ", "").replace("_", "").lower()
    sign = -1.0 if plain.startswith("-") else 1.0
    body = plain.lstrip("+-")
    return sign * (float(int(body, 16)) if body.startswith("0x") else float(body))


def _scan(expr: str) -> tuple[str, str] | None:
    """`expr` with everything inside brackets, strings and comments blanked out, and
    `expr` with its comments blanked out (both its length, so positions hold); None
    when the brackets do not match."""
    out = []
    code = list(expr)
    stack: list[str] = []
    quote = ""
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\" and quote != "`":
                out.append("  ")
                i += 2
                continue
            if c == quote:
                quote = ""
            out.append(" ")
        elif c in "\"'`":
            quote = c
            out.append(" ")
        elif c == "#":
            end = expr.find("\n", i)
            end = len(expr) if end < 0 else end
            out.append(" " * (end - i))
            code[i:end] = " " * (end - i)
            i = end
            continue
        elif c in _CLOSERS:
            stack.append(_CLOSERS[c])
            out.append(c if len(stack) == 1 else " ")
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return None
            out.append(c if not stack else " ")
        else:
            out.append(" " if stack else c)
        i += 1
    return None if stack or quote else ("".join(out)[: len(expr)], "".join(code))
