"""Handling times learned per queue from AMI events, kept in Redis.

`AgentComplete` gives a served caller's wait (`HoldTime`) and the call's length (`TalkTime`);
`QueueCallerAbandon` gives the wait of a caller who hung up (`HoldTime`). Per queue we keep
- a bounded window of the most recent calls (a Redis list, newest first): the estimator samples handling times
  from its empirical distribution, long tail included; and likewise a window of the most recent pauses;
- running statistics (a Redis hash): exponentially weighted mean and variance of talk and hold times; the
  decayed count of abandons over the decayed time callers spent waiting, which is the maximum-likelihood
  abandon rate of an exponential patience (served callers' waits count as censored patience); and, from
  `QueueMemberPause`, how long agents' pauses last and how many pauses there are per call.
Until enough is seen, a prior (a lognormal handling time, exponential patience and pauses) fills in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
from redis.asyncio import Redis
from redis.exceptions import WatchError

from ivr.store.redis_reply import reply

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class HandlingPrior:
    """What a municipal contact centre's calls look like before any has been seen."""

    mean_handling_s: float = 300.0
    handling_cv: float = 1.0  # standard deviation / mean: lognormal with a long tail
    patience_mean_s: float = 300.0
    pause_mean_s: float = 900.0
    pauses_per_call: float = 0.04
    weight: int = 30  # the prior counts as this many calls; it is gone once as many real calls are seen
    patience_weight: float = 2.0  # ... as this many abandons
    pause_weight: int = 5  # ... and as this many pauses

    def handling_quantiles(self, count: int) -> tuple[float, ...]:
        """`count` evenly spaced quantiles of the prior's lognormal handling time."""
        sigma = math.sqrt(math.log1p(self.handling_cv**2))
        mu = math.log(self.mean_handling_s) - sigma**2 / 2
        normal = NormalDist()
        return tuple(math.exp(mu + sigma * normal.inv_cdf((i + 0.5) / count)) for i in range(count))

    def pause_quantiles(self, count: int) -> tuple[float, ...]:
        """`count` evenly spaced quantiles of the prior's exponential pause length."""
        return tuple(-self.pause_mean_s * math.log1p(-(i + 0.5) / count) for i in range(count))


@dataclass(frozen=True)
class HandlingTuning:
    window: int = 400  # recent calls kept per queue
    pause_window: int = 100  # recent pauses kept per queue
    alpha: float = 0.02  # weight of a new call in the running means (about the last 50 calls)
    rare_alpha: float = 0.005  # decay per event of the abandon and pause statistics (rarer events)

    def __post_init__(self) -> None:
        for name in ("window", "pause_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("alpha", "rare_alpha"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {value}")


