"""Shared helpers of the callback and dialer tests (no tests here): real Redis, a clock to set, numbers."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from live_services import REDIS_URL as REDIS_URL
from live_services import redis_for_test as live_redis_for_test
from redis.asyncio import Redis

from ivr.queueing.numbers import CallbackNumber, validate_callback_number

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


def redis_for_test(prefix: str) -> AbstractAsyncContextManager[Redis]:
    """A client of the test Redis; fails the test clearly when Redis is down; removes `prefix*` afterwards."""
    return live_redis_for_test(prefix)
