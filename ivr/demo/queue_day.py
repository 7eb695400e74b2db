"""The demo's queue day: inbound calls to a simulated contact centre, through the real bot's `/inbound`, some
of them taking the callback offer, and the real callback dialer ringing them back in queue order.

A SimulatedPBX on a virtual clock (a Monday morning, inside the default opening hours) has the queue
`kontaktcenter` with three agents. The bot serves `/inbound` and `/callback` from the live queue over AMI and
books callbacks in Redis (a prefix of its own, deleted afterwards) with their SQL record in the demo's
database.
Callers arrive about every half minute; the clock moves in small steps, and at each step the dialer
(`CallbackDialer` over the real AMI client) gets its round, as `ivr callbacks run` would.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from redis.asyncio import Redis

from ivr.ami import AMIClient
from ivr.apps.callbacks import (
    CallbacksError,
    QueueCallbacks,
    callback_queue_prefix,
    connect_ami,
    connect_redis,
    dialer_config,
    open_records,
    queue_plans,
    read_inbound_configs,
)
from ivr.apps.runtime import BotRuntime, QueueRooms
from ivr.queueing.callbacks import RedisCallbackQueue
from ivr.queueing.dialer import CallbackDialer, DialResult
from ivr.queueing.handling import RedisHandlingStore
from ivr.queueing.live import LiveQueues
from ivr.queueing.originator import AmiOriginator
from ivr.settings import Settings
from ivr.sim.ami import (
    Agent,
    AmiEvent,
    Answers,
    CallerId,
    JoinQueue,
    LogNormal,
    QueueConfig,
    RunAgi,
    SimulatedPBX,
)
from ivr.sim.caller import Caller, Press
from ivr.sim.sounds import SoundLibrary
from ivr.store.callbacks import CallbackRecords

log = logging.getLogger("ivr.demo.queue_day")

QUEUE = "kontaktcenter"
TENANT = "norrtalje"
EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # a Monday, 10:00 in Stockholm
AGENTS = (
    Agent("Local/anna@agenter/n", "Anna", answers_after_s=3.0),
    Agent("Local/olle@agenter/n", "Olle", answers_after_s=4.0),
    Agent("Local/fatima@agenter/n", "Fatima", answers_after_s=2.0),
)
TALK = LogNormal(240.0, 0.6)  # a median of four minutes, with a long tail
MEAN_GAP_S = 30.0  # callers arrive about twice a minute: more than three agents can take
STEP_S = 2.0  # the model clock moves in steps this long; the dialer has a round at each
DAY_LIMIT_S = 8 * 3600.0  # model time: a day that has not ended by then is broken
SAFETY_S = 30.0  # real time for one FastAGI session or one answer: only stops a broken run from hanging
AMI_USER = ("admin", "test-secret")  # the simulator's own AMI user

Kind = Literal["tar_emot", "avböjer", "tyst", "annat_nummer"]
KINDS: tuple[Kind, ...] = ("tar_emot", "tar_emot", "avböjer", "avböjer", "tyst")


@dataclass(frozen=True)
class QueueDaySummary:
    calls: int = 0
    announced_waits_s: tuple[float, ...] = ()
    offered: int = 0
    accepted: int = 0
    other_number: int = 0
    completed: int = 0
    served_callbacks: int = 0
    served_from_queue: int = 0
    dialled: tuple[str, ...] = ()
    """The number of each callback Originate, in order."""
    model_seconds: float = 0.0
    skipped: str | None = None

    @property
    def mean_announced_wait_s(self) -> float | None:
        waits = self.announced_waits_s
        return sum(waits) / len(waits) if waits else None

    def lines(self) -> list[str]:
        if self.skipped is not None:
            return [f"Ködagen hoppades över / queue day skipped: {self.skipped}"]
        mean = self.mean_announced_wait_s
        wait = (
            "ingen"
            if mean is None
            else f"{mean / 60:.1f}".replace(".", ",") + f" min i snitt ({len(self.announced_waits_s)} st)"
        )
        return [
            f"Ködag: {self.calls} inkommande samtal till kön {QUEUE} (simulerad växel, 3 handläggare, "
            f"{self.model_seconds / 60:.0f} minuter simulerad tid)",
            f"Utlovad väntetid: {wait}",
            f"Återuppringning: {self.offered} erbjudna, {self.accepted} accepterade "
            f"({self.other_number} med annat nummer), {self.completed} genomförda, "
            f"{self.served_callbacks} betjänade av handläggare",
            f"Betjänade direkt från kön: {self.served_from_queue}",
        ]


@dataclass
class _Day:
    """What the PBX published, as the day goes."""

    events: list[AmiEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: AmiEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until `condition` holds, looking again at each event (a safety timeout stops a broken run)."""
        async with asyncio.timeout(SAFETY_S):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    def named(self, name: str) -> list[AmiEvent]:
        return [event for event in self.events if event.name == name]

    def originated(self) -> list[str]:
        """The dialled number of each Originate (a queue ringing a member names the caller's channel)."""
        channels = [e.get("DestChannel") or "" for e in self.named("DialBegin") if e.get("Channel") is None]
        return [channel.removeprefix("Local/").partition("@")[0] for channel in channels]

    def connected(self) -> list[str]:
        return [event.get("Channel") or "" for event in self.named("AgentConnect")]

    def in_queue(self) -> int:
        return len(self.named("QueueCallerJoin")) - len(self.named("QueueCallerLeave"))


