"""Our wait estimate for concrete queue states, and the naive baseline."""

from __future__ import annotations

from dataclasses import replace
from statistics import NormalDist

import numpy as np
import pytest

from ivr.queueing.estimate import SIMULATED_POSITIONS, EstimateMethod, estimate_wait, naive_estimate
from ivr.queueing.handling import HandlingStats
from ivr.queueing.snapshot import DeviceStatus

from .test_estimate_support import fixed_stats, member, snapshot

NOW = 1_800_000_000.0


def long_tailed_stats() -> HandlingStats:
    """Lognormal handling times, mean 300 s, coefficient of variation 2 (a few calls last an hour)."""
    sigma = np.sqrt(np.log1p(2.0**2))
    normal = np.array([NormalDist().inv_cdf((i + 0.5) / 400) for i in range(400)])
    return fixed_stats([float(q) for q in np.exp(np.log(300.0) - sigma**2 / 2 + sigma * normal)])


def test_empty_queue_and_a_free_agent_means_no_wait() -> None:
    state = snapshot(member("anna"), member("bo", busy_since=NOW - 30))

    estimate = estimate_wait(state, 1, HandlingStats.from_prior("kontaktcenter"), NOW)

    assert estimate.method is EstimateMethod.FREE_AGENT
    assert (estimate.seconds, estimate.low, estimate.high) == (0.0, 0.0, 0.0)


def test_position_three_with_two_busy_agents_and_calls_of_exactly_five_minutes() -> None:
    # anna answered 200 s ago and is free in 100 s, bo in 200 s; anna's next caller leaves at 100 + 300 s.
    state = snapshot(member("anna", busy_since=NOW - 200), member("bo", busy_since=NOW - 100), waiting=2)
    stats = fixed_stats([300.0] * 50)

    estimates = [estimate_wait(state, position, stats, NOW) for position in (1, 2, 3)]

    assert [e.seconds for e in estimates] == pytest.approx([100.0, 200.0, 400.0])
    assert all(e.method is EstimateMethod.MONTE_CARLO for e in estimates)
    assert (estimates[2].low, estimates[2].high) == pytest.approx((400.0, 400.0))


def test_wrapup_time_follows_every_call() -> None:
    state = snapshot(replace(member("anna", busy_since=NOW - 200), wrapup_s=30.0))

    estimate = estimate_wait(state, 2, fixed_stats([300.0] * 50), NOW)

    assert estimate.seconds == pytest.approx(100 + 30 + 300 + 30)


def test_everyone_paused_is_a_no_agents_result_not_a_number() -> None:
    state = snapshot(member("anna", paused=True), member("bo", busy_since=NOW - 60, paused=True), waiting=3)

    estimate = estimate_wait(state, 4, HandlingStats.from_prior("kontaktcenter"), NOW)

    assert estimate.method is EstimateMethod.NO_AGENTS
    assert not estimate.has_agents
    assert (estimate.seconds, estimate.low, estimate.high) == (None, None, None)
    assert (
        naive_estimate(state, 4, HandlingStats.from_prior("kontaktcenter")).method is EstimateMethod.NO_AGENTS
    )


def test_nobody_logged_in_is_no_agents_too() -> None:
    state = snapshot(
        member("anna", status=DeviceStatus.UNAVAILABLE), member("bo", status=DeviceStatus.INVALID)
    )

    assert estimate_wait(state, 1, HandlingStats.from_prior("q"), NOW).method is EstimateMethod.NO_AGENTS


def test_places_deeper_than_the_simulated_depth_drain_at_the_agents_rate() -> None:
    state = snapshot(member("anna", busy_since=NOW - 200), member("bo", busy_since=NOW - 100), waiting=199)
    stats = fixed_stats([300.0] * 50)

    deep = estimate_wait(state, 200, stats, NOW)

    # releases at 100, 200, 400, 500, ...: the 200th, 100 rounds of the two agents, at 200 + 99 * 300
    assert SIMULATED_POSITIONS < 200
    assert deep.seconds == pytest.approx(200 + 99 * 300)


def test_deep_places_with_impatient_callers_ahead_wait_far_less() -> None:
    state = snapshot(member("anna", busy_since=NOW - 200), member("bo", busy_since=NOW - 100), waiting=199)
    patient = estimate_wait(state, 200, fixed_stats([300.0] * 50), NOW)
    impatient = estimate_wait(state, 200, fixed_stats([300.0] * 50, patience_mean_s=600.0), NOW)

    assert patient.seconds is not None
    assert impatient.seconds is not None
    assert impatient.seconds < 0.2 * patient.seconds


def test_with_a_long_tail_a_call_already_long_is_likely_to_go_on_longer() -> None:
    stats = long_tailed_stats()
    fresh = estimate_wait(snapshot(member("anna", busy_since=NOW - 60)), 1, stats, NOW)
    long_running = estimate_wait(snapshot(member("anna", busy_since=NOW - 1200)), 1, stats, NOW)

    assert fresh.seconds is not None
    assert long_running.seconds is not None
    assert long_running.seconds > 3 * fresh.seconds
    assert fresh.low is not None
    assert fresh.high is not None
    assert fresh.low < fresh.seconds < fresh.high
    assert fresh.high > 4 * fresh.seconds  # a wide range: the tail is long


def test_with_calls_of_fixed_length_a_call_already_long_ends_sooner() -> None:
    stats = fixed_stats([300.0] * 50)
    early = estimate_wait(snapshot(member("anna", busy_since=NOW - 60)), 1, stats, NOW)
    late = estimate_wait(snapshot(member("anna", busy_since=NOW - 290)), 1, stats, NOW)

    assert (early.seconds, late.seconds) == pytest.approx((240.0, 10.0))


