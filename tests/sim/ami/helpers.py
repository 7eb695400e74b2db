"""Small helpers for the AMI tests: a PBX listening on a free port, logged-in raw clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from ivr.sim.ami import AmiEvent, SimulatedPBX

from .raw_client import RawAmiClient

ADMIN = ("admin", "test-secret")
LIMITED = ("limited", "limited-test")


@asynccontextmanager
async def running(pbx: SimulatedPBX) -> AsyncIterator[int]:
    port = await pbx.start_ami()
    try:
        yield port
    finally:
        await pbx.stop()


async def client(port: int) -> RawAmiClient:
    connection = RawAmiClient()
    await connection.connect(port)
    await connection.wait_for(lambda: bool(connection.messages))
    return connection


async def logged_in(port: int, user: tuple[str, str] = ADMIN, events: str = "on") -> RawAmiClient:
    connection = await client(port)
    response = await connection.action(
        ("Action", "Login"), ("Username", user[0]), ("Secret", user[1]), ("Events", events)
    )
    assert dict(response)["Message"] == "Authentication accepted"
    return connection


async def settle() -> None:
    """Let the server's writes reach the clients (real time, a few loop turns)."""
    for _ in range(5):
        await asyncio.sleep(0.005)


class Recorder:
    """Every event the PBX publishes, in order."""

    def __init__(self, pbx: SimulatedPBX) -> None:
        self.events: list[AmiEvent] = []
        self._changed = asyncio.Event()
        pbx.subscribe(self._add)

    def _add(self, event: AmiEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, condition: Callable[[], object]) -> None:
        """Until `condition` holds after some event (real time, at most a few seconds)."""
        async with asyncio.timeout(5.0):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def named(self, name: str) -> list[AmiEvent]:
        return [event for event in self.events if event.name == name]

    def names(self) -> list[str]:
        return [event.name for event in self.events]

    def values(self, name: str, *keys: str) -> list[tuple[str | None, ...]]:
        return [tuple(event.get(key) for key in keys) for event in self.named(name)]
