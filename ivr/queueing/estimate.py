"""How long a caller at a given place in the queue will wait: ours, and the plain baseline.

Ours runs the queue forward from the live snapshot 128 times (a small vectorised Monte-Carlo):
- the logged-in members are the servers; a free staffed one (not paused) can take a caller at once;
- a busy member's call ends after a remaining time drawn from the learned handling times *longer than the
  call has already lasted* (when `busy_since` is known), else from the residual of a call caught at a random
  moment (length-biased); wrap-up time is added after every call;
- a paused member comes back after a pause length drawn from the learned ones *longer than the pause has
  lasted so far* (`LastPause`), and after each call a member pauses with the learned chance: breaks come and
  go while the caller waits;
- each time a server frees, it takes the next caller still waiting and starts a fresh handling time;
- callers ahead of ours hang up with the learned (exponential) patience, which moves ours forward;
- past the first 32 places the rest of the queue drains as a fluid, which keeps an estimate under a
  millisecond for any place.
The announced value is the median of the simulated waits (the value that minimises the absolute error),
with the 10th and 90th percentiles as the range. Each release and each caller ahead has its own row of random
numbers, the same whatever the position, so for one seed the estimate never decreases with the position.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ivr.queueing.handling import FloatArray, HandlingStats
from ivr.queueing.snapshot import MemberState, QueueSnapshot

DEFAULT_SAMPLES = 128
# Deeper places are run forward to this one, then the rest of the queue drains as a fluid (`_fluid_drain`).
SIMULATED_POSITIONS = 32
DEFAULT_SEED = 20_260_302
LOW_QUANTILE, HIGH_QUANTILE = 0.1, 0.9
_MIN_CONDITIONAL_SAMPLES = 3  # fewer recorded calls than this outlast the elapsed time: use the tail model


class EstimateMethod(StrEnum):
    FREE_AGENT = "free_agent"  # an agent can take the caller at once
    MONTE_CARLO = "monte_carlo"
    NO_AGENTS = "no_agents"  # nobody logged in and unpaused: no wait can be promised
    NAIVE = "naive"
    APP_QUEUE = "app_queue"
    GIVEN = "given"  # a wait given by hand, e.g. `ivr inbound preview --wait`


@dataclass(frozen=True)
class WaitEstimate:
    seconds: float | None  # None when no agent can take calls
    low: float | None
    high: float | None
    method: EstimateMethod

    @property
    def has_agents(self) -> bool:
        return self.seconds is not None


NO_AGENTS = WaitEstimate(None, None, None, EstimateMethod.NO_AGENTS)


def estimate_wait(
    snapshot: QueueSnapshot,
    position: int,
    stats: HandlingStats,
    now: float,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    simulated_positions: int = SIMULATED_POSITIONS,
) -> WaitEstimate:
    """The wait of the caller at `position` (1 = next), at epoch time `now`."""
    _check_position(position)
    staffed = snapshot.staffed
    if not staffed:
        return NO_AGENTS
    if position <= sum(1 for member in staffed if not member.busy):
        return WaitEstimate(0.0, 0.0, 0.0, EstimateMethod.FREE_AGENT)
    waits = _simulated_waits_at(snapshot, position, stats, now, samples, seed, simulated_positions)
    waits.sort()
    return WaitEstimate(
        seconds=_sorted_quantile(waits, 0.5),
        low=_sorted_quantile(waits, LOW_QUANTILE),
        high=_sorted_quantile(waits, HIGH_QUANTILE),
        method=EstimateMethod.MONTE_CARLO,
    )


def naive_estimate(snapshot: QueueSnapshot, position: int, stats: HandlingStats) -> WaitEstimate:
    """Position × mean handling time ÷ staffed agents: the usual back-of-the-envelope figure."""
    _check_position(position)
    staffed = len(snapshot.staffed)
    if not staffed:
        return NO_AGENTS
    seconds = position * stats.talk_mean_s / staffed
    return WaitEstimate(seconds, seconds, seconds, EstimateMethod.NAIVE)


def _check_position(position: int) -> None:
    if position < 1:
        raise ValueError(f"position must be 1 or more (1 = next in line), got {position}")


def _simulated_waits_at(
    snapshot: QueueSnapshot,
    position: int,
    stats: HandlingStats,
    now: float,
    samples: int,
    seed: int,
    simulated_positions: int,
) -> FloatArray:
    service_rng, patience_rng, pause_rng = (np.random.default_rng(seed + stream) for stream in (0, 1, 2))
    calls, pauses = _DurationSampler(stats.handling_samples), _DurationSampler(stats.pause_samples)
    servers = snapshot.logged_in
    next_free = _first_free(servers, now, calls, pauses, service_rng, samples)
    wrapup = np.array([member.wrapup_s for member in servers])
    simulated = min(position, max(1, simulated_positions))
    shape = (simulated, samples)
    occupied = calls.fresh(service_rng.random(shape)) + _pauses_after_calls(
        pauses, stats.pauses_per_call, pause_rng, shape
    )
    patience = patience_rng.exponential(stats.patience_mean_s, (simulated - 1, samples))
    waits = _simulated_waits(next_free, wrapup, occupied, patience)
    if position > simulated:
        waits += _fluid_drain(waits, position - simulated, len(servers), float(wrapup.mean()), stats)
    return waits


def _first_free(
    servers: tuple[MemberState, ...],
    now: float,
    sampler: _DurationSampler,
    pauses: _DurationSampler,
    rng: np.random.Generator,
    samples: int,
) -> FloatArray:
    """Per sample (rows) and logged-in member (columns), the seconds until the member can take a caller."""
    next_free = np.zeros((samples, len(servers)))
    known_age = [i for i, member in enumerate(servers) if member.busy and member.busy_since is not None]
    unknown_age = [i for i, member in enumerate(servers) if member.busy and member.busy_since is None]
    if known_age:
        elapsed = np.array([max(0.0, now - (servers[i].busy_since or now)) for i in known_age])
        next_free[:, known_age] = sampler.residual_after(elapsed, rng.random((samples, len(known_age))))
    if unknown_age:
        shape = (samples, len(unknown_age))
        next_free[:, unknown_age] = sampler.residual_of_unknown_age(rng.random(shape), rng.random(shape))
    busy = [i for i, member in enumerate(servers) if member.busy]
    next_free[:, busy] += np.array([servers[i].wrapup_s for i in busy])
    for i, member in enumerate(servers):
        if member.paused:  # back when both the call (if any) and the pause are over
            next_free[:, i] = np.maximum(
                next_free[:, i], _remaining(pauses, member.paused_since, now, rng, samples)
            )
    return next_free


def _remaining(
    durations: _DurationSampler, since: float | None, now: float, rng: np.random.Generator, samples: int
) -> FloatArray:
    if since is None:
        return durations.residual_of_unknown_age(rng.random(samples), rng.random(samples))
    return durations.residual_after(np.array([max(0.0, now - since)]), rng.random((samples, 1)))[:, 0]


def _pauses_after_calls(
    pauses: _DurationSampler, chance: float, rng: np.random.Generator, shape: tuple[int, int]
) -> FloatArray:
    """Per release, the pause its agent takes after the call (mostly none)."""
    releases, samples = shape
    draws = rng.random((releases, 2, samples))  # one block per release, whatever the number of releases
    taken: FloatArray = np.where(draws[:, 0] < chance, pauses.fresh(draws[:, 1]), 0.0)
    return taken


def _simulated_waits(
    next_free: FloatArray, wrapup: FloatArray, occupied: FloatArray, patience: FloatArray
) -> FloatArray:
    """Releases servers one by one, a row of `occupied` (a call and any pause after it) per release.

    Callers ahead may hang up meanwhile.
    """
    count, servers = next_free.shape
    flat = next_free.reshape(-1)  # flat take/put: much cheaper than 2-D fancy indexing, per step
    row_starts = np.arange(count) * servers
    with_wrapup = bool(wrapup.any())
    releases = np.empty_like(occupied)
    for step, busy_for in enumerate(occupied):
        server = next_free.argmin(axis=1)
        index = row_starts + server
        free_at = flat.take(index)
        releases[step] = free_at
        flat.put(index, free_at + busy_for + (wrapup[server] if with_wrapup else 0.0))
    # FIFO: a caller ahead still there at the next release takes it; one who hung up frees no agent.
    by_sample = releases.T.reshape(-1)
    release_starts = np.arange(count) * len(releases)
    slot = np.zeros(count, dtype=np.intp)
    for ahead in patience:
        slot += ahead > by_sample.take(release_starts + slot)
    waits: FloatArray = by_sample.take(release_starts + slot)
    return waits


def _fluid_drain(
    reached_at: FloatArray, beyond: int, servers: int, wrapup_s: float, stats: HandlingStats
) -> FloatArray:
    """Time for `beyond` more callers ahead to be served or hang up, after the simulated depth.

    Those callers were waiting all along, so a share exp(-t/patience) of them is still there at `reached_at`;
    the rest drains at the agents' rate mu while each hangs up at rate 1/patience: dq/dt = -mu - q/patience,
    which empties q in patience * ln(1 + q / (mu * patience)).
    """
    patience = stats.patience_mean_s
    cycle = float(stats.handling_samples.mean()) + wrapup_s + stats.pauses_per_call * stats.pause_mean_s
    rate = servers / cycle
    still_there = beyond * np.exp(-reached_at / patience)
    drain: FloatArray = patience * np.log1p(still_there / (rate * patience))
    return drain


def _sorted_quantile(values: FloatArray, q: float) -> float:
    return float(values[min(len(values) - 1, int(q * len(values)))])


class _DurationSampler:
    """Draws durations (calls, pauses) from a learned sample (bootstrap), fresh or given the time elapsed."""

    def __init__(self, sorted_samples: FloatArray) -> None:
        self._sorted = sorted_samples
        self._count = len(sorted_samples)
        self._length_biased = np.cumsum(sorted_samples)
        tail_count = max(_MIN_CONDITIONAL_SAMPLES, self._count // 10)
        tail = sorted_samples[-tail_count:]
        self._tail_start = float(tail[0])
        self._tail_mean_excess = max(1.0, float(np.mean(tail - tail[0])))

    def fresh(self, uniform: FloatArray) -> FloatArray:
        return self._sorted[(uniform * self._count).astype(np.intp)]

    def residual_after(self, elapsed: FloatArray, uniform: FloatArray) -> FloatArray:
        """Remaining times of calls (or pauses) that have lasted `elapsed` seconds so far, a column each."""
        first_longer = np.searchsorted(self._sorted, elapsed, side="right")
        longer = self._count - first_longer
        index = np.minimum(first_longer + (uniform * longer).astype(np.intp), self._count - 1)
        from_sample = self._sorted[index] - elapsed
        # Past the recorded calls: an exponential excess whose mean grows with the age, as a long tail's does.
        mean_excess = self._tail_mean_excess * np.maximum(1.0, elapsed / self._tail_start)
        from_tail = -mean_excess * np.log1p(-uniform)
        remaining: FloatArray = np.where(longer >= _MIN_CONDITIONAL_SAMPLES, from_sample, from_tail)
        return remaining

    def residual_of_unknown_age(self, pick: FloatArray, fraction: FloatArray) -> FloatArray:
        """Remaining time of a call seen at a random moment: long calls are more often in progress."""
        index = np.searchsorted(self._length_biased, pick * self._length_biased[-1], side="right")
        lengths: FloatArray = self._sorted[np.minimum(index, self._count - 1)]
        return lengths * fraction
