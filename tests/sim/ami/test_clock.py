"""Model time: virtual steps run in time order when advanced; scaled real time runs them by itself."""

from __future__ import annotations

import time

import pytest

from ivr.sim.ami import Answers, Hold, SimulatedPBX
from ivr.sim.ami.clock import PbxClock

from .helpers import logged_in, running, settle


async def test_virtual_steps_run_in_time_order_and_same_moment_steps_by_order_then_scheduling() -> None:
    clock = PbxClock(0.0, epoch=1_000.0)
    ran: list[tuple[str, float]] = []

    def step(name: str) -> None:
        ran.append((name, clock.now()))

    clock.call_at(5.0, lambda: step("late"))
    clock.call_at(2.0, lambda: step("far side"), order=1)
    clock.call_at(2.0, lambda: step("near side"), order=0)
    clock.call_at(2.0, lambda: step("near side, later"), order=0)
    cancelled = clock.call_at(3.0, lambda: step("cancelled"))
    cancelled.cancel()
    await clock.advance(4.0)
    before_late = list(ran)
    await clock.advance(1.0)

    assert before_late == [("near side", 2.0), ("near side, later", 2.0), ("far side", 2.0)]
    assert ran[-1] == ("late", 5.0)
    assert clock.epoch() == 1_005.0


async def test_a_failing_step_is_reported_and_the_others_still_run() -> None:
    clock = PbxClock(0.0)
    ran: list[int] = []

    def broken() -> None:
        raise RuntimeError("boom")

    clock.call_later(1.0, broken)
    clock.call_later(1.0, lambda: ran.append(1))
    await clock.advance(2.0)

    assert ran == [1]
    assert [str(error) for error in clock.take_failures()] == ["boom"]


async def test_whole_epoch_seconds_do_not_fall_short_by_float_error() -> None:
    clock = PbxClock(0.0, epoch=1_795_350_272.1)
    await clock.advance(2.9)

    assert clock.epoch_seconds() == 1_795_350_275


async def test_advance_is_only_for_virtual_time() -> None:
    with pytest.raises(RuntimeError, match="virtual"):
        await PbxClock(1.0).advance(1.0)


def test_a_negative_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        PbxClock(-1.0)


async def test_scaled_real_time_runs_a_call_by_itself() -> None:
    pbx = SimulatedPBX(time_scale=0.02)
    pbx.dialplan.add_party("orig-answer", Answers(after_s=5.0, hangs_up_after_s=5.0))
    pbx.dialplan.add_context("orig-target", Hold(20.0))
    async with running(pbx) as port:
        dialer = await logged_in(port, events="call")
        started = time.perf_counter()
        await dialer.action(
            ("Action", "Originate"),
            ("Channel", "Local/s@orig-answer"),
            ("Context", "orig-target"),
            ("Exten", "s"),
            ("Priority", "1"),
            ("Async", "true"),
        )
        await dialer.wait_for(lambda: len(dialer.events("Hangup")) == 2)
        elapsed = time.perf_counter() - started
        await settle()

        assert dialer.events("OriginateResponse")[0]["Reason"] == "4"
        assert 0.2 <= elapsed < 2.0
        await dialer.close()
