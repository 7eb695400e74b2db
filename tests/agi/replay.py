"""Replays a recorded Asterisk FastAGI session against our server over a real loopback socket.

The harness plays Asterisk: it connects, sends the recorded `<<` lines, and each time the bot must speak it
reads one line and checks it equals the recorded `>>` line, then sends the `<<` lines that follow.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path

from ivr.agi import AGIError, Channel, FastAGIServer

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-transcripts"  # a copy of shared/
_LINE = re.compile(r"(?P<time>\d\d:\d\d:\d\d\.\d{3}) (?P<kind><<|>>|##)(?: (?P<text>.*))?")
# Consecutive lines from Asterisk this far apart were sent separately (e.g. a 520's usage text ~45 ms later).
_SPLIT_GAP_MS = 20
_STEP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Line:
    from_asterisk: bool
    data: bytes  # with its newline
    time_ms: int


def load_transcript(name: str) -> list[Line]:
    """The `<<` and `>>` lines of a transcript, with `## raw:` bytes applied and other notes dropped."""
    lines: list[Line] = []
    for text in (TRANSCRIPTS / name).read_text(encoding="utf-8").splitlines():
        match = _LINE.fullmatch(text)
        if match is None:
            continue
        body = match["text"] or ""
        if match["kind"] == "##":
            if body.startswith("raw: "):
                raw = ast.literal_eval(body.removeprefix("raw: "))
                lines[-1] = Line(lines[-1].from_asterisk, raw, lines[-1].time_ms)
            continue
        lines.append(Line(match["kind"] == "<<", body.encode("utf-8") + b"\n", _milliseconds(match["time"])))
    return lines


def script_of(lines: list[Line]) -> str:
    for line in lines:
        if line.data.startswith(b"agi_network_script: "):
            return line.data.decode().removeprefix("agi_network_script: ").strip().split("?")[0]
    raise ValueError("no agi_network_script in the transcript")


async def play_asterisk(port: int, lines: list[Line]) -> None:
    """Act as Asterisk for `lines`; then expect the bot to close the socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        previous: Line | None = None
        for line in lines:
            if line.from_asterisk:
                if (
                    previous is not None
                    and previous.from_asterisk
                    and line.time_ms - previous.time_ms >= _SPLIT_GAP_MS
                ):
                    await asyncio.sleep(_SPLIT_GAP_MS / 1000)
                writer.write(line.data)
                await writer.drain()
            else:
                try:
                    sent = await asyncio.wait_for(reader.readuntil(b"\n"), _STEP_TIMEOUT_S)
                except asyncio.IncompleteReadError:
                    raise AssertionError(
                        f"bot closed the socket; Asterisk recorded {line.data!r} next"
                    ) from None
                assert sent == line.data, f"bot sent {sent!r}, Asterisk recorded {line.data!r}"
            previous = line
        rest = await asyncio.wait_for(reader.read(), _STEP_TIMEOUT_S)
        assert rest == b"", f"bot sent more than recorded: {rest!r}"
    finally:
        writer.close()


async def replay(name: str, app: Callable[[Channel], Awaitable[None]]) -> None:
    """Run `app` as the bot side of transcript `name`; fail if the app or the wire exchange fails."""
    lines = load_transcript(name)
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def recorded_app(channel: Channel) -> None:
        try:
            await app(channel)
        except BaseException as exc:
            outcome.set_exception(exc)
            raise
        outcome.set_result(None)

    server = FastAGIServer({script_of(lines): recorded_app}, allow=[ip_network("127.0.0.0/8")])
    await server.start("127.0.0.1", 0)
    try:
        try:
            await play_asterisk(server.port, lines)
        except Exception:
            await _raise_app_failure(outcome)  # the app's own assertion explains a mismatch best
            raise
        await asyncio.wait_for(outcome, _STEP_TIMEOUT_S)
    finally:
        await server.close(grace_s=1.0)


async def _raise_app_failure(outcome: asyncio.Future[None]) -> None:
    """Raise the app's failure unless it is only the consequence of the harness hanging up."""
    await asyncio.wait({outcome}, timeout=_STEP_TIMEOUT_S)
    error = outcome.exception() if outcome.done() and not outcome.cancelled() else None
    if error is not None and not isinstance(error, AGIError):
        raise error


def _milliseconds(clock: str) -> int:
    hours, minutes, seconds = clock.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
