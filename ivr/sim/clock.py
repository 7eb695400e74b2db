"""Call time: seconds since the call began, either skipped instantly or passing at a scaled real-time rate."""

from __future__ import annotations

import asyncio
from time import perf_counter


class CallClock:
    """time_scale 0: commands take no real time (their durations are only added up), while the bot's own
    time between commands still counts one to one. time_scale > 0: a call second lasts time_scale seconds.
    """

    def __init__(self, time_scale: float) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must not be negative, got {time_scale}")
        self.time_scale = time_scale
        self._origin = perf_counter()
        self._skipped = 0.0

    @property
    def instant(self) -> bool:
        return self.time_scale == 0

    def now(self) -> float:
        elapsed = perf_counter() - self._origin
        return elapsed / self.time_scale if self.time_scale else elapsed + self._skipped

    def real_seconds_until(self, moment: float) -> float:
        """Real seconds until the call reaches `moment` if nothing is skipped."""
        remaining = moment - self.now()
        return max(0.0, remaining * self.time_scale if self.time_scale else remaining)

    async def advance_to(self, moment: float) -> None:
        """Let call time reach `moment`: skip to it (instant) or sleep until it."""
        if self.instant:
            self._skipped += max(0.0, moment - self.now())
            return
        delay = self.real_seconds_until(moment)
        if delay > 0:
            await asyncio.sleep(delay)
