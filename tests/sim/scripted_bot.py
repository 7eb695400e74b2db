"""A minimal FastAGI server that sends a fixed list of command lines and keeps every line it gets back."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller
from ivr.sim.sounds import SoundLibrary
from ivr.sim.trace import CallTrace

from .bot_wire import READ_TIMEOUT, one_connection, read_environment, read_line

_FINAL = re.compile(rb"^(200|510|511) |^520 ")


@dataclass
class BotRun:
    environment: list[bytes] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    """Every line after the environment, in order (replies, usage text, HANGUP)."""
    arrival: list[float] = field(default_factory=list)
    """When each received line arrived (loop time)."""


class ScriptedBot:
    def __init__(
        self,
        commands: Sequence[str | bytes],
        *,
        think: float = 0.0,
        linger: float = 0.05,
        raw: bool = False,
    ) -> None:
        """`think`: seconds to wait before each command; `linger`: how long to keep reading after the last
        reply (for a trailing HANGUP) before closing; `raw`: send the commands as given, adding no newline."""
        self.commands = [command.encode() if isinstance(command, str) else command for command in commands]
        self.think = think
        self.linger = linger
        self.raw = raw
        self.run = BotRun()
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with one_connection(writer, self.done):
            await self._converse(reader, writer)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.run.environment = await read_environment(reader)
        for command in self.commands:
            await asyncio.sleep(self.think)
            writer.write(command if self.raw else command + b"\n")
            await writer.drain()
            if not self.raw:
                await self._read_reply(reader)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._read_rest(reader), self.linger)

    async def _read_reply(self, reader: asyncio.StreamReader) -> None:
        while (line := await read_line(reader)) is not None:
            self._keep(line)
            if _FINAL.match(line) and not line.startswith(b"520-"):
                return

    async def _read_rest(self, reader: asyncio.StreamReader) -> None:
        while (line := await read_line(reader)) is not None:
            self._keep(line)

    def _keep(self, line: bytes) -> None:
        self.run.received.append(line.decode("utf-8", "replace"))
        self.run.arrival.append(asyncio.get_running_loop().time())


async def call(
    bot: ScriptedBot,
    caller: Caller | None = None,
    *,
    sounds: SoundLibrary | None = None,
    time_scale: float = 0.0,
    speech_engine: str | None = None,
    path_map: dict[str, Path] | None = None,
    safety_timeout: float = 10.0,
    language: str = "en",
    answered: bool = True,
) -> tuple[BotRun, CallTrace]:
    """Place one simulated call to `bot`; returns what the bot received and the simulator's trace."""
    server = await asyncio.start_server(bot.handle, "127.0.0.1", 0)
    try:
        sim = SimulatedAsterisk(
            "127.0.0.1",
            server.sockets[0].getsockname()[1],
            sounds=sounds or SoundLibrary(),
            time_scale=time_scale,
            speech_engine=speech_engine,
            path_map=path_map,
            safety_timeout=safety_timeout,
        )
        trace = await sim.place_call("test", caller, language=language, answered=answered)
        await asyncio.wait_for(bot.done.wait(), READ_TIMEOUT)
    finally:
        server.close()
        await server.wait_closed()
    return bot.run, trace


async def replies(
    commands: Sequence[str | bytes],
    caller: Caller | None = None,
    *,
    sounds: SoundLibrary | None = None,
    speech_engine: str | None = None,
    path_map: dict[str, Path] | None = None,
) -> list[str]:
    """The lines a bot sending `commands` receives (after the environment), in instant time."""
    run, _ = await call(
        ScriptedBot(commands), caller, sounds=sounds, speech_engine=speech_engine, path_map=path_map
    )
    return run.received
