"""Asterisk app_queue's own hold-time estimate, reproduced exactly as the baseline ours is measured against.

From apps/app_queue.c (Asterisk 20):
- `recalc_holdtime` runs when a caller is connected to an agent, with the caller's wait `now - qe->start` in
  whole seconds (both `time()` values). While the queue has neither completed nor abandoned a call, the wait
  replaces the average; after that `holdtime = (3 * old + wait) >> 2`, integer arithmetic. `callscompleted`
  grows when a connected call ends, `callsabandoned` when a waiting caller hangs up.
- `say_position` announces `labs((holdtime + 30 - waited) / 60)` minutes (C division truncates toward zero),
  and with `announce-round-seconds` also `(labs(holdtime + 30 - waited) - 60 * minutes) / rounding * rounding`
  seconds; nothing when both are 0. Position and staffed agents play no part, and once the caller has waited
  more than half a minute past the average the announced figure grows again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.queueing.estimate import EstimateMethod, WaitEstimate


@dataclass
class AppQueueHoldtime:
    """The queue's `holdtime`, `callscompleted` and `callsabandoned` as app_queue keeps them."""

    holdtime_s: int = 0
    completed: int = 0
    abandoned: int = 0

    def caller_connected(self, joined_at: float, connected_at: float) -> None:
        waited = int(connected_at) - int(joined_at)  # time(NULL) twice, as app_queue does
        if self.completed + self.abandoned == 0:
            self.holdtime_s = waited
        else:
            self.holdtime_s = (3 * self.holdtime_s + waited) >> 2

    def call_completed(self) -> None:
        self.completed += 1

    def caller_abandoned(self) -> None:
        self.abandoned += 1


@dataclass(frozen=True)
class HoldtimeAnnouncement:
    minutes: int
    seconds: int

    @property
    def total_s(self) -> int:
        return 60 * self.minutes + self.seconds

    @property
    def announced(self) -> bool:
        return self.minutes + self.seconds > 0


def app_queue_announcement(holdtime_s: int, waited_s: int, rounding_seconds: int = 0) -> HoldtimeAnnouncement:
    """What `say_position` says to a caller who has waited `waited_s` (whole seconds)."""
    offset = holdtime_s + 30 - waited_s
    minutes = abs(_c_divide(offset, 60))
    seconds = 0
    if rounding_seconds:
        seconds = (abs(offset) - 60 * minutes) // rounding_seconds * rounding_seconds
    return HoldtimeAnnouncement(minutes, seconds)


def app_queue_estimate(holdtime_s: int, waited_s: int = 0, rounding_seconds: int = 0) -> WaitEstimate:
    """The announced wait as an estimate in seconds (0 when app_queue would say nothing)."""
    total = float(app_queue_announcement(holdtime_s, waited_s, rounding_seconds).total_s)
    return WaitEstimate(total, total, total, EstimateMethod.APP_QUEUE)


def _c_divide(numerator: int, denominator: int) -> int:
    """Integer division truncating toward zero, as C's `/` on integers."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient
