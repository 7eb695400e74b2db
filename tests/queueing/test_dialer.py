from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from ivr.queueing.callbacks import CallbackRequest, RedisCallbackQueue
from ivr.queueing.dialer import CallbackDialer, DialerConfig, OriginateOutcome
from ivr.queueing.hours import OpeningHours
from ivr.store.redis_reply import reply

from .test_callbacks_support import FakeClock, minutes, mobile

QUEUE = "kontaktcenter"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOURS = OpeningHours.parse({"mon-fri": "07:00-19:00", "sat": "10:00-14:00"})
CONFIG = DialerConfig(
    queues=(QUEUE, "bygglov"),
    caller_id='"Kommunen" <0176710000>',
    caller_ids={"norrtalje": '"Norrtälje kommun" <0176710000>'},
    retry_initial_s=300,
    retry_factor=2,
    retry_max_s=3600,
    max_attempts=3,
)

Answer = Callable[[str, int], OriginateOutcome]  # (request id, attempt number from 1) -> outcome


@dataclass
class Originated:
    channel: str
    context: str
    exten: str
    priority: int
    caller_id: str
    variables: Mapping[str, str]
    timeout_s: float


def answered(_request_id: str, _attempt: int) -> OriginateOutcome:
    return OriginateOutcome(answered=True, reason=4, channel="Local/x;1", uniqueid="1.1")


def failing(reason: int) -> Answer:
    def answer(_request_id: str, _attempt: int) -> OriginateOutcome:
        return OriginateOutcome(answered=False, reason=reason)

    return answer


class FakeOriginator:
    def __init__(self, answer: Answer = answered) -> None:
        self.answer = answer
        self.calls: list[Originated] = []
        self.error: Exception | None = None

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int,
        caller_id: str,
        variables: Mapping[str, str],
        timeout_s: float,
    ) -> OriginateOutcome:
        self.calls.append(
            Originated(channel, context, exten, priority, caller_id, dict(variables), timeout_s)
        )
        if self.error is not None:
            raise self.error
        request_id = variables["CALLBACK_ID"]
        return self.answer(request_id, self.attempts(request_id))

    def attempts(self, request_id: str) -> int:
        return sum(call.variables["CALLBACK_ID"] == request_id for call in self.calls)

    def dialled(self) -> list[str]:
        return [call.variables["CALLBACK_ID"] for call in self.calls]


class FakeQueueView:
    def __init__(self) -> None:
        self.free: dict[str, int] = {QUEUE: 1}
        self.waiting: dict[str, list[datetime]] = {}

    async def waiting_since(self, queue: str) -> list[datetime]:
        return list(self.waiting.get(queue, []))

    async def free_agents(self, queue: str) -> int:
        return self.free.get(queue, 0)


@pytest.fixture
def view() -> FakeQueueView:
    return FakeQueueView()


@pytest.fixture
def originator() -> FakeOriginator:
    return FakeOriginator()


@pytest.fixture
def dialer(
    callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator, clock: FakeClock
) -> CallbackDialer:
    return CallbackDialer(CONFIG, callbacks, view, originator, clock, HOURS)


async def add(
    callbacks: RedisCallbackQueue, index: int, place: float, queue: str = QUEUE, tenant: str = "norrtalje"
) -> CallbackRequest:
    result = await callbacks.add(
        tenant=tenant, queue=queue, number=mobile(index), virtual_place=minutes(place)
    )
    return result.request


async def test_an_answered_callback_is_done(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, originator: FakeOriginator
) -> None:
    request = await add(callbacks, 1, place=0)
    results = await dialer.step()
    assert [(result.request_id, result.outcome, result.reason) for result in results] == [
        (request.id, "done", "answered")
    ]
    assert originator.calls == [
        Originated(
            channel="Local/0700000001@callback-out/n",
            context="callback-answered",
            exten="s",
            priority=1,
            caller_id='"Norrtälje kommun" <0176710000>',
            variables={
                "CALLBACK_ID": request.id,
                "CALLBACK_TENANT": "norrtalje",
                "CALLBACK_QUEUE": QUEUE,
                "QUEUE_PRIO": "10",
            },
            timeout_s=30.0,
        )
    ]
    done = await callbacks.get(request.id)
    assert done is not None
    assert (done.status, done.attempts) == ("done", 1)
    assert await dialer.step() == []


