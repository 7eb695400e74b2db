"""The AMI TCP server: one `AmiSession` per connection, all on one `AsteriskCore`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from ivr.sim.ami.actions import HANDLERS
from ivr.sim.ami.core import AsteriskCore
from ivr.sim.ami.permissions import DEFAULT_USERS, AmiUser
from ivr.sim.ami.session import AmiSession
from ivr.sim.ami.wire import MAX_LINE_BYTES


class AmiServer:
    def __init__(self, core: AsteriskCore, users: Sequence[AmiUser] = DEFAULT_USERS) -> None:
        self.core = core
        self.users = list(users)
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the AMI server is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0: any free port, see `port`)."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=MAX_LINE_BYTES)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._sessions):
            task.cancel()
        for task in list(self._sessions):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await AmiSession(self.core, self.users, HANDLERS, reader, writer).serve()
        finally:
            self._sessions.discard(task)
