"""SimulatedAsterisk: connects to a FastAGI server like Asterisk 20.20.1 and answers its commands.

One asyncio task per call, no threads. After a hang-up the simulator keeps the socket open until the bot
closes it (Asterisk has no timeout there); `safety_timeout` only keeps a broken bot from hanging a test, and
hitting it is reported in the trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import random
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from ivr.sim.caller import Caller
from ivr.sim.channel import Channel, ChannelStatus
from ivr.sim.clock import CallClock
from ivr.sim.commands.base import CommandContext, OnNewCommand, Outcome, PathMap
from ivr.sim.commands.table import run_command
from ivr.sim.environment import environment, environment_lines
from ivr.sim.sounds import SoundLibrary
from ivr.sim.trace import CallTrace, Sender, TraceLine

__all__ = ["CallTrace", "SimulatedAsterisk"]

ASTERISK_VERSION = "20.20.1"
AGI_LINE_LIMIT = 2047
"""res_agi reads commands with fgets into 2048 bytes: a longer line arrives as several commands."""
READ_LIMIT = 1 << 20
HANGUP_LINE = "HANGUP"


@dataclass(frozen=True)
class _Interrupted:
    """The bot sent a line (or closed the socket: None) while a command was still running."""

    line: bytes | None


class SimulatedAsterisk:
    """Places simulated calls on a FastAGI server at host:port.

    `path_map` maps absolute paths as the bot names them (e.g. "/var/spool/asterisk/recording") to local
    directories, for sound files and recordings alike. `database` is the AstDB the DATABASE commands share.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sounds: SoundLibrary,
        time_scale: float = 0.0,
        speech_engine: str | None = None,
        path_map: Mapping[str, str | Path] | None = None,
        safety_timeout: float = 60.0,
    ) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must not be negative, got {time_scale}")
        if safety_timeout <= 0:
            raise ValueError(f"safety_timeout must be positive, got {safety_timeout}")
        self.host = host
        self.port = port
        self.sounds = sounds
        self.time_scale = time_scale
        self.speech_engine = speech_engine
        self.paths = PathMap(path_map)
        self.safety_timeout = safety_timeout
        self.database: dict[str, str] = {}
        self._sequence = itertools.count(1)
        self._threadid = 139_784_000_000_000 + random.randrange(1_000_000_000)

    async def place_call(
        self,
        request: str,
        caller: Caller | None = None,
        *,
        callerid: str | None = "0701234567",
        calleridname: str | None = "Test Caller",
        language: str = "sv",
        args: Sequence[str] = (),
        uniqueid: str | None = None,
        channel: str | None = None,
        context: str = "ivr",
        extension: str = "s",
        priority: int = 2,
        accountcode: str = "",
        dnid: str | None = None,
        rdnis: str | None = None,
        answered: bool = True,
        variables: dict[str, str] | None = None,
    ) -> CallTrace:
        """One call: connect, send the environment for `request` (the part after agi://host:port/), answer
        the bot's commands as `caller` behaves (silent when None) until the bot closes the connection.

        `variables` becomes the channel's variable dict itself (not a copy), so that a simulated PBX that
        owns the channel sees what the bot sets while the call runs."""
        number = next(self._sequence)
        line = Channel(
            name=channel or f"PJSIP/trunk-{number:08x}",
            uniqueid=uniqueid or f"{int(time.time())}.{number}",
            language=language,
            callerid_num=callerid,
            callerid_name=calleridname,
            context=context,
            extension=extension,
            priority=priority,
            accountcode=accountcode,
            status=ChannelStatus.UP if answered else ChannelStatus.RING,
            variables=variables if variables is not None else {},
        )
        pairs = environment(
            request,
            f"{self.host}:{self.port}",
            line,
            args=args,
            dnid=dnid,
            rdnis=rdnis,
            threadid=self._threadid,
            version=ASTERISK_VERSION,
        )
        return await _Call(self, request, caller or Caller(), line, pairs).run()