@dataclass(frozen=True)
class _Caller:
    kind: Kind
    number: str
    other: str | None
    at_s: float


def _callers(calls: int, seed: int) -> list[_Caller]:
    rng = random.Random(seed)
    numbers = rng.sample(range(10**7), 2 * calls)
    callers: list[_Caller] = []
    at_s = 5.0
    for index in range(calls):
        kind: Kind = "annat_nummer" if index == calls - 1 else rng.choice(KINDS)
        other = f"073{numbers[calls + index]:07d}" if kind == "annat_nummer" else None
        callers.append(_Caller(kind, f"070{numbers[index]:07d}", other, at_s))
        at_s += rng.expovariate(1 / MEAN_GAP_S)
    return callers


def _script(caller: _Caller) -> Caller:
    if caller.kind == "tar_emot":
        return Caller([Press("1"), Press("1")])  # yes, and yes, call this number
    if caller.kind == "annat_nummer":
        return Caller([Press("1"), Press(f"{caller.other}#"), Press("1")])
    if caller.kind == "avböjer":
        return Caller([Press("2")])
    return Caller([])  # stays silent: the offer times out and they go on to the queue


async def run_queue_day(settings: Settings, data_dir: Path, *, calls: int, seed: int) -> QueueDaySummary:
    """`settings` as the demo runs them (its own database); `data_dir` holds the prompts the PBX plays."""
    prefix = f"ivr-demo:{uuid.uuid4().hex[:12]}"
    try:
        redis = await connect_redis(settings.redis_url)
    except CallbacksError as error:
        return QueueDaySummary(skipped=f"Redis nås inte / Redis is not reachable ({error})")
    try:
        return await _run(settings, data_dir, redis, prefix, calls, seed)
    except CallbacksError as error:
        return QueueDaySummary(skipped=str(error))
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def _run(
    settings: Settings, data_dir: Path, redis: Redis, prefix: str, calls: int, seed: int
) -> QueueDaySummary:
    pbx = SimulatedPBX(epoch=EPOCH, seed=seed)
    pbx.add_queue(QueueConfig(QUEUE, strategy="leastrecent", members=AGENTS, talk=TALK, wrapup_s=15))
    pbx.dialplan.add_context(
        "kontaktcenter-in",
        RunAgi(f"inbound?tenant={TENANT}&queue={QUEUE}", then=_after_inbound),
    )
    pbx.dialplan.add_context(
        settings.callback_context,
        RunAgi(f"callback?tenant={TENANT}", then=JoinQueue(QUEUE, priority=10)),
    )
    callers = _callers(calls, seed)
    rng = random.Random(seed + 1)
    for caller in callers:
        for number in (caller.number, caller.other):
            if number is not None:
                pbx.dialplan.add_number(number, Answers(after_s=round(rng.uniform(3.0, 9.0), 1)))
    day = _Day()
    pbx.subscribe(day.add)

    port = await pbx.start_ami()
    settings = settings.model_copy(
        update={
            "data_dir": data_dir,
            "prompts_dir": data_dir / "prompts",
            "recordings_dir": data_dir / "recordings",
            "redis_prefix": prefix,
            "ami_host": "127.0.0.1",
            "ami_port": port,
            "ami_user": AMI_USER[0],
            "ami_secret": AMI_USER[1],
            "ami_ping_interval_s": 600.0,
        }
    )
    records: CallbackRecords | None = None
    ami: AMIClient | None = None
    live: LiveQueues | None = None
    runtime: BotRuntime | None = None
    try:
        plans = [
            plan for plan in queue_plans(read_inbound_configs(settings.dialogs_dir)) if plan.queue == QUEUE
        ]
        if not plans:
            return QueueDaySummary(skipped=f"ingen inbound.yaml under {settings.dialogs_dir} nämner {QUEUE}")
        records = await open_records(settings)
        ami = await connect_ami(settings)
        model = _ModelTime(pbx)
        live = LiveQueues(ami, RedisHandlingStore(redis, prefix), [QUEUE], clock=pbx.clock.epoch, learn=True)
        await live.start()
        callbacks = RedisCallbackQueue(redis, callback_queue_prefix(settings), records=records, clock=model)
        runtime = BotRuntime(settings, queues=QueueRooms(live, callbacks, clock=model.now))
        await asyncio.to_thread(_build_prompts, runtime)
        await runtime.start("127.0.0.1", 0)
        pbx.connect_fastagi("127.0.0.1", runtime.port, sounds=SoundLibrary([settings.effective_prompts_dir]))
        dialer = CallbackDialer(
            dialer_config(settings, QUEUE),
            QueueCallbacks(redis, callback_queue_prefix(settings), QUEUE, records=records, clock=model),
            live,
            AmiOriginator(ami),
            model,
            plans[0].hours,
        )
        uniqueids, results = await _drive(pbx, day, live, dialer, callbacks, callers)
    finally:
        if runtime is not None:
            await runtime.stop()
        if live is not None:
            await live.stop()
        if ami is not None:
            await ami.close()
        await pbx.stop()
        if records is not None:
            records.close()
    return _summarise(pbx, day, callers, uniqueids, results)


