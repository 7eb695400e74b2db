"""Several dialers on one Redis: never two Originates for one request at once, and a dead dialer's request
is picked up again, exactly once."""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ivr.queueing.callbacks import RedisCallbackQueue, SystemClock
from ivr.queueing.dialer import CallbackDialer, DialerConfig, OriginateOutcome
from ivr.store.redis_reply import reply

from .test_callbacks_support import REDIS_URL, FakeClock, minutes, mobile, redis_for_test
from .test_dialer import HOURS, FakeOriginator, FakeQueueView
from .test_dialer_worker import ALWAYS_OPEN, DIE_CONFIG, QUEUE

WORKER = Path(__file__).with_name("test_dialer_worker.py")
REQUESTS = 200
FREE_AGENTS = 6


class RaceOriginator:
    """Shared by the racing dialers; answers after a random moment, busy at the first try for some."""

    def __init__(self, busy_first: set[str], seed: int) -> None:
        self.busy_first = busy_first
        self.rng = random.Random(seed)
        self.in_flight: set[str] = set()
        self.most_in_flight = 0
        self.duplicates = 0
        self.originates: Counter[str] = Counter()

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int,
        caller_id: str,
        variables: Mapping[str, str],
        timeout_s: float,
    ) -> OriginateOutcome:
        request_id = variables["CALLBACK_ID"]
        if request_id in self.in_flight:
            self.duplicates += 1
        self.in_flight.add(request_id)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        self.originates[request_id] += 1
        await asyncio.sleep(self.rng.uniform(0, 0.002))
        self.in_flight.discard(request_id)
        if request_id in self.busy_first and self.originates[request_id] == 1:
            return OriginateOutcome(answered=False, reason=5)
        return OriginateOutcome(answered=True, reason=4)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_two_dialers_racing_never_originate_one_request_twice(
    prefix: str, redis: Redis, seed: int
) -> None:
    clock = FakeClock()
    view = FakeQueueView()
    view.free[QUEUE] = FREE_AGENTS
    setup = RedisCallbackQueue(redis, prefix, clock=clock)
    requests = [
        (
            await setup.add(
                tenant="norrtalje", queue=QUEUE, number=mobile(index), virtual_place=minutes(index)
            )
        ).request
        for index in range(REQUESTS)
    ]
    busy_first = {request.id for request in random.Random(seed).sample(requests, REQUESTS // 5)}
    originator = RaceOriginator(busy_first, seed)
    async with redis_for_test(prefix) as other_client:
        dialers = [
            CallbackDialer(
                DialerConfig(queues=(QUEUE,)),
                RedisCallbackQueue(client, prefix, clock=clock),
                view,
                originator,
                clock,
                HOURS,
            )
            for client in (redis, other_client)
        ]
        for _ in range(1000):
            rounds = await asyncio.gather(*(dialer.step() for dialer in dialers * 2))
            if not any(rounds):
                if not await setup.in_queue_order(QUEUE):
                    break
                clock.advance(minutes=5)  # the busy ones come due again
        ended = [await setup.get(request.id) for request in requests]
    assert originator.duplicates == 0
    assert 2 <= originator.most_in_flight <= FREE_AGENTS
    assert {request_id: count for request_id, count in originator.originates.items() if count != 1} == {
        request_id: 2 for request_id in busy_first
    }
    assert len(originator.originates) == REQUESTS
    assert [None if request is None else request.status for request in ended] == ["done"] * REQUESTS


async def run_worker(mode: str, prefix: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, str(WORKER), mode, REDIS_URL, prefix)


async def wait_for_starts(redis: Redis, prefix: str, count: int) -> None:
    for _ in range(3000):
        if int(await redis.get(f"{prefix}:test:started") or 0) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the dialer processes did not start")


async def test_two_dialer_processes_racing_never_originate_one_request_twice(
    prefix: str, redis: Redis
) -> None:
    setup = RedisCallbackQueue(redis, prefix)
    for index in range(REQUESTS):
        await setup.add(tenant="norrtalje", queue=QUEUE, number=mobile(index), virtual_place=minutes(index))
    workers = [await run_worker("race", prefix) for _ in range(2)]
    await wait_for_starts(redis, prefix, 2)
    await reply(redis.rpush(f"{prefix}:test:go", "1", "1"))
    codes = await asyncio.wait_for(asyncio.gather(*(worker.wait() for worker in workers)), 60)
    assert codes == [0, 0]
    originated = await reply(redis.lrange(f"{prefix}:test:originated", 0, -1))
    assert len(originated) == REQUESTS
    assert len(set(originated)) == REQUESTS
    assert await redis.get(f"{prefix}:test:duplicates") is None
    assert await setup.in_queue_order(QUEUE) == []


async def test_a_dialer_process_killed_mid_originate_leaves_the_request_to_another_once(
    prefix: str, redis: Redis
) -> None:
    setup = RedisCallbackQueue(redis, prefix)
    request = (
        await setup.add(tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=minutes(0))
    ).request
    worker = await run_worker("die", prefix)
    await reply(redis.rpush(f"{prefix}:test:go", "1"))
    assert await asyncio.wait_for(worker.wait(), 30) == -9  # SIGKILL, in the middle of its Originate
    claimed = await setup.get(request.id)
    assert claimed is not None
    assert claimed.status == "dialling"
    view = FakeQueueView()
    survivor = FakeOriginator()
    dialer = CallbackDialer(DIE_CONFIG, setup, view, survivor, SystemClock(), ALWAYS_OPEN)
    assert await dialer.step() == []  # the dead dialer's lease still holds
    results = []
    for _ in range(200):
        results.extend(await dialer.step())
        await asyncio.sleep(0.02)
        if len(results) and len(survivor.calls) and not await setup.in_queue_order(QUEUE):
            break
    for _ in range(5):
        assert await dialer.step() == []
    assert [(result.request_id, result.outcome) for result in results] == [(request.id, "done")]
    assert survivor.dialled() == [request.id]
    assert await reply(redis.lrange(f"{prefix}:test:originated", 0, -1)) == [request.id.encode()]
    done = await setup.get(request.id)
    assert done is not None
    assert (done.status, done.attempts) == ("done", 1)


async def test_a_dialer_task_cancelled_mid_originate_leaves_the_request_to_another_once(
    prefix: str, redis: Redis
) -> None:
    clock = FakeClock()
    config = DialerConfig(queues=(QUEUE,), originate_timeout_s=0.1, originate_grace_s=0.1, lease_s=0.5)
    setup = RedisCallbackQueue(redis, prefix, clock=clock)
    request = (
        await setup.add(tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=minutes(0))
    ).request
    entered = asyncio.Event()

    class StuckOriginator(FakeOriginator):
        async def originate(self, **fields: object) -> OriginateOutcome:
            entered.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    doomed = CallbackDialer(config, setup, FakeQueueView(), StuckOriginator(), clock, HOURS)
    stepping = asyncio.create_task(doomed.step())
    await asyncio.wait_for(entered.wait(), 2)
    stepping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stepping
    survivor = FakeOriginator()
    dialer = CallbackDialer(config, setup, FakeQueueView(), survivor, clock, HOURS)
    assert await dialer.step() == []
    await asyncio.sleep(0.6)
    assert [result.outcome for result in await dialer.step()] == ["done"]
    assert await dialer.step() == []
    assert survivor.dialled() == [request.id]
