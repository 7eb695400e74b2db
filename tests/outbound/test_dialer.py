"""The outbound survey over the simulated PBX: an agent call that ends (AgentComplete) is scheduled, and the
dialer places the survey call with the real AMI client (answered, busy, after closing time)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from queueing.test_live_support import EPOCH, PbxRecorder, ami_client, eventually, running
from redis.asyncio import Redis

from ivr.outbound.config import OutboundSurveyConfig
from ivr.outbound.dialer import ContactWatcher, SurveyDialConfig, SurveyDialer
from ivr.outbound.schedule import Contact, OutboundSurveys
from ivr.queueing.originator import AmiOriginator
from ivr.sim.ami import Agent, Answers, Busy, CallerId, Fixed, Hold, JoinQueue, QueueConfig, SimulatedPBX

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NUMBER = "0701234567"


def contact_centre() -> SimulatedPBX:
    pbx = SimulatedPBX(epoch=EPOCH, seed=7)
    pbx.add_queue(QueueConfig("kc", members=(Agent("Local/anna@agents/n", "Anna", answers_after_s=2.0),),
                              talk=Fixed(60.0)))  # fmt: skip
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    pbx.dialplan.add_context("survey-outbound", Hold(seconds=20.0))
    return pbx


def model_clock(pbx: SimulatedPBX) -> datetime:
    return datetime.fromtimestamp(pbx.clock.epoch(), UTC)


@pytest.fixture
async def scheduler_for() -> AsyncIterator[Callable[..., OutboundSurveys]]:
    """Makes schedules on the real Redis under a prefix of this test's own, removed afterwards."""
    client = Redis.from_url(REDIS_URL)
    prefix = f"test:outbound:{uuid.uuid4().hex[:12]}"
    yield lambda **changes: surveys(client, prefix, **changes)
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def surveys(redis: Redis, prefix: str, **changes: object) -> OutboundSurveys:
    settings: dict[str, object] = {
        "id": "uppringning",
        "default_sample_rate": 1.0,
        "delay_minutes": 0,
        "opening_hours": {"weekly": {"mon-fri": "09:00-18:00"}},
        "max_attempts": 2,
        "retry_after_minutes": 30,
    }
    configs = {"norrtalje": OutboundSurveyConfig.model_validate({**settings, **changes})}
    return OutboundSurveys(redis, prefix, configs, salt="test")


async def test_a_finished_agent_call_is_scheduled(scheduler_for: Callable[..., OutboundSurveys]) -> None:
    pbx = contact_centre()
    scheduler = scheduler_for()
    async with running(pbx) as port, ami_client(port) as ami:
        watcher = ContactWatcher(ami, scheduler, {"kc": "norrtalje"}, clock=lambda: model_clock(pbx))
        watcher.start()
        pbx.inbound_call("kc-in", callerid=CallerId(NUMBER, "Medborgare"))
        await pbx.advance(70.0)
        await eventually(lambda: watcher.results)
        watcher.stop()
    [result] = watcher.results
    assert result.decision == "scheduled"
    assert result.due_at == datetime.fromtimestamp(EPOCH, UTC) + timedelta(seconds=62)  # talk ended at 2+60 s


def calls_counted(outcome: str) -> float:
    labels = {"tenant": "norrtalje", "outcome": outcome}
    return REGISTRY.get_sample_value("ivr_outbound_calls_total", labels) or 0.0


async def dial(pbx: SimulatedPBX, dialer: SurveyDialer, ring_s: float) -> list[object]:
    """One dialer step at model time; lets `ring_s` of model time pass once the Originate is out."""
    recorder = PbxRecorder(pbx)
    step = asyncio.create_task(dialer.step())
    dialled = asyncio.create_task(recorder.wait_for(lambda: recorder.named("DialBegin")))
    await asyncio.wait([step, dialled], return_when=asyncio.FIRST_COMPLETED)
    dialled.cancel()
    if not step.done():
        await pbx.advance(ring_s)
    return [outcome for _call, outcome in await step]


async def test_the_dialer_calls_and_reports_the_outcome(
    scheduler_for: Callable[..., OutboundSurveys],
) -> None:
    pbx = contact_centre()
    pbx.dialplan.add_number(NUMBER, Answers(after_s=4.0))
    pbx.dialplan.add_number("0707654321", Busy())
    scheduler = scheduler_for()
    now = datetime.fromtimestamp(EPOCH, UTC)
    for uniqueid, number in (("1.1", NUMBER), ("1.2", "0707654321")):
        await scheduler.contact_ended(Contact("norrtalje", "kc", number, uniqueid, now))
    async with running(pbx) as port, ami_client(port) as ami:
        dialer = SurveyDialer(scheduler, AmiOriginator(ami), SurveyDialConfig(ring_s=20.0),
                              clock=lambda: model_clock(pbx))  # fmt: skip
        busy_before = calls_counted("busy")
        outcomes = await dial(pbx, dialer, ring_s=10.0)
    assert sorted(str(outcome) for outcome in outcomes) == ["answered", "busy"]
    assert calls_counted("busy") - busy_before == 1  # ivr_outbound_calls_total
    # Answered: the number rests; busy: tried again in 30 minutes.
    assert (await scheduler.contact_ended(Contact("norrtalje", "kc", NUMBER, "1.3", now))).decision == (
        "recently_surveyed"
    )
    [retry] = await scheduler.claim_due(now + timedelta(minutes=31))
    assert (retry.e164, retry.attempts) == ("+46707654321", 1)


async def test_a_call_claimed_after_closing_time_waits_for_the_opening(
    scheduler_for: Callable[..., OutboundSurveys],
) -> None:
    pbx = contact_centre()
    scheduler = scheduler_for(opening_hours={"weekly": {"mon-fri": "09:00-10:00"}}, expire_after_hours=72)
    opened = datetime.fromtimestamp(EPOCH, UTC) - timedelta(minutes=5)  # 09:55, before the close at 10:00
    await scheduler.contact_ended(Contact("norrtalje", "kc", NUMBER, "2.1", opened))
    async with running(pbx) as port, ami_client(port) as ami:
        dialer = SurveyDialer(scheduler, AmiOriginator(ami), SurveyDialConfig(),
                              clock=lambda: model_clock(pbx) + timedelta(minutes=1))  # fmt: skip
        [(call, outcome)] = await dialer.step()
    assert outcome is None
    tuesday_9 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm (CET)
    assert await scheduler.claim_due(tuesday_9 - timedelta(seconds=1)) == []
    [again] = await scheduler.claim_due(tuesday_9)
    assert (again.id, again.attempts) == (call.id, 0)
