"""LiveQueues against the simulated PBX over the real AMI client: the snapshot loads, follows callers, agents
and pauses, resynchronises after a dropped connection or an event that does not fit, and the handling
statistics learn from the events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from ivr.ami import AMIClient
from ivr.queueing.handling import RedisHandlingStore
from ivr.queueing.live import LiveQueues, QueueWait
from ivr.queueing.snapshot import DeviceStatus, MemberState, QueueSnapshot
from ivr.sim.ami import Agent, CallerId, Fixed, JoinQueue, QueueConfig, SimulatedPBX
from ivr.sim.ami.permissions import Perm

from .test_callbacks_support import redis_for_test, unique_prefix
from .test_live_support import EPOCH, CuttableProxy, ami_client, eventually, running

ANNA = "Local/anna@agents/n"
OLLE = "Local/olle@agents/n"
PIA = "Local/pia@agents/n"


def centre(*, olle_paused: bool = True) -> SimulatedPBX:
    """Queue kc: Anna answers after 2 s and talks 60 s, Olle (paused) after 3 s, Pia is logged out."""
    pbx = SimulatedPBX(epoch=EPOCH, seed=11)
    pbx.add_queue(
        QueueConfig(
            "kc",
            strategy="linear",
            talk=Fixed(60.0),
            members=(
                Agent(ANNA, "Anna", answers_after_s=2.0),
                Agent(OLLE, "Olle", answers_after_s=3.0, paused=olle_paused, paused_reason="lunch"),
                Agent(PIA, "Pia", logged_in=False),
            ),
        )
    )
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    return pbx


def call(pbx: SimulatedPBX, number: str, hangs_up_after_s: float | None = None) -> str:
    """An inbound call into the queue; its channel's uniqueid."""
    leg = pbx.inbound_call("kc-in", callerid=CallerId(number, None), hangs_up_after_s=hangs_up_after_s)
    return leg.near.uniqueid


def member(snapshot: QueueSnapshot | None, interface: str) -> MemberState:
    assert snapshot is not None
    return next(each for each in snapshot.members if each.interface == interface)


def waiting(snapshot: QueueSnapshot | None) -> list[tuple[int, str]]:
    assert snapshot is not None
    return [(caller.position, caller.uniqueid) for caller in snapshot.callers]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, UTC)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    prefix = unique_prefix()
    async with redis_for_test(prefix) as client:
        yield client, prefix


@asynccontextmanager
async def live_queues(
    ami: AMIClient, redis: tuple[Redis, str], pbx: SimulatedPBX, *queues: str, refresh_s: float = 600.0
) -> AsyncIterator[LiveQueues]:
    client, prefix = redis
    live = LiveQueues(
        ami, RedisHandlingStore(client, prefix), queues or ("kc",), refresh_s=refresh_s, clock=pbx.clock.epoch
    )
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


