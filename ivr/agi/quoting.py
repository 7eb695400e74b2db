"""Building command lines the way res_agi's parse_args reads them back.

parse_args splits on spaces and tabs, toggles quoting on `"`, and takes the character after a backslash
literally.
An argument is written bare when that is unambiguous, otherwise in double quotes with `"` and `\\` escaped.
Escape-digit arguments are always quoted, as Asterisk's own examples do (`STREAM FILE beep ""`).
"""

from __future__ import annotations

# res_agi reads a command into a 2048-byte buffer (AGI_BUF_LEN), including the newline and the final NUL.
MAX_COMMAND_BYTES = 2046
DTMF_DIGITS = frozenset("0123456789*#ABCD")
_NEEDS_QUOTES = frozenset(' \t"\\')


def quote(argument: str) -> str:
    """One argument, bare if safe, else double-quoted; ValueError for CR or LF (they would end a command)."""
    if "\r" in argument or "\n" in argument:
        raise ValueError(f"an AGI argument cannot contain CR or LF: {argument!r}")
    if argument and not _NEEDS_QUOTES.intersection(argument):
        return argument
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def quote_digits(escape_digits: str) -> str:
    """Escape digits, always quoted; ValueError for anything that is not a DTMF digit."""
    unknown = set(escape_digits) - DTMF_DIGITS
    if unknown:
        raise ValueError(f"not DTMF digits: {''.join(sorted(unknown))!r} in {escape_digits!r}")
    return f'"{escape_digits}"'


def check_command_line(line: str) -> None:
    """ValueError for a line Asterisk would not read as one command (an LF, or too long)."""
    if "\n" in line:
        raise ValueError(f"an AGI command cannot contain LF: {line!r}")
    if len(line.encode("utf-8")) > MAX_COMMAND_BYTES:
        raise ValueError(f"AGI command longer than {MAX_COMMAND_BYTES} bytes: {line[:60]!r}...")
