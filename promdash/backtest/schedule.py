"""When Prometheus evaluates a rule group: the phase of its ticks, as rules/group.go has it.

Each group is evaluated every `interval`, at an offset within it that spreads the
groups out: the hash of the labels {file="<file>", name="<group>"} modulo the
interval in nanoseconds (Group.EvalTimestamp); samples and ALERTS are stamped at
that time in whole milliseconds. The hash is xxHash64 (seed 0) of the labels'
names and values, each followed by a 0xff byte (Labels.Hash).

This is exact, where the rules API's `lastEvaluation` is when the evaluation began,
a few milliseconds (on a loaded server, more) after its tick.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


def group_phase(file: str, group: str, interval: float) -> float:
    """A time (Unix seconds, whole milliseconds) the group's ticks fall on."""
    step = round(interval * 1e9)
    if step <= 0:
        return 0.0
    offset = xxh64(b"file\xff" + file.encode() + b"\xffname\xff" + group.encode() + b"\xff")
    return (offset % step) // 1_000_000 / 1000


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _round(acc: int, lane: int) -> int:
    return _rotl((acc + lane * _P2) & _MASK, 31) * _P1 & _MASK


def xxh64(data: bytes, seed: int = 0) -> int:
    """xxHash64 of `data`."""
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _MASK, (seed + _P2) & _MASK, seed, (seed - _P1) & _MASK]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], int.from_bytes(data[i + 8 * k : i + 8 * k + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _MASK
        for lane in v:
            h = ((h ^ _round(0, lane)) * _P1 + _P4) & _MASK
    else:
        h = (seed + _P5) & _MASK
    h = (h + n) & _MASK
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i : i + 8], "little"))
        h = (_rotl(h, 27) * _P1 + _P4) & _MASK
        i += 8
    if i + 4 <= n:
        h ^= int.from_bytes(data[i : i + 4], "little") * _P1 & _MASK
        h = (_rotl(h, 23) * _P2 + _P3) & _MASK
        i += 4
    for byte in data[i:]:
        h ^= byte * _P5 & _MASK
        h = _rotl(h, 11) * _P1 & _MASK
    h ^= h >> 33
    h = h * _P2 & _MASK
    h ^= h >> 29
    h = h * _P3 & _MASK
    return h ^ (h >> 32)
