"""Replays recorded AMI sessions of a real Asterisk 20.20.1 against our client over loopback TCP.

`load_connections` reads a transcript (`[cN] <<` from Asterisk, `>>` from the recording client) into one
script per TCP connection. `ReplayServer` plays Asterisk: each new connection gets the next script; it
sends the banner, checks each action the client sends against the recorded one (ActionID aside), answers
with the recorded messages (ActionIDs rewritten to the client's), and closes where Asterisk closed or the
recording client dropped the connection. `perform` drives an `AMIClient` through a script's actions with
the API that fits each (originate, action_list, action) and returns what each produced.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ivr.ami import AMIClient, AMIError

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-transcripts"
STEP_TIMEOUT_S = 5.0
_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \[(?P<conn>c\d+)\] (?P<kind><<|>>|##)(?: (?P<text>.*))?")
_BANNER = "Asterisk Call Manager/"
_CLOSING_NOTES = ("EOF: connection closed by Asterisk", "client drops the TCP connection")


@dataclass(frozen=True)
class Message:
    lines: tuple[str, ...]

    @property
    def headers(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.lines:
            key, _, value = line.partition(":")
            pairs.append((key, value.removeprefix(" ")))
        return pairs

    def get(self, key: str) -> str | None:
        return next((value for name, value in self.headers if name.lower() == key.lower()), None)

    def encode(self) -> bytes:
        return "".join(f"{line}\r\n" for line in self.lines).encode("utf-8") + b"\r\n"


@dataclass(frozen=True)
class Send:
    message: Message


@dataclass(frozen=True)
class Expect:
    message: Message


@dataclass(frozen=True)
class Close:
    pass


Step = Send | Expect | Close


@dataclass(frozen=True)
class RecordedConnection:
    name: str
    banner: str
    steps: tuple[Step, ...]

    def without(self, *action_ids: str) -> RecordedConnection:
        """This script minus the actions with these recorded ActionIDs and what Asterisk sent after them."""
        kept: list[Step] = []
        skipping = False
        for step in self.steps:
            if isinstance(step, Expect):
                skipping = step.message.get("ActionID") in action_ids
            elif isinstance(step, Close):
                skipping = False
            if not skipping:
                kept.append(step)
        return replace(self, steps=tuple(kept))

    def actions(self) -> list[Message]:
        return [step.message for step in self.steps if isinstance(step, Expect)]


def load_connections(name: str) -> dict[str, RecordedConnection]:
    """The scripts of transcript `name`, by connection tag (`c1`, `c2`, ...)."""
    builders: dict[str, _Builder] = {}
    for text in (TRANSCRIPTS / name).read_text(encoding="utf-8").splitlines():
        match = _LINE.fullmatch(text)
        if match is None:
            continue
        builder = builders.setdefault(match["conn"], _Builder(match["conn"]))
        builder.add(match["kind"], (match["text"] or "").replace("\\r", "\r"))
    return {tag: builder.build() for tag, builder in builders.items()}


@dataclass
class _Builder:
    name: str
    banner: str = ""
    steps: list[Step] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=lambda: {"<<": [], ">>": []})

    def add(self, kind: str, text: str) -> None:
        if kind == "##":
            if text.startswith(_CLOSING_NOTES) and not (self.steps and isinstance(self.steps[-1], Close)):
                self.steps.append(Close())
        elif kind == "<<" and text.startswith(_BANNER) and not self.lines["<<"]:
            self.banner = text
        elif text:
            self.lines[kind].append(text)
        else:
            message = Message(tuple(self.lines[kind]))
            self.lines[kind] = []
            self.steps.append(Send(message) if kind == "<<" else Expect(message))

    def build(self) -> RecordedConnection:
        return RecordedConnection(self.name, self.banner, tuple(self.steps))


class ReplayServer:
    """Plays Asterisk for a sequence of recorded connections; mismatches land in `errors`."""

    def __init__(self, connections: Sequence[RecordedConnection]) -> None:
        self._scripts = list(connections)
        self.errors: list[str] = []
        self.connections_served = 0
        self.received: list[list[tuple[str, str]]] = []  # every action the client sent, as headers
        self._server: asyncio.Server | None = None
        self.port = 0
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        index = self.connections_served
        self.connections_served += 1
        try:
            if index >= len(self._scripts):
                self.errors.append(f"connection #{index + 1} was not recorded")
                return
            await self._play(self._scripts[index], reader, writer)
        except (TimeoutError, OSError) as exc:
            self.errors.append(f"connection #{index + 1}: {exc!r}")
        finally:
            writer.close()
            self._handlers.discard(task)

    async def _play(
        self, script: RecordedConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        ids: dict[str, str] = {}
        writer.write(f"{script.banner}\r\n".encode())
        for step in script.steps:
            if isinstance(step, Close):
                await writer.drain()
                return
            if isinstance(step, Send):
                writer.write(_with_ids(step.message, ids).encode())
                continue
            await writer.drain()
            sent = await _read_action(reader)
            if sent is None:
                self.errors.append(f"{script.name}: client closed; recorded next: {step.message.lines}")
                return
            self.received.append(sent)
            problem = _mismatch(sent, step.message)
            if problem:
                self.errors.append(f"{script.name}: {problem}")
                return
            recorded_id = step.message.get("ActionID")
            client_id = next((value for key, value in sent if key.lower() == "actionid"), None)
            if recorded_id is not None and client_id is not None:
                ids[recorded_id] = client_id
        await writer.drain()
        rest = await reader.read()  # the script is over: the client may only close now
        if rest:
            self.errors.append(f"{script.name}: client sent unrecorded data {rest[:200]!r}")


@asynccontextmanager
async def replaying(*connections: RecordedConnection) -> AsyncIterator[ReplayServer]:
    """A started ReplayServer for these connections; the exchange must have matched the recording."""
    server = ReplayServer(connections)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert server.errors == [], server.errors


def client_for(
    server: ReplayServer,
    script: RecordedConnection,
    *,
    reconnect: bool = True,
    backoff: tuple[float, float] = (0.01, 0.05),
) -> AMIClient:
    """A client logging in as the script's recorded Login did; keepalive off (Asterisk was not pinged)."""
    login = script.actions()[0]
    assert login.get("Action") == "Login", login
    return AMIClient(
        "127.0.0.1",
        server.port,
        login.get("Username") or "",
        login.get("Secret") or "",
        events=login.get("Events") or "on",
        action_timeout_s=STEP_TIMEOUT_S,
        reconnect=reconnect,
        backoff=backoff,
        ping_interval_s=None,
    )


