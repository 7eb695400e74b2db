"""The running statistics behind the estimate: means, window, prior, patience, pauses (no Redis here)."""

from __future__ import annotations

import statistics

import pytest

from ivr.queueing.handling import (
    Completion,
    HandlingLearner,
    HandlingPrior,
    HandlingStats,
    HandlingTuning,
    RunningSummary,
    observation_from_event,
)


def test_before_any_call_the_prior_fills_in() -> None:
    prior = HandlingPrior(mean_handling_s=240.0, handling_cv=1.0, patience_mean_s=200.0, weight=30)

    stats = HandlingStats.from_prior("kontaktcenter", prior)

    assert stats.completions == 0
    assert stats.talk_mean_s == 240.0
    assert stats.talk_std_s == pytest.approx(240.0)
    assert stats.patience_mean_s == 200.0
    assert stats.pause_mean_s == prior.pause_mean_s
    assert stats.pauses_per_call == pytest.approx(prior.pauses_per_call)
    assert len(stats.handling_samples) == 30
    assert statistics.fmean(stats.handling_samples) == pytest.approx(240.0, rel=0.15)
    assert stats.talk_quantile(0.9) > 2 * stats.talk_quantile(0.5)  # lognormal: a long right tail


def test_the_prior_fades_as_calls_are_seen() -> None:
    learner = HandlingLearner("kontaktcenter", prior=HandlingPrior(mean_handling_s=300.0, weight=30))
    for _ in range(10):
        learner.record_completion(hold_s=5.0, talk_s=100.0, at=0.0)

    few = learner.stats()
    assert len(few.handling_samples) == 30
    assert list(few.handling_samples).count(100.0) == 10
    assert few.talk_mean_s == pytest.approx((10 * 100 + 20 * 300) / 30)

    for _ in range(20):
        learner.record_completion(hold_s=5.0, talk_s=100.0, at=0.0)
    enough = learner.stats()
    assert list(enough.handling_samples) == [100.0] * 30
    assert enough.talk_mean_s == pytest.approx(100.0)


def test_mean_and_variance_are_exact_while_few_then_follow_recent_calls() -> None:
    learner = HandlingLearner("q", tuning=HandlingTuning(alpha=0.02), prior=HandlingPrior(weight=0))
    talks = [60.0, 600.0, 240.0, 180.0, 1200.0, 90.0, 300.0]
    for talk in talks:
        learner.record_completion(hold_s=30.0, talk_s=talk, at=0.0)

    stats = learner.stats()
    assert stats.talk_mean_s == pytest.approx(statistics.fmean(talks))
    assert stats.talk_std_s == pytest.approx(statistics.pstdev(talks))
    assert stats.hold_mean_s == pytest.approx(30.0)

    for _ in range(300):
        learner.record_completion(hold_s=30.0, talk_s=400.0, at=0.0)
    assert learner.stats().talk_mean_s == pytest.approx(400.0, abs=1.0)


def test_pause_samples_start_from_the_prior_and_keep_the_newest_pauses() -> None:
    prior = HandlingPrior(pause_mean_s=600.0, pause_weight=5)
    learner = HandlingLearner("q", tuning=HandlingTuning(pause_window=3), prior=prior)

    assert list(learner.stats().pause_samples) == pytest.approx(sorted(prior.pause_quantiles(5)))
    for paused in (60.0, 120.0, 180.0, 240.0):
        learner.record_pause(paused, at=0.0)

    stats = learner.stats()
    assert stats.recent_pause_s == (240.0, 180.0, 120.0)
    assert len(stats.pause_samples) == 5  # three seen, two from the prior
    assert statistics.fmean(prior.pause_quantiles(1000)) == pytest.approx(600.0, rel=0.01)


def test_window_keeps_only_the_most_recent_calls_newest_first() -> None:
    learner = HandlingLearner("q", tuning=HandlingTuning(window=5), prior=HandlingPrior(weight=0))
    for talk in range(1, 13):
        learner.record_completion(hold_s=0.0, talk_s=float(talk), at=float(talk))

    stats = learner.stats()
    assert stats.recent_talk_s == (12.0, 11.0, 10.0, 9.0, 8.0)
    assert stats.completions == 12


