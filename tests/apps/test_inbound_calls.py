"""`/inbound` end to end over the simulated Asterisk: place and wait, the callback offer, the read-back,
another number, an invalid one, a hang-up during the read-back, closed hours. Requests land in real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from queueing.test_callbacks_support import redis_for_test
from sqlalchemy import select
from sqlmodel import Session

from ivr.apps.runtime import BotRuntime, QueueRooms
from ivr.queueing.callbacks import CallbackRequest, RedisCallbackQueue
from ivr.queueing.config import InboundConfig
from ivr.queueing.handling import HandlingStats, RedisHandlingStore
from ivr.queueing.snapshot import QueueSnapshot, snapshot_from_queue_status
from ivr.settings import Settings
from ivr.sim.asterisk import CallTrace, SimulatedAsterisk
from ivr.sim.caller import Action, Caller, HangUp, Press, Silence
from ivr.sim.sounds import SoundLibrary
from ivr.store.database import Database
from ivr.store.tables import InboundCall

QUEUE = "kontaktcenter"
MONDAY_NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 12:00 in Stockholm: open
SATURDAY = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # closed; opens Monday 07:00
ANNOUNCEMENT_DAY = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday: closed, but the notice is valid


class FakeInsight:
    """A queue with `agents` members on calls and `waiting` callers ahead."""

    def __init__(self, stats: HandlingStats, *, agents: int, busy: int, waiting: int) -> None:
        self.stats_value = stats
        self.agents, self.busy, self.waiting = agents, busy, waiting

    async def snapshot(self, queue: str) -> QueueSnapshot | None:
        params = {"Event": "QueueParams", "Queue": queue, "Calls": str(self.waiting), "Holdtime": "60"}
        members = [
            {
                "Event": "QueueMember",
                "Queue": queue,
                "Location": f"Local/m{n}@agents/n",
                "StateInterface": f"Local/m{n}@agents/n",
                "Status": "2" if n < self.busy else "1",
                "InCall": "1" if n < self.busy else "0",
                "Paused": "0",
                "LastCall": "0",
                "LastPause": "0",
            }
            for n in range(self.agents)
        ]
        entries = [
            {
                "Event": "QueueEntry",
                "Queue": queue,
                "Position": str(n + 1),
                "Wait": "30",
                "Uniqueid": f"9.{n}",
            }
            for n in range(self.waiting)
        ]
        return snapshot_from_queue_status(params, members, entries, taken_at=MONDAY_NOON.timestamp())

    async def stats(self, queue: str) -> HandlingStats:
        return self.stats_value


@pytest.fixture
def prefix() -> str:
    return f"test-inbound-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    async with redis_for_test(prefix) as client:  # fails clearly without Redis; removes prefix:* afterwards
        yield client


@pytest.fixture
def callbacks(redis: aioredis.Redis, prefix: str) -> RedisCallbackQueue:
    return RedisCallbackQueue(redis, prefix=f"{prefix}:callbacks")


async def start_bot(
    settings: Settings,
    callbacks: RedisCallbackQueue,
    redis: aioredis.Redis,
    prefix: str,
    now: datetime,
    **queue: int,
) -> BotRuntime:
    stats = await RedisHandlingStore(redis, prefix).stats(QUEUE)
    insight = FakeInsight(stats, **{"agents": 2, "busy": 2, "waiting": 3, **queue})
    runtime = BotRuntime(settings, queues=QueueRooms(insight, callbacks, clock=lambda: now))
    await runtime.start("127.0.0.1", 0)
    return runtime


async def inbound_call(
    settings: Settings,
    callbacks: RedisCallbackQueue,
    redis: aioredis.Redis,
    prefix: str,
    actions: list[Action],
    *,
    now: datetime = MONDAY_NOON,
    callerid: str | None = "0701234567",
    **queue: int,
) -> tuple[CallTrace, list[CallbackRequest], BotRuntime]:
    runtime = await start_bot(settings, callbacks, redis, prefix, now, **queue)
    try:
        sim = SimulatedAsterisk(
            "127.0.0.1", runtime.port, sounds=SoundLibrary([settings.effective_prompts_dir])
        )
        trace = await sim.place_call(
            f"inbound?tenant=norrtalje&queue={QUEUE}", Caller(actions), callerid=callerid
        )
    finally:
        await runtime.stop()
    return trace, await callbacks.in_queue_order(QUEUE), runtime


def said(runtime: BotRuntime, trace: CallTrace, name: str) -> bool:
    """Whether the prompt called `name` was played or used to ask in this call."""
    config = runtime.dialogs.document("inbound", "norrtalje", InboundConfig)
    path = runtime.prompts.resolve(config.text(name))
    assert path is not None, f"{name} was not rendered"
    return any(str(path) in command for command in trace.commands)


async def test_a_long_wait_is_announced_and_a_callback_on_the_own_number_is_booked(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    trace, requests, runtime = await inbound_call(
        settings, callbacks, redis, prefix, [Press("1"), Press("1")]
    )

    assert trace.variables["INBOUND_POSITION"] == "4"
    assert int(trace.variables["INBOUND_ESTIMATE_S"]) > 240
    assert trace.variables["INBOUND_RESULT"] == "callback"
    assert said(runtime, trace, "callback_offer")
    assert said(runtime, trace, "confirmed")
    position = runtime.prompts.resolve(
        runtime.dialogs.document("inbound", "x", InboundConfig).text("readback")
    )
    readback = next(c for c in trace.commands if c.startswith("EXEC Playback") and str(position) in c)
    assert readback.count("&") == 10  # the sentence and ten digits
    [request] = requests
    assert (request.number.e164, request.tenant, request.queue) == ("+46701234567", "norrtalje", QUEUE)
    assert request.virtual_place == MONDAY_NOON
    assert trace.hangup_by == "bot"


async def test_declining_or_staying_silent_goes_on_to_the_queue(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    for answer in (Press("2"), Silence()):
        trace, requests, _ = await inbound_call(settings, callbacks, redis, prefix, [answer])
        assert trace.variables["INBOUND_RESULT"] == "queue"
        assert requests == []
        assert trace.bot_closed
        assert not trace.caller_hung_up


async def test_a_short_wait_gets_no_offer(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    trace, requests, runtime = await inbound_call(settings, callbacks, redis, prefix, [], busy=0, waiting=0)
    assert requests == []
    assert trace.variables["INBOUND_POSITION"] == "1"
    assert trace.variables["INBOUND_ESTIMATE_S"] == "0"
    assert not said(runtime, trace, "callback_offer")
    assert trace.variables["INBOUND_RESULT"] == "queue"


async def test_another_number_is_read_back_and_confirmed(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    actions: list[Action] = [Press("1"), Press("0709876543#"), Press("1")]
    _, [request], _ = await inbound_call(settings, callbacks, redis, prefix, actions)
    assert request.number.e164 == "+46709876543"


async def test_an_invalid_number_is_refused_and_the_own_number_kept(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    actions: list[Action] = [Press("1"), Press("0900123456#"), Press("1")]
    trace, [request], runtime = await inbound_call(settings, callbacks, redis, prefix, actions)
    assert said(runtime, trace, "invalid_number")
    assert request.number.e164 == "+46701234567"


async def test_a_hidden_number_is_asked_for(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    actions: list[Action] = [Press("1"), Press("0181234567#"), Press("1")]
    trace, [request], runtime = await inbound_call(
        settings, callbacks, redis, prefix, actions, callerid="anonymous"
    )
    assert said(runtime, trace, "ask_number")
    assert request.number.e164 == "+46181234567"


async def test_a_hang_up_during_the_read_back_books_nothing(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    trace, requests, _ = await inbound_call(
        settings, callbacks, redis, prefix, [Press("1"), HangUp(during_prompt=True)]
    )
    assert requests == []
    assert "INBOUND_RESULT" not in trace.variables
    assert trace.bot_closed


async def test_closed_hours_offer_a_callback_at_the_next_opening(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    trace, [request], runtime = await inbound_call(
        settings, callbacks, redis, prefix, [Press("1"), Press("1")], now=SATURDAY
    )
    assert said(runtime, trace, "closed")
    assert said(runtime, trace, "closed_callback_offer")
    assert request.virtual_place == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm
    assert trace.variables["INBOUND_RESULT"] == "callback"


async def test_an_active_announcement_is_played_first(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    trace, _, runtime = await inbound_call(
        settings, callbacks, redis, prefix, [Silence()], now=ANNOUNCEMENT_DAY
    )
    config = runtime.dialogs.document("inbound", "norrtalje", InboundConfig)
    [notice] = config.active_announcements(QUEUE, ANNOUNCEMENT_DAY)
    path = runtime.prompts.resolve(next(p for p in config.prompts() if p.name == "announcement.vatten-rimbo"))
    assert notice.id == "vatten-rimbo"
    assert path is not None
    first_playback = next(c for c in trace.commands if c.startswith("EXEC Playback"))
    assert str(path) in first_playback
    assert trace.variables["INBOUND_RESULT"] == "closed"


def test_the_shipped_inbound_settings_say_what_they_should() -> None:
    from ivr.apps.documents import operator_registry

    registry = operator_registry(Path(__file__).resolve().parents[2] / "dialogs")
    registry.load()
    config = registry.document("inbound", "default", InboundConfig)
    assert config.queue(QUEUE).callback_offer_above_s == 240
    assert config.queue(QUEUE).hours().is_open(MONDAY_NOON)
    assert not config.queue(QUEUE).hours().is_open(SATURDAY)


async def test_the_answered_callback_is_greeted_in_the_municipalitys_name(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    inbound_yaml = settings.dialogs_dir / "default" / "inbound.yaml"
    inbound_yaml.write_text(
        inbound_yaml.read_text().replace("municipality: kommunen", "municipality: Norrtälje kommun")
    )
    runtime = await start_bot(settings, callbacks, redis, prefix, MONDAY_NOON)
    try:
        config = runtime.dialogs.document("inbound", "norrtalje", InboundConfig)
        greeting = config.text("callback_greeting")
        assert greeting.text.startswith("Hej, det här är Norrtälje kommun som ringer upp dig")
        runtime.prompts.build([greeting])
        sim = SimulatedAsterisk(
            "127.0.0.1", runtime.port, sounds=SoundLibrary([settings.effective_prompts_dir])
        )
        trace = await sim.place_call("callback?tenant=norrtalje&id=abc", Caller([]))
    finally:
        await runtime.stop()
    assert trace.commands[:2] == ["ANSWER", f'STREAM FILE {runtime.prompts.resolve(greeting)} ""']
    assert trace.bot_closed
    assert not trace.caller_hung_up  # the dialplan goes on to the queue


def test_a_stray_brace_in_a_text_is_a_clear_error(tmp_path: Path) -> None:
    from ivr.dialog.loader import read_model

    path = tmp_path / "inbound.yaml"
    path.write_text("id: x\npurpose: inbound\nqueues: {kc: {}}\ntexts:\n  confirmed: Tack {namn}!\n")
    config, problems = read_model(path, InboundConfig)
    assert config is None
    assert [str(p).split("inbound.yaml:")[1] for p in problems] == [
        "5:14: the only placeholder is {kommun}; found 'namn' (write {{ for a brace)"
    ]


def inbound_rows(settings: Settings) -> list[InboundCall]:
    database = Database(settings.effective_database_url)
    try:
        with Session(database.engine) as session:
            return list(session.scalars(select(InboundCall)))
    finally:
        database.dispose()


async def test_each_call_is_recorded_with_what_it_was_told_offered_and_chose(
    settings: Settings, callbacks: RedisCallbackQueue, redis: aioredis.Redis, prefix: str
) -> None:
    # The simulator gives each call the same uniqueid: each call's row replaces the one before.
    trace, _, _ = await inbound_call(settings, callbacks, redis, prefix, [Press("1"), Press("1")])
    [booked] = inbound_rows(settings)
    await inbound_call(settings, callbacks, redis, prefix, [Press("1"), HangUp(during_prompt=True)])
    [hung_up] = inbound_rows(settings)
    await inbound_call(settings, callbacks, redis, prefix, [Silence()], now=SATURDAY)
    [closed] = inbound_rows(settings)

    assert (booked.tenant, booked.queue, booked.arrived_at) == ("norrtalje", QUEUE, MONDAY_NOON)
    assert (booked.position, booked.result, booked.outcome) == (4, "callback", "unknown")
    assert booked.announced_wait_s is not None
    assert round(booked.announced_wait_s) == int(trace.variables["INBOUND_ESTIMATE_S"])
    assert (booked.offered_callback, booked.callback_accepted) == (True, True)
    assert (hung_up.result, hung_up.offered_callback, hung_up.callback_accepted) == ("hangup", True, True)
    assert (closed.result, closed.position, closed.announced_wait_s) == ("closed", None, None)
    assert (closed.offered_callback, closed.callback_accepted) == (True, False)
