"""The wire format: parsing what Asterisk 20.20.1 sent (every recorded message), encoding what we send."""

from __future__ import annotations

import asyncio

import pytest

from ivr.ami import AMIEvent, AMIPermissionError, AMIProtocolError, AMIResponse, encode_action, parse_message
from ivr.ami.errors import AMIConnectionLost
from ivr.ami.messages import AMIMessage, classify
from ivr.ami.originate import OriginateReason, originate_fields, result_from
from ivr.ami.permissions import error_for, normalise_event_mask
from ivr.ami.protocol import parse_banner, read_banner, read_message

from .replay import TRANSCRIPTS, Send, load_connections

RECORDINGS = sorted(path.relative_to(TRANSCRIPTS).as_posix() for path in TRANSCRIPTS.glob("**/ami-*.txt"))


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_recorded_message_parses_as_a_response_or_an_event(name: str) -> None:
    count = 0
    for script in load_connections(name).values():
        assert parse_banner(script.banner.encode()) == "9.0.0"
        for step in script.steps:
            if isinstance(step, Send):
                wire = step.message.encode()
                message = parse_message(wire[:-4])
                assert message.headers == tuple(step.message.headers)
                assert isinstance(classify(message), AMIResponse | AMIEvent)
                count += 1
    assert count > 10


def test_stray_carriage_return_inside_a_value_is_kept() -> None:
    # ami-for-agi-s07: AGIExecStart echoes the AGI command with the CR the AGI script sent.
    (script,) = load_connections("ami-during-agi/ami-for-agi-s07.txt").values()
    commands = [
        event.get("Command")
        for step in script.steps
        if isinstance(step, Send)
        for event in [parse_message(step.message.encode()[:-4])]
        if event.get("Event") == "AGIExecStart"
    ]
    assert "ANSWER\r" in commands
    assert (
        parse_message(b"Event: AGIExecStart\r\nCommand: ANSWER\r\r\nResult: Success")["Command"] == "ANSWER\r"
    )


def test_values_with_colons_repeated_keys_empty_values_and_case_blind_lookup() -> None:
    message = parse_message(
        b"Response: Error\r\nActionID: x-1\r\n"
        b"Message: Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show commands.\r\n"
        b"Output: first\r\nOutput: \r\nOutput:    Members: \r\nBare:"
    )
    assert message["message"].startswith("Invalid/unknown command: NoSuchAction. Use Action: ListCommands")
    assert message.get_all("OUTPUT") == ["first", "", "   Members: "]
    assert message["Bare"] == ""
    assert message.action_id == "x-1"
    assert "output" in message
    assert message.to_dict()["Output"] == "first"
    assert message.get("Missing") is None
    with pytest.raises(KeyError, match="no 'Missing' header"):
        message["Missing"]


def test_utf8_and_bytes_that_are_not_utf8() -> None:
    message = parse_message("Event: Newchannel\r\nCallerIDName: Åsa Öberg".encode())
    assert message["CallerIDName"] == "Åsa Öberg"
    latin1 = parse_message(b"Event: Newchannel\r\nCallerIDName: \xc5sa")  # a trunk sending Latin-1
    assert latin1["CallerIDName"] == "\ufffdsa"


@pytest.mark.parametrize(
    "data", [b"Response: Success\r\nno colon here", b"Response: Success\r\n Indented: x", b":x"]
)
def test_a_line_that_is_not_a_header_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(AMIProtocolError, match="not an AMI header line"):
        parse_message(data)


def test_numbers_from_headers() -> None:
    event = parse_message(b"Event: AgentComplete\r\nHoldTime: 25\r\nTalkTime: ten")
    assert event.get_int("HoldTime") == 25
    assert event.get_int("RingTime") is None
    with pytest.raises(ValueError, match="TalkTime is not a whole number"):
        event.get_int("TalkTime")


def reader_with(data: bytes, limit: int = 1 << 16) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=limit)
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_framing_banner_messages_bounds_and_end_of_stream() -> None:
    reader = reader_with(b"Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nPing: Pong\r\n\r\nEvent: Cut")
    assert await read_banner(reader) == "9.0.0"
    assert (await read_message(reader, 1 << 16))["Ping"] == "Pong"
    with pytest.raises(AMIConnectionLost, match="in the middle of a message"):
        await read_message(reader, 1 << 16)
    with pytest.raises(AMIProtocolError, match="larger than 64 bytes"):
        await read_message(reader_with(b"Event: Big\r\nBody: " + b"x" * 100 + b"\r\n\r\n", limit=64), 64)
    with pytest.raises(AMIProtocolError, match="not an Asterisk manager interface"):
        await read_banner(reader_with(b"220 smtp.example.org ESMTP\r\n"))
    with pytest.raises(AMIConnectionLost, match="before its greeting"):
        await read_banner(reader_with(b""))


