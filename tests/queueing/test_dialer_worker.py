"""A dialer process for the race and crash tests (no tests here): `python <this file> MODE URL PREFIX`.

Its originator reaches no phone: it notes each Originate in Redis (`<prefix>:test:originated`), and counts an
Originate for a request that another Originate is still dialling in `<prefix>:test:duplicates`.
MODE `race`: dial (every call answered) until no request is left, then exit.
MODE `die`: dial, and die (SIGKILL) in the first Originate, its lease held.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Mapping
from datetime import datetime

from redis.asyncio import Redis

from ivr.queueing.callbacks import RedisCallbackQueue, SystemClock
from ivr.queueing.dialer import CallbackDialer, DialerConfig, OriginateOutcome
from ivr.queueing.hours import OpeningHours
from ivr.store.redis_reply import reply

QUEUE = "kontaktcenter"
FREE_AGENTS = 4
ALWAYS_OPEN = OpeningHours.parse({"mon-sun": "00:00-24:00"})
RACE_CONFIG = DialerConfig(queues=(QUEUE,), closing_margin_s=0, poll_interval_s=0.001)
DIE_CONFIG = DialerConfig(
    queues=(QUEUE,), closing_margin_s=0, originate_timeout_s=0.2, originate_grace_s=0.2, lease_s=1.0
)


class RedisNotingOriginator:
    def __init__(self, redis: Redis, prefix: str, *, die: bool) -> None:
        self.redis = redis
        self.prefix = prefix
        self.die = die

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
        if not await reply(self.redis.sadd(f"{self.prefix}:test:in-flight", request_id)):
            await self.redis.incr(f"{self.prefix}:test:duplicates")
        await reply(self.redis.rpush(f"{self.prefix}:test:originated", request_id))
        if self.die:
            os.kill(os.getpid(), signal.SIGKILL)
        await asyncio.sleep(random.uniform(0, 0.003))
        await reply(self.redis.srem(f"{self.prefix}:test:in-flight", request_id))
        return OriginateOutcome(answered=True, reason=4)


class AgentsAlwaysFree:
    async def waiting_since(self, queue: str) -> list[datetime]:
        return []

    async def free_agents(self, queue: str) -> int:
        return FREE_AGENTS


async def work(mode: str, url: str, prefix: str) -> None:
    redis = Redis.from_url(url)
    try:
        callbacks = RedisCallbackQueue(redis, prefix)
        originator = RedisNotingOriginator(redis, prefix, die=mode == "die")
        config = DIE_CONFIG if mode == "die" else RACE_CONFIG
        dialer = CallbackDialer(config, callbacks, AgentsAlwaysFree(), originator, SystemClock(), ALWAYS_OPEN)
        await redis.incr(f"{prefix}:test:started")
        await redis.blpop([f"{prefix}:test:go"], timeout=30)  # the test says go
        while await callbacks.in_queue_order(QUEUE):
            await dialer.step()
    finally:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(work(*sys.argv[1:4]))
