"""Replays what a recorded AMI client sent, at the recorded moments (virtual time), against a SimulatedPBX,
and normalises both sides' messages for comparison."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from ivr.sim.ami import SimulatedPBX
from ivr.sim.ami.wire import Field

from .raw_client import RawAmiClient
from .transcript import Transcript

Message = tuple[Field, ...]
SETTLE_S = 10.0
"""Model seconds the replay runs on after the client's last step, for the events still to come."""


async def replay(pbx: SimulatedPBX, transcript: Transcript) -> dict[str, RawAmiClient]:
    port = await pbx.start_ami()
    clients: dict[str, RawAmiClient] = {}
    try:
        for step in transcript.steps:
            await pbx.clock.advance_to(step.at)
            if step.kind == "connect":
                client = clients[step.connection] = RawAmiClient()
                await client.connect(port)
                await client.wait_for(lambda client=client: bool(client.messages))  # type: ignore[misc]
            elif step.kind == "send":
                fields = _our_channel_names(step.fields, transcript, clients)
                await _send(clients[step.connection], fields)
            else:
                await clients[step.connection].close()
        await pbx.clock.advance_to(transcript.duration + SETTLE_S)
        for client in clients.values():
            await asyncio.sleep(0.01)
            await client.close()
    finally:
        await pbx.stop()
    return clients


async def _send(client: RawAmiClient, fields: Iterable[Field]) -> None:
    before = client.responses
    client.send(list(fields))
    await client.wait_for(lambda: client.responses > before or client.closed_by_server)


def _sequences(messages: Iterable[Message]) -> list[str]:
    """Local channel sequence numbers in order of first appearance."""
    found: list[str] = []
    for message in messages:
        for _, value in message:
            for sequence in _SEQUENCE.findall(value):
                if sequence not in found:
                    found.append(sequence)
    return found


def _our_channel_names(fields: Message, transcript: Transcript, clients: dict[str, RawAmiClient]) -> Message:
    """The recorded client names channels by Asterisk's sequence numbers; the simulator numbers its own:
    the n-th channel pair seen in the recording is the n-th seen in the replay."""
    recorded = _sequences(m for messages in transcript.received.values() for m in messages)
    ours = _sequences(m for client in clients.values() for m in client.messages)
    mapping = dict(zip(recorded, ours, strict=False))
    return tuple(
        (key, _SEQUENCE.sub(lambda match: "-" + mapping.get(match.group(1), match.group(1)), value))
        for key, value in fields
    )


def is_event(message: Message) -> bool:
    """An event from the event queue (it carries Privilege), not a response or a list item."""
    return message[0][0] == "Event" and any(key == "Privilege" for key, _ in message)


_UNIQUEID = re.compile(r"^\d{10}\.\d+$")
_BRIDGE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SEQUENCE = re.compile(r"-([0-9a-f]{8})(?=;[12]$|$)")
DROPPED = {"Timestamp", "LoginTime"}
"""Values that are clock readings or Asterisk's start time: only their presence is compared."""


class Normalizer:
    """Replaces uniqueids, bridge ids and Local sequence numbers by tokens in order of first appearance, so
    that two runs compare equal when they refer to the same channels in the same order."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}

    def _token(self, kind: str, raw: str) -> str:
        key = (kind, raw)
        if key not in self._tokens:
            self._tokens[key] = f"<{kind}{sum(1 for k in self._tokens if k[0] == kind)}>"
        return self._tokens[key]

    def value(self, key: str, value: str) -> str:
        if key in DROPPED:
            return "*"
        if _UNIQUEID.match(value):
            return self._token("uid", value)
        if _BRIDGE.match(value):
            return self._token("bridge", value)
        return _SEQUENCE.sub(lambda match: "-" + self._token("seq", match.group(1)), value)

    def message(self, message: Message) -> Message:
        return tuple((key, self.value(key, value)) for key, value in message)

    def messages(self, messages: Iterable[Message]) -> list[Message]:
        return [self.message(message) for message in messages]