def test_patience_is_waiting_time_over_abandons() -> None:
    prior = HandlingPrior(patience_mean_s=300.0, patience_weight=2.0)
    learner = HandlingLearner("q", tuning=HandlingTuning(rare_alpha=1e-12), prior=prior)
    for _ in range(100):
        learner.record_completion(hold_s=60.0, talk_s=200.0, at=0.0)
    for _ in range(20):
        learner.record_abandon(waited_s=120.0, at=0.0)

    stats = learner.stats()
    assert stats.abandons_seen == 20
    assert stats.patience_mean_s == pytest.approx((100 * 60 + 20 * 120 + 2 * 300) / (20 + 2))


def test_pauses_give_their_mean_length_and_chance_per_call() -> None:
    prior = HandlingPrior(pause_mean_s=900.0, pauses_per_call=0.04, pause_weight=3)
    learner = HandlingLearner("q", tuning=HandlingTuning(rare_alpha=1e-12), prior=prior)
    for _ in range(200):
        learner.record_completion(hold_s=10.0, talk_s=200.0, at=0.0)
    for _ in range(20):
        learner.record_pause(paused_s=300.0, at=0.0)

    stats = learner.stats()
    assert stats.pause_mean_s == pytest.approx((20 * 300 + 3 * 900) / 23)
    assert list(stats.pause_samples) == [300.0] * 20  # enough seen: the prior no longer tops them up
    assert stats.pauses_per_call == pytest.approx((20 + 3) / (200 + 3 / 0.04))


def test_rare_statistics_decay_so_old_abandons_weigh_less() -> None:
    learner = HandlingLearner(
        "q", tuning=HandlingTuning(rare_alpha=0.01), prior=HandlingPrior(patience_weight=0.001)
    )
    for _ in range(50):
        learner.record_abandon(waited_s=30.0, at=0.0)
    for _ in range(500):
        learner.record_completion(hold_s=600.0, talk_s=200.0, at=0.0)

    assert learner.stats().patience_mean_s > 10 * 30.0


def test_summary_round_trips_through_its_stored_fields() -> None:
    tuning = HandlingTuning()
    summary = (
        RunningSummary()
        .with_completion(12.5, 310.25, 1000.0, tuning)
        .with_abandon(47.0, 1001.0, tuning)
        .with_pause(600.0, 1002.0, tuning)
    )

    fields = summary.to_fields()

    assert all(isinstance(value, str) for value in fields.values())
    assert RunningSummary.from_fields(fields) == summary
    assert summary.last_at == 1002.0
    assert (summary.completions, summary.abandons_seen, summary.pauses_seen) == (1, 1, 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"window": 0}, "window must be at least 1"),
        ({"alpha": 0.0}, "alpha must be in"),
        ({"rare_alpha": 2.0}, "rare_alpha"),
    ],
)
def test_tuning_refuses_values_that_make_no_sense(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HandlingTuning(**arguments)  # type: ignore[arg-type]


def test_events_that_teach_nothing_are_told_apart_from_broken_ones() -> None:
    assert observation_from_event({"Event": "QueueMemberPause", "Paused": "1", "LastPause": "5"}) is None
    assert observation_from_event({"Event": "Newchannel"}) is None
    with pytest.raises(ValueError, match="AgentComplete event without its TalkTime field"):
        observation_from_event({"Event": "AgentComplete", "Queue": "q", "HoldTime": "3", "Timestamp": "1.0"})
    with pytest.raises(ValueError, match="QueueCallerAbandon event with a field that is not a number"):
        observation_from_event(
            {"Event": "QueueCallerAbandon", "Queue": "q", "HoldTime": "x", "Timestamp": "1"}
        )
    assert observation_from_event(
        {"Event": "AgentComplete", "Queue": "q", "HoldTime": "3", "TalkTime": "6", "Timestamp": "9.5"}
    ) == Completion("q", 3.0, 6.0, 9.5)