def _after_inbound(variables: Mapping[str, str]) -> JoinQueue | None:
    """The dialplan after /inbound: on to Queue() unless a callback was booked (or the centre is closed)."""
    return JoinQueue(QUEUE) if variables.get("INBOUND_RESULT", "queue") == "queue" else None


class _ModelTime:
    """The PBX's model time as a datetime: the bot's, the callback queue's and the dialer's clock."""

    def __init__(self, pbx: SimulatedPBX) -> None:
        self._pbx = pbx

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._pbx.clock.epoch(), UTC)


def _build_prompts(runtime: BotRuntime) -> None:
    runtime.dialogs.load()
    report = runtime.prompts.build(runtime.dialogs.prompts())
    log.info("queue day prompts: %s", report)


async def _drive(
    pbx: SimulatedPBX,
    day: _Day,
    live: LiveQueues,
    dialer: CallbackDialer,
    callbacks: RedisCallbackQueue,
    callers: list[_Caller],
) -> tuple[list[str], list[DialResult]]:
    """Callers arrive at their moments; between steps of the clock the dialer gets its round. Until every
    caller is through, no callback waits, and nobody is left in the queue."""
    uniqueids: list[str] = []
    results: list[DialResult] = []
    pending = list(callers)
    round_: asyncio.Task[list[DialResult]] | None = None
    try:
        while pbx.clock.now() < DAY_LIMIT_S:
            while pending and pending[0].at_s <= pbx.clock.now():
                caller = pending.pop(0)
                await live.caught_up()  # the bot announces the queue as it stands now
                leg = pbx.inbound_call(
                    "kontaktcenter-in", callerid=CallerId(caller.number, None), agi_caller=_script(caller)
                )
                uniqueids.append(leg.near.uniqueid)
                await _agi_done(pbx, day, leg.near.uniqueid)
            await live.caught_up()
            if round_ is not None and round_.done():
                results.extend(round_.result())
                round_ = None
            if round_ is None:
                if not pending and await _day_over(day, callbacks):
                    break
                round_ = await _start_round(dialer, day)
            await pbx.advance(STEP_S)
        else:
            raise RuntimeError(f"the queue day did not end within {DAY_LIMIT_S / 3600:.0f} model hours")
    finally:
        if round_ is not None and not round_.done():
            round_.cancel()
            await asyncio.gather(round_, return_exceptions=True)
    return uniqueids, results