def test_encoding_an_action() -> None:
    data = encode_action(
        "Originate",
        "ab12-3",
        {
            "Channel": "Local/s@x",
            "Priority": 1,
            "Async": True,
            "EarlyMedia": False,
            "Data": None,
            "Variable": ["A=1", "B=2"],
        },
    )
    assert data == (
        b"Action: Originate\r\nActionID: ab12-3\r\nChannel: Local/s@x\r\nPriority: 1\r\nAsync: true\r\n"
        b"EarlyMedia: false\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n"
    )
    assert encode_action("Setvar", "1", {"Value": "Åsa"}).decode("utf-8").endswith("Value: Åsa\r\n\r\n")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"CallerID": "x\r\nAction: Command"}, "line break"),
        ({"Data": "a\nb"}, "line break"),
        ({"Bad Key": "x"}, "invalid AMI header name"),
        ({"ActionID": "mine"}, "set by the client"),
        ({"Data": "x" * 1100}, "longer than the 1024 bytes"),
        ({"Variable": [f"V{n}=1" for n in range(130)]}, "Asterisk reads at most 128"),
    ],
)
def test_encoding_refuses_what_asterisk_would_mangle(
    fields: dict[str, str | list[str]], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        encode_action("Originate", "1", fields)


def test_originate_fields_and_their_validation() -> None:
    common = {"data": None, "caller_id": None, "account": None, "channel_id": None, "other_channel_id": None}
    fields = originate_fields(
        "PJSIP/0701234567@trunk",
        context="callback",
        exten="s",
        priority=1,
        application=None,
        timeout_s=25,
        variables={"CALLBACK_ID": "7"},
        **common,
    )
    assert (fields["Timeout"], fields["Priority"], fields["Variable"], fields["Async"]) == (
        25000,
        "1",
        ["CALLBACK_ID=7"],
        True,
    )
    with pytest.raises(ValueError, match="either an application or context"):
        originate_fields(
            "L/x",
            context="c",
            exten="s",
            priority=1,
            application="Playback",
            timeout_s=None,
            variables=None,
            **common,
        )
    with pytest.raises(ValueError, match="needs context, exten and priority"):
        originate_fields(
            "L/x",
            context="c",
            exten="s",
            priority=None,
            application=None,
            timeout_s=None,
            variables=None,
            **common,
        )
    with pytest.raises(ValueError, match="variable name"):
        originate_fields(
            "L/x",
            context="c",
            exten="s",
            priority=1,
            application=None,
            timeout_s=None,
            variables={"A=B": "1"},
            **common,
        )
    with pytest.raises(ValueError, match="needs a channel"):
        originate_fields(
            "", context="c", exten="s", priority=1, application=None, timeout_s=None, variables=None, **common
        )


def test_originate_result_with_a_reason_asterisk_did_not_document() -> None:
    event = AMIEvent(
        parse_message(b"Event: OriginateResponse\r\nResponse: Failure\r\nReason: 1\r\nUniqueid: ").headers
    )
    result = result_from(event)
    assert (result.success, result.reason, result.reason_text, result.uniqueid) == (
        False,
        OriginateReason.HANGUP,
        "Hangup",
        None,
    )
    assert (
        result_from(AMIEvent((("Event", "OriginateResponse"), ("Reason", "42")))).reason_text
        == "Unknown reason 42"
    )


def test_permission_errors_name_the_missing_write_class() -> None:
    denied = AMIResponse(AMIMessage((("Response", "Error"), ("Message", "Permission denied"))).headers)
    known = error_for("QueuePause", denied, "dialer")
    assert isinstance(known, AMIPermissionError)
    assert (
        str(known)
        == "Asterisk denied QueuePause: the manager user 'dialer' needs write=agent in manager.conf"
    )
    unknown = error_for("MixMonitor", denied)
    assert isinstance(unknown, AMIPermissionError)
    assert unknown.required is None
    assert "'manager show command MixMonitor'" in str(unknown)
    refused = AMIResponse((("Response", "Error"), ("Message", "No such channel")))
    assert not isinstance(error_for("Hangup", refused), AMIPermissionError)


@pytest.mark.parametrize(
    ("mask", "normalised"), [("on", "on"), (" OFF ", "off"), ("call, agent", "call,agent")]
)
def test_event_masks(mask: str, normalised: str) -> None:
    assert normalise_event_mask(mask) == normalised


@pytest.mark.parametrize("mask", ["", "calls", "call,,agent", "7"])
def test_invalid_event_masks(mask: str) -> None:
    with pytest.raises(ValueError, match="invalid AMI event mask"):
        normalise_event_mask(mask)
