"""Instant and scaled time, the bot's turn latencies, commands overtaken by the bot, and safety timeouts."""

from __future__ import annotations

import time

import pytest

from ivr.sim.caller import Caller
from ivr.sim.clock import CallClock

from .scripted_bot import ScriptedBot, call

HELLO_WORLD_SECONDS = 11234 / 8000


async def test_scaled_time_takes_real_time() -> None:
    started = time.perf_counter()
    run, trace = await call(ScriptedBot(['STREAM FILE hello-world ""']), time_scale=0.1)
    elapsed = time.perf_counter() - started

    assert run.received == ["200 result=0 endpos=11234"]
    assert elapsed >= 0.1 * HELLO_WORLD_SECONDS
    assert trace.call_seconds >= HELLO_WORLD_SECONDS


async def test_instant_time_only_adds_up_durations() -> None:
    started = time.perf_counter()
    run, trace = await call(ScriptedBot(['STREAM FILE hello-world ""', "WAIT FOR DIGIT 60000"]))
    elapsed = time.perf_counter() - started

    assert run.received == ["200 result=0 endpos=11234", "200 result=0"]
    assert elapsed < 1.0
    assert trace.call_seconds >= HELLO_WORLD_SECONDS + 60


def test_clock_rejects_a_negative_scale() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        CallClock(-1.0)


async def test_turn_latencies_measure_the_bot_between_reply_and_next_command() -> None:
    _, trace = await call(ScriptedBot(["ANSWER", "NOOP", "NOOP", "NOOP"], think=0.05))

    assert len(trace.bot_turn_latencies) == 3
    assert all(0.05 <= latency < 1.0 for latency in trace.bot_turn_latencies)


async def test_usage_text_comes_after_the_first_520_line() -> None:
    run, _ = await call(ScriptedBot(["GET DATA"]), time_scale=1.0)

    assert run.received[0].startswith("520-")
    assert run.arrival[1] - run.arrival[0] >= 0.04


async def test_a_new_command_during_playback_stops_it_without_a_reply() -> None:
    commands = [b'STREAM FILE hello-world ""\n', b"NOOP\n"]
    bot = ScriptedBot(commands, raw=True, think=0.03, linger=0.3)
    run, trace = await call(bot, time_scale=0.1)

    assert run.received == ["200 result=0"]
    assert trace.replies == ["200 result=0"]


async def test_a_new_command_during_wait_for_digit_gets_result_1_first() -> None:
    bot = ScriptedBot([b"WAIT FOR DIGIT 5000\n", b"NOOP\n"], raw=True, think=0.03, linger=0.3)
    run, _ = await call(bot, time_scale=0.1)

    assert run.received == ["200 result=1", "200 result=0"]


async def test_a_new_command_during_get_options_wait_counts_as_a_wrong_key() -> None:
    bot = ScriptedBot([b'GET OPTION beep "1" 5000\n', b"NOOP\n"], raw=True, think=0.08, linger=0.3)
    run, _ = await call(bot, time_scale=0.1)

    assert run.received == ["200 result=0 endpos=3404", "200 result=0"]


async def test_an_endless_wait_ends_when_the_bot_sends_a_command() -> None:
    bot = ScriptedBot([b"WAIT FOR DIGIT -1\n", b"NOOP\n"], raw=True, think=0.05, linger=0.3)
    run, trace = await call(bot, Caller())

    assert run.received == ["200 result=1", "200 result=0"]
    assert trace.failures == []


async def test_a_command_that_can_never_end_is_reported() -> None:
    bot = ScriptedBot([b'RECORD FILE /tmp/never wav "#" -1\n'], raw=True, linger=1.0)
    run, trace = await call(bot, Caller(), safety_timeout=0.2)

    assert run.received == []
    assert len(trace.failures) == 1
    assert "could never end" in trace.failures[0]


async def test_a_bot_that_never_closes_after_a_hang_up_is_reported() -> None:
    bot = ScriptedBot(["HANGUP"], linger=1.0)
    run, trace = await call(bot, safety_timeout=0.2)

    assert run.received == ["200 result=1", "HANGUP"]
    assert not trace.bot_closed
    assert trace.failures == [
        "the bot did not close the socket within 0.2 s of the hang-up; the simulator closed the socket"
    ]


async def test_a_silent_bot_is_reported() -> None:
    _, trace = await call(ScriptedBot([], linger=1.0), safety_timeout=0.2)

    assert trace.failures == ["the bot sent nothing for 0.2 s; the simulator closed the socket"]