async def _start_round(dialer: CallbackDialer, day: _Day) -> asyncio.Task[list[DialResult]]:
    """A dialer round: returns once it is over, or once it has placed a call (which needs model time)."""
    before = len(day.originated())
    round_ = asyncio.create_task(dialer.step())
    placed = asyncio.create_task(day.wait_for(lambda: len(day.originated()) > before))
    await asyncio.wait([round_, placed], return_when=asyncio.FIRST_COMPLETED)
    placed.cancel()
    await asyncio.gather(placed, return_exceptions=True)
    return round_


async def _agi_done(pbx: SimulatedPBX, day: _Day, uniqueid: str) -> None:
    """The caller's /inbound session is over: the channel has gone on (to the queue, or hung up)."""
    await day.wait_for(lambda: uniqueid in pbx.agi_traces)


async def _day_over(day: _Day, callbacks: RedisCallbackQueue) -> bool:
    if day.in_queue() > 0 or await callbacks.in_queue_order(QUEUE):
        return False
    return _callbacks_served(day)  # every answered callback has been greeted and has reached an agent


def _callbacks_served(day: _Day) -> bool:
    answered = [e for e in day.named("OriginateResponse") if e.get("Response") == "Success"]
    served = [channel for channel in day.connected() if "@callback-out" in channel]
    return len(served) >= len(answered)


def _summarise(
    pbx: SimulatedPBX,
    day: _Day,
    callers: list[_Caller],
    uniqueids: list[str],
    results: list[DialResult],
) -> QueueDaySummary:
    traces = [pbx.agi_traces[uniqueid] for uniqueid in uniqueids]
    waits = tuple(
        float(trace.variables["INBOUND_ESTIMATE_S"])
        for trace in traces
        if "INBOUND_ESTIMATE_S" in trace.variables
    )
    offered = sum(1 for trace in traces if any(c.startswith("GET DATA") for c in trace.commands))
    accepted = [
        caller
        for caller, trace in zip(callers, traces, strict=True)
        if trace.variables.get("INBOUND_RESULT") == "callback"
    ]
    connected = day.connected()
    return QueueDaySummary(
        calls=len(traces),
        announced_waits_s=waits,
        offered=offered,
        accepted=len(accepted),
        other_number=sum(1 for caller in accepted if caller.kind == "annat_nummer"),
        completed=len({result.request_id for result in results if result.outcome == "done"}),
        served_callbacks=sum(1 for channel in connected if "@callback-out" in channel),
        served_from_queue=sum(1 for channel in connected if "@callback-out" not in channel),
        dialled=tuple(day.originated()),
        model_seconds=pbx.clock.now(),
    )
