"""The handling statistics in a real Redis: round trip, window bounds, concurrent writers."""

from __future__ import annotations

import asyncio
import math

import pytest
from redis.asyncio import Redis

from ivr.queueing.handling import (
    HandlingLearner,
    HandlingPrior,
    HandlingStats,
    HandlingTuning,
    RedisHandlingStore,
)
from ivr.store.redis_reply import reply

from .test_callbacks_support import REDIS_URL
from .test_estimate_support import ami_messages

QUEUE = "kontaktcenter"


async def test_a_queue_never_seen_gives_the_prior(redis: Redis, prefix: str) -> None:
    prior = HandlingPrior(mean_handling_s=240.0)

    stats = await RedisHandlingStore(redis, prefix, prior=prior).stats(QUEUE)

    assert stats == HandlingStats.from_prior(QUEUE, prior)


async def test_stored_statistics_equal_the_same_events_kept_in_memory(redis: Redis, prefix: str) -> None:
    tuning = HandlingTuning(window=50)
    store = RedisHandlingStore(redis, prefix, tuning=tuning)
    learner = HandlingLearner(QUEUE, tuning=tuning)
    for index in range(40):
        hold, talk, at = float(index % 7) * 10, 60.0 + 37.5 * (index % 11), 1_800_000_000.0 + index
        await store.record_completion(QUEUE, hold, talk, at)
        learner.record_completion(hold, talk, at)
        if index % 5 == 0:
            await store.record_abandon(QUEUE, 90.0 + index, at)
            learner.record_abandon(90.0 + index, at)
        if index % 8 == 0:
            await store.record_pause(QUEUE, 300.0, at)
            learner.record_pause(300.0, at)

    stored = await store.stats(QUEUE)

    assert stored == learner.stats()
    assert stored.completions == 40
    assert stored.recent_talk_s[0] == 60.0 + 37.5 * (39 % 11)  # newest first


async def test_the_window_is_bounded_and_holds_the_newest_calls(redis: Redis, prefix: str) -> None:
    store = RedisHandlingStore(redis, prefix, tuning=HandlingTuning(window=5))
    for talk in range(1, 13):
        await store.record_completion(QUEUE, hold_s=1.0, talk_s=float(talk), at=float(talk))

    assert await reply(redis.llen(store.keys.recent(QUEUE))) == 5
    stats = await store.stats(QUEUE)
    assert stats.recent_talk_s == (12.0, 11.0, 10.0, 9.0, 8.0)
    assert stats.completions == 12


async def test_the_pause_window_is_bounded_too(redis: Redis, prefix: str) -> None:
    store = RedisHandlingStore(redis, prefix, tuning=HandlingTuning(pause_window=2))
    for paused in (300.0, 600.0, 900.0):
        await store.record_pause(QUEUE, paused_s=paused, at=paused)

    assert await reply(redis.llen(store.keys.recent_pauses(QUEUE))) == 2
    stats = await store.stats(QUEUE)
    assert stats.recent_pause_s == (900.0, 600.0)
    assert stats.completions == 0


async def test_queues_are_kept_apart(redis: Redis, prefix: str) -> None:
    store = RedisHandlingStore(redis, prefix)
    await store.record_completion("bygglov", hold_s=10.0, talk_s=900.0, at=1.0)

    assert (await store.stats("bygglov")).completions == 1
    assert (await store.stats("skola")).completions == 0


async def test_concurrent_writers_lose_no_update(redis: Redis, prefix: str) -> None:
    clients = [Redis.from_url(REDIS_URL) for _ in range(4)]
    stores = [RedisHandlingStore(client, prefix) for client in clients]
    try:
        await asyncio.gather(
            *(
                store.record_completion(QUEUE, hold_s=5.0, talk_s=100.0 + n, at=float(n))
                for n in range(10)
                for store in stores
            )
        )
    finally:
        for client in clients:
            await client.aclose()

    stats = await RedisHandlingStore(redis, prefix).stats(QUEUE)
    assert stats.completions == 40
    assert sorted(stats.recent_talk_s) == sorted([100.0 + n for n in range(10)] * 4)


async def test_keys_are_named_in_one_place(redis: Redis, prefix: str) -> None:
    store = RedisHandlingStore(redis, prefix)
    await store.record_completion(QUEUE, hold_s=1.0, talk_s=2.0, at=3.0)

    keys = {key.decode() async for key in redis.scan_iter(match=f"{prefix}:*")}

    assert keys == {f"{prefix}:queue:{QUEUE}:handling", f"{prefix}:queue:{QUEUE}:handling:recent"}
    assert keys == {store.keys.summary(QUEUE), store.keys.recent(QUEUE)}
    await store.record_pause(QUEUE, paused_s=60.0, at=4.0)
    assert store.keys.recent_pauses(QUEUE) == f"{prefix}:queue:{QUEUE}:handling:pauses"
    assert await redis.exists(store.keys.recent_pauses(QUEUE)) == 1


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
async def test_impossible_durations_are_refused_before_anything_is_written(
    redis: Redis, prefix: str, bad: float
) -> None:
    store = RedisHandlingStore(redis, prefix)

    with pytest.raises(ValueError, match="finite number of seconds"):
        await store.record_completion(QUEUE, hold_s=1.0, talk_s=bad, at=0.0)
    with pytest.raises(ValueError, match="waited_s"):
        await store.record_abandon(QUEUE, waited_s=bad, at=0.0)
    with pytest.raises(ValueError, match="paused_s"):
        await store.record_pause(QUEUE, paused_s=bad, at=0.0)
    assert [key async for key in redis.scan_iter(match=f"{prefix}:*")] == []


async def test_a_queue_name_with_spaces_is_refused(redis: Redis, prefix: str) -> None:
    with pytest.raises(ValueError, match="queue name"):
        await RedisHandlingStore(redis, prefix).record_completion("two words", 1.0, 2.0, 3.0)


async def test_the_recorded_queue_events_teach_completions_abandons_and_pauses(
    redis: Redis, prefix: str
) -> None:
    store = RedisHandlingStore(redis, prefix, prior=HandlingPrior(weight=0, pause_weight=0))

    learned = [await store.record_event(message) for message in ami_messages("ami-C-queue.txt")]

    assert sum(learned) == 5  # two AgentComplete, one QueueCallerAbandon, two unpausing QueueMemberPause
    stats = await store.stats("sim-queue")
    assert (stats.completions, stats.abandons_seen) == (2, 1)
    assert stats.recent_talk_s == (10.0, 6.0)  # TalkTime, newest first
    assert stats.hold_mean_s == pytest.approx((3 + 25) / 2)
    # m2 paused at 1795350271 (lunch), back at 1795350291.270963; m1 at 1795350279, back at 1795350312.373585
    assert stats.recent_pause_s == pytest.approx((33.374, 20.271))
