"""Fixtures shared by the queueing tests: a real Redis under a prefix of the test's own, a clock to set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from ivr.queueing.callbacks import RedisCallbackQueue

from .test_callbacks_support import FakeClock, redis_for_test, unique_prefix


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    async with redis_for_test(prefix) as client:
        yield client


@pytest.fixture
def callbacks(redis: Redis, prefix: str, clock: FakeClock) -> RedisCallbackQueue:
    return RedisCallbackQueue(redis, prefix, clock=clock)
