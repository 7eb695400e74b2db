"""The client against recorded sessions of a real Asterisk 20.20.1 (fixtures/asterisk-transcripts/ami-*)."""

from __future__ import annotations

import asyncio

import pytest

from ivr.ami import (
    AMIActionError,
    AMIAuthenticationError,
    AMIConnectionLost,
    AMIEvent,
    AMIListResponse,
    AMIMessage,
    AMIPermissionError,
    AMIResponse,
    ConnectionLost,
    EventStream,
    OriginateReason,
    OriginateResult,
    Reconnected,
    StreamItem,
)
from ivr.ami.messages import classify
from ivr.ami.permissions import error_for
from ivr.ami.protocol import parse_message

from .replay import (
    TRANSCRIPTS,
    Outcome,
    RecordedConnection,
    ReplayServer,
    Send,
    client_for,
    load_connections,
    perform,
    replaying,
)

AMI_A = load_connections("ami-A-login-permissions.txt")
AMI_B = load_connections("ami-B-originate.txt")
AMI_C = load_connections("ami-C-queue.txt")
AMI_C2 = load_connections("ami-C2-queue-abandon-while-agent-rings.txt")
AMI_D = load_connections("ami-D-ping-logoff-reconnect.txt")
AMI_E = load_connections("ami-E-command-hangup-getvar.txt")


def response(outcome: Outcome) -> AMIResponse:
    assert isinstance(outcome, AMIResponse), outcome
    return outcome


def listing(outcome: Outcome) -> AMIListResponse:
    assert isinstance(outcome, AMIListResponse), outcome
    return outcome


def originated(outcome: Outcome) -> OriginateResult:
    assert isinstance(outcome, OriginateResult), outcome
    return outcome


def refusal(outcome: Outcome) -> AMIActionError:
    assert isinstance(outcome, AMIActionError), outcome
    return outcome


def drain(stream_items: list[StreamItem]) -> list[AMIEvent]:
    return [item for item in stream_items if isinstance(item, AMIEvent)]


async def collect(stream: EventStream) -> list[StreamItem]:
    """Everything the stream delivered; it ends when the client closes."""
    return [item async for item in stream]


# -- ami-A: login and permissions ---------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["c1", "c2"])
async def test_wrong_credentials_raise_once_and_are_not_retried(tag: str) -> None:
    script = AMI_A[tag].without("ping-before-login", "qs-before-login")
    async with replaying(script) as server:
        client = client_for(server, script)
        with pytest.raises(AMIAuthenticationError, match=r"manager\.conf"):
            await client.connect()
        await asyncio.sleep(0.1)  # several backoff periods: a retry would show as a second connection
        assert server.connections_served == 1
        assert not client.connected
        await client.close()


def test_actions_before_login_are_permission_denied_even_when_they_need_no_class() -> None:
    for step, action in [(1, "Ping"), (3, "QueueStatus")]:
        sent = AMI_A["c1"].steps[step]
        assert isinstance(sent, Send)
        answer = classify(parse_message(sent.message.encode()[:-4]))
        assert isinstance(answer, AMIResponse)
        error = error_for(action, answer, "admin")
        assert isinstance(error, AMIPermissionError)
        assert error.required == ()
        assert "not logged in" in str(error)


async def test_admin_session_already_authenticated_unknown_action_and_ping_without_action_id() -> None:
    script = AMI_A["c3"]
    async with replaying(script) as server:
        client = client_for(server, script)
        await client.connect()
        assert client.banner_version == "9.0.0"
        outcomes = await perform(client, script)
        await client.close()
    assert response(outcomes["login-again"]).message == "Already authenticated"
    unknown = refusal(outcomes["unknown-1"])
    assert not isinstance(unknown, AMIPermissionError)
    assert unknown.message == (
        "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands."
    )
    pong = response(outcomes["Ping#1"])  # Asterisk's answer had no ActionID: matched by order
    assert pong.action_id is None
    assert pong["Ping"] == "Pong"
    assert pong["Timestamp"] == "1795350137.537614"