async def test_requests_are_dialled_in_queue_order_one_per_free_agent(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator
) -> None:
    late, early, middle = [await add(callbacks, index, place) for index, place in ((1, 9), (2, 1), (3, 5))]
    for expected in (early, middle, late):
        await dialer.step()
        assert originator.dialled()[-1] == expected.id
    assert len(originator.calls) == 3
    await add(callbacks, 4, place=20)
    await add(callbacks, 5, place=21)
    view.free[QUEUE] = 2
    assert [result.outcome for result in await dialer.step()] == ["done", "done"]
    view.free[QUEUE] = 0
    await add(callbacks, 6, place=22)
    assert await dialer.step() == []


async def test_never_ahead_of_callers_who_joined_before(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator
) -> None:
    before = await add(callbacks, 1, place=1)
    after = await add(callbacks, 2, place=3)
    view.free[QUEUE] = 5
    view.waiting[QUEUE] = [minutes(4), minutes(2)]  # the caller who joined at 2 is ahead of `after`
    assert [result.request_id for result in await dialer.step()] == [before.id]
    assert await dialer.step() == []
    view.waiting[QUEUE] = [minutes(4)]  # served
    assert [result.request_id for result in await dialer.step()] == [after.id]
    assert originator.dialled() == [before.id, after.id]


async def test_at_the_head_of_a_busy_queue_a_request_is_dialled_without_a_free_agent(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator
) -> None:
    """Later callers would take every freed agent; the request keeps its place by being dialled now."""
    head = await add(callbacks, 1, place=1)
    second = await add(callbacks, 2, place=2)
    behind = await add(callbacks, 3, place=6)
    view.free[QUEUE] = 0
    view.waiting[QUEUE] = [minutes(5), minutes(7)]  # both joined after `head` and `second`
    assert [result.request_id for result in await dialer.step()] == [head.id]  # one at a time
    assert [result.request_id for result in await dialer.step()] == [second.id]
    assert await dialer.step() == []  # `behind` is after the caller who joined at 5
    view.waiting[QUEUE] = []
    assert await dialer.step() == []  # an empty queue and no free agent: nobody to go ahead of, so wait
    view.free[QUEUE] = 1
    assert [result.request_id for result in await dialer.step()] == [behind.id]
    assert originator.dialled() == [head.id, second.id, behind.id]


async def test_each_queue_keeps_its_own_order(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator
) -> None:
    building = await add(callbacks, 1, place=5, queue="bygglov", tenant="sigtuna")
    await add(callbacks, 2, place=1)
    view.free = {QUEUE: 0, "bygglov": 1}
    view.waiting = {QUEUE: [minutes(0)]}
    assert [result.request_id for result in await dialer.step()] == [building.id]
    assert originator.calls[0].caller_id == '"Kommunen" <0176710000>'  # no caller ID of its own


async def test_busy_and_no_answer_are_retried_with_backoff_then_failed(
    callbacks: RedisCallbackQueue, view: FakeQueueView, clock: FakeClock
) -> None:
    originator = FakeOriginator(failing(5))
    dialer = CallbackDialer(CONFIG, callbacks, view, originator, clock, HOURS)
    request = await add(callbacks, 1, place=0)
    first = await dialer.step()
    assert [(result.outcome, result.reason) for result in first] == [("retry", "busy")]
    assert first[0].request is not None
    assert first[0].request.next_attempt_at == clock.now() + timedelta(minutes=5)
    clock.advance(minutes=4, seconds=59)
    assert await dialer.step() == []
    clock.advance(seconds=1)
    originator.answer = failing(3)
    second = await dialer.step()
    assert [(result.outcome, result.reason) for result in second] == [("retry", "no_answer")]
    assert second[0].request is not None
    assert second[0].request.next_attempt_at == clock.now() + timedelta(minutes=10)  # doubled
    assert second[0].request.virtual_place == request.virtual_place
    clock.advance(minutes=10)
    originator.answer = failing(8)
    third = await dialer.step()
    assert [(result.outcome, result.reason) for result in third] == [("failed", "congestion")]
    assert third[0].request is not None
    assert (third[0].request.status, third[0].request.attempts) == ("failed", 3)
    clock.advance(hours=1)
    assert await dialer.step() == []
    assert len(originator.calls) == 3


