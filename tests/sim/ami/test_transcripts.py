"""Every recorded AMI session (ami-A..E), replayed against the simulated PBX: the client's actions are sent at
their recorded moments (virtual time) to a PBX configured like the recorded Asterisk, and what comes back must
have the recorded structure: the same responses and list items (keys, order and values), the same event
shapes, the same events per channel in the same order, and the queue's events in the same global order.
Uniqueids, bridge ids, Local sequence numbers, timestamps and LoginTime are normalised (replay.Normalizer)."""

from __future__ import annotations

import asyncio
import functools

import pytest

from . import compare
from .raw_client import RawAmiClient
from .replay import Message, Normalizer, replay
from .scenarios import pbx_for
from .transcript import Transcript, load_transcript

TRANSCRIPT_NAMES = ["ami-A", "ami-B", "ami-C-", "ami-C2", "ami-D", "ami-E"]


@functools.cache
def replayed(name: str) -> tuple[Transcript, dict[str, RawAmiClient], list[BaseException]]:
    """One replay per transcript for all the tests below (each takes a fraction of a second)."""
    transcript = load_transcript(name)
    pbx = pbx_for(transcript)
    clients = asyncio.run(replay(pbx, transcript))
    return transcript, clients, pbx.clock.take_failures()


def both_sides(name: str) -> list[tuple[str, list[Message], list[Message]]]:
    transcript, clients, _ = replayed(name)
    assert set(clients) == set(transcript.received)
    return [
        (
            connection,
            Normalizer().messages(clients[connection].messages),
            Normalizer().messages(transcript.received[connection]),
        )
        for connection in sorted(clients)
    ]


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_the_model_runs_without_failures(name: str) -> None:
    _, _, failures = replayed(name)

    assert failures == []


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_responses_and_lists_match(name: str) -> None:
    for connection, ours, recorded in both_sides(name):
        assert compare.responses(ours) == compare.responses(recorded), (
            f"{connection}:\n--- simulator\n{compare.describe(compare.responses(ours))}"
            f"\n--- recorded\n{compare.describe(compare.responses(recorded))}"
        )


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_every_event_has_the_recorded_shape(name: str) -> None:
    for connection, ours, recorded in both_sides(name):
        assert compare.shapes(ours) == compare.shapes(recorded), connection


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_each_channel_sees_the_recorded_events_in_order(name: str) -> None:
    for connection, ours, recorded in both_sides(name):
        ours_by_channel, recorded_by_channel = compare.per_channel(ours), compare.per_channel(recorded)
        assert sorted(ours_by_channel) == sorted(recorded_by_channel), connection
        for channel, recorded_events in recorded_by_channel.items():
            assert ours_by_channel[channel] == recorded_events, (
                f"{connection} {channel}:\n--- simulator\n{compare.describe(ours_by_channel[channel])}"
                f"\n--- recorded\n{compare.describe(recorded_events)}"
            )


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_queue_and_originate_events_come_in_the_recorded_order(name: str) -> None:
    for connection, ours, recorded in both_sides(name):
        assert compare.ordered(ours) == compare.ordered(recorded), (
            f"{connection}:\n--- simulator\n{compare.describe(compare.ordered(ours))}"
            f"\n--- recorded\n{compare.describe(compare.ordered(recorded))}"
        )


@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_connections_close_when_the_recorded_asterisk_closed_them(name: str) -> None:
    transcript, clients, _ = replayed(name)

    closed = {connection for connection, client in clients.items() if client.closed_by_server}
    dropped_by_client = {step.connection for step in transcript.steps if step.kind == "close"}
    assert closed - dropped_by_client == transcript.closed_by_asterisk - dropped_by_client


def test_the_queue_transcript_holds_what_it_is_about() -> None:
    """A guard that the comparisons above compare something: ami-C's pauses, joins, the abandon and both
    completions, with app_queue's running averages."""
    _, clients, _ = replayed("ami-C-")
    client = clients["c1"]

    joins = [(e["Position"], e["Count"]) for e in client.events("QueueCallerJoin")]
    abandon = client.events("QueueCallerAbandon")
    completes = [(e["HoldTime"], e["TalkTime"], e["Reason"]) for e in client.events("AgentComplete")]
    connects = [(e["HoldTime"], e["RingTime"]) for e in client.events("AgentConnect")]
    final_params = [dict(m) for m in client.messages if m[0] == ("Event", "QueueParams")][-1]
    assert joins == [("1", "1"), ("2", "2"), ("3", "3")]
    assert [(e["Position"], e["OriginalPosition"], e["HoldTime"]) for e in abandon] == [("1", "2", "6")]
    assert connects == [("3", "3"), ("25", "2")]
    assert completes == [("3", "6", "agent"), ("25", "10", "caller")]
    assert (final_params["Holdtime"], final_params["TalkTime"]) == ("8", "7")
    assert [e["Paused"] for e in client.events("QueueMemberPause")] == ["1", "1", "0", "0"]