async def test_limited_user_permissions_and_originate() -> None:
    script = AMI_A["c4"]
    async with replaying(script) as server:
        client = client_for(server, script)
        stream = client.events()
        await client.connect()
        outcomes = await perform(client, script)
        await client.close()
        events = drain(await collect(stream))

    status = listing(outcomes["qs-limited"])
    assert [event.name for event in status] == ["QueueParams", "QueueMember", "QueueParams"] + [
        "QueueMember"
    ] * 2
    assert status.complete.name == "QueueStatusComplete"
    assert status.complete.get_int("ListItems") == 5

    command = refusal(outcomes["cmd-limited"])
    assert isinstance(command, AMIPermissionError)
    assert command.required == ("command",)
    assert "user 'limited' needs write=command" in str(command)
    getvar = refusal(outcomes["getvar-limited"])
    assert isinstance(getvar, AMIPermissionError)
    assert getvar.required == ("call", "reporting")

    assert response(outcomes["ping-limited"])["Ping"] == "Pong"
    answered = originated(outcomes["orig-limited"])
    assert answered.success
    assert answered.reason == OriginateReason.ANSWER
    assert answered.channel == "Local/s@orig-answer-0000000c;1"
    assert answered.uniqueid == "1795350140.24"
    forbidden = refusal(outcomes["orig-limited-app"])
    assert not isinstance(forbidden, AMIPermissionError)
    assert forbidden.message == "Originate Access Forbidden: app or data blacklisted"

    assert "OriginateResponse" not in {event.name for event in events}  # consumed by originate()
    assert not any(event.action_id for event in events)  # list items stay in their list
    hangups = [event for event in events if event.name == "Hangup"]
    assert [event["Cause-txt"] for event in hangups] == ["Normal Clearing", "Normal Clearing"]
    assert all(event["Privilege"] == "call,all" for event in events)


# -- ami-B: every Originate outcome -------------------------------------------------------------------

ORIGINATE_OUTCOMES = [
    ("o-answer", True, OriginateReason.ANSWER, "Local/s@orig-answer-00000006;1", "1795350330.12"),
    ("o-busy", False, OriginateReason.BUSY, "Local/s@orig-busy", None),
    ("o-congestion", False, OriginateReason.CONGESTION, "Local/s@orig-congestion", None),
    ("o-noanswer", False, OriginateReason.RINGING, "Local/s@orig-noanswer", None),
    ("o-nocontext", False, OriginateReason.FAILURE, "Local/s@no-such-context", None),
]


async def test_every_originate_outcome() -> None:
    script = AMI_B["c1"]
    async with replaying(script) as server:
        client = client_for(server, script)
        await client.connect()
        outcomes = await perform(client, script)
        await client.close()

    for action_id, success, reason, channel, uniqueid in ORIGINATE_OUTCOMES:
        result = originated(outcomes[action_id])
        assert (result.success, result.reason, result.channel, result.uniqueid) == (
            success,
            reason,
            channel,
            uniqueid,
        ), action_id
        assert result.event.action_id != action_id  # the client's own ActionID came back
    assert originated(outcomes["o-noanswer"]).reason_text == "Remote end Ringing"
    assert originated(outcomes["o-busy"]).reason_text == "Remote end is Busy"
    assert refusal(outcomes["o-nodest"]).message == "Extension does not exist."
    sync_answered = response(outcomes["o-sync-answer"])  # sync Originate: no OriginateResponse event
    assert sync_answered.message == "Originate successfully queued"
    assert refusal(outcomes["o-sync-busy"]).message == "Originate failed"


# -- ami-C and C2: queue lists and the queue event stream ---------------------------------------------

QUEUE_EVENTS = {
    "QueueMemberPause",
    "QueueCallerJoin",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
    "QueueCallerAbandon",
    "QueueCallerLeave",
}


async def run_queue_session(script: RecordedConnection) -> tuple[dict[str, Outcome], list[AMIEvent]]:
    async with replaying(script) as server:
        client = client_for(server, script)
        stream = client.events(QUEUE_EVENTS)
        await client.connect()
        outcomes = await perform(client, script)
        await client.close()
        events = drain(await collect(stream))
    return outcomes, events


def fields(event: AMIMessage, *keys: str) -> tuple[str | None, ...]:
    return tuple(event.get(key) for key in keys)


