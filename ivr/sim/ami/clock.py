"""Model time for the simulated PBX, and a scheduler that runs the model's steps in time order.

time_scale 0: a virtual clock that only moves when a test calls `advance` (every step due meanwhile runs in
order, at its own moment). time_scale > 0: a model second lasts time_scale real seconds and a driver task runs
each step when it is due. Steps due at the same moment run in (order, scheduling) order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

Step = Callable[[], None]

log = logging.getLogger(__name__)


@dataclass(order=True)
class Timer:
    when: float
    order: int
    sequence: int
    step: Step = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class PbxClock:
    """Model seconds since the PBX started; `epoch()` is the wall-clock time Asterisk would print."""

    def __init__(self, time_scale: float = 0.0, *, epoch: float | None = None) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must not be negative, got {time_scale}")
        self.time_scale = time_scale
        self.epoch_origin = time.time() if epoch is None else epoch
        self._real_origin = perf_counter()
        self._virtual_now = 0.0
        self._timers: list[Timer] = []
        self._sequence = itertools.count()
        self._wake = asyncio.Event()
        self._driver: asyncio.Task[None] | None = None
        self._failures: list[BaseException] = []

    @property
    def virtual(self) -> bool:
        return self.time_scale == 0

    def now(self) -> float:
        if self.virtual:
            return self._virtual_now
        return (perf_counter() - self._real_origin) / self.time_scale

    def epoch(self) -> float:
        return self.epoch_origin + self.now()

    def epoch_seconds(self) -> int:
        """time(NULL): what app_queue subtracts for hold, talk and abandon times (rounded to the
        microsecond first, so that float sums like 0.1 + 2.9 do not fall a second short)."""
        return int(round(self.epoch(), 6))

    def call_at(self, when: float, step: Step, *, order: int = 0) -> Timer:
        timer = Timer(max(when, self.now()), order, next(self._sequence), step)
        heapq.heappush(self._timers, timer)
        self._wake.set()
        return timer

    def call_later(self, delay: float, step: Step, *, order: int = 0) -> Timer:
        return self.call_at(self.now() + delay, step, order=order)

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        """A future done when `seconds` of model time have passed (in virtual time: when advanced past)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        self.call_later(seconds, wake)
        return future

    def next_due(self) -> float | None:
        self._drop_cancelled()
        return self._timers[0].when if self._timers else None

    async def advance(self, seconds: float) -> None:
        """Virtual time: run every step due within `seconds` from now, each at its moment."""
        await self.advance_to(self.now() + seconds)

    async def advance_to(self, moment: float) -> None:
        if not self.virtual:
            raise RuntimeError("advance is for virtual time (time_scale 0); real time moves by itself")
        while (due := self.next_due()) is not None and due <= moment:
            self._virtual_now = max(self._virtual_now, due)
            self._run_due()
            await asyncio.sleep(0)
        self._virtual_now = max(self._virtual_now, moment)
        await asyncio.sleep(0)

    async def run_until_idle(self, limit: float = 24 * 3600.0) -> None:
        """Virtual time: jump from step to step until nothing is scheduled (or `limit` model seconds pass)."""
        await self.advance_to(self.now() + limit)

    def start(self) -> None:
        """Real time: start the driver task (idempotent). Virtual time needs none."""
        if not self.virtual and self._driver is None:
            self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None

    def take_failures(self) -> list[BaseException]:
        """Exceptions raised by model steps (a step that fails must not stop the others)."""
        failures, self._failures = self._failures, []
        return failures

    async def _drive(self) -> None:
        while True:
            self._wake.clear()
            due = self.next_due()
            if due is None:
                await self._wake.wait()
                continue
            delay = (due - self.now()) * self.time_scale
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            self._run_due()
            await asyncio.sleep(0)

    def _run_due(self) -> None:
        now = self.now()
        while self._timers and self._timers[0].when <= now:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            try:
                timer.step()
            except Exception as error:
                # one broken step must not stop the PBX; tests look at take_failures()
                log.exception("a simulated PBX step failed")
                self._failures.append(error)

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
