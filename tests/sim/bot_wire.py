"""The FastAGI-server side of the wire for the simulator tests' minimal bots (not the bot's own code)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

READ_TIMEOUT = 5.0


async def read_line(reader: asyncio.StreamReader) -> bytes | None:
    """One line without its newline; None at EOF or when nothing comes within READ_TIMEOUT."""
    try:
        line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
    except TimeoutError:
        return None
    return line.removesuffix(b"\n") if line else None


async def read_environment(reader: asyncio.StreamReader) -> list[bytes]:
    """The `agi_*` block, its closing blank line included."""
    lines = []
    while (line := await read_line(reader)) is not None:
        lines.append(line)
        if not line:
            break
    return lines


@contextlib.asynccontextmanager
async def one_connection(writer: asyncio.StreamWriter, done: asyncio.Event) -> AsyncIterator[None]:
    """Close the socket when the conversation ends, however it ends, then set `done`."""
    try:
        yield
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        done.set()