async def test_queue_status_and_summary_lists_at_every_moment() -> None:
    outcomes, _ = await run_queue_session(AMI_C["c1"])
    expected = {  # moment: (Calls, Holdtime, TalkTime, Completed, Abandoned), entries' (Position, Wait)
        "t0-empty": (("0", "0", "0", "0", "0"), []),
        "t6-c1-talking": (("2", "3", "0", "0", "0"), [("1", "4"), ("2", "3")]),
        "t9-after-abandon": (("1", "3", "0", "0", "1"), [("1", "6")]),
        "t16-c3-waiting": (("1", "3", "6", "1", "1"), [("1", "13")]),
        "t24-c3": (("1", "3", "6", "1", "1"), [("1", "21")]),
        "t31-c3-talking": (("0", "8", "6", "1", "1"), []),  # Holdtime: a running average, 3 -> 8 after 25 s
        "t41-done": (("0", "8", "7", "2", "1"), []),
    }
    for moment, (params, entries) in expected.items():
        status = listing(outcomes[f"qs-{moment}"])
        assert status.response.message == "Queue status will follow"
        (queue,) = status.of("QueueParams")
        assert fields(queue, "Calls", "Holdtime", "TalkTime", "Completed", "Abandoned") == params, moment
        assert [fields(entry, "Position", "Wait") for entry in status.of("QueueEntry")] == entries, moment
        assert [member["Name"] for member in status.of("QueueMember")] == ["Member Two", "Member One"]
        assert status.complete.get_int("ListItems") == len(status)
        summary = listing(outcomes[f"qsum-{moment}"])
        assert [event.name for event in summary] == ["QueueSummary"]
        assert summary.complete.name == "QueueSummaryComplete"
    busy = listing(outcomes["qsum-t6-c1-talking"]).events[0]
    assert fields(busy, "LoggedIn", "Available", "Callers", "LongestHoldTime") == ("2", "0", "2", "4")
    assert response(outcomes["pause-m2"]).message == "Interface paused successfully"
    assert response(outcomes["unpause-m2"]).message == "Interface unpaused successfully"
    assert all(originated(outcomes[caller]).success for caller in ("qc1", "qc2", "qc3"))


async def test_queue_event_stream_pauses_joins_connects_abandons_and_completions() -> None:
    _, events = await run_queue_session(AMI_C["c1"])
    assert [event.name for event in events] == [
        "QueueMemberPause",
        "QueueCallerJoin",
        "AgentCalled",
        "QueueCallerJoin",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "AgentConnect",
        "QueueCallerAbandon",
        "QueueCallerLeave",
        "QueueMemberPause",
        "AgentComplete",
        "QueueMemberPause",
        "AgentCalled",
        "QueueCallerLeave",
        "AgentConnect",
        "AgentComplete",
        "QueueMemberPause",
    ]
    pauses = [
        fields(event, "Interface", "Paused", "PausedReason")
        for event in events
        if event.name == "QueueMemberPause"
    ]
    assert pauses == [
        ("Local/m2@q-agents/n", "1", "lunch"),
        ("Local/m1@q-agents/n", "1", "wrapup"),
        ("Local/m2@q-agents/n", "0", ""),
        ("Local/m1@q-agents/n", "0", ""),
    ]
    joins = [fields(event, "Position", "Count") for event in events if event.name == "QueueCallerJoin"]
    assert joins == [("1", "1"), ("2", "2"), ("3", "3")]
    connects = [fields(event, "HoldTime", "RingTime") for event in events if event.name == "AgentConnect"]
    assert connects == [("3", "3"), ("25", "2")]
    (abandon,) = [event for event in events if event.name == "QueueCallerAbandon"]
    assert fields(abandon, "Position", "OriginalPosition", "HoldTime") == ("1", "2", "6")
    completes = [event for event in events if event.name == "AgentComplete"]
    assert [(e.get_int("HoldTime"), e.get_int("TalkTime"), e["Reason"]) for e in completes] == [
        (3, 6, "agent"),
        (25, 10, "caller"),
    ]


async def test_caller_abandons_while_the_agent_rings() -> None:
    outcomes, events = await run_queue_session(AMI_C2["c1"])
    caller3 = [event.name for event in events if event.get("CallerIDNum") == "070000003"]
    assert caller3 == ["QueueCallerJoin", "AgentCalled", "QueueCallerAbandon", "QueueCallerLeave"]
    abandons = [
        fields(event, "Position", "OriginalPosition")
        for event in events
        if event.name == "QueueCallerAbandon"
    ]
    assert abandons == [("1", "2"), ("1", "3")]  # caller 3 joined third
    (queue,) = listing(outcomes["qs-t31-done"]).of("QueueParams")
    assert fields(queue, "Completed", "Abandoned") == ("1", "2")


# -- ami-D: Ping, Events, a dropped connection, Logoff -------------------------------------------------


