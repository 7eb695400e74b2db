"""Compares the simulator's AMI messages with a recording's: same keys in the same order, same values once
the volatile ones are normalised (see replay.Normalizer). Asterisk publishes events from several threads, so
the order of events about different channels within one moment varies from run to run; events are compared
per channel, in order, and the queue's own events (and OriginateResponse) in their global order."""

from __future__ import annotations

from collections import defaultdict

from .replay import Message, is_event

CHANNEL_KEYS = ("Channel", "DestChannel", "LocalOneChannel", "LocalTwoChannel")
ORDERED_EVENTS = {
    "OriginateResponse",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
    "AgentRingNoAnswer",
    "QueueMemberStatus",
    "QueueMemberPause",
}
"""Events whose relative order app_queue and the originate thread fix."""
DEVICE_STATE = "DeviceStateChange"
"""Published by device-state threads in varying numbers (the simulator sends one per change): compared by
shape only."""


def responses(messages: list[Message]) -> list[Message]:
    """The banner, responses and the list items that come with them (QueueParams, QueueMember...)."""
    return [message for message in messages if not is_event(message)]


def events(messages: list[Message]) -> list[Message]:
    return [message for message in messages if is_event(message) and message[0][1] != DEVICE_STATE]


def name(message: Message) -> str:
    return message[0][1]


def shapes(messages: list[Message]) -> dict[str, set[tuple[str, ...]]]:
    """For each event name, the key sequences it appears with."""
    found: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for message in messages:
        if is_event(message):
            found[name(message)].add(tuple(key for key, _ in message))
    return dict(found)


def per_channel(messages: list[Message]) -> dict[str, list[Message]]:
    """Each channel's events in order (an event about two channels is in both lists), without the queue's
    events, whose place among the channel events varies in the recordings (they are in `ordered`)."""
    found: dict[str, list[Message]] = defaultdict(list)
    for message in events(messages):
        if name(message) in ORDERED_EVENTS:
            continue
        fields = dict(message)
        for channel in {fields[key] for key in CHANNEL_KEYS if key in fields}:
            found[channel].append(message)
    return dict(found)


def ordered(messages: list[Message]) -> list[Message]:
    return [message for message in events(messages) if name(message) in ORDERED_EVENTS]


def describe(messages: list[Message]) -> str:
    return "\n".join(" | ".join(f"{key}={value}" for key, value in message) for message in messages)
