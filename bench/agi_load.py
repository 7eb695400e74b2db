"""Load benchmark: N concurrent simulated survey calls against one bot process over FastAGI (loopback TCP).

The bot runs in its own process (the same BotRuntime as `ivr serve`, SQLite store, real prompts); the
simulated Asterisk runs here. Reported:
- the bot's own time per AGI turn, measured inside the bot from reading a reply to writing the next command
  (the simulator's side excluded), p50 / p99 / max;
- the same gap seen from the wire (simulator's clock), for context;
- AGI commands per second; memory per call (bot RSS growth at the peak / calls in progress then);
- that every answer reached the database.

    .venv/bin/python bench/agi_load.py --calls 1000 --time-scale 1.0 --ramp-s 30

Calls arrive spread over the ramp (uniformly at random) and their callers press keys after random pauses, as
real callers do; with --ramp-s 0 they all start at once and stay in lockstep (a worst case, reported too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import statistics
import tempfile
import time
from array import array
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.asterisk import CallTrace, SimulatedAsterisk
from ivr.sim.caller import Caller, Press, Speak
from ivr.sim.sounds import SoundLibrary
from ivr.store.results import ResultsRepository

REPO = Path(__file__).resolve().parent.parent
# Answers for the default survey: six questions (helhet 4, so no follow-up), then a 2 s comment ended by '#'.
ANSWERS = ("4", "5", "1", "3", "4", "4")


def _bot_main(settings_json: str, conn: Connection) -> None:
    """The bot process: serve until told to stop, then send back its turn times and store counters."""
    settings = Settings.model_validate_json(settings_json)
    turns = array("d")

    async def serve() -> None:
        runtime = BotRuntime(settings, on_turn=turns.append)
        await runtime.start("127.0.0.1", 0)
        conn.send(runtime.port)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        await runtime.stop()
        conn.send({"turns": turns.tobytes(), "store": vars(runtime.store.stats)})

    asyncio.run(serve())


@dataclass
class LoadResult:
    calls: int
    time_scale: float
    ramp_s: float
    wall_s: float
    commands: int
    peak_concurrent: int
    rss_baseline_mb: float
    rss_peak_mb: float
    bot_turn_ms: dict[str, float]
    wire_turn_ms: dict[str, float]
    answers_stored: int
    answers_expected: int

    @property
    def commands_per_s(self) -> float:
        return self.commands / self.wall_s

    @property
    def kb_per_call(self) -> float:
        return (self.rss_peak_mb - self.rss_baseline_mb) * 1024 / max(1, self.peak_concurrent)


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    if not ordered:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0, "n": 0}
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p99": q[98] * 1000, "max": ordered[-1] * 1000, "n": len(ordered)}


def _caller(rng: random.Random) -> Caller:
    return Caller(
        [*(Press(key, after=rng.uniform(0.3, 2.5)) for key in ANSWERS), Speak(seconds=2.0, end="#")]
    )


async def _run_calls(
    port: int, prompts_dir: Path, calls: int, time_scale: float, ramp_s: float, bot_pid: int
) -> dict[str, Any]:
    sim = SimulatedAsterisk("127.0.0.1", port, sounds=SoundLibrary([prompts_dir]), time_scale=time_scale)
    rng = random.Random(7)
    arrivals = sorted(rng.uniform(0, ramp_s) for _ in range(calls))
    callers = [_caller(rng) for _ in range(calls)]
    bot = psutil.Process(bot_pid)
    in_progress = 0
    peak = {"concurrent": 0, "rss": bot.memory_info().rss}

    async def one(number: int) -> CallTrace:
        nonlocal in_progress
        await asyncio.sleep(arrivals[number])
        in_progress += 1
        try:
            request = "survey?tenant=bench&queue=q1&agent=a1"
            return await sim.place_call(request, callers[number], uniqueid=f"1.{number}")
        finally:
            in_progress -= 1

    async def sample() -> None:
        while True:
            peak["concurrent"] = max(peak["concurrent"], in_progress)
            peak["rss"] = max(peak["rss"], bot.memory_info().rss)
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    traces = await asyncio.gather(*(one(n) for n in range(calls)))
    wall = time.perf_counter() - started
    sampler.cancel()
    return {"traces": traces, "wall_s": wall, **peak}


def run(calls: int, time_scale: float, ramp_s: float) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        data = Path(tmp)
        settings = Settings(
            data_dir=data,
            dialogs_dir=REPO / "dialogs",
            prompts_dir=REPO / "var" / "bench-prompts",
            agi_idle_timeout_s=600,
        )
        runtime_for_prompts = BotRuntime(settings)
        runtime_for_prompts.dialogs.load()
        runtime_for_prompts.prompts.build(runtime_for_prompts.dialogs.prompts())
        parent, child = mp.Pipe()
        bot = mp.get_context("spawn").Process(target=_bot_main, args=(settings.model_dump_json(), child))
        bot.start()
        port = parent.recv()
        time.sleep(0.5)
        baseline = psutil.Process(bot.pid).memory_info().rss
        assert bot.pid is not None
        prompts = settings.effective_prompts_dir
        outcome = asyncio.run(_run_calls(port, prompts, calls, time_scale, ramp_s, bot.pid))
        parent.send("stop")
        reply = parent.recv()
        bot.join(30)
        turns = array("d")
        turns.frombytes(reply["turns"])
        traces: list[CallTrace] = outcome["traces"]
        repo = ResultsRepository(settings.effective_database_url)
        stored = sum(len(r.answers) for r in repo.responses())
        repo.close()
        return LoadResult(
            calls=calls,
            time_scale=time_scale,
            ramp_s=ramp_s,
            wall_s=outcome["wall_s"],
            commands=sum(len(t.commands) for t in traces),
            peak_concurrent=outcome["concurrent"],
            rss_baseline_mb=baseline / 2**20,
            rss_peak_mb=outcome["rss"] / 2**20,
            bot_turn_ms=_percentiles(list(turns)),
            wire_turn_ms=_percentiles([lat for t in traces for lat in t.bot_turn_latencies]),
            answers_stored=stored,
            answers_expected=calls * len(ANSWERS),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--time-scale", type=float, default=1.0, help="1.0 = real time; 0 = instant callers")
    parser.add_argument("--ramp-s", type=float, default=30.0, help="calls arrive over this many seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = run(args.calls, args.time_scale, args.ramp_s)
    figures = {**vars(result), "commands_per_s": result.commands_per_s, "kb_per_call": result.kb_per_call}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
