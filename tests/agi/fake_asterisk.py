"""A scripted Asterisk end of a socket pair, for Channel tests beyond the recorded sessions."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ivr.agi import AGIRequest, Channel

STEP_TIMEOUT_S = 2.0


class FakeAsterisk:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def expect(self, command: str) -> None:
        line = await asyncio.wait_for(self.reader.readuntil(b"\n"), STEP_TIMEOUT_S)
        assert line == command.encode("utf-8") + b"\n"

    async def say(self, *lines: str | bytes) -> None:
        for line in lines:
            self.writer.write((line.encode("utf-8") if isinstance(line, str) else line) + b"\n")
        await self.writer.drain()

    async def at_eof(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), STEP_TIMEOUT_S) == b""


@asynccontextmanager
async def connected_channel(
    *, reply_timeout_s: float = 5.0, idle_timeout_s: float = 5.0, max_line_bytes: int = 4096
) -> AsyncIterator[tuple[Channel, FakeAsterisk]]:
    bot_socket, asterisk_socket = socket.socketpair()
    bot_reader, bot_writer = await asyncio.open_connection(sock=bot_socket)
    asterisk_reader, asterisk_writer = await asyncio.open_connection(sock=asterisk_socket)
    request = AGIRequest.from_env({"agi_uniqueid": "1795349942.2", "agi_network_script": "test"})
    channel = Channel(
        request,
        bot_reader,
        bot_writer,
        reply_timeout_s=reply_timeout_s,
        idle_timeout_s=idle_timeout_s,
        max_line_bytes=max_line_bytes,
    )
    try:
        yield channel, FakeAsterisk(asterisk_reader, asterisk_writer)
    finally:
        await channel.close()
        asterisk_writer.close()


async def until(condition: object, attribute: str) -> None:
    """Wait (briefly) until `condition.attribute` is true: the reader task runs concurrently."""
    for _ in range(200):
        if getattr(condition, attribute):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{attribute} never became true")