async def test_backoff_is_capped(clock: FakeClock) -> None:
    config = replace(CONFIG, retry_initial_s=60, retry_factor=3, retry_max_s=600)
    assert [config.retry_delay(attempts).total_seconds() for attempts in range(1, 6)] == [
        60,
        180,
        540,
        600,
        600,
    ]


async def test_a_failed_originate_reached_no_one_and_does_not_count(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, originator: FakeOriginator, clock: FakeClock
) -> None:
    await add(callbacks, 1, place=0)
    originator.error = ConnectionError("AMI connection lost")
    for _ in range(5):
        results = await dialer.step()
        assert [(result.outcome, result.reason) for result in results] == [("retry", "originate_error")]
        assert results[0].request is not None
        assert results[0].request.attempts == 0
        clock.advance(minutes=5)
    originator.error = None
    assert [result.outcome for result in await dialer.step()] == ["done"]


async def test_an_originate_without_response_times_out(
    callbacks: RedisCallbackQueue, view: FakeQueueView, clock: FakeClock
) -> None:
    class SilentOriginator(FakeOriginator):
        async def originate(self, **fields: object) -> OriginateOutcome:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    config = replace(CONFIG, originate_timeout_s=0.05, originate_grace_s=0.05, lease_s=5)
    dialer = CallbackDialer(config, callbacks, view, SilentOriginator(), clock, HOURS)
    await add(callbacks, 1, place=0)
    results = await asyncio.wait_for(dialer.step(), 2)
    assert [(result.outcome, result.reason) for result in results] == [("retry", "originate_error")]


async def test_nothing_is_dialled_outside_opening_hours(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, originator: FakeOriginator, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 3, 8, 12, 0, tzinfo=STOCKHOLM)  # Sunday
    await add(callbacks, 1, place=0)
    assert await dialer.step() == []
    clock.current = datetime(2026, 3, 9, 6, 59, tzinfo=STOCKHOLM)
    assert await dialer.step() == []
    clock.current = datetime(2026, 3, 9, 18, 55, tzinfo=STOCKHOLM)  # within the closing margin
    assert await dialer.step() == []
    clock.current = datetime(2026, 3, 9, 7, 0, tzinfo=STOCKHOLM)
    assert [result.outcome for result in await dialer.step()] == ["done"]
    assert len(originator.calls) == 1


async def test_a_retry_after_closing_moves_to_the_next_opening(
    callbacks: RedisCallbackQueue, view: FakeQueueView, clock: FakeClock
) -> None:
    originator = FakeOriginator(failing(3))
    dialer = CallbackDialer(CONFIG, callbacks, view, originator, clock, HOURS)
    clock.current = datetime(2026, 3, 6, 18, 52, tzinfo=STOCKHOLM)  # Friday: +5 min is in the closing margin
    await add(callbacks, 1, place=-10)
    results = await dialer.step()
    assert results[0].request is not None
    assert results[0].request.next_attempt_at == datetime(2026, 3, 7, 10, 0, tzinfo=STOCKHOLM)  # Saturday
    clock.current = datetime(2026, 3, 7, 13, 57, tzinfo=STOCKHOLM)
    assert await dialer.step() == []  # Saturday, but within the closing margin
    clock.current = datetime(2026, 3, 7, 10, 0, tzinfo=STOCKHOLM)
    assert [result.reason for result in await dialer.step()] == ["no_answer"]


