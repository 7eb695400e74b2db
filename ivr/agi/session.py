"""One FastAGI connection on the wire: a reader task, one command at a time, hang-up tracking.

Asterisk writes exactly one reply per command, and `HANGUP` on its own line once, unsolicited: right after
the reply of the command that noticed the hang-up, or at any time while the bot is idle. A background task
reads every line as it comes, so the HANGUP line is seen even when no command waits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ivr.agi.errors import (
    AGICommandError,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
)
from ivr.agi.quoting import check_command_line
from ivr.agi.reply import DEAD_CHANNEL, SUCCESS, AGIReply, ReplyAssembler
from ivr.agi.request import DEFAULT_MAX_LINE_BYTES, AGIRequest
from ivr.agi.streams import close_writer, read_line

log = logging.getLogger("ivr.agi.channel")

HANGUP_LINE = "HANGUP"
# After `result=-1`, how long to wait for the HANGUP line that tells a hang-up from a plain failure.
HANGUP_GRACE_S = 0.1
DEFAULT_REPLY_TIMEOUT_S = 60.0
DEFAULT_IDLE_TIMEOUT_S = 120.0

TurnObserver = Callable[[float], None]
"""Told the bot's own time for each turn: from a reply read to the next command written, in seconds."""


class AGISession:
    """The wire side of a `Channel`. Create it inside a running event loop; `close()` it when done."""

    def __init__(
        self,
        request: AGIRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        on_turn: TurnObserver | None = None,
    ) -> None:
        self.request = request
        self._on_turn = on_turn
        self._last_reply_at: float | None = None
        self._reader = reader
        self._writer = writer
        self._reply_timeout_s = reply_timeout_s
        self._idle_timeout_s = idle_timeout_s
        self._max_line_bytes = max_line_bytes
        self._hung_up = asyncio.Event()
        self._pending: asyncio.Future[AGIReply] | None = None
        self._failure: AGIError | None = None
        self._command_lock = asyncio.Lock()
        self._closed = False
        self._reader_task = asyncio.get_running_loop().create_task(
            self._read_replies(), name=f"agi-reader-{request.uniqueid}"
        )

    @property
    def hung_up(self) -> bool:
        """True once Asterisk said the caller is gone (HANGUP line, 511, `(hangup)` reply, closed socket)."""
        return self._hung_up.is_set()

    async def send(self, command: str, *, timeout_s: float | None = None) -> AGIReply:
        """Send one raw command line (no LF) and return its reply; raises like the typed commands do."""
        check_command_line(command)
        return await self._run(command, self._reply_timeout_s if timeout_s is None else timeout_s)

    async def close(self) -> None:
        """Stop reading and close the socket (Asterisk never closes it itself after a hang-up)."""
        if self._closed:
            return
        self._closed = True
        self._reader_task.cancel()
        await asyncio.gather(self._reader_task, return_exceptions=True)
        await close_writer(self._writer)

    def _timeout_for(self, wait_ms: float | None) -> float:
        """Reply timeout of a command that itself waits `wait_ms` (None: it has no limit of its own)."""
        if wait_ms is None:
            return self._idle_timeout_s
        return self._reply_timeout_s + wait_ms / 1000

    def _mark_hung_up(self) -> None:
        if not self._hung_up.is_set():
            log.debug("call %s: hung up", self.request.uniqueid)
        self._hung_up.set()

    async def _run(self, command: str, timeout_s: float, *, hangup_on_failure: bool = True) -> AGIReply:
        """Exchange one command; 511 -> AGIDeadChannel, 510/520 -> AGICommandError, `result=-1` then HANGUP ->
        AGIHangup (unless `hangup_on_failure` is False: the caller reads the reply itself)."""
        async with self._command_lock:
            reply = await self._exchange(command, timeout_s)
            if reply.code == DEAD_CHANNEL:
                self._mark_hung_up()
                raise AGIDeadChannel(f"{reply.message} (command: {command!r})")
            if reply.code != SUCCESS:
                raise AGICommandError(reply.code, reply.message, usage=reply.usage, command=command)
            if hangup_on_failure and reply.result == "-1" and await self._hangup_follows():
                raise AGIHangup(f"caller hung up during {command!r}")
            return reply

    async def _hangup_follows(self) -> bool:
        if self.hung_up:
            return True
        try:
            async with asyncio.timeout(HANGUP_GRACE_S):
                await self._hung_up.wait()
        except TimeoutError:
            return False
        return True

    async def _exchange(self, command: str, timeout_s: float) -> AGIReply:
        """Write one command and wait for its reply. Only `_run` calls this, holding the command lock."""
        self._raise_if_failed()
        pending: asyncio.Future[AGIReply] = asyncio.get_running_loop().create_future()
        self._pending = pending
        try:
            async with asyncio.timeout(timeout_s):
                await self._write(command)
                return await pending
        except TimeoutError:
            error = AGITimeout(f"no reply to {command!r} within {timeout_s:g} s")
            self._fail(error)
            raise error from None
        except asyncio.CancelledError:
            self._fail(AGIProtocolError(f"command {command!r} was cancelled before its reply"))
            raise
        finally:
            self._pending = None

    async def _write(self, command: str) -> None:
        log.debug("call %s >> %s", self.request.uniqueid, command)
        if self._on_turn is not None and self._last_reply_at is not None:
            self._on_turn(time.perf_counter() - self._last_reply_at)
        try:
            self._writer.write(command.encode("utf-8") + b"\n")
            await self._writer.drain()
        except OSError as exc:
            self._mark_hung_up()
            error = AGIHangup(f"connection to Asterisk lost: {exc}")
            self._fail(error)
            raise error from exc

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise type(self._failure)(*self._failure.args)
        if self._closed:
            raise AGIError("channel is closed")

    def _fail(self, error: AGIError) -> None:
        """Make the session unusable: a reply stream out of step or broken cannot be trusted again."""
        if self._failure is None:
            self._failure = error

    def _fail_from_reader(self, error: AGIError) -> None:
        self._fail(error)
        if self._pending is not None and not self._pending.done():
            self._pending.set_exception(error)

    async def _read_replies(self) -> None:
        assembler = ReplyAssembler()
        try:
            while True:
                line = await read_line(self._reader, self._max_line_bytes)
                if line is None:
                    self._mark_hung_up()
                    self._fail_from_reader(AGIHangup("Asterisk closed the AGI connection"))
                    return
                if not self._handle_line(line.decode("utf-8", errors="replace"), assembler):
                    return
        except AGIProtocolError as exc:
            self._fail_from_reader(exc)
        except OSError as exc:
            self._mark_hung_up()
            self._fail_from_reader(AGIHangup(f"connection to Asterisk lost: {exc}"))

    def _handle_line(self, text: str, assembler: ReplyAssembler) -> bool:
        """Route one line; False when the session must stop reading."""
        log.debug("call %s << %s", self.request.uniqueid, text)
        if text == HANGUP_LINE and not assembler.in_progress:
            self._mark_hung_up()
            return True
        reply = assembler.feed(text)
        if reply is None:
            return True
        pending = self._pending
        if pending is None or pending.done():
            self._fail_from_reader(
                AGIProtocolError(f"reply while no command was waiting: {reply.raw[:80]!r}")
            )
            return False
        self._last_reply_at = time.perf_counter()
        pending.set_result(reply)
        self._pending = None
        return True