class _Call:
    """One connection, from the environment block until the bot closes the socket."""

    def __init__(
        self,
        sim: SimulatedAsterisk,
        request: str,
        caller: Caller,
        channel: Channel,
        pairs: list[tuple[str, str]],
    ) -> None:
        self.sim = sim
        self.channel = channel
        self.caller = caller.session()
        self.clock = CallClock(sim.time_scale)
        self.trace = CallTrace(request, pairs)
        self._origin = perf_counter()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._split_pieces: deque[bytes] = deque()
        self._last_reply_at: float | None = None

    async def run(self) -> CallTrace:
        try:
            self._reader, self._writer = await asyncio.open_connection(
                self.sim.host, self.sim.port, limit=READ_LIMIT
            )
        except OSError as error:
            self.trace.failures.append(f"could not connect to {self.sim.host}:{self.sim.port}: {error}")
            return self.trace
        try:
            await self._write(environment_lines(self.trace.environment))
            await self._serve()
        finally:
            self.trace.call_seconds = self.clock.now()
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        return self.trace

    async def _serve(self) -> None:
        pending: _Interrupted | None = None
        while True:
            line = pending.line if pending is not None else await self._next_line()
            if line is None:
                return
            pending = await self._execute(line)

    async def _next_line(self) -> bytes | None:
        """The bot's next command line (the caller may hang up meanwhile); None at the end."""
        while True:
            hangup = self._pending_hangup()
            until_hangup = self.clock.real_seconds_until(hangup[1]) if hangup else math.inf
            wait = min(self.sim.safety_timeout, until_hangup)
            try:
                return await asyncio.wait_for(self._read_line(), wait)
            except TimeoutError:
                if hangup is not None and until_hangup <= self.sim.safety_timeout:
                    await self._hang_up(*hangup)
                    continue
                self._give_up()
                return None

    def _give_up(self) -> None:
        timeout = self.sim.safety_timeout
        if self.channel.dead:
            problem = f"the bot did not close the socket within {timeout} s of the hang-up"
        else:
            problem = f"the bot sent nothing for {timeout} s"
        self.trace.failures.append(f"{problem}; the simulator closed the socket")

    async def _read_line(self) -> bytes | None:
        """One command as res_agi's fgets loop sees it: a line without its "\\n", or None at end of file."""
        if self._split_pieces:
            return self._split_pieces.popleft()
        assert self._reader is not None
        try:
            data = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as error:
            data = error.partial
        except asyncio.LimitOverrunError:
            self.trace.failures.append(f"the bot sent a line longer than {READ_LIMIT} bytes")
            return None
        except ConnectionError:
            data = b""
        if not data:
            self.trace.bot_closed = True
            return None
        pieces = [data[start : start + AGI_LINE_LIMIT] for start in range(0, len(data), AGI_LINE_LIMIT)]
        self._split_pieces.extend(piece.removesuffix(b"\n") for piece in pieces[1:])
        return pieces[0].removesuffix(b"\n")

    def _pending_hangup(self) -> tuple[str, float] | None:
        """Who will hang the live channel up, and at what call time."""
        if self.channel.dead:
            return None
        moments = []
        if self.caller.hangup_at is not None:
            moments.append((self.caller.hangup_at, "caller"))
        if self.channel.autohangup_at is not None:
            moments.append((self.channel.autohangup_at, "autohangup"))
        if not moments:
            return None
        at, who = min(moments)
        return who, at

    async def _hang_up(self, who: str, at: float) -> None:
        """Mark the channel hung up and tell the bot with an unsolicited HANGUP line."""
        self.channel.dead = True
        self.trace.hangup_by, self.trace.hangup_at = who, at
        await self._write([HANGUP_LINE.encode()])

    async def _execute(self, line: bytes) -> _Interrupted | None:
        received = perf_counter()
        if self._last_reply_at is not None:
            self.trace.bot_turn_latencies.append(received - self._last_reply_at)
        self._record("bot", line)
        hangup = self._pending_hangup()
        if hangup is not None and hangup[1] <= self.clock.now():
            await self._hang_up(*hangup)
        start = self.clock.now()
        outcome = run_command(self._context(start), line.decode("utf-8", "surrogateescape"))
        interrupted = await self._play_out(outcome, start)
        if interrupted is not None:
            await self._stop_early(outcome, start)
            return interrupted
        await self._finish(outcome, start)
        return None

    def _context(self, start: float) -> CommandContext:
        return CommandContext(
            channel=self.channel,
            caller=self.caller,
            sounds=self.sim.sounds,
            start=start,
            speech_engine=self.sim.speech_engine,
            paths=self.sim.paths,
            database=self.sim.database,
            recordings=self.trace.recordings,
            variables_set=self.trace.variables,
        )

    async def _play_out(self, outcome: Outcome, start: float) -> _Interrupted | None:
        """Let the command's duration pass; a command that watches the socket stops if the bot speaks."""
        watches_socket = outcome.on_new_command is not OnNewCommand.FINISH
        if outcome.duration == math.inf:
            return await self._never_ending(watches_socket)
        end = start + outcome.duration
        if self.clock.instant or not watches_socket:
            await self.clock.advance_to(end)
            return None
        try:
            line = await asyncio.wait_for(self._read_line(), self.clock.real_seconds_until(end))
        except TimeoutError:
            return None
        return _Interrupted(line)

    async def _never_ending(self, watches_socket: bool) -> _Interrupted:
        """A command nothing will end (e.g. WAIT FOR DIGIT -1 for a silent caller who never hangs up)."""
        if watches_socket:
            try:
                return _Interrupted(await asyncio.wait_for(self._read_line(), self.sim.safety_timeout))
            except TimeoutError:
                pass
        self.trace.failures.append(
            f"command {self.trace.commands[-1]!r} could never end (nothing the caller does ends it); "
            "the simulator closed the socket"
        )
        return _Interrupted(None)

    async def _stop_early(self, outcome: Outcome, start: float) -> None:
        stopped_at = self.clock.now()
        self.caller.settle(stopped_at)
        late_reply = outcome.reply_when_stopped_after
        if late_reply is not None and stopped_at - start >= late_reply[0]:
            await self._reply(late_reply[1])
        elif outcome.on_new_command is OnNewCommand.REPLY_ONE:
            await self._reply(["200 result=1"])
        self._last_reply_at = None  # the bot's next command was sent before this reply: no turn to time

    async def _finish(self, outcome: Outcome, start: float) -> None:
        self.caller.settle(start + outcome.duration)
        for name, value in outcome.set_variables.items():
            self.channel.set(name, value)
        await self._reply(outcome.lines, pause_after_first_line=outcome.pause_after_first_line)
        if outcome.ended_by is not None and not self.channel.dead:
            await self._hang_up(outcome.ended_by, start + outcome.duration)
        self._last_reply_at = perf_counter()

    async def _reply(self, lines: list[str], *, pause_after_first_line: float = 0.0) -> None:
        encoded = [line.encode("utf-8", "surrogateescape") for line in lines]
        if pause_after_first_line and len(encoded) > 1:
            await self._write(encoded[:1])
            await self.clock.advance_to(self.clock.now() + pause_after_first_line)
            encoded = encoded[1:]
        await self._write(encoded)
        self._last_reply_at = perf_counter()

    async def _write(self, lines: list[bytes]) -> None:
        assert self._writer is not None
        for line in lines:
            self._record("asterisk", line)
        self._writer.write(b"".join(line + b"\n" for line in lines))
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    def _record(self, sender: Sender, data: bytes) -> None:
        self.trace.lines.append(TraceLine(sender, data, perf_counter() - self._origin, self.clock.now()))