@dataclass(frozen=True)
class RunningSummary:
    """The running part of a queue's statistics, as stored in its Redis hash."""

    completions: int = 0
    abandons_seen: int = 0
    pauses_seen: int = 0
    talk_mean_s: float = 0.0
    talk_var_s2: float = 0.0
    hold_mean_s: float = 0.0
    hold_var_s2: float = 0.0
    # decayed by `rare_alpha` at every event:
    calls: float = 0.0  # completions
    abandons: float = 0.0
    exposure_s: float = 0.0  # total of waits of callers who left the queue, served or not
    pauses: float = 0.0
    paused_s: float = 0.0  # total length of those pauses
    last_at: float = 0.0

    def with_completion(
        self, hold_s: float, talk_s: float, at: float, tuning: HandlingTuning
    ) -> RunningSummary:
        # A plain mean while few calls are seen, the exponentially weighted one after.
        weight = max(tuning.alpha, 1.0 / (self.completions + 1))
        talk_mean, talk_var = _weighted_update(self.talk_mean_s, self.talk_var_s2, talk_s, weight)
        hold_mean, hold_var = _weighted_update(self.hold_mean_s, self.hold_var_s2, hold_s, weight)
        decayed = self._decayed(tuning, at)
        return replace(
            decayed,
            completions=self.completions + 1,
            talk_mean_s=talk_mean,
            talk_var_s2=talk_var,
            hold_mean_s=hold_mean,
            hold_var_s2=hold_var,
            calls=decayed.calls + 1.0,
            exposure_s=decayed.exposure_s + hold_s,
        )

    def with_abandon(self, waited_s: float, at: float, tuning: HandlingTuning) -> RunningSummary:
        decayed = self._decayed(tuning, at)
        return replace(
            decayed,
            abandons_seen=self.abandons_seen + 1,
            abandons=decayed.abandons + 1.0,
            exposure_s=decayed.exposure_s + waited_s,
        )

    def with_pause(self, paused_s: float, at: float, tuning: HandlingTuning) -> RunningSummary:
        decayed = self._decayed(tuning, at)
        return replace(
            decayed,
            pauses_seen=self.pauses_seen + 1,
            pauses=decayed.pauses + 1.0,
            paused_s=decayed.paused_s + paused_s,
        )

    def _decayed(self, tuning: HandlingTuning, at: float) -> RunningSummary:
        keep = 1.0 - tuning.rare_alpha
        return replace(
            self,
            calls=self.calls * keep,
            abandons=self.abandons * keep,
            exposure_s=self.exposure_s * keep,
            pauses=self.pauses * keep,
            paused_s=self.paused_s * keep,
            last_at=max(self.last_at, at),
        )

    def to_fields(self) -> dict[str, str]:
        return {name: repr(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> RunningSummary:
        known = cls.__dataclass_fields__
        values: dict[str, float | int] = {}
        for name, raw in fields.items():
            if name in known:
                values[name] = int(raw) if name.endswith(("completions", "_seen")) else float(raw)
        return cls(**values)  # type: ignore[arg-type]  # names checked against the dataclass fields


def _weighted_update(mean: float, var: float, value: float, weight: float) -> tuple[float, float]:
    diff = value - mean
    increment = weight * diff
    return mean + increment, (1.0 - weight) * (var + diff * increment)


@dataclass(frozen=True)
class RecentCall:
    talk_s: float
    hold_s: float
    at: float

    def encode(self) -> str:
        return f"{self.talk_s:.3f} {self.hold_s:.3f} {self.at:.3f}"

    @classmethod
    def decode(cls, raw: str) -> RecentCall:
        talk, hold, at = raw.split()
        return cls(float(talk), float(hold), float(at))


@dataclass(frozen=True)
class RecentPause:
    paused_s: float
    at: float

    def encode(self) -> str:
        return f"{self.paused_s:.3f} {self.at:.3f}"

    @classmethod
    def decode(cls, raw: str) -> RecentPause:
        paused, at = raw.split()
        return cls(float(paused), float(at))


@dataclass(frozen=True)
class HandlingStats:
    """What the estimator knows of one queue's calls: handling times and how patient callers are."""

    queue: str
    completions: int  # calls seen in all (the window holds the most recent)
    abandons_seen: int
    talk_mean_s: float  # exponentially weighted, blended with the prior while few calls are seen
    talk_std_s: float
    hold_mean_s: float
    patience_mean_s: float  # exponential patience; abandon rate = 1 / patience_mean_s
    pause_mean_s: float  # how long an agent's pause lasts, on average
    pauses_per_call: float  # the chance that an agent pauses after a call
    recent_talk_s: tuple[float, ...]  # newest first
    recent_pause_s: tuple[float, ...] = ()  # newest first
    prior: HandlingPrior = field(default_factory=HandlingPrior)

    @classmethod
    def from_summary(
        cls,
        queue: str,
        summary: RunningSummary,
        recent_talk_s: Sequence[float],
        prior: HandlingPrior | None = None,
        recent_pause_s: Sequence[float] = (),
    ) -> HandlingStats:
        prior = prior or HandlingPrior()
        prior_calls = max(0, prior.weight - summary.completions)
        seen = summary.completions
        prior_var = (prior.mean_handling_s * prior.handling_cv) ** 2
        talk_mean = (seen * summary.talk_mean_s + prior_calls * prior.mean_handling_s) / max(
            1, seen + prior_calls
        )
        talk_var = (seen * summary.talk_var_s2 + prior_calls * prior_var) / max(1, seen + prior_calls)
        patience = (summary.exposure_s + prior.patience_weight * prior.patience_mean_s) / (
            summary.abandons + prior.patience_weight
        )
        pause_mean = (summary.paused_s + prior.pause_weight * prior.pause_mean_s) / (
            summary.pauses + prior.pause_weight
        )
        pauses_per_call = (summary.pauses + prior.pause_weight) / (
            summary.calls + prior.pause_weight / prior.pauses_per_call
        )
        return cls(
            queue=queue,
            completions=summary.completions,
            abandons_seen=summary.abandons_seen,
            talk_mean_s=talk_mean,
            talk_std_s=math.sqrt(max(0.0, talk_var)),
            hold_mean_s=summary.hold_mean_s,
            patience_mean_s=patience,
            pause_mean_s=pause_mean,
            pauses_per_call=min(1.0, pauses_per_call),
            recent_talk_s=tuple(recent_talk_s),
            recent_pause_s=tuple(recent_pause_s),
            prior=prior,
        )

    @classmethod
    def from_prior(cls, queue: str, prior: HandlingPrior | None = None) -> HandlingStats:
        return cls.from_summary(queue, RunningSummary(), (), prior)

    @cached_property
    def handling_samples(self) -> FloatArray:
        """Sorted handling times to sample from: the recent calls, topped up with prior quantiles if few."""
        prior_count = max(0, self.prior.weight - len(self.recent_talk_s))
        values = [max(1.0, value) for value in self.recent_talk_s]
        values.extend(self.prior.handling_quantiles(prior_count) if prior_count else ())
        return np.sort(np.asarray(values, dtype=np.float64))

    @cached_property
    def pause_samples(self) -> FloatArray:
        """Sorted pause lengths to sample from, topped up with the prior's while few pauses are seen."""
        prior_count = max(0, self.prior.pause_weight - len(self.recent_pause_s))
        values = [max(1.0, value) for value in self.recent_pause_s]
        values.extend(self.prior.pause_quantiles(prior_count) if prior_count else ())
        return np.sort(np.asarray(values, dtype=np.float64))

    def talk_quantile(self, q: float) -> float:
        return float(np.quantile(self.handling_samples, q))


class HandlingLearner:
    """The same statistics kept in memory for one queue (the simulator and the benchmark use it)."""

    def __init__(
        self, queue: str, tuning: HandlingTuning | None = None, prior: HandlingPrior | None = None
    ) -> None:
        self.queue = queue
        self._tuning = tuning or HandlingTuning()
        self._prior = prior or HandlingPrior()
        self._summary = RunningSummary()
        self._recent: deque[float] = deque(maxlen=self._tuning.window)
        self._recent_pauses: deque[float] = deque(maxlen=self._tuning.pause_window)
        self._stats: HandlingStats | None = None

    def record_completion(self, hold_s: float, talk_s: float, at: float) -> None:
        self._summary = self._summary.with_completion(hold_s, talk_s, at, self._tuning)
        self._recent.appendleft(talk_s)
        self._stats = None

    def record_abandon(self, waited_s: float, at: float) -> None:
        self._summary = self._summary.with_abandon(waited_s, at, self._tuning)
        self._stats = None

    def record_pause(self, paused_s: float, at: float) -> None:
        self._summary = self._summary.with_pause(paused_s, at, self._tuning)
        self._recent_pauses.appendleft(paused_s)
        self._stats = None

    def stats(self) -> HandlingStats:
        if self._stats is None:
            self._stats = HandlingStats.from_summary(
                self.queue, self._summary, tuple(self._recent), self._prior, tuple(self._recent_pauses)
            )
        return self._stats


@dataclass(frozen=True)
class Completion:
    queue: str
    hold_s: float
    talk_s: float
    at: float


@dataclass(frozen=True)
class Abandon:
    queue: str
    waited_s: float
    at: float


@dataclass(frozen=True)
class PauseEnded:
    queue: str
    paused_s: float
    at: float


def observation_from_event(event: Mapping[str, str]) -> Completion | Abandon | PauseEnded | None:
    """What one AMI event teaches about its queue; None for events that teach nothing here."""
    kind = event.get("Event")
    try:
        if kind == "AgentComplete":
            return Completion(
                event["Queue"], float(event["HoldTime"]), float(event["TalkTime"]), float(event["Timestamp"])
            )
        if kind == "QueueCallerAbandon":
            return Abandon(event["Queue"], float(event["HoldTime"]), float(event["Timestamp"]))
        if kind == "QueueMemberPause" and event.get("Paused") == "0" and int(event.get("LastPause", "0")) > 0:
            at = float(event["Timestamp"])
            return PauseEnded(event["Queue"], max(0.0, at - int(event["LastPause"])), at)
    except KeyError as missing:
        raise ValueError(f"{kind} event without its {missing.args[0]} field") from None
    except ValueError as error:
        raise ValueError(f"{kind} event with a field that is not a number: {error}") from None
    return None


@dataclass(frozen=True)
class HandlingKeys:
    """Every Redis key of the handling statistics, in one place."""

    prefix: str

    def summary(self, queue: str) -> str:
        return f"{self.prefix}:queue:{_checked_queue(queue)}:handling"

    def recent(self, queue: str) -> str:
        return f"{self.prefix}:queue:{_checked_queue(queue)}:handling:recent"

    def recent_pauses(self, queue: str) -> str:
        return f"{self.prefix}:queue:{_checked_queue(queue)}:handling:pauses"


def _checked_queue(queue: str) -> str:
    if not queue or any(ch.isspace() for ch in queue):
        raise ValueError(f"queue name {queue!r}: expected a non-empty name without spaces")
    return queue


class RedisHandlingStore:
    """Handling statistics per queue in Redis, updated atomically (WATCH/MULTI) by any number of processes."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "ivr",
        *,
        tuning: HandlingTuning | None = None,
        prior: HandlingPrior | None = None,
    ) -> None:
        self._redis = redis
        self.keys = HandlingKeys(prefix)
        self._tuning = tuning or HandlingTuning()
        self._prior = prior or HandlingPrior()

    async def record_completion(self, queue: str, hold_s: float, talk_s: float, at: float) -> None:
        """One `AgentComplete`: `hold_s` the caller's wait, `talk_s` the call's length, `at` epoch seconds."""
        _check_seconds(hold_s=hold_s, talk_s=talk_s)
        call = RecentCall(talk_s=talk_s, hold_s=hold_s, at=at).encode()
        await self._update(
            queue,
            lambda summary: summary.with_completion(hold_s, talk_s, at, self._tuning),
            (self.keys.recent(queue), call, self._tuning.window),
        )

    async def record_abandon(self, queue: str, waited_s: float, at: float) -> None:
        """One `QueueCallerAbandon`: the caller hung up after waiting `waited_s`."""
        _check_seconds(waited_s=waited_s)
        await self._update(queue, lambda summary: summary.with_abandon(waited_s, at, self._tuning), None)

    async def record_pause(self, queue: str, paused_s: float, at: float) -> None:
        """A member's pause ended (`QueueMemberPause` with `Paused: 0`) after `paused_s` seconds."""
        _check_seconds(paused_s=paused_s)
        pause = RecentPause(paused_s=paused_s, at=at).encode()
        await self._update(
            queue,
            lambda summary: summary.with_pause(paused_s, at, self._tuning),
            (self.keys.recent_pauses(queue), pause, self._tuning.pause_window),
        )

    async def record_event(self, event: Mapping[str, str]) -> bool:
        """Learns from one AMI event, if it is one that teaches something; says whether it was.

        AgentComplete, QueueCallerAbandon, and QueueMemberPause with `Paused: 0`, whose `LastPause` is still
        the start of the pause that ends (app_queue sets it only when pausing).
        """
        observation = observation_from_event(event)
        if observation is None:
            return False
        if isinstance(observation, Completion):
            await self.record_completion(
                observation.queue, observation.hold_s, observation.talk_s, observation.at
            )
        elif isinstance(observation, Abandon):
            await self.record_abandon(observation.queue, observation.waited_s, observation.at)
        else:
            await self.record_pause(observation.queue, observation.paused_s, observation.at)
        return True

    async def stats(self, queue: str) -> HandlingStats:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.keys.summary(queue))
            pipe.lrange(self.keys.recent(queue), 0, self._tuning.window - 1)
            pipe.lrange(self.keys.recent_pauses(queue), 0, self._tuning.pause_window - 1)
            fields, recent, pauses = await pipe.execute()
        summary = RunningSummary.from_fields(_decoded_mapping(fields))
        talks = [RecentCall.decode(_text(raw)).talk_s for raw in recent]
        paused = [RecentPause.decode(_text(raw)).paused_s for raw in pauses]
        return HandlingStats.from_summary(queue, summary, talks, self._prior, paused)

    async def _update(
        self,
        queue: str,
        change: Callable[[RunningSummary], RunningSummary],
        recent: tuple[str, str, int] | None,  # (list key, entry, how many to keep)
    ) -> None:
        summary_key = self.keys.summary(queue)
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(summary_key)
                    current = RunningSummary.from_fields(
                        _decoded_mapping(await reply(pipe.hgetall(summary_key)))
                    )
                    pipe.multi()  # type: ignore[no-untyped-call]  # untyped in redis.asyncio
                    pipe.hset(summary_key, items=_flattened(change(current).to_fields()))
                    if recent is not None:
                        key, entry, keep = recent
                        pipe.lpush(key, entry)
                        pipe.ltrim(key, 0, keep - 1)
                    await pipe.execute()
                    return
                except WatchError:
                    continue  # another process updated this queue in between: read it again


def _check_seconds(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value}")


def _flattened(fields: Mapping[str, str]) -> list[str]:
    return [part for pair in fields.items() for part in pair]


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _decoded_mapping(fields: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {_text(name): _text(value) for name, value in fields.items()}
