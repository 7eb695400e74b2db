"""Reading `\\n`-terminated lines with a hard size limit, and closing a stream without hanging."""

from __future__ import annotations

import asyncio

from ivr.agi.errors import AGIProtocolError

_CLOSE_TIMEOUT_S = 1.0


async def read_line(reader: asyncio.StreamReader, max_bytes: int) -> bytes | None:
    """Return the next line without its `\\n` (a trailing `\\r` is dropped too), or None at end of stream.

    A partial line cut short by the end of the stream counts as the end of the stream.
    """
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise AGIProtocolError(f"line longer than {max_bytes} bytes") from None
    if len(line) > max_bytes + 1:
        raise AGIProtocolError(f"line longer than {max_bytes} bytes")
    line = line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


async def close_writer(writer: asyncio.StreamWriter) -> None:
    """Close the socket; abort it if a peer that does not read keeps it from closing."""
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_S):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:  # e.g. ECONNRESET when the peer had unread data: harmless
        pass
