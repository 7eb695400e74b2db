"""redis-py 5 types each asyncio command as returning `Awaitable[T] | T` (one signature for both clients).

arq pins redis below 6, so the bot runs on redis-py 5. The asyncio client always returns the awaitable;
`reply()` says so once, for the type checker, instead of a cast at every call.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar, cast

T = TypeVar("T")


def reply(command: Awaitable[T] | T) -> Awaitable[T]:
    """The awaitable an asyncio Redis command returns: `await reply(redis.hgetall(key))`."""
    return cast(Awaitable[T], command)
