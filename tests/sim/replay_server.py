"""A tiny FastAGI server for the simulator tests: it plays the bot of a recorded transcript.

It sends the recorded `>>` lines one by one and, after each, reads as many lines as Asterisk sent back in the
recording, so the test can compare them byte for byte. Plain asyncio.start_server: none of the bot's code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller
from ivr.sim.replay import Transcript, parse_transcript
from ivr.sim.sounds import SoundLibrary
from ivr.sim.trace import CallTrace

from .bot_wire import READ_TIMEOUT, one_connection, read_environment, read_line

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-transcripts"  # a copy of shared/


def transcript(name: str) -> Transcript:
    matches = sorted(TRANSCRIPTS.glob(f"{name}*.txt"))
    assert len(matches) == 1, f"expected one transcript named {name}*, found {matches}"
    return parse_transcript(matches[0])


@dataclass
class Turn:
    command: bytes
    expected: list[bytes]
    actual: list[bytes]


@dataclass
class Replayed:
    environment: list[bytes] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    extra: bytes = b""
    """Anything the simulator sent after the last expected line."""
    closed_by_simulator: bool = False
    """The simulator closed the socket while the server held it open after the last turn."""


def _gaps(recorded: Transcript) -> list[float]:
    """Seconds between the last line before each bot line and the bot line itself, as recorded."""
    gaps = []
    previous = recorded.lines[len(recorded.environment_lines) - 1].at
    for exchange in recorded.exchanges:
        if exchange.sender == "bot":
            gaps.append(max(0.0, exchange.at - previous))
        previous = exchange.at
    return gaps


class ReplayServer:
    """Serves one connection: replays `recorded`'s bot lines, then holds the socket `hold_open` seconds."""

    def __init__(
        self,
        recorded: Transcript,
        *,
        gap_scale: float = 0.0,
        hold_open: float = 0.0,
    ) -> None:
        self.recorded = recorded
        self.gap_scale = gap_scale
        self.hold_open = hold_open
        self.result = Replayed()
        self.done = asyncio.Event()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with one_connection(writer, self.done):
            await self._converse(reader, writer)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.result.environment = await read_environment(reader)
        for (command, expected), gap in zip(self.recorded.turns(), _gaps(self.recorded), strict=True):
            await asyncio.sleep(gap * self.gap_scale)
            writer.write(command.line + b"\n")
            await writer.drain()
            actual = [line for _ in expected if (line := await read_line(reader)) is not None]
            self.result.turns.append(Turn(command.line, [exchange.line for exchange in expected], actual))
        await self._hold(reader)

    async def _hold(self, reader: asyncio.StreamReader) -> None:
        try:
            self.result.extra = await asyncio.wait_for(reader.read(), self.hold_open)
            self.result.closed_by_simulator = True
        except TimeoutError:
            self.result.extra = b""


async def replay(
    recorded: Transcript,
    caller: Caller,
    *,
    time_scale: float = 0.0,
    gap_scale: float = 0.0,
    hold_open: float = 0.0,
    speech_engine: str | None = None,
    path_map: dict[str, Path] | None = None,
) -> tuple[Replayed, CallTrace]:
    """Run the recorded bot against the simulator, on a channel like the recorded one."""
    server = ReplayServer(recorded, gap_scale=gap_scale, hold_open=hold_open)
    env = dict(recorded.environment)
    async with server.serving() as port:
        sim = SimulatedAsterisk(
            "127.0.0.1",
            port,
            sounds=SoundLibrary(),
            time_scale=time_scale,
            speech_engine=speech_engine,
            path_map=path_map,
        )
        trace = await sim.place_call(
            env["agi_network_script"],
            caller,
            channel=env["agi_channel"],
            uniqueid=env["agi_uniqueid"],
            language=env["agi_language"],
            callerid=env["agi_callerid"],
            calleridname=env["agi_calleridname"],
            context=env["agi_context"],
            extension=env["agi_extension"],
            priority=int(env["agi_priority"]),
            args=[value for key, value in recorded.environment if key.startswith("agi_arg_")],
        )
        await asyncio.wait_for(server.done.wait(), READ_TIMEOUT)
    return server.result, trace


def mismatches(replayed: Replayed) -> list[str]:
    """Every turn whose replies differ from the recording, as readable text."""
    return [
        f"{turn.command!r}: expected {turn.expected!r}, got {turn.actual!r}"
        for turn in replayed.turns
        if turn.actual != turn.expected
    ]