async def test_drop_reconnect_resubscribes_and_reports_missed_events() -> None:
    first, second = AMI_D["c1"], AMI_D["c2"]
    async with replaying(first, second) as server:
        client = client_for(server, first)
        stream = client.events()
        await client.connect()
        before = await perform(client, first)  # ends with Asterisk's side of the connection gone
        items: list[StreamItem] = []
        while not any(isinstance(item, Reconnected) for item in items):
            items.append(await asyncio.wait_for(stream.get(), 5.0))
        after = await perform(client, second)
        await client.close()
        items += await collect(stream)

    assert response(before["ping-1"])["Ping"] == "Pong"
    assert response(before["Ping#1"])["Ping"] == "Pong"
    assert response(before["ev-off"])["Events"] == "Off"
    assert response(before["ev-call"])["Events"] == "On"
    assert originated(before["o-long"]).success
    assert originated(before["o-short"]).success
    # The second Login carried `Events: call` again (the replay checked it against the recording).
    logins = [headers for headers in server.received if ("Action", "Login") in headers]
    assert len(logins) == 2
    assert ("Events", "call") in logins[1]

    lost = next(index for index, item in enumerate(items) if isinstance(item, ConnectionLost))
    assert items[lost] == ConnectionLost("Asterisk closed the connection", reconnecting=True)
    back = items[lost + 1]
    assert isinstance(back, Reconnected)
    assert back.attempts == 1
    later = drain(items[lost + 2 :])
    # o-short hung up during the gap: Asterisk did not replay its Hangup; only o-long's came, live.
    hangups = [event["Channel"] for event in drain(items) if event.name == "Hangup"]
    assert hangups == ["Local/s@orig-long-0000000d;1", "Local/s@orig-long-0000000d;2"]
    assert all(event in later for event in drain(items) if event.name == "Hangup")
    assert any("orig-answer" in (event.get("Channel") or "") for event in drain(items[:lost]))
    channels = listing(after["csc"])
    assert [event["Channel"] for event in channels] == [
        "Local/s@orig-long-0000000d;2",
        "Local/s@orig-long-0000000d;1",
    ]


# -- ami-E: Command output, Getvar/Setvar, Hangup -------------------------------------------------------


async def test_command_output_variables_and_hangup() -> None:
    script = AMI_E["c1"]
    async with replaying(script) as server:
        client = client_for(server, script)
        await client.connect()
        outcomes = await perform(client, script)
        await client.close()

    version = response(outcomes["cmd-1"])
    assert version.message == "Command output follows"
    assert version.output == [
        "Asterisk 20.20.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 12:02:28 UTC"
    ]
    queue = response(outcomes["cmd-2"]).output
    assert len(queue) == 7
    assert queue[0].startswith("sim-queue has 0 calls (max unlimited) in 'ringall' strategy")
    assert queue[1] == "   Members: "  # indentation and the trailing space are kept
    assert queue[-2:] == ["", ""]
    unknown = refusal(outcomes["cmd-3"])
    assert unknown.response.output == [
        "No such command 'no such cli command' (type 'core show help no such' for other possible commands)"
    ]
    assert response(outcomes["setvar"]).message == "Variable Set"
    assert fields(response(outcomes["getvar"]), "Variable", "Value") == ("SURVEY_Q1", "4")
    assert response(outcomes["getvar-unset"])["Value"] == ""
    assert refusal(outcomes["getvar-nochan"]).message == "No such channel"
    assert refusal(outcomes["hangup-nochan"]).message == "No such channel"
    assert response(outcomes["hangup-1"]).message == "Channel Hungup"


async def test_replay_server_flags_an_action_that_differs_from_the_recording() -> None:
    script = AMI_B["c1"]
    server = ReplayServer([script])
    await server.start()
    client = client_for(server, script)
    await client.connect()
    with pytest.raises(AMIConnectionLost):  # the replay hangs up on a mismatch
        await client.originate("Local/s@orig-answer", context="orig-target", exten="s", priority=1)
    await client.close()
    await server.close()
    assert len(server.errors) == 1
    assert "client sent" in server.errors[0]


# -- ami-during-agi: the AMI view of each recorded AGI call ---------------------------------------------

AGI_CALLS = sorted(path.name for path in (TRANSCRIPTS / "ami-during-agi").glob("ami-for-agi-s*.txt"))


@pytest.mark.parametrize("name", AGI_CALLS)
async def test_agi_calls_seen_through_ami(name: str) -> None:
    (script,) = load_connections(f"ami-during-agi/{name}").values()
    recorded = sum(
        1 for step in script.steps if isinstance(step, Send) and step.message.get("Event") == "AGIExecEnd"
    )
    async with replaying(script) as server:
        client = client_for(server, script)
        stream = client.events(["AGIExecStart", "AGIExecEnd"])
        await client.connect()
        outcomes = await perform(client, script)
        await client.close()
        events = drain(await collect(stream))
    (result,) = outcomes.values()
    assert originated(result).reason == OriginateReason.ANSWER
    assert recorded > 0
    assert [event.name for event in events] == ["AGIExecStart", "AGIExecEnd"] * recorded
    assert all(event["Privilege"] == "agi,all" for event in events)
    codes = {event.get_int("ResultCode") for event in events if event.name == "AGIExecEnd"}
    assert codes <= {200, -1, 510, 511, 520}  # -1: the command saw the hang-up
