"""The queue model against app_queue's rules: running averages, priorities, strategies, ring-no-answer,
unavailable members, wrap-up, seeded handling times, Queue() timeouts, a full queue."""

from __future__ import annotations

from typing import Any

from ivr.sim.ami import Agent, CallerId, Fixed, JoinQueue, LogNormal, QueueConfig, SimulatedPBX
from ivr.sim.ami.handling import HandlingTime
from ivr.sim.ami.telephony import Leg

from .helpers import Recorder

AGENT = "Local/a1@agents/n"
TWENTY_SECONDS = Fixed(20.0)


def contact_centre(*agents: Agent, seed: int = 0, **config: Any) -> tuple[SimulatedPBX, Recorder]:
    pbx = SimulatedPBX(seed=seed, epoch=1_795_350_000.25)  # a fixed clock: Asterisk counts whole seconds
    pbx.add_queue(QueueConfig("kc", members=agents, **config))
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    pbx.dialplan.add_context("kc-vip", JoinQueue("kc", priority=10))
    pbx.dialplan.add_context("kc-impatient", JoinQueue("kc", max_wait_s=30.0))
    return pbx, Recorder(pbx)


def agent(
    interface: str = AGENT, *, answers_after_s: float | None = 1.0, talk: HandlingTime = TWENTY_SECONDS
) -> Agent:
    return Agent(interface, interface.split("/")[1].split("@")[0], answers_after_s=answers_after_s, talk=talk)


def call(pbx: SimulatedPBX, number: str, context: str = "kc-in", patience: float | None = None) -> Leg:
    return pbx.inbound_call(context, callerid=CallerId(number, f"Caller {number}"), hangs_up_after_s=patience)


def running_average(values: list[int]) -> int:
    """app_queue's exponential average: the first value as it is, then (3*old + new) >> 2."""
    average = values[0]
    for value in values[1:]:
        average = (3 * average + value) >> 2
    return average


async def test_holdtime_and_talktime_are_app_queues_running_averages() -> None:
    pbx, events = contact_centre(agent(talk=Fixed(20.0)))
    for number in ("01", "02", "03"):
        call(pbx, number)
    await pbx.run_until_idle()

    holds = [int(h) for (h,) in events.values("AgentConnect", "HoldTime") if h]
    talks = [int(t) for (t,) in events.values("AgentComplete", "TalkTime") if t]
    stats = pbx.queue("kc").stats
    assert holds == [1, 22, 43]
    assert talks == [20, 20, 20]
    assert (stats.holdtime, stats.talktime) == (running_average(holds), running_average(talks)) == (15, 20)
    assert stats.completed == 3


async def test_a_caller_with_priority_goes_ahead_of_the_waiting_ones() -> None:
    pbx, events = contact_centre(agent(talk=Fixed(60.0)))
    for number in ("01", "02", "03"):
        call(pbx, number)
    await pbx.advance(5.0)
    call(pbx, "99", context="kc-vip")
    await pbx.run_until_idle()

    joins = events.values("QueueCallerJoin", "CallerIDNum", "Position", "Count")
    served = [number for (number,) in events.values("AgentConnect", "CallerIDNum")]
    assert joins[-1] == ("99", "1", "3")
    assert served == ["01", "99", "02", "03"]


async def test_leastrecent_rings_one_member_per_caller_and_serves_callers_side_by_side() -> None:
    agents = (agent("Local/a1@agents/n"), agent("Local/a2@agents/n"))
    pbx, events = contact_centre(*agents, strategy="leastrecent")
    call(pbx, "01")
    call(pbx, "02")
    await pbx.advance(5.0)

    assert events.values("AgentCalled", "CallerIDNum", "Interface") == [
        ("01", "Local/a1@agents/n"),
        ("02", "Local/a2@agents/n"),
    ]
    assert [hold for (hold,) in events.values("AgentConnect", "HoldTime")] == ["1", "1"]


async def test_ringall_rings_every_free_member_for_the_head_caller_only() -> None:
    agents = (agent("Local/a1@agents/n"), agent("Local/a2@agents/n", answers_after_s=2.0))
    pbx, events = contact_centre(*agents, strategy="ringall")
    call(pbx, "01")
    call(pbx, "02")
    await pbx.advance(10.0)

    called = events.values("AgentCalled", "CallerIDNum", "Interface")
    assert called[:2] == [("01", "Local/a1@agents/n"), ("01", "Local/a2@agents/n")]
    assert events.values("AgentConnect", "CallerIDNum", "Interface", "HoldTime") == [
        ("01", "Local/a1@agents/n", "1"),
        ("02", "Local/a2@agents/n", "3"),
    ]
    cancelled = [
        e.get("DestChannel") or "" for e in events.named("DialEnd") if e.get("DialStatus") == "CANCEL"
    ]
    assert [name.startswith("Local/a2@agents-") for name in cancelled] == [True]