async def test_requests_expire_counted_from_the_first_opening(
    dialer: CallbackDialer, callbacks: RedisCallbackQueue, view: FakeQueueView, clock: FakeClock
) -> None:
    view.free[QUEUE] = 0  # nobody free: the requests wait
    clock.current = datetime(2026, 3, 6, 20, 0, tzinfo=STOCKHOLM)  # Friday evening, closed
    evening = await add(callbacks, 1, place=0)
    clock.current = datetime(2026, 3, 7, 9, 0, tzinfo=STOCKHOLM)
    morning = await add(callbacks, 2, place=1)
    clock.current = datetime(2026, 3, 8, 9, 59, tzinfo=STOCKHOLM)  # Sunday
    await dialer.step()
    assert [request.id for request in await callbacks.in_queue_order(QUEUE)] == [evening.id, morning.id]
    clock.current = datetime(2026, 3, 8, 10, 0, tzinfo=STOCKHOLM)  # 24 hours after Saturday's opening
    await dialer.step()
    assert await callbacks.in_queue_order(QUEUE) == []
    expired = await callbacks.get(evening.id)
    assert expired is not None
    assert (expired.status, expired.last_reason) == ("expired", "expired")


async def test_a_number_that_fails_validation_is_never_dialled(
    dialer: CallbackDialer,
    callbacks: RedisCallbackQueue,
    originator: FakeOriginator,
    redis: Redis,
    prefix: str,
) -> None:
    request = await add(callbacks, 1, place=0)
    tampered = {"e164": "+46900123456", "national": "0900123456", "dial": "0900123456"}
    await reply(redis.hset(f"{prefix}:request:{request.id}", mapping=tampered))
    results = await dialer.step()
    assert [(result.outcome, result.reason) for result in results] == [
        ("failed", "invalid_number:premium_rate")
    ]
    assert originator.calls == []


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="digits"):
        DialerConfig(queues=(QUEUE,), channel_template="Local/0701234567@out")
    with pytest.raises(ValueError, match="only"):
        DialerConfig(queues=(QUEUE,), channel_template="Local/{digits}@{trunk}")
    with pytest.raises(ValueError, match="lease_s"):
        DialerConfig(queues=(QUEUE,), originate_timeout_s=60, lease_s=60)
    with pytest.raises(ValueError, match="queue"):
        DialerConfig(queues=("kö 1",))
    with pytest.raises(ValueError, match="at least one queue"):
        DialerConfig(queues=())
    with pytest.raises(ValueError, match="max_attempts"):
        DialerConfig(queues=(QUEUE,), max_attempts=0)


async def test_run_dials_until_stopped(
    callbacks: RedisCallbackQueue, view: FakeQueueView, originator: FakeOriginator, clock: FakeClock
) -> None:
    dialer = CallbackDialer(replace(CONFIG, poll_interval_s=0.01), callbacks, view, originator, clock, HOURS)
    view.free[QUEUE] = 3
    requests = [await add(callbacks, index, place=index) for index in range(3)]
    stop = asyncio.Event()
    running = asyncio.create_task(dialer.run(stop))
    for _ in range(200):
        if len(originator.calls) == 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 2)
    assert sorted(originator.dialled()) == sorted(request.id for request in requests)


async def test_the_lease_is_renewed_while_the_phone_rings(
    callbacks: RedisCallbackQueue, view: FakeQueueView, clock: FakeClock, redis: Redis, prefix: str
) -> None:
    lease_ends: list[float | None] = []

    class RingingOriginator(FakeOriginator):
        async def originate(self, **fields: object) -> OriginateOutcome:
            for _ in range(3):
                lease_ends.append(await redis.zscore(f"{prefix}:leases:{QUEUE}", request.id))
                await asyncio.sleep(0.12)
            return OriginateOutcome(answered=True, reason=4)

    config = replace(
        CONFIG, originate_timeout_s=0.2, originate_grace_s=0.2, lease_s=0.45
    )  # renewed every 0.15 s
    dialer = CallbackDialer(config, callbacks, view, RingingOriginator(), clock, HOURS)
    request = await add(callbacks, 1, place=0)
    assert [result.outcome for result in await dialer.step()] == ["done"]
    assert lease_ends[0] is not None
    assert lease_ends[-1] is not None
    assert lease_ends[-1] > lease_ends[0]
