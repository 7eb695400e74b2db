"""Originate over AMI: every outcome with its Reason, and a callback that answers and is served by an agent
ahead of the callers already waiting (the callback context joins the queue with priority)."""

from __future__ import annotations

import pytest

from ivr.sim.ami import (
    Agent,
    Answers,
    Busy,
    Callee,
    CallerId,
    Congestion,
    Fixed,
    Hold,
    JoinQueue,
    NoAnswer,
    QueueConfig,
    SimulatedPBX,
)

from .helpers import logged_in, running, settle

NUMBER = "0701234567"


def callback_centre() -> SimulatedPBX:
    pbx = SimulatedPBX(seed=3)
    agent = Agent("Local/a1@agents/n", "Anna", answers_after_s=2.0, talk=Fixed(60.0))
    pbx.add_queue(QueueConfig("kc", members=(agent,)))
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    pbx.dialplan.add_context("callback", JoinQueue("kc", priority=10))
    pbx.dialplan.add_context("hold", Hold(30.0))
    return pbx


def originate(
    dial: str, action_id: str, *, context: str = "callback", timeout_ms: int = 5000
) -> list[tuple[str, str]]:
    return [
        ("Action", "Originate"),
        ("ActionID", action_id),
        ("Channel", dial),
        ("Context", context),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Async", "true"),
        ("CallerID", '"Kommunen" <0850000000>'),
        ("Timeout", str(timeout_ms)),
    ]


async def test_a_callback_answers_joins_ahead_and_is_served_by_the_next_free_agent() -> None:
    pbx = callback_centre()
    pbx.dialplan.add_number(NUMBER, Answers(after_s=4.0))
    async with running(pbx) as port:
        for number in ("0701", "0702"):
            pbx.inbound_call("kc-in", callerid=CallerId(number, None))
        await pbx.advance(10.0)
        dialer = await logged_in(port, events="call,agent")
        queued = dict(await dialer.action(*originate(f"Local/{NUMBER}@callback-out", "cb-1")))
        await pbx.advance(4.0)
        await settle()
        response = dialer.events("OriginateResponse")[0]
        channel = response["Channel"]
        await pbx.advance(120.0)
        await settle()

        join = next(e for e in dialer.events("QueueCallerJoin") if e["Channel"] == channel)
        served = [e["Channel"] for e in dialer.events("AgentConnect")]
        assert queued["Message"] == "Originate successfully queued"
        assert (response["ActionID"], response["Response"], response["Reason"]) == ("cb-1", "Success", "4")
        assert channel.startswith(f"Local/{NUMBER}@callback-out-")
        assert channel.endswith(";1")
        assert response["Uniqueid"] == join["Uniqueid"]
        assert (join["Position"], join["Count"]) == ("1", "2")
        assert served[0] == channel
        assert join["CallerIDNum"] == "0850000000"
        await dialer.close()


@pytest.mark.parametrize(
    ("callee", "reason"),
    [
        (Busy(), "5"),
        (Congestion(), "8"),
        (NoAnswer(), "3"),
        (Answers(after_s=10.0), "3"),
    ],
)
async def test_failed_originates_name_the_dial_string_and_no_uniqueid(callee: Callee, reason: str) -> None:
    pbx = callback_centre()
    pbx.dialplan.add_number(NUMBER, callee)
    async with running(pbx) as port:
        dialer = await logged_in(port, events="call")
        await dialer.action(*originate(f"Local/{NUMBER}@callback-out", "cb"))
        await pbx.advance(6.0)
        await settle()

        response = dialer.events("OriginateResponse")[0]
        assert (response["Response"], response["Reason"]) == ("Failure", reason)
        assert (response["Channel"], response["Uniqueid"]) == (f"Local/{NUMBER}@callback-out", "<unknown>")
        assert pbx.core.channels.find(f"Local/{NUMBER}@callback-out") is None
        assert len(pbx.core.channels) == 0
        await dialer.close()


async def test_an_unknown_local_context_fails_with_reason_0_after_the_channels_appear() -> None:
    async with running(callback_centre()) as port:
        dialer = await logged_in(port, events="call")
        await dialer.action(*originate("Local/s@no-such-context", "x"))
        await settle()

        assert [e["Reason"] for e in dialer.events("OriginateResponse")] == ["0"]
        assert len(dialer.events("Newchannel")) == 2
        assert [e["Cause"] for e in dialer.events("Hangup")] == ["0", "0"]
        await dialer.close()


async def test_a_number_nobody_answers_for_on_a_trunk_fails_at_once_without_channels() -> None:
    async with running(callback_centre()) as port:
        dialer = await logged_in(port, events="call")
        await dialer.action(*originate("PJSIP/0709999999@trunk", "x"))
        await settle()

        assert [(e["Reason"], e["Channel"]) for e in dialer.events("OriginateResponse")] == [
            ("0", "PJSIP/0709999999@trunk")
        ]
        assert dialer.events("Newchannel") == []
        await dialer.close()


async def test_a_trunk_call_rings_answers_and_holds_the_line() -> None:
    pbx = callback_centre()
    pbx.dialplan.add_number(NUMBER, Answers(after_s=2.0))
    async with running(pbx) as port:
        dialer = await logged_in(port, events="call")
        await dialer.action(*originate(f"PJSIP/{NUMBER}@trunk", "t", context="hold"))
        await pbx.advance(2.0)
        await settle()
        response = dialer.events("OriginateResponse")[0]
        up_while_holding = pbx.channel(response["Channel"]) is not None
        await pbx.advance(30.0)
        await settle()

        assert (response["Reason"], response["Channel"].startswith("PJSIP/trunk-")) == ("4", True)
        assert [e["DialStatus"] for e in dialer.events("DialState")] == ["RINGING"]
        assert up_while_holding
        assert [e["Channel"] for e in dialer.events("Hangup")] == [response["Channel"]]
        await dialer.close()


async def test_a_callee_who_hangs_up_while_waiting_abandons_the_queue() -> None:
    pbx = callback_centre()
    pbx.dialplan.add_number(NUMBER, Answers(after_s=1.0, hangs_up_after_s=20.0))
    async with running(pbx) as port:
        pbx.inbound_call("kc-in", callerid=CallerId("0701", None))
        await pbx.advance(5.0)
        dialer = await logged_in(port, events="agent")
        await dialer.action(*originate(f"Local/{NUMBER}@callback-out", "cb"))
        await pbx.advance(25.0)
        await settle()

        abandon = dialer.events("QueueCallerAbandon")
        assert [(e["Position"], e["HoldTime"]) for e in abandon] == [("1", "20")]
        await dialer.close()