async def _read_action(reader: asyncio.StreamReader) -> list[tuple[str, str]] | None:
    try:
        data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT_S)
    except asyncio.IncompleteReadError:
        return None
    pairs = []
    for line in data.decode("utf-8")[:-4].split("\r\n"):
        key, _, value = line.partition(": ")
        pairs.append((key, value))
    return pairs


def _normalised(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = [(key.lower(), value) for key, value in headers if key.lower() != "actionid"]
    pairs = [(key, value.lower()) if key == "action" else (key, value) for key, value in pairs]
    # A Login without Events gets every class the user may read: the same as `Events: on` (manager.c).
    if ("action", "login") in pairs and not any(key == "events" for key, _ in pairs):
        pairs.append(("events", "on"))
    return sorted(pairs)


def _mismatch(sent: list[tuple[str, str]], recorded: Message) -> str:
    if _normalised(sent) == _normalised(recorded.headers):
        return ""
    return f"client sent {sent}, the recording has {recorded.headers}"


def _with_ids(message: Message, ids: dict[str, str]) -> Message:
    lines = []
    for line in message.lines:
        key, _, value = line.partition(": ")
        lines.append(f"{key}: {ids[value]}" if key == "ActionID" and value in ids else line)
    return Message(tuple(lines))


Outcome = object  # what an API call returned, or the AMIError it raised


async def perform(client: AMIClient, script: RecordedConnection) -> dict[str, Outcome]:
    """Send the script's actions (its opening Login aside) through `client`, stopping before Logoff.

    Each outcome is keyed by the recorded ActionID, or `Action#n` (n counting from 1) when it had none.
    """
    outcomes: dict[str, Outcome] = {}
    steps = list(script.steps)
    unnamed: dict[str, int] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, Expect):
            continue
        action = step.message.get("Action") or ""
        if action.lower() == "logoff" or (index == 0 and action.lower() == "login"):
            continue
        key = step.message.get("ActionID")
        if key is None:
            unnamed[action] = unnamed.get(action, 0) + 1
            key = f"{action}#{unnamed[action]}"
        try:
            outcomes[key] = await _call(client, step.message, steps[index + 1 :])
        except AMIError as exc:
            outcomes[key] = exc
    return outcomes


async def _call(client: AMIClient, action: Message, following: list[Step]) -> Outcome:
    name = action.get("Action") or ""
    # Any: the recorded fields go to `**fields`, whose static type also covers the `timeout_s` keyword.
    fields: dict[str, Any] = {
        key: value for key, value in action.headers if key not in ("Action", "ActionID")
    }
    if name == "Events":
        return await client.set_events(fields["EventMask"])
    if name == "Originate" and fields.get("Async") == "true":
        return await client.originate(
            fields["Channel"],
            context=fields.get("Context"),
            exten=fields.get("Exten"),
            priority=fields.get("Priority"),
            application=fields.get("Application"),
            data=fields.get("Data"),
            timeout_s=int(fields["Timeout"]) / 1000 if "Timeout" in fields else None,
            caller_id=fields.get("CallerID"),
        )
    complete = _list_completion(following)
    if complete is not None:
        return await client.action_list(name, complete, **fields)
    return await client.action(name, **fields)


def _list_completion(following: list[Step]) -> str | None:
    """The completing event's name when Asterisk answered the action with a list (`EventList: start`)."""
    sends = []
    for step in following:
        if not isinstance(step, Send):
            break
        sends.append(step.message)
    if not sends or (sends[0].get("EventList") or "").lower() != "start":
        return None
    return next(
        (message.get("Event") for message in sends if (message.get("EventList") or "").lower() == "complete"),
        None,
    )
