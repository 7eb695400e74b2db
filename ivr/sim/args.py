"""Command-line splitting and number parsing the way res_agi.c does them (parse_args, atoi, sscanf)."""

from __future__ import annotations

import re

MAX_ARGS = 128
"""res_agi's MAX_ARGS: at most MAX_ARGS - 1 words are kept, the rest is dropped."""

_LEADING_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?\d+)")
_LEADING_FLOAT = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def parse_args(line: str) -> list[str]:
    """Split a command line into words as res_agi's parse_args does.

    Words are separated by spaces or tabs; double quotes group words (and are dropped); a backslash makes
    the next character literal. Nothing else is special: a trailing carriage return stays in the last word.
    """
    words: list[list[str]] = []
    quoted = escaped = False
    between_words = True
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and between_words:
                words.append([])
                between_words = False
            continue
        if char in " \t" and not quoted and not escaped:
            between_words = True
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        escaped = False
        if between_words:
            if len(words) >= MAX_ARGS - 1:
                continue
            words.append([])
            between_words = False
        words[-1].append(char)
    return ["".join(word) for word in words]


def c_atoi(text: str) -> int:
    """C atoi(): the leading integer of `text`, or 0 when there is none."""
    match = _LEADING_INT.match(text)
    return _clamp_int32(int(match.group(1))) if match else 0


def c_scan_int(text: str) -> int | None:
    """sscanf(text, "%30d"): the leading integer, or None when the text does not start with one."""
    match = _LEADING_INT.match(text)
    if not match or len(match.group(1)) > 30:
        return None
    return _clamp_int32(int(match.group(1)))


def c_scan_long(text: str) -> int | None:
    """sscanf(text, "%30ld"): like c_scan_int but for a 64-bit long."""
    match = _LEADING_INT.match(text)
    if not match or len(match.group(1)) > 30:
        return None
    return max(-(2**63), min(2**63 - 1, int(match.group(1))))


def c_scan_float(text: str) -> float | None:
    """sscanf(text, "%30lf"): the leading decimal number, or None."""
    match = _LEADING_FLOAT.match(text)
    return float(match.group(1)) if match else None


def _clamp_int32(value: int) -> int:
    return max(_INT32_MIN, min(_INT32_MAX, value))
