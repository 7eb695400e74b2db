"""app_queue's own hold-time average and announcement, as apps/app_queue.c computes them."""

from __future__ import annotations

import pytest

from ivr.queueing.app_queue import AppQueueHoldtime, app_queue_announcement, app_queue_estimate
from ivr.queueing.estimate import EstimateMethod

from .test_estimate_support import ami_messages


@pytest.mark.parametrize("transcript", ["ami-C-queue.txt", "ami-C2-queue-abandon-while-agent-rings.txt"])
def test_the_average_follows_the_recorded_queue_event_by_event(transcript: str) -> None:
    """Replays AgentConnect / AgentComplete / QueueCallerAbandon; every QueueParams must show our holdtime."""
    average = AppQueueHoldtime()
    checked = []
    for message in ami_messages(transcript):
        event = message.get("Event")
        if event == "AgentConnect":
            average.caller_connected(joined_at=0, connected_at=int(message["HoldTime"]))
        elif event == "AgentComplete":
            average.call_completed()
        elif event == "QueueCallerAbandon":
            average.caller_abandoned()
        elif event == "QueueParams":
            assert int(message["Holdtime"]) == average.holdtime_s, message["ActionID"]
            assert int(message["Completed"]) == average.completed, message["ActionID"]
            assert int(message["Abandoned"]) == average.abandoned, message["ActionID"]
            checked.append(average.holdtime_s)
    assert checked[0] == 0
    assert len(set(checked)) > 1


def test_first_wait_sets_the_average_then_three_quarters_old_plus_a_quarter_new_in_integers() -> None:
    average = AppQueueHoldtime()
    average.caller_connected(joined_at=100.9, connected_at=103.1)  # time() values 100 and 103
    assert average.holdtime_s == 3
    average.caller_connected(joined_at=0, connected_at=40)  # nothing completed or abandoned yet: replaced
    assert average.holdtime_s == 40
    average.caller_abandoned()
    average.caller_connected(joined_at=0, connected_at=13)
    assert average.holdtime_s == (3 * 40 + 13) >> 2 == 33  # 33.25 truncated
    average.call_completed()
    average.caller_connected(joined_at=0, connected_at=0)
    assert average.holdtime_s == 24  # (99 + 0) >> 2


@pytest.mark.parametrize(
    ("holdtime", "waited", "rounding", "minutes", "seconds"),
    [
        (200, 0, 0, 3, 0),  # (200 + 30) / 60 = 3: the nearest minute
        (200, 100, 0, 2, 0),
        (200, 230, 0, 0, 0),  # nothing is said
        (200, 289, 0, 0, 0),  # -59 / 60 truncates toward zero in C: still nothing
        (200, 290, 0, 1, 0),  # -60 / 60 = -1, labs: one minute again
        (200, 400, 0, 2, 0),  # waited far past the average: the figure grows again
        (200, 0, 15, 3, 45),  # with announce-round-seconds the +30 s shows in the seconds
        (200, 400, 15, 2, 45),  # labs(-170) - 120 = 50, rounded down to 45
        (8, 0, 0, 0, 0),  # the recorded run: under a minute, no hold time was played
    ],
)
def test_announcement_matches_say_position(
    holdtime: int, waited: int, rounding: int, minutes: int, seconds: int
) -> None:
    announcement = app_queue_announcement(holdtime, waited, rounding)

    assert (announcement.minutes, announcement.seconds) == (minutes, seconds)
    assert announcement.announced == (minutes + seconds > 0)
    assert announcement.total_s == 60 * minutes + seconds


def test_estimate_is_the_announced_value_in_seconds() -> None:
    estimate = app_queue_estimate(200, waited_s=0, rounding_seconds=15)

    assert (estimate.seconds, estimate.low, estimate.high) == (225.0, 225.0, 225.0)
    assert estimate.method is EstimateMethod.APP_QUEUE
