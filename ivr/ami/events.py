"""Event delivery: bounded per-subscriber streams, handler subscriptions, and notices of missed events.

Asterisk never replays events: whatever happened while the connection was down, or while a slow consumer's
queue was full, is gone. Subscribers learn of each such gap through a notice (`ConnectionLost`,
`Reconnected`, `EventsDropped`) placed where the gap is, and must resynchronise (e.g. QueueStatus again).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

from ivr.ami.messages import AMIEvent

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 10_000


class AMINotice:
    """Base of the client's own notices in an event stream: events may have been missed."""


@dataclass(frozen=True, slots=True)
class ConnectionLost(AMINotice):
    reason: str
    reconnecting: (
        bool  # False: the client gave up (or was not asked to reconnect); the stream ends after this
    )


@dataclass(frozen=True, slots=True)
class Reconnected(AMINotice):
    attempts: int
    downtime_s: float


@dataclass(frozen=True, slots=True)
class EventsDropped(AMINotice):
    count: int  # events this subscriber's full queue had no room for


StreamItem = AMIEvent | AMINotice
EventHandler = Callable[[StreamItem], Awaitable[None] | None]


class EventStream:
    """A bounded queue of events for one consumer; iterate it with `async for`. Close it when done."""

    def __init__(self, hub: EventHub, names: Iterable[str] | None, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"an event queue needs room for at least one event, not {maxsize}")
        self._hub = hub
        self._names = None if names is None else frozenset(name.lower() for name in names)
        self._maxsize = maxsize
        self._buffer: deque[StreamItem] = deque()
        self._queued_events = 0
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def put(self, item: StreamItem) -> None:
        if self._closed:
            return
        if isinstance(item, AMIEvent):
            if self._names is not None and item.name.lower() not in self._names:
                return
            if self._queued_events >= self._maxsize:
                self._note_drop()
                return
            self._queued_events += 1
        self._buffer.append(item)
        self._wake()

    def _note_drop(self) -> None:
        last = self._buffer[-1] if self._buffer else None
        if isinstance(last, EventsDropped):
            self._buffer[-1] = EventsDropped(last.count + 1)
            return
        log.warning(
            "AMI event queue full (%d events): dropping events until the consumer catches up", self._maxsize
        )
        self._buffer.append(EventsDropped(1))
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> StreamItem:
        """The next item; raises StopAsyncIteration once the stream is closed and drained."""
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._buffer.popleft()
        if isinstance(item, AMIEvent):
            self._queued_events -= 1
        return item

    def get_nowait(self) -> StreamItem | None:
        """The next queued item, or None when none is queued."""
        if not self._buffer:
            return None
        item = self._buffer.popleft()
        if isinstance(item, AMIEvent):
            self._queued_events -= 1
        return item

    def close(self) -> None:
        """Stop receiving; items already queued are still delivered, then iteration ends."""
        if not self._closed:
            self._closed = True
            self._hub.remove(self)
            self._wake()

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> StreamItem:
        return await self.get()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Subscription:
    """A handler called for each item of its own stream, in a task of its own."""

    def __init__(self, stream: EventStream, handler: EventHandler) -> None:
        self._stream = stream
        self._handler = handler
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ami-event-handler")

    async def _run(self) -> None:
        async for item in self._stream:
            try:
                result = self._handler(item)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("AMI event handler %r failed", self._handler)

    @property
    def finished(self) -> bool:
        return self._task.done()

    def cancel(self) -> None:
        """Unsubscribe; items already queued are still handed to the handler."""
        self._stream.close()

    async def wait_closed(self, timeout_s: float) -> None:
        """Wait for the handler to finish the queued items; cancel it after `timeout_s`."""
        self._stream.close()
        done, _ = await asyncio.wait({self._task}, timeout=timeout_s)
        if not done:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class EventHub:
    """Fans each event and notice out to every open stream."""

    def __init__(self) -> None:
        self._streams: list[EventStream] = []
        self._subscriptions: list[Subscription] = []

    def stream(self, names: Iterable[str] | None = None, maxsize: int = DEFAULT_QUEUE_SIZE) -> EventStream:
        stream = EventStream(self, names, maxsize)
        self._streams.append(stream)
        return stream

    def subscribe(
        self, handler: EventHandler, names: Iterable[str] | None = None, maxsize: int = DEFAULT_QUEUE_SIZE
    ) -> Subscription:
        subscription = Subscription(self.stream(names, maxsize), handler)
        self._subscriptions = [sub for sub in self._subscriptions if not sub.finished]
        self._subscriptions.append(subscription)
        return subscription

    def remove(self, stream: EventStream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)

    def publish(self, item: StreamItem) -> None:
        for stream in list(self._streams):
            stream.put(item)

    def end(self) -> None:
        """End every stream after what is queued in it."""
        for stream in list(self._streams):
            stream.close()

    async def close(self, handler_timeout_s: float) -> None:
        """End every stream and wait for the handlers to finish what is queued, bounded."""
        self.end()
        subscriptions, self._subscriptions = self._subscriptions, []
        await asyncio.gather(*(sub.wait_closed(handler_timeout_s) for sub in subscriptions))