async def test_a_member_that_does_not_answer_is_given_up_after_the_member_timeout() -> None:
    pbx, events = contact_centre(agent(answers_after_s=None), member_timeout_s=15.0, retry_s=5.0)
    call(pbx, "01")
    await pbx.advance(21.0)

    ring_times = [event.timestamp - pbx.clock.epoch_origin for event in events.named("AgentCalled")]
    assert events.values("AgentRingNoAnswer", "RingTime") == [("15",)]
    assert ring_times == [0.0, 20.0]
    assert [status for (status,) in events.values("QueueMemberStatus", "Status")][:2] == ["2", "1"]
    assert events.named("AgentConnect") == []


async def test_an_unavailable_member_is_neither_logged_in_nor_rung() -> None:
    away = Agent("Local/a2@agents/n", "Away", logged_in=False)
    pbx, events = contact_centre(away)
    queue = pbx.queue("kc")
    call(pbx, "01")
    await pbx.advance(5.0)
    logged_in_before = queue.logged_in_members()
    member = queue.member("Local/a2@agents/n")
    assert member is not None
    queue.set_logged_in(member, True)
    await pbx.advance(2.0)

    assert logged_in_before == 0
    assert events.values("QueueMemberStatus", "Status")[0] == ("1",)
    assert len(events.named("AgentCalled")) == 1


async def test_wrapup_keeps_a_member_free_of_calls_for_a_while() -> None:
    pbx, events = contact_centre(agent(talk=Fixed(10.0)), wrapup_s=30)
    call(pbx, "01")
    call(pbx, "02")
    await pbx.run_until_idle()

    assert [hold for (hold,) in events.values("AgentConnect", "HoldTime")] == ["1", "42"]


async def test_handling_times_are_drawn_from_the_seeded_distribution() -> None:
    async def talk_times(seed: int) -> list[str | None]:
        pbx, events = contact_centre(agent(talk=LogNormal(60.0, 0.8)), seed=seed)
        for number in range(6):
            call(pbx, f"0{number}")
        await pbx.run_until_idle()
        return [talk for (talk,) in events.values("AgentComplete", "TalkTime")]

    first, again, other = await talk_times(7), await talk_times(7), await talk_times(8)

    assert first == again
    assert first != other
    assert len(set(first)) > 3


async def test_queue_timeout_counts_as_abandoned_and_the_call_ends() -> None:
    paused = Agent(AGENT, "A1", paused=True, paused_reason="lunch")
    pbx, events = contact_centre(paused)
    call(pbx, "01", context="kc-impatient")
    await pbx.run_until_idle()

    names = events.names()
    assert events.values("QueueCallerAbandon", "Position", "OriginalPosition", "HoldTime") == [
        ("1", "1", "30")
    ]
    assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave") < names.index("Hangup")
    assert pbx.queue("kc").stats.abandoned == 1


async def test_a_full_queue_turns_callers_away() -> None:
    pbx, events = contact_centre(agent(answers_after_s=None), max_callers=1)
    call(pbx, "01")
    second = call(pbx, "02")
    await pbx.advance(1.0)

    assert len(events.named("QueueCallerJoin")) == 1
    assert second.ended


async def test_a_hangup_action_on_a_waiting_caller_abandons_it() -> None:
    pbx, events = contact_centre(agent(answers_after_s=None))
    call(pbx, "01")
    waiting = call(pbx, "02")
    await pbx.advance(3.0)
    pbx.core.telephony.end_by_channel(waiting.near)

    assert events.values("QueueCallerAbandon", "CallerIDNum", "Position", "HoldTime") == [("02", "2", "3")]
    assert [count for (count,) in events.values("QueueCallerLeave", "Count")] == ["1"]


async def test_a_hangup_action_on_the_agents_channel_ends_the_call_as_the_agent() -> None:
    pbx, events = contact_centre(agent(talk=Fixed(300.0)))
    call(pbx, "01")
    await pbx.advance(30.0)
    agent_channel = next(
        c for c in pbx.core.channels if c.name.startswith("Local/a1@agents-") and c.name.endswith(";1")
    )
    pbx.core.telephony.end_by_channel(agent_channel)
    await pbx.advance(1.0)

    assert events.values("AgentComplete", "Reason", "TalkTime") == [("agent", "29")]
    assert len(pbx.core.channels) == 0
    assert pbx.queue("kc").stats.completed == 1