async def test_the_snapshot_is_loaded_from_queue_status_at_start(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    async with running(pbx) as port, ami_client(port) as ami:
        call(pbx, "0701000000")
        await pbx.advance(10.0)  # Anna answers at 2 s
        first = call(pbx, "0701000001")
        await pbx.advance(5.0)
        second = call(pbx, "0701000002")
        await pbx.advance(3.0)
        async with live_queues(ami, redis, pbx) as live:
            snapshot = await live.snapshot("kc")

            assert snapshot is not None
            assert waiting(snapshot) == [(1, first), (2, second)]
            assert [caller.waited_s for caller in snapshot.callers] == [8.0, 3.0]
            assert await live.waiting_since("kc") == [at(10.0), at(15.0)]
            anna, olle, pia = (member(snapshot, each) for each in (ANNA, OLLE, PIA))
            assert (anna.in_call, anna.busy, anna.busy_since) == (True, True, None)  # answered unseen
            assert (olle.paused, olle.logged_in, olle.name) == (True, True, "Olle")
            assert (pia.logged_in, pia.status) == (False, DeviceStatus.UNAVAILABLE)
            assert await live.free_agents("kc") == 0
            assert snapshot.taken_at == EPOCH + 18.0


async def test_the_snapshot_follows_callers_agents_and_pauses(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        assert waiting(await live.snapshot("kc")) == []
        assert await live.free_agents("kc") == 1  # Anna

        first = call(pbx, "0701000001")  # Anna is rung at once
        await live.caught_up()
        snapshot = await live.snapshot("kc")
        assert waiting(snapshot) == [(1, first)]
        assert member(snapshot, ANNA).status == DeviceStatus.INUSE
        assert await live.free_agents("kc") == 0

        await pbx.advance(2.0)  # Anna answers
        await live.caught_up()
        snapshot = await live.snapshot("kc")
        assert waiting(snapshot) == []
        assert (member(snapshot, ANNA).in_call, member(snapshot, ANNA).busy_since) == (True, EPOCH + 2.0)

        second = call(pbx, "0701000002")
        await pbx.advance(1.0)
        await live.caught_up()
        assert waiting(await live.snapshot("kc")) == [(1, second)]
        assert await live.waiting_since("kc") == [at(2.0)]

        await ami.action("QueuePause", Queue="kc", Interface=ANNA, Paused="true", Reason="break")
        await ami.action("QueuePause", Queue="kc", Interface=OLLE, Paused="false")
        await pbx.advance(1.0)  # the caller looks again: Olle is rung
        await live.caught_up()
        snapshot = await live.snapshot("kc")
        assert (member(snapshot, ANNA).paused, member(snapshot, ANNA).in_call) == (True, True)
        assert (member(snapshot, OLLE).paused, member(snapshot, OLLE).busy) == (False, True)

        await pbx.advance(59.0)  # Olle answers at 7 s; Anna's call ends at 62 s
        await live.caught_up()
        snapshot = await live.snapshot("kc")
        anna = member(snapshot, ANNA)
        assert (anna.in_call, anna.busy, anna.paused, anna.busy_since) == (False, False, True, None)
        assert member(snapshot, OLLE).busy_since == EPOCH + 7.0
        assert await live.free_agents("kc") == 0  # Anna paused, Olle talking

        leaving = call(pbx, "0701000003", hangs_up_after_s=5.0)
        await pbx.advance(1.0)
        await live.caught_up()
        assert waiting(await live.snapshot("kc")) == [(1, leaving)]
        await pbx.advance(5.0)
        await live.caught_up()
        assert waiting(await live.snapshot("kc")) == []


async def test_handling_statistics_learn_from_completions_and_abandons(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        assert (await live.stats("kc")).completions == 0
        call(pbx, "0701000001")
        call(pbx, "0701000002", hangs_up_after_s=20.0)  # Olle is paused: gives up waiting
        await pbx.advance(70.0)
        await live.caught_up()

        stats = await live.stats("kc")
        assert (stats.completions, stats.abandons_seen) == (1, 1)
        assert stats.recent_talk_s == (60.0,)


async def test_a_dropped_connection_makes_the_state_unknown_then_resynchronises(
    redis: tuple[Redis, str],
) -> None:
    pbx = centre()
    async with running(pbx) as port:
        proxy = CuttableProxy(port)
        try:
            proxy_port = await proxy.start()
            async with ami_client(proxy_port) as ami, live_queues(ami, redis, pbx) as live:
                call(pbx, "0701000001")
                await live.caught_up()
                resyncs = live.resyncs

                proxy.cut()

                async def unknown() -> bool:
                    return await live.snapshot("kc") is None

                await eventually(unknown)  # the notice of the lost connection reached it
                assert (await live.free_agents("kc"), await live.waiting_since("kc")) == (0, [])
                await pbx.advance(2.0)  # Anna answers the first caller, unseen
                second = call(pbx, "0701000002")  # joins, unseen
                await pbx.advance(1.0)

                proxy.restore()
                await eventually(lambda: ami.connected)
                await live.caught_up()
                snapshot = await live.snapshot("kc")

                assert live.resyncs == resyncs + 1
                assert waiting(snapshot) == [(1, second)]
                assert await live.waiting_since("kc") == [at(2.0)]  # from Wait: whole seconds
                assert member(snapshot, ANNA).in_call
        finally:
            await proxy.close()


async def test_an_event_that_does_not_fit_is_logged_and_the_queue_resynchronised(
    redis: tuple[Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    pbx = centre()
    bus = pbx.core.bus
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        resyncs = live.resyncs
        anna = pbx.queue("kc").member(ANNA)
        assert anna is not None
        odd_status = dict(anna.blob("kc")) | {"Status": "busy-ish"}
        with caplog.at_level(logging.WARNING, logger="ivr.queueing.live"):
            bus.publish("QueueMemberStatus", list(odd_status.items()), Perm.AGENT)
            ghost = [("Channel", "PJSIP/ghost-1"), ("Uniqueid", "ghost.1"), ("Queue", "kc")]
            bus.publish("QueueCallerJoin", [*ghost, ("Position", "1"), ("Count", "4")], Perm.AGENT)
            nobody = [("Queue", "kc"), ("Interface", "Local/nobody@agents/n")]
            bus.publish("AgentComplete", nobody, Perm.AGENT)
            await live.caught_up()

        snapshot = await live.snapshot("kc")
        assert waiting(snapshot) == []
        assert member(snapshot, ANNA).status == DeviceStatus.NOT_INUSE
        assert live.resyncs == resyncs + 1  # one QueueStatus for the three
        messages = " | ".join(record.getMessage() for record in caplog.records)
        assert "QueueMemberStatus does not fit (QueueMember Status: 'busy-ish' is not" in messages
        assert "QueueCallerJoin does not fit (Asterisk counts 4 callers, we know of 1)" in messages
        assert "AgentComplete does not fit" in messages
        assert (await live.stats("kc")).completions == 0  # the odd AgentComplete taught nothing


async def test_members_added_and_removed_follow(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    bus = pbx.core.bus
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        anna = pbx.queue("kc").member(ANNA)
        assert anna is not None
        added = dict(anna.blob("kc")) | {"MemberName": "Kim", "Interface": "PJSIP/kim"}
        added |= {"StateInterface": "PJSIP/kim", "Membership": "dynamic"}
        bus.publish("QueueMemberAdded", list(added.items()), Perm.AGENT)
        removed = [("Queue", "kc"), ("MemberName", "Pia"), ("Interface", PIA)]
        bus.publish("QueueMemberRemoved", removed, Perm.AGENT)
        await live.caught_up()

        snapshot = await live.snapshot("kc")
        assert snapshot is not None
        assert [(each.interface, each.name) for each in snapshot.members] == [
            (ANNA, "Anna"),
            (OLLE, "Olle"),
            ("PJSIP/kim", "Kim"),
        ]
        assert await live.free_agents("kc") == 2


async def test_the_periodic_refresh_catches_what_no_event_told(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    async with (
        running(pbx) as port,
        ami_client(port) as ami,
        live_queues(ami, redis, pbx, refresh_s=0.05) as live,
    ):
        anna = pbx.queue("kc").member(ANNA)
        assert anna is not None
        anna.paused = True  # behind the model's back: no event

        async def anna_paused() -> bool:
            return member(await live.snapshot("kc"), ANNA).paused

        await eventually(anna_paused)
        assert await live.free_agents("kc") == 0


async def test_a_queue_asterisk_does_not_have_is_unknown(
    redis: tuple[Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    pbx = centre()
    async with running(pbx) as port, ami_client(port) as ami:
        with caplog.at_level(logging.WARNING, logger="ivr.queueing.live"):
            async with live_queues(ami, redis, pbx, "kc", "bygglov") as live:
                assert await live.snapshot("bygglov") is None
                assert (await live.free_agents("bygglov"), await live.waiting_since("bygglov")) == (0, [])
                assert await live.snapshot("elsewhere") is None
                assert await live.snapshot("kc") is not None

        assert any("queue bygglov is not in Asterisk's QueueStatus" in r.getMessage() for r in caplog.records)


async def test_a_client_without_queue_events_is_refused(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    ami = AMIClient("127.0.0.1", 5038, "ivr", "secret", events="call")

    with pytest.raises(ValueError, match="needs the AMI 'agent' event class"):
        LiveQueues(ami, RedisHandlingStore(client, prefix), ["kc"])


async def test_the_wait_observer_hears_answered_and_abandoned_callers(redis: tuple[Redis, str]) -> None:
    pbx = centre()
    heard: list[QueueWait] = []
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        live.observe_waits(heard.append)
        first = call(pbx, "0701000001")  # Anna answers after 2 s
        second = call(pbx, "0701000002")  # waits for Anna, who talks 60 s
        leaving = call(pbx, "0701000003", hangs_up_after_s=20.0)  # Olle is paused: gives up
        await pbx.advance(70.0)
        await live.caught_up()

    assert heard == [
        QueueWait(first, "kc", "answered", 2.0, EPOCH + 2.0),
        QueueWait(leaving, "kc", "abandoned", 20.0, EPOCH + 20.0),
        QueueWait(second, "kc", "answered", 64.0, EPOCH + 64.0),
    ]


async def test_a_failing_wait_observer_does_not_stop_the_queue_view(
    redis: tuple[Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(wait: QueueWait) -> None:
        raise RuntimeError(f"cannot record {wait.uniqueid}")

    pbx = centre()
    async with running(pbx) as port, ami_client(port) as ami, live_queues(ami, redis, pbx) as live:
        live.observe_waits(broken)
        first = call(pbx, "0701000001")
        await pbx.advance(2.0)  # Anna answers: the observer fails
        second = call(pbx, "0701000002")
        await pbx.advance(1.0)
        await live.caught_up()
        assert waiting(await live.snapshot("kc")) == [(1, second)]
    assert f"the wait observer failed for {first}" in caplog.text
