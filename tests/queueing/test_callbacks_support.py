"""Shared helpers of the callback and dialer tests (no tests here): real Redis, a clock to set, numbers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from ivr.queueing.numbers import CallbackNumber, validate_callback_number

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Stockholm


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def minutes(value: float) -> datetime:
    return T0 + timedelta(minutes=value)


def mobile(index: int) -> CallbackNumber:
    """A distinct valid Swedish mobile number for each index below 10 million."""
    return validate_callback_number(f"070{index:07d}")


def unique_prefix() -> str:
    return f"test:callbacks:{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def redis_for_test(prefix: str) -> AsyncIterator[Redis]:
    """A client of the test Redis; fails the test clearly when Redis is down; removes `prefix*` afterwards."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as error:
        await client.aclose()
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({error}); start it (scripts/setup.sh --services) "
            "or point IVR_TEST_REDIS_URL at one",
            pytrace=False,
        )
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
