"""The AMI wire format: `Key: Value\\r\\n` lines, a message ends with an empty line.

Asterisk only ends a line at "\\r\\n" (a bare "\\n" stays part of the line), reads a header name up to the
first colon and skips the spaces after it, and looks headers up without regard to case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

Field = tuple[str, str]

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
LINE_END = b"\r\n"
MAX_LINE_BYTES = 64 * 1024
MAX_HEADERS = 128
"""manager.c keeps at most 128 headers of a message (AST_MAX_MANHEADERS) and drops the rest."""


class MessageTooLong(Exception):
    """A client line longer than MAX_LINE_BYTES: the session is dropped."""


@dataclass(frozen=True)
class Message:
    """One message a client sent: its header lines in order (duplicates kept, e.g. several Variable:)."""

    fields: tuple[Field, ...]

    def get(self, key: str) -> str:
        """The first header named `key` (any case), "" when absent, like astman_get_header."""
        wanted = key.lower()
        for name, value in self.fields:
            if name.lower() == wanted:
                return value
        return ""

    def get_all(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.fields if name.lower() == wanted]

    @property
    def action(self) -> str:
        return self.get("Action")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")


def encode(fields: Iterable[Field]) -> bytes:
    """A whole message: its lines and the empty line that ends it."""
    return b"".join(f"{name}: {value}\r\n".encode() for name, value in fields) + LINE_END


def parse_header(line: str) -> Field | None:
    name, colon, value = line.partition(":")
    if not colon:
        return None
    return name, value.lstrip(" ")


async def read_message(reader: asyncio.StreamReader) -> Message | None:
    """The next client message, or None at end of file. Empty lines between messages are skipped."""
    fields: list[Field] = []
    while True:
        try:
            raw = await reader.readuntil(LINE_END)
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as error:
            raise MessageTooLong(f"a line longer than {MAX_LINE_BYTES} bytes") from error
        line = raw[: -len(LINE_END)].decode("utf-8", "replace")
        if not line:
            if fields:
                return Message(tuple(fields))
            continue
        header = parse_header(line)
        if header is not None and len(fields) < MAX_HEADERS:
            fields.append(header)
