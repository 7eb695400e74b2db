"""Wait-time estimates against real waits, over simulated contact-centre days.

A discrete-event simulation of one queue per team size (3, 8 and 20 agents), several seeded days each:
- arrivals: a Poisson process whose rate follows the day (morning and after-lunch peaks), scaled to the team,
  with a random level per day, a random factor per quarter hour and now and then an incident (a water
  outage, say) that raises it for half an hour; the peaks exceed what the staffed agents take, so queues build
  and drain;
- handling times: lognormal with a long tail (mean 270 s, coefficient of variation 1.1);
- agents take a morning break, lunch, an afternoon break and a few short pauses (paused in the queue; a break
  that starts during a call begins when the call ends);
- callers hang up after a Weibull patience (mean about 7 minutes) unless served first.

When a caller arrives, before joining, each estimator announces a wait from what it would see live:
- ours: `estimate_wait` on the snapshot built by `snapshot_from_queue_status` from AMI-shaped QueueParams,
  QueueMember and QueueEntry fields, the answer times of calls in progress (as an AgentConnect tracker knows
  them) and the statistics learned so far from completions and abandons (`HandlingLearner`);
- ours without call ages: the same, without the answer times;
- app_queue: Asterisk's moving average of past waits (`AppQueueHoldtime`, updated as app_queue.c does), and
  the value it would announce at join (whole minutes);
- naive: position × learned mean handling time ÷ staffed agents;
- oracle: a Monte-Carlo from the exact state with the true handling and patience distributions (it knows the
  state, not the future handling times, breaks or arrivals): the scale of what is achievable.
Only callers who were served have a real wait; the errors are over them. The learned statistics and
app_queue's average carry over from one day to the next, as they do in a running system.

    .venv/bin/python bench/wait_estimate.py            # 3, 8 and 20 agents, 8 days each
    .venv/bin/python bench/wait_estimate.py --days 2 --sizes 3
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import platform
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from ivr.queueing.app_queue import AppQueueHoldtime, app_queue_estimate
from ivr.queueing.estimate import (
    DEFAULT_SAMPLES,
    SIMULATED_POSITIONS,
    EstimateMethod,
    estimate_wait,
    naive_estimate,
)
from ivr.queueing.handling import HandlingLearner
from ivr.queueing.snapshot import snapshot_from_queue_status

FloatArray = npt.NDArray[np.float64]
REPO = Path(__file__).resolve().parent.parent
QUEUE = "kontaktcenter"
HOUR = 3600.0
ESTIMATORS = ("ours", "ours_no_call_ages", "app_queue", "app_queue_announced", "naive", "oracle")
WITHIN_S = 60.0


@dataclass(frozen=True)
class DayModel:
    agents: int
    opens_at: float = 8 * HOUR
    closes_at: float = 17 * HOUR
    mean_handling_s: float = 270.0
    handling_cv: float = 1.1
    patience_scale_s: float = 460.0  # Weibull scale; with shape 1.4 the mean is about 420 s
    patience_shape: float = 1.4
    peak_load: float = 1.0  # arrivals at the busiest hour per staffed capacity (before breaks)
    # arrival rate per hour of the day, relative to the busiest hour
    hourly_profile: tuple[float, ...] = (0.65, 1.0, 0.95, 0.8, 0.65, 0.9, 0.85, 0.7, 0.55)
    quarter_noise: float = 0.25  # sigma of a lognormal factor on the rate of each quarter hour
    incidents_per_day: float = 0.7  # e.g. a water outage: the rate jumps for a while
    incident_boost: tuple[float, float] = (1.5, 2.2)
    incident_minutes: tuple[float, float] = (20.0, 45.0)

    @property
    def handling_sigma(self) -> float:
        return math.sqrt(math.log1p(self.handling_cv**2))

    @property
    def handling_mu(self) -> float:
        return math.log(self.mean_handling_s) - self.handling_sigma**2 / 2

    def rate_per_minute(self, rng: np.random.Generator) -> FloatArray:
        """One day's arrival rate (calls per second), minute by minute from opening to closing."""
        minutes = int((self.closes_at - self.opens_at) // 60)
        hour_of = np.arange(minutes) // 60
        rate = self.peak_load * self.agents / self.mean_handling_s * np.asarray(self.hourly_profile)[hour_of]
        rate *= rng.uniform(0.85, 1.1)  # the day's own level
        quarters = rng.lognormal(-(self.quarter_noise**2) / 2, self.quarter_noise, minutes // 15 + 1)
        rate *= quarters[np.arange(minutes) // 15]
        for _ in range(int(rng.poisson(self.incidents_per_day))):
            start = int(rng.integers(0, minutes))
            length = int(rng.uniform(*self.incident_minutes))
            rate[start : start + length] *= rng.uniform(*self.incident_boost)
        result: FloatArray = rate
        return result


@dataclass(frozen=True)
class EstimatorTuning:
    samples: int = DEFAULT_SAMPLES
    simulated_positions: int = SIMULATED_POSITIONS

    def arguments(self) -> dict[str, int]:
        return {"samples": self.samples, "simulated_positions": self.simulated_positions}


@dataclass
class Caller:
    arrived_at: float
    patience_s: float
    estimates: dict[str, float | None] = field(default_factory=dict)
    served_at: float | None = None
    abandoned: bool = False


@dataclass
class Agent:
    interface: str
    busy_since: float | None = None  # answer time of the current call
    caller: Caller | None = None
    paused: bool = False
    paused_at: float = 0.0  # LastPause
    break_due_s: float = 0.0  # a break asked for during a call, to start when it ends
    idle_since: float = 0.0


@dataclass(frozen=True)
class Outcome:
    real_wait_s: float | None  # None: the caller hung up before being served
    position: int
    estimates: dict[str, float | None]


class OracleEstimator:
    """Knows the exact state and the true distributions, not the future: the same forward run as ours."""

    def __init__(self, model: DayModel, samples: int = 256, seed: int = 7) -> None:
        self._model = model
        self._samples = samples
        self._rng = np.random.default_rng(seed)
        self._grid_z = np.linspace(-8.0, 8.0, 4001)
        self._grid_u = np.array([NormalDist().cdf(z) for z in self._grid_z])

    def estimate(self, now: float, staffed: Sequence[Agent], ahead: Sequence[Caller]) -> float | None:
        if not staffed:
            return None
        position = len(ahead) + 1
        if position <= sum(1 for agent in staffed if agent.busy_since is None):
            return 0.0
        count = self._samples
        next_free = np.column_stack([self._remaining(agent, now) for agent in staffed])
        rows = np.arange(count)
        releases = np.empty((position, count))
        for step in range(position):
            server = next_free.argmin(axis=1)
            free_at = next_free[rows, server]
            releases[step] = free_at
            next_free[rows, server] = free_at + self._handling(count)
        slot = np.zeros(count, dtype=np.intp)
        for caller in ahead:
            slot += self._patience_left(caller.arrived_at, now, count) > releases[slot, rows]
        return float(np.median(releases[slot, rows]))

    def _handling(self, count: int) -> FloatArray:
        return self._rng.lognormal(self._model.handling_mu, self._model.handling_sigma, count)

    def _remaining(self, agent: Agent, now: float) -> FloatArray:
        if agent.busy_since is None:
            return np.zeros(self._samples)
        elapsed = max(1e-3, now - agent.busy_since)
        model = self._model
        below = NormalDist().cdf((math.log(elapsed) - model.handling_mu) / model.handling_sigma)
        uniform = below + (1.0 - below) * self._rng.random(self._samples)
        z = np.interp(uniform, self._grid_u, self._grid_z)
        remaining: FloatArray = np.exp(model.handling_mu + model.handling_sigma * z) - elapsed
        return np.maximum(remaining, 0.0)

    def _patience_left(self, arrived_at: float, now: float, count: int) -> FloatArray:
        model = self._model
        waited = (now - arrived_at) / model.patience_scale_s
        total = model.patience_scale_s * (waited**model.patience_shape - np.log(self._rng.random(count))) ** (
            1.0 / model.patience_shape
        )
        left: FloatArray = total - (now - arrived_at)
        return left


class QueueDay:
    """One simulated day of one queue; the learners persist across days."""

    def __init__(
        self,
        model: DayModel,
        seed: int,
        learner: HandlingLearner,
        app_queue: AppQueueHoldtime,
        timings_ms: list[float],
        tuning: EstimatorTuning,
    ) -> None:
        self._model = model
        self._tuning = tuning
        self._rng = np.random.default_rng(seed)
        self._learner = learner
        self._app_queue = app_queue
        self._timings_ms = timings_ms
        self._oracle = OracleEstimator(model, seed=seed + 1)
        self._agents = [Agent(f"PJSIP/agent{i + 1:02d}") for i in range(model.agents)]
        self._queue: deque[Caller] = deque()
        self._events: list[tuple[float, int, str, object]] = []
        self._sequence = itertools.count()
        self._callers: list[tuple[Caller, int]] = []

    def run(self) -> list[Outcome]:
        for at in self._arrival_times():
            self._schedule(at, "arrival", None)
        for agent in self._agents:
            agent.idle_since = self._model.opens_at
            for at, duration in self._breaks():
                self._schedule(at, "break", (agent, duration))
        while self._events:
            at, _, kind, payload = heapq.heappop(self._events)
            self._handle(at, kind, payload)
        return [
            Outcome(
                caller.served_at - caller.arrived_at if caller.served_at is not None else None,
                position,
                caller.estimates,
            )
            for caller, position in self._callers
        ]

    def _arrival_times(self) -> Iterator[float]:
        for minute, rate in enumerate(self._model.rate_per_minute(self._rng)):
            start = self._model.opens_at + 60 * minute
            yield from sorted(start + 60 * self._rng.random(int(self._rng.poisson(rate * 60))))

    def _breaks(self) -> list[tuple[float, float]]:
        uniform = self._rng.uniform
        breaks = [
            (uniform(9.25, 10.5) * HOUR, uniform(12, 18) * 60),
            (uniform(11.0, 13.0) * HOUR, uniform(30, 40) * 60),
            (uniform(14.0, 15.5) * HOUR, uniform(12, 18) * 60),
        ]
        for _ in range(int(self._rng.poisson(2.0))):
            breaks.append((uniform(8.25, 16.5) * HOUR, uniform(3, 10) * 60))
        return breaks

    def _schedule(self, at: float, kind: str, payload: object) -> None:
        heapq.heappush(self._events, (at, next(self._sequence), kind, payload))

    def _handle(self, at: float, kind: str, payload: object) -> None:
        if kind == "arrival":
            self._arrive(at)
        elif kind == "abandon" and isinstance(payload, Caller):
            self._abandon(at, payload)
        elif kind == "call_end" and isinstance(payload, Agent):
            self._end_call(at, payload)
        elif kind == "break" and isinstance(payload, tuple):
            self._start_break(at, *payload)
        elif kind == "break_end" and isinstance(payload, Agent):
            self._learner.record_pause(at - payload.paused_at, at)  # QueueMemberPause, Paused: 0
            payload.paused = False
            payload.idle_since = at
            self._dispatch(at)

    def _arrive(self, at: float) -> None:
        model = self._model
        patience = model.patience_scale_s * float(self._rng.weibull(model.patience_shape))
        caller = Caller(arrived_at=at, patience_s=patience)
        caller.estimates = self._announce(at)
        self._callers.append((caller, len(self._queue) + 1))
        self._queue.append(caller)
        self._schedule(at + patience, "abandon", caller)
        self._dispatch(at)

    def _announce(self, now: float) -> dict[str, float | None]:
        position = len(self._queue) + 1
        params, members, entries = self._ami_queue_status(now)
        busy_since = {a.interface: a.busy_since for a in self._agents if a.busy_since is not None}
        snapshot = snapshot_from_queue_status(params, members, entries, taken_at=now, busy_since=busy_since)
        no_ages = snapshot_from_queue_status(params, members, entries, taken_at=now)
        stats = self._learner.stats()
        started = time.thread_time()  # CPU time: other processes on the machine do not count
        ours = estimate_wait(snapshot, position, stats, now, **self._tuning.arguments())
        if ours.method is EstimateMethod.MONTE_CARLO:
            self._timings_ms.append((time.thread_time() - started) * 1000)
        staffed = [agent for agent in self._agents if not agent.paused]
        holdtime = self._app_queue.holdtime_s
        return {
            "ours": ours.seconds,
            "ours_no_call_ages": estimate_wait(
                no_ages, position, stats, now, **self._tuning.arguments()
            ).seconds,
            "app_queue": float(holdtime),
            "app_queue_announced": app_queue_estimate(holdtime, 0).seconds,
            "naive": naive_estimate(snapshot, position, stats).seconds,
            "oracle": self._oracle.estimate(now, staffed, list(self._queue)),
        }

    def _ami_queue_status(
        self, now: float
    ) -> tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]:
        """The fields of a QueueStatus response (QueueParams, QueueMember, QueueEntry) for this moment."""
        app_queue = self._app_queue
        params = {
            "Event": "QueueParams",
            "Queue": QUEUE,
            "Calls": str(len(self._queue)),
            "Holdtime": str(app_queue.holdtime_s),
            "Completed": str(app_queue.completed),
            "Abandoned": str(app_queue.abandoned),
        }
        members = [
            {
                "Event": "QueueMember",
                "Queue": QUEUE,
                "Name": agent.interface,
                "Location": agent.interface,
                "InCall": "1" if agent.busy_since is not None else "0",
                "Status": "2" if agent.busy_since is not None else "1",
                "Paused": "1" if agent.paused else "0",
                "LastPause": str(int(agent.paused_at)),
                "Wrapuptime": "0",
            }
            for agent in self._agents
        ]
        entries = [
            {
                "Event": "QueueEntry",
                "Queue": QUEUE,
                "Position": str(index + 1),
                "Wait": str(int(now - caller.arrived_at)),
            }
            for index, caller in enumerate(self._queue)
        ]
        return params, members, entries

    def _dispatch(self, now: float) -> None:
        while self._queue:
            free = [agent for agent in self._agents if agent.busy_since is None and not agent.paused]
            if not free:
                return
            agent = min(free, key=lambda a: a.idle_since)
            caller = self._queue.popleft()
            caller.served_at = now
            agent.busy_since = now
            agent.caller = caller
            self._app_queue.caller_connected(caller.arrived_at, now)
            handling = float(self._rng.lognormal(self._model.handling_mu, self._model.handling_sigma))
            self._schedule(now + handling, "call_end", agent)

    def _abandon(self, now: float, caller: Caller) -> None:
        if caller.served_at is not None:
            return
        caller.abandoned = True
        self._queue.remove(caller)
        self._learner.record_abandon(now - caller.arrived_at, now)
        self._app_queue.caller_abandoned()

    def _end_call(self, now: float, agent: Agent) -> None:
        started, caller = agent.busy_since, agent.caller
        if started is None or caller is None:
            return
        self._learner.record_completion(started - caller.arrived_at, now - started, now)
        self._app_queue.call_completed()
        agent.busy_since = None
        agent.caller = None
        agent.idle_since = now
        if agent.break_due_s:
            self._schedule(now + agent.break_due_s, "break_end", agent)
            agent.break_due_s = 0.0
            return
        self._dispatch(now)

    def _start_break(self, now: float, agent: Agent, duration: float) -> None:
        if agent.paused:  # already on a break: this one follows it
            agent.break_due_s += duration
            return
        agent.paused = True
        agent.paused_at = now
        if agent.busy_since is None:
            self._schedule(now + duration, "break_end", agent)
        else:
            agent.break_due_s = duration


@dataclass(frozen=True)
class TeamResult:
    agents: int
    days: int
    callers: int
    served: int
    abandoned: int
    mean_real_wait_s: float
    share_waited: float  # served callers who found no free agent
    mae_s: dict[str, float]
    bias_s: dict[str, float]
    within_60s: dict[str, float]
    mae_waited_s: dict[str, float]  # the same, over callers who had to wait
    estimate_ms: dict[str, float]  # ours: CPU time per estimate that ran the Monte-Carlo


def run_team(agents: int, days: int, seed: int, tuning: EstimatorTuning) -> TeamResult:
    model = DayModel(agents=agents)
    learner = HandlingLearner(QUEUE)
    app_queue = AppQueueHoldtime()
    timings: list[float] = []
    outcomes: list[Outcome] = []
    for day in range(days):
        day_seed = seed * 1000 + agents * 100 + day
        outcomes += QueueDay(model, day_seed, learner, app_queue, timings, tuning).run()
    return _summarise(agents, days, outcomes, timings)


def _summarise(agents: int, days: int, outcomes: list[Outcome], timings: list[float]) -> TeamResult:
    served = [o for o in outcomes if o.real_wait_s is not None]
    real = np.array([o.real_wait_s for o in served], dtype=np.float64)
    waited = real > 0

    def errors(name: str) -> FloatArray:
        # "No agents" (None) is scored as announcing nothing, i.e. 0 s
        return np.array([o.estimates[name] or 0.0 for o in served], dtype=np.float64) - real

    by_name = {name: errors(name) for name in ESTIMATORS}
    timing = np.array(timings)
    return TeamResult(
        agents=agents,
        days=days,
        callers=len(outcomes),
        served=len(served),
        abandoned=len(outcomes) - len(served),
        mean_real_wait_s=float(real.mean()),
        share_waited=float(waited.mean()),
        mae_s={name: float(np.abs(e).mean()) for name, e in by_name.items()},
        bias_s={name: float(e.mean()) for name, e in by_name.items()},
        within_60s={name: float((np.abs(e) <= WITHIN_S).mean()) for name, e in by_name.items()},
        mae_waited_s={name: float(np.abs(e[waited]).mean()) for name, e in by_name.items()},
        estimate_ms={
            "mean": float(timing.mean()),
            "p50": float(np.percentile(timing, 50)),
            "p99": float(np.percentile(timing, 99)),
            "max": float(timing.max()),
        },
    )


def markdown_table(results: Sequence[TeamResult]) -> str:
    lines = [
        "| agents | callers (served / abandoned) | mean real wait | MAE ours | MAE ours, no call ages "
        "| MAE app_queue | MAE naive | MAE oracle | ours ÷ app_queue | naive ÷ app_queue "
        "| oracle ÷ app_queue | bias ours / app_queue | within ±60 s ours / app_queue "
        "| ours, CPU per Monte-Carlo estimate p50 / p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        mae, base = r.mae_s, r.mae_s["app_queue"]
        lines.append(
            f"| {r.agents} | {r.callers} ({r.served} / {r.abandoned}) | {r.mean_real_wait_s:.0f} s "
            f"| {mae['ours']:.0f} s | {mae['ours_no_call_ages']:.0f} s | {base:.0f} s | {mae['naive']:.0f} s "
            f"| {mae['oracle']:.0f} s | **{mae['ours'] / base:.2f}** | {mae['naive'] / base:.2f} "
            f"| {mae['oracle'] / base:.2f} | {r.bias_s['ours']:+.0f} s / {r.bias_s['app_queue']:+.0f} s "
            f"| {r.within_60s['ours']:.0%} / {r.within_60s['app_queue']:.0%} "
            f"| {r.estimate_ms['p50']:.2f} / {r.estimate_ms['p99']:.2f} ms |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 8, 20], help="agents per queue")
    parser.add_argument("--days", type=int, default=8, help="simulated days per queue size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="Monte-Carlo runs per estimate")
    parser.add_argument(
        "--depth", type=int, default=SIMULATED_POSITIONS, help="places run forward before the fluid drain"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "wait_estimate.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tuning = EstimatorTuning(samples=args.samples, simulated_positions=args.depth)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [
            pool.submit(run_team, size, args.days, args.seed, tuning)
            for size in sorted(args.sizes, reverse=True)
        ]
        results = sorted((future.result() for future in futures), key=lambda r: r.agents)
    wall_s = time.perf_counter() - started
    table = markdown_table(results)
    print(table)
    print(f"\n{sum(r.callers for r in results)} callers in {wall_s:.1f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "wait_estimate",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus_used": args.workers},
        "days": args.days,
        "seed": args.seed,
        "estimator": asdict(tuning),
        "wall_s": wall_s,
        "model": {k: v for k, v in asdict(DayModel(agents=0)).items() if k != "agents"},
        "teams": [asdict(r) for r in results],
        "table": table,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
