"""The AMI wire format: the banner, `Key: Value` lines ending in CRLF, a blank line ending each message.

Reading is strict about framing (a line must hold a colon; a message is bounded in size) and tolerant of
content (unknown keys, repeated keys, a stray CR or LF inside a value, bytes that are not UTF-8).
Writing refuses what Asterisk would silently mangle: CR/LF in a field, lines or header counts over its limits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence

from ivr.ami.errors import AMIConnectionLost, AMIProtocolError
from ivr.ami.messages import AMIMessage

BANNER_PREFIX = "Asterisk Call Manager/"
MAX_BANNER_BYTES = 256
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20
# manager.c reads each client line into a 1025-byte buffer (longer lines are dropped) and keeps at most
# AST_MAX_MANHEADERS (128) headers of an action (the rest are ignored).
ASTERISK_MAX_LINE_BYTES = 1024
ASTERISK_MAX_HEADERS = 128

_TERMINATOR = b"\r\n\r\n"
_KEY = re.compile(r"[A-Za-z0-9_-]+")

FieldValue = str | int | float | bool | Sequence[str] | None


def encode_action(name: str, action_id: str, fields: Mapping[str, FieldValue]) -> bytes:
    """`Action`, `ActionID`, then the fields; a sequence value becomes one line per item, None is left out."""
    lines = [_line("Action", name), _line("ActionID", action_id)]
    for key, value in fields.items():
        if key.lower() in ("action", "actionid"):
            raise ValueError(f"{key} is set by the client; do not pass it as a field")
        for text in _values(key, value):
            lines.append(_line(key, text))
    if len(lines) > ASTERISK_MAX_HEADERS:
        raise ValueError(f"{name}: {len(lines)} headers, Asterisk reads at most {ASTERISK_MAX_HEADERS}")
    return "".join(lines).encode("utf-8") + b"\r\n"


def _values(key: str, value: FieldValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _line(key: str, value: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid AMI header name {key!r}: letters, digits, '_' and '-' only")
    if "\r" in value or "\n" in value:
        raise ValueError(f"the value of {key} contains a line break, which would end the header: {value!r}")
    line = f"{key}: {value}\r\n"
    if len(line.encode("utf-8")) > ASTERISK_MAX_LINE_BYTES:
        raise ValueError(f"the {key} line is longer than the {ASTERISK_MAX_LINE_BYTES} bytes Asterisk reads")
    return line


def parse_message(data: bytes) -> AMIMessage:
    """One message, given without its blank terminating line. Blank lines before it are skipped."""
    text = data.decode("utf-8", errors="replace")
    headers: list[tuple[str, str]] = []
    for line in text.split("\r\n"):
        if not line and not headers:
            continue
        key, colon, value = line.partition(":")
        if not colon or not key or key[0].isspace():
            raise AMIProtocolError(f"not an AMI header line: {_excerpt(line)}")
        headers.append((key, value.removeprefix(" ")))
    return AMIMessage(tuple(headers))


def parse_banner(line: bytes) -> str:
    """The protocol version from `Asterisk Call Manager/9.0.0` (the line given without its CRLF)."""
    text = line.decode("utf-8", errors="replace")
    if not text.startswith(BANNER_PREFIX):
        raise AMIProtocolError(f"not an Asterisk manager interface; it greeted with {_excerpt(text)}")
    return text.removeprefix(BANNER_PREFIX)


async def read_banner(reader: asyncio.StreamReader) -> str:
    try:
        line = await reader.readuntil(b"\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            partial = exc.partial.decode(errors="replace")
            raise AMIProtocolError(f"greeting cut short: {_excerpt(partial)}") from None
        raise AMIConnectionLost("Asterisk closed the connection before its greeting") from None
    except asyncio.LimitOverrunError:
        raise AMIProtocolError("no greeting line: too much data without a line end") from None
    if len(line) > MAX_BANNER_BYTES:
        raise AMIProtocolError(f"greeting line longer than {MAX_BANNER_BYTES} bytes")
    return parse_banner(line[:-2])


async def read_message(reader: asyncio.StreamReader, max_bytes: int) -> AMIMessage:
    """The next message. The reader's own limit must be at least `max_bytes` (see `open_stream`)."""
    try:
        data = await reader.readuntil(_TERMINATOR)
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise AMIConnectionLost("the connection closed in the middle of a message") from None
        raise AMIConnectionLost("Asterisk closed the connection") from None
    except asyncio.LimitOverrunError:
        raise AMIProtocolError(f"message larger than {max_bytes} bytes") from None
    if len(data) > max_bytes:
        raise AMIProtocolError(f"message larger than {max_bytes} bytes")
    return parse_message(data[: -len(_TERMINATOR)])


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
