"""Callbacks end to end: requests in real Redis, the simulated PBX with a queue and an agent, and the dialer
with the real AMI client, LiveQueues and AmiOriginator. Then the `ivr callbacks run` service itself: it
dials, rides out a lost AMI connection, stops on SIGTERM, and refuses to start with a message that says what
to check."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from queueing.test_callbacks_support import REDIS_URL, mobile, redis_for_test, unique_prefix
from queueing.test_live_support import (
    EPOCH,
    SAFETY_S,
    CuttableProxy,
    PbxRecorder,
    ami_client,
    eventually,
    running,
)
from redis.asyncio import Redis

from ivr.apps.callbacks import (
    CallbacksError,
    CallbackService,
    callback_queue_prefix,
    queue_plans,
    read_inbound_configs,
)
from ivr.cli import main
from ivr.queueing.callbacks import CallbackRequest, RedisCallbackQueue
from ivr.queueing.config import InboundConfig
from ivr.queueing.dialer import CallbackDialer, DialerConfig, DialResult
from ivr.queueing.handling import RedisHandlingStore
from ivr.queueing.hours import OpeningHours
from ivr.queueing.live import LiveQueues
from ivr.queueing.originator import AmiOriginator
from ivr.settings import Settings
from ivr.sim.ami import Agent, AmiUser, Answers, Busy, CallerId, Fixed, JoinQueue, QueueConfig, SimulatedPBX
from ivr.store.callbacks import CallbackRecords

ANNA = "Local/anna@agents/n"
HOURS = OpeningHours.parse({"mon-fri": "07:00-19:00"})
ALWAYS_OPEN = {"weekly": {"mon-sun": "00:00-24:00"}}


class ModelTime:
    """The dialer's clock: the PBX's model time as a datetime."""

    def __init__(self, pbx: SimulatedPBX) -> None:
        self._pbx = pbx

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._pbx.clock.epoch(), UTC)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, UTC)


def contact_centre(*, wrapup_s: int = 0, seed: int = 5) -> SimulatedPBX:
    """Queue kc with Anna (answers after 2 s, talks 60 s); the dialplan of the inbound and callback calls."""
    pbx = SimulatedPBX(epoch=EPOCH, seed=seed)
    agent = Agent(ANNA, "Anna", answers_after_s=2.0)
    pbx.add_queue(QueueConfig("kc", members=(agent,), talk=Fixed(60.0), wrapup_s=wrapup_s))
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    pbx.dialplan.add_context("callback-answered", JoinQueue("kc", priority=10))
    return pbx


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    async with redis_for_test(prefix) as client:
        yield client


@dataclass
class Rig:
    pbx: SimulatedPBX
    recorder: PbxRecorder
    live: LiveQueues
    dialer: CallbackDialer
    callbacks: RedisCallbackQueue

    async def dial_round(
        self, *, ring_s: float, while_ringing: Callable[[], None] | None = None
    ) -> list[DialResult]:
        """One dialer round at the current model time; when it places calls, `ring_s` of model time passes."""
        await self.live.caught_up()
        before = len(self.recorder.originated())
        round_ = asyncio.create_task(self.dialer.step())
        dialled = asyncio.create_task(
            self.recorder.wait_for(lambda: len(self.recorder.originated()) > before)
        )
        await asyncio.wait([round_, dialled], return_when=asyncio.FIRST_COMPLETED)
        dialled.cancel()
        if not round_.done():
            if while_ringing is not None:
                while_ringing()
            await self.pbx.advance(ring_s)
        return await round_

    def dialled_numbers(self) -> list[str]:
        """The national number of each Originate, in order."""
        channels = [event.get("DestChannel") or "" for event in self.recorder.originated()]
        return [channel.removeprefix("Local/").partition("@")[0] for channel in channels]

    def served(self) -> list[str]:
        """The caller channel of each AgentConnect, in order."""
        return [event.get("Channel") or "" for event in self.recorder.named("AgentConnect")]


async def add_request(callbacks: RedisCallbackQueue, index: int, place_s: float) -> CallbackRequest:
    added = await callbacks.add(
        tenant="norrtalje",
        queue="kc",
        number=mobile(index),
        virtual_place=at(place_s),
        requested_at=at(place_s + 30.0),
    )
    return added.request


def caller(pbx: SimulatedPBX, number: str) -> str:
    return pbx.inbound_call("kc-in", callerid=CallerId(number, None)).near.name


async def test_callbacks_are_dialled_in_order_behind_earlier_callers_and_served_with_priority(
    redis: Redis, prefix: str
) -> None:
    pbx = contact_centre(wrapup_s=20)
    recorder = PbxRecorder(pbx)
    clock = ModelTime(pbx)
    callbacks = RedisCallbackQueue(redis, prefix, clock=clock)
    config = DialerConfig(queues=("kc",), retry_initial_s=120.0, caller_id='"Norrtälje kommun" <0176710000>')
    pbx.dialplan.add_number(mobile(1).national, Answers(after_s=4.0))
    pbx.dialplan.add_number(mobile(2).national, Busy())
    pbx.dialplan.add_number(mobile(3).national, Answers(after_s=4.0))
    async with running(pbx) as port, ami_client(port) as ami:
        live = LiveQueues(ami, RedisHandlingStore(redis, prefix), ["kc"], clock=pbx.clock.epoch)
        await live.start()
        try:
            dialer = CallbackDialer(config, callbacks, live, AmiOriginator(ami), clock, HOURS)
            rig = Rig(pbx, recorder, live, dialer, callbacks)

            first_caller = caller(pbx, "0701000000")  # Anna answers at 2 s, hangs up at 62 s: wrap-up to 82 s
            await pbx.advance(5.0)
            earlier_caller = caller(pbx, "0701000005")  # joined at 5 s, before every request
            await pbx.advance(58.0)
            one = await add_request(callbacks, 1, place_s=10.0)
            busy = await add_request(callbacks, 2, place_s=20.0)
            three = await add_request(callbacks, 3, place_s=30.0)

            # 63 s: Anna is free (in wrap-up) but a caller who joined before every request still waits
            await live.caught_up()
            assert (await live.free_agents("kc"), await live.waiting_since("kc")) == (1, [at(5.0)])
            assert await rig.dial_round(ring_s=0.0) == []

            await pbx.advance(87.0)  # 150 s: the earlier caller was served (84-144 s); Anna in wrap-up
            later: list[str] = []
            results = await rig.dial_round(
                ring_s=4.0, while_ringing=lambda: later.append(caller(pbx, "0701000150"))
            )
            assert [(result.request_id, result.outcome) for result in results] == [(one.id, "done")]
            joined = recorder.named("QueueCallerJoin")[-1]
            assert (joined.get("Channel") or "").startswith(f"Local/{mobile(1).national}@callback-out-")
            assert (joined.get("Position"), joined.get("Count")) == ("1", "2")  # ahead of the later caller

            await pbx.advance(250.0)  # 404 s: the callback and the later caller were served; Anna is free
            results = await rig.dial_round(ring_s=0.0)
            assert [(result.request_id, result.outcome, result.reason) for result in results] == [
                (busy.id, "retry", "busy")
            ]
            results = await rig.dial_round(ring_s=4.0)
            assert [(result.request_id, result.outcome) for result in results] == [(three.id, "done")]

            await pbx.advance(96.0)  # 504 s: the busy number is not due again before 524 s
            assert await rig.dial_round(ring_s=0.0) == []
            await pbx.advance(26.0)
            pbx.dialplan.add_number(mobile(2).national, Answers(after_s=4.0))
            results = await rig.dial_round(ring_s=4.0)
            assert [(result.request_id, result.outcome) for result in results] == [(busy.id, "done")]
            await pbx.advance(120.0)
        finally:
            await live.stop()

    assert rig.dialled_numbers() == [mobile(n).national for n in (1, 2, 3, 2)]
    citizens = {n: f"Local/{mobile(n).national}@callback-out-" for n in (1, 2, 3)}
    served = rig.served()
    assert served[:2] == [first_caller, earlier_caller]
    assert served[2].startswith(citizens[1])
    assert served[3] == later[0]
    assert served[4].startswith(citizens[3])
    assert served[5].startswith(citizens[2])
    retried = await callbacks.get(busy.id)
    assert retried is not None
    assert (retried.status, retried.attempts, retried.last_reason) == ("done", 2, "answered")


# -- the service ---------------------------------------------------------------------------------------------


def write_inbound(dialogs: Path, tenant: str, queues: dict[str, object]) -> None:
    directory = dialogs / tenant
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["id: inkommande", "purpose: inbound", "queues:"]
    lines += [f"  {queue}: {{opening_hours: {hours}}}" for queue, hours in queues.items()]
    (directory / "inbound.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def service_settings(tmp_path: Path, prefix: str, ami_port: int, **overrides: object) -> Settings:
    dialogs = tmp_path / "dialogs"
    write_inbound(dialogs, "norrtalje", {"kc": ALWAYS_OPEN})
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "dialogs_dir": dialogs,
        "database_url": f"sqlite:///{tmp_path / 'ivr.db'}",
        "redis_url": REDIS_URL,
        "redis_prefix": prefix,
        "ami_port": ami_port,
        "ami_user": "admin",
        "ami_secret": "test-secret",
        "ami_ping_interval_s": 600.0,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]  # names checked by pydantic


async def wait_until_done(callbacks: RedisCallbackQueue, request_id: str) -> CallbackRequest:
    async def done() -> CallbackRequest | None:
        request = await callbacks.get(request_id)
        return request if request is not None and request.status == "done" else None

    await eventually(done)
    request = await done()
    assert request is not None
    return request


async def test_the_service_dials_rides_out_a_lost_ami_connection_and_records_in_sql(
    tmp_path: Path, redis: Redis, prefix: str
) -> None:
    pbx = SimulatedPBX(seed=9)  # model time starts now: the requests are made in real time
    pbx.add_queue(QueueConfig("kc", members=(Agent(ANNA, "Anna", answers_after_s=2.0),), talk=Fixed(60.0)))
    pbx.dialplan.add_context("callback-answered", JoinQueue("kc", priority=10))
    pbx.dialplan.add_number(mobile(7).national, Answers())
    pbx.dialplan.add_number(mobile(8).national, Answers())
    recorder = PbxRecorder(pbx)
    async with running(pbx) as port:
        proxy = CuttableProxy(port)
        settings = service_settings(tmp_path, prefix, await proxy.start())
        service = CallbackService(settings, poll_interval_s=0.01)
        await service.start()
        stop = asyncio.Event()
        running_service = asyncio.create_task(service.run(stop))
        try:
            callbacks = RedisCallbackQueue(redis, callback_queue_prefix(settings))
            now = datetime.now(UTC)
            first = await callbacks.add(
                tenant="norrtalje", queue="kc", number=mobile(7), virtual_place=now - timedelta(minutes=2)
            )
            done = await wait_until_done(callbacks, first.request.id)
            assert (done.attempts, done.last_reason) == (1, "answered")
            await pbx.advance(3.0)  # Anna answers the citizen
            await recorder.wait_for(lambda: recorder.named("AgentConnect"))

            assert service.ami is not None
            proxy.cut()
            await eventually(lambda: service.ami is not None and not service.ami.connected)
            second = await callbacks.add(
                tenant="norrtalje", queue="kc", number=mobile(8), virtual_place=now - timedelta(minutes=1)
            )
            await pbx.advance(60.0)  # Anna is free again, but nobody can see it
            proxy.restore()
            await wait_until_done(callbacks, second.request.id)
        finally:
            stop.set()
            await running_service
            await service.close()
            await proxy.close()

    dialled = [(event.get("DestChannel") or "").partition("@")[0] for event in recorder.originated()]
    assert dialled == [f"Local/{mobile(7).national}", f"Local/{mobile(8).national}"]
    records = CallbackRecords(settings.effective_database_url)
    try:
        rows = records.find(queue="kc")
    finally:
        records.close()
    assert [(str(row.id), row.status, row.attempts) for row in rows] == [
        (first.request.id, "done", 1),
        (second.request.id, "done", 1),
    ]


async def test_a_login_refused_on_reconnect_ends_the_service_with_what_to_check(
    tmp_path: Path, redis: Redis, prefix: str
) -> None:
    pbx = contact_centre()
    async with running(pbx) as port:
        proxy = CuttableProxy(port)
        settings = service_settings(tmp_path, prefix, await proxy.start())
        service = CallbackService(settings, poll_interval_s=0.01)
        await service.start()
        try:
            pbx.ami.users[0] = AmiUser("admin", "changed-secret")  # the password changed in manager.conf
            proxy.cut()
            proxy.restore()
            with pytest.raises(CallbacksError) as ended:
                async with asyncio.timeout(SAFETY_S):  # a safety net, not a measurement
                    await service.run(asyncio.Event())
        finally:
            await service.close()
            await proxy.close()

    message = str(ended.value)
    assert "ended for good" in message
    assert "check IVR_AMI_USER and IVR_AMI_SECRET" in message


async def test_sigterm_stops_the_command(tmp_path: Path, redis: Redis, prefix: str) -> None:
    pbx = contact_centre()
    async with running(pbx) as port, ami_client(port) as watcher:
        settings = service_settings(tmp_path, prefix, port)
        environment = os.environ | {
            "IVR_DIALOGS_DIR": str(settings.dialogs_dir),
            "IVR_DATA_DIR": str(settings.data_dir),
            "IVR_DATABASE_URL": settings.database_url,
            "IVR_REDIS_URL": REDIS_URL,
            "IVR_REDIS_PREFIX": prefix,
            "IVR_AMI_PORT": str(port),
            "IVR_AMI_USER": "admin",
            "IVR_AMI_SECRET": "test-secret",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ivr.cli",
            "callbacks",
            "run",
            env=environment,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        ready = b""
        async with asyncio.timeout(30.0):  # a safety net for a broken start, not a measurement
            while b"callback dialers ready" not in ready and not process.stderr.at_eof():
                ready += await process.stderr.readline()
        assert b"callback dialers ready for kc" in ready
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30.0):
            rest = await process.stderr.read()
            code = await process.wait()
        await watcher.ping()

    assert code == 0, rest.decode()
    assert b"callback dialers stopped" in rest


async def test_a_wrong_ami_password_says_what_to_check(tmp_path: Path, redis: Redis, prefix: str) -> None:
    pbx = contact_centre()
    async with running(pbx) as port:
        service = CallbackService(service_settings(tmp_path, prefix, port, ami_secret="wrong"))
        with pytest.raises(CallbacksError) as refused:
            await service.start()

    message = str(refused.value)
    assert "refused the AMI login" in message
    assert "IVR_AMI_USER and IVR_AMI_SECRET" in message
    assert "manager.conf" in message
    assert (service.redis, service.ami, service.records) == (None, None, None)  # closed again


async def test_unreachable_asterisk_says_what_to_check(tmp_path: Path, redis: Redis, prefix: str) -> None:
    service = CallbackService(service_settings(tmp_path, prefix, 1))
    with pytest.raises(CallbacksError, match=r"cannot reach Asterisk's AMI at 127\.0\.0\.1:1 .*IVR_AMI_HOST"):
        await service.start()


def test_the_command_names_a_dead_redis(tmp_path: Path) -> None:
    write_inbound(tmp_path / "dialogs", "norrtalje", {"kc": ALWAYS_OPEN})
    environment = {
        "IVR_DIALOGS_DIR": str(tmp_path / "dialogs"),
        "IVR_DATA_DIR": str(tmp_path / "data"),
        "IVR_REDIS_URL": "redis://:hemligt@127.0.0.1:1/0",
    }
    result = CliRunner().invoke(main, ["callbacks", "run"], env=environment)

    assert result.exit_code == 1
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in result.output
    assert "check IVR_REDIS_URL" in result.output
    assert "hemligt" not in result.output


async def test_without_inbound_settings_there_is_nothing_to_dial(tmp_path: Path, prefix: str) -> None:
    settings = service_settings(tmp_path, prefix, 5038, dialogs_dir=tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CallbacksError, match="no queue to dial for"):
        await CallbackService(settings).start()


def test_queues_and_hours_come_from_every_tenants_inbound_settings(tmp_path: Path) -> None:
    dialogs = tmp_path / "dialogs"
    weekdays = {"weekly": {"mon-fri": "07:00-19:00"}}
    write_inbound(dialogs, "norrtalje", {"kontaktcenter": weekdays, "bygglov": ALWAYS_OPEN})
    write_inbound(dialogs, "rimbo", {"kontaktcenter": weekdays})
    (dialogs / "broken").mkdir()
    (dialogs / "broken" / "inbound.yaml").write_text("id: x\nqueues: {}\n", encoding="utf-8")

    plans = queue_plans(read_inbound_configs(dialogs))

    assert [(plan.queue, plan.tenants) for plan in plans] == [
        ("bygglov", ("norrtalje",)),
        ("kontaktcenter", ("norrtalje", "rimbo")),
    ]
    assert plans[1].hours == OpeningHours.from_config(weekdays)


def test_one_queue_with_two_sets_of_hours_is_refused() -> None:
    def config(hours: Mapping[str, object]) -> InboundConfig:
        return InboundConfig.model_validate({"id": "inkommande", "queues": {"kc": {"opening_hours": hours}}})

    with pytest.raises(CallbacksError, match=r"different opening hours in norrtalje/inbound\.yaml and rimbo"):
        queue_plans(
            {"norrtalje": config(ALWAYS_OPEN), "rimbo": config({"weekly": {"mon-fri": "08:00-16:00"}})}
        )