def test_a_call_longer_than_any_recorded_still_gets_a_finite_remaining_time() -> None:
    estimate = estimate_wait(
        snapshot(member("anna", busy_since=NOW - 5000)), 1, fixed_stats([300.0] * 50), NOW
    )

    assert estimate.seconds is not None
    assert 0 < estimate.seconds < 5000


def test_unknown_call_ages_use_the_residual_of_a_call_seen_at_a_random_moment() -> None:
    stats = fixed_stats([300.0] * 50)
    estimate = estimate_wait(snapshot(member("anna", in_call=True)), 1, stats, NOW, samples=2000)

    # uniform over the 300 s call: median 150, 10th and 90th percentiles 30 and 270
    assert (estimate.low, estimate.seconds, estimate.high) == pytest.approx((30, 150, 270), abs=15)


def test_estimate_never_decreases_with_the_position() -> None:
    state = snapshot(
        member("anna", busy_since=NOW - 400),
        member("bo", busy_since=NOW - 20),
        member("cecilia", in_call=True),
        member("david", paused=True),
        waiting=SIMULATED_POSITIONS + 20,
    )
    stats = HandlingStats.from_prior("kontaktcenter")

    estimates = [
        estimate_wait(state, position, stats, NOW) for position in range(1, SIMULATED_POSITIONS + 20)
    ]

    for name in ("seconds", "low", "high"):
        values = [getattr(e, name) for e in estimates]
        assert values == sorted(values), name
    assert estimates[-1].seconds is not None
    assert estimates[0].seconds is not None
    assert estimates[-1].seconds > 3 * estimates[0].seconds


def test_callers_ahead_who_hang_up_shorten_the_wait() -> None:
    state = snapshot(member("anna", busy_since=NOW - 10), waiting=9)
    patient = estimate_wait(state, 10, fixed_stats([300.0] * 50), NOW)
    impatient = estimate_wait(state, 10, fixed_stats([300.0] * 50, patience_mean_s=600.0), NOW)

    assert patient.seconds is not None
    assert patient.seconds == pytest.approx(290 + 9 * 300)
    assert impatient.seconds is not None
    assert impatient.seconds < 0.6 * patient.seconds


def test_a_paused_agent_who_comes_back_soon_shortens_the_wait() -> None:
    state = snapshot(member("anna", busy_since=NOW - 10), member("bo", paused=True), waiting=4)
    short_breaks = estimate_wait(state, 5, fixed_stats([300.0] * 50, pause_mean_s=60.0), NOW)
    long_breaks = estimate_wait(state, 5, fixed_stats([300.0] * 50, pause_mean_s=36_000.0), NOW)

    assert long_breaks.seconds is not None
    assert short_breaks.seconds is not None
    assert short_breaks.seconds < 0.7 * long_breaks.seconds


def test_a_paused_agent_comes_back_when_pauses_of_that_length_end() -> None:
    # Pauses last exactly 30 minutes; bo has been paused for 28 minutes 20 s, anna talks for 300 s more.
    bo = replace(member("bo", paused=True), paused_since=NOW - 1700)
    state = snapshot(member("anna", busy_since=NOW), bo, waiting=1)

    estimates = [
        estimate_wait(state, p, fixed_stats([300.0] * 50, pauses_s=[1800.0] * 20), NOW) for p in (1, 2)
    ]

    assert [e.seconds for e in estimates] == pytest.approx([100.0, 300.0])


def test_a_paused_agent_in_a_call_comes_back_after_both() -> None:
    bo = replace(member("bo", busy_since=NOW - 100, paused=True), paused_since=NOW - 1750)
    state = snapshot(member("anna", busy_since=NOW), bo)

    estimate = estimate_wait(state, 1, fixed_stats([300.0] * 50, pauses_s=[1800.0] * 20), NOW)

    assert estimate.seconds == pytest.approx(200.0)  # the call ends at 200 s, the pause at 50 s


def test_agents_who_pause_after_calls_lengthen_the_wait() -> None:
    state = snapshot(member("anna", busy_since=NOW - 10), member("bo", busy_since=NOW - 10), waiting=5)
    never = estimate_wait(state, 6, fixed_stats([300.0] * 50), NOW)
    often = estimate_wait(state, 6, fixed_stats([300.0] * 50, pauses_per_call=0.5, pause_mean_s=600.0), NOW)

    assert never.seconds is not None
    assert often.seconds is not None
    assert often.seconds > never.seconds + 100


def test_same_seed_same_estimate_other_seed_close() -> None:
    state = snapshot(member("anna", busy_since=NOW - 100), member("bo", in_call=True), waiting=3)
    stats = HandlingStats.from_prior("kontaktcenter")

    first, again = (estimate_wait(state, 4, stats, NOW) for _ in range(2))
    other = estimate_wait(state, 4, stats, NOW, seed=99)

    assert first == again
    assert first.seconds is not None
    assert other.seconds is not None
    assert other.seconds == pytest.approx(first.seconds, rel=0.2)


def test_position_must_be_one_or_more() -> None:
    state = snapshot(member("anna"))

    with pytest.raises(ValueError, match="position must be 1 or more"):
        estimate_wait(state, 0, HandlingStats.from_prior("q"), NOW)
    with pytest.raises(ValueError, match="position must be 1 or more"):
        naive_estimate(state, 0, HandlingStats.from_prior("q"))


def test_naive_is_position_times_mean_handling_over_staffed_agents() -> None:
    state = snapshot(member("anna"), member("bo", busy_since=NOW - 10), member("cecilia", paused=True))

    estimate = naive_estimate(state, 3, fixed_stats([200.0, 400.0]))

    assert estimate.seconds == pytest.approx(3 * 300 / 2)
    assert estimate.method is EstimateMethod.NAIVE
