"""A tiny raw AMI client for the tests: it writes messages and keeps every line the server sends, as is."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from ivr.sim.ami.wire import Field, encode, parse_header

REAL_TIMEOUT_S = 5.0


class RawAmiClient:
    def __init__(self) -> None:
        self.messages: list[tuple[Field, ...]] = []
        self.raw = b""
        self.closed_by_server = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def connect(self, port: int, host: str = "127.0.0.1") -> None:
        self._reader, self._writer = await asyncio.open_connection(host, port)
        self._task = asyncio.get_running_loop().create_task(self._read())

    def send(self, fields: Sequence[Field]) -> None:
        assert self._writer is not None
        self._writer.write(encode(fields))

    async def action(self, *fields: Field) -> tuple[Field, ...]:
        """Send an action and wait for its response (the next message starting with Response:)."""
        before = self.responses
        self.send(fields)
        await self.wait_for(lambda: self.responses > before)
        return [m for m in self.messages if m[0][0] == "Response"][before]

    @property
    def responses(self) -> int:
        return sum(1 for message in self.messages if message and message[0][0] == "Response")

    def events(self, name: str | None = None) -> list[dict[str, str]]:
        return [
            dict(m) for m in self.messages if m and m[0][0] == "Event" and (name is None or m[0][1] == name)
        ]

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(REAL_TIMEOUT_S):
            while not condition():
                if self.closed_by_server and not condition():
                    raise ConnectionError("the server closed the connection")
                self._changed.clear()
                await self._changed.wait()

    async def wait_closed(self) -> None:
        async with asyncio.timeout(REAL_TIMEOUT_S):
            while not self.closed_by_server:
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self) -> None:
        assert self._reader is not None
        current: list[Field] = []
        while True:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                self.closed_by_server = True
                self._changed.set()
                return
            self.raw += line
            text = line[:-2].decode()
            if not self.messages and not current and text.startswith("Asterisk Call Manager/"):
                self.messages.append((("Banner", text),))
            elif text:
                header = parse_header(text)
                assert header is not None, f"a line that is not a header: {text!r}"
                current.append(header)
                continue
            elif current:
                self.messages.append(tuple(current))
                current = []
            self._changed.set()
