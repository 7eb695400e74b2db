"""Shared helpers of the live queue, originator and callback end-to-end tests (no tests here): a simulated
PBX on a virtual clock, the real AMI client to it (optionally through a proxy that can cut the connection),
and a recorder of what the PBX publishes."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from ivr.ami import AMIClient
from ivr.sim.ami import AmiEvent, SimulatedPBX

from .test_callbacks_support import T0

ADMIN = ("admin", "test-secret")
EPOCH = T0.timestamp()  # a Monday, 10:00 in Stockholm
SAFETY_S = 5.0  # only stops a broken test from hanging; nothing is timed


@asynccontextmanager
async def running(pbx: SimulatedPBX) -> AsyncIterator[int]:
    """The PBX's AMI server on a free port, stopped afterwards."""
    port = await pbx.start_ami()
    try:
        yield port
    finally:
        await pbx.stop()


@asynccontextmanager
async def ami_client(
    port: int, *, user: tuple[str, str] = ADMIN, events: str = "call,agent"
) -> AsyncIterator[AMIClient]:
    client = AMIClient(
        "127.0.0.1",
        port,
        user[0],
        user[1],
        events=events,
        backoff=(0.01, 0.05),
        ping_interval_s=None,
        action_timeout_s=SAFETY_S,
    )
    await client.connect()
    try:
        yield client
    finally:
        await client.close()


async def eventually(condition: Callable[[], object]) -> None:
    """Until `condition` (plain or async) holds, for what happens on its own (a reconnect, a refresh)."""
    async with asyncio.timeout(SAFETY_S):
        while True:
            if await _holds(condition):
                return
            await asyncio.sleep(0.01)


async def _holds(condition: Callable[[], object]) -> bool:
    result = condition()
    return bool(await result if inspect.isawaitable(result) else result)


class PbxRecorder:
    """Every event the PBX publishes, in order, whatever the AMI sessions' masks."""

    def __init__(self, pbx: SimulatedPBX) -> None:
        self.events: list[AmiEvent] = []
        self._changed = asyncio.Event()
        pbx.subscribe(self._add)

    def _add(self, event: AmiEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, condition: Callable[[], object]) -> None:
        async with asyncio.timeout(SAFETY_S):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def named(self, name: str) -> list[AmiEvent]:
        return [event for event in self.events if event.name == name]

    def originated(self) -> list[AmiEvent]:
        """The DialBegin of each Originate (a queue ringing a member names the caller's channel too)."""
        return [event for event in self.named("DialBegin") if event.get("Channel") is None]


class CuttableProxy:
    """A TCP proxy to the PBX's AMI port: `cut()` drops every connection and refuses new ones until
    `restore()`, so that a client misses what happens in between."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.down = False

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.down = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._writers.update((writer, upstream_writer))
        pipes = [
            asyncio.create_task(_pipe(reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        ]
        self._tasks.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
                self._tasks.discard(pipe)
            for each in (writer, upstream_writer):
                each.transport.abort()
                self._writers.discard(each)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
