from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ivr.queueing.callbacks import (
    CallbackRequest,
    LeaseLost,
    RedisCallbackQueue,
    UnknownRequest,
    WrongStatus,
)
from ivr.store.callbacks import CallbackRecords, CallbackState
from ivr.store.database import Database
from ivr.store.migrations import upgrade

from .test_callbacks_support import FakeClock, minutes, mobile

QUEUE = "kontaktcenter"


async def add(callbacks: RedisCallbackQueue, index: int, place: float, queue: str = QUEUE) -> CallbackRequest:
    result = await callbacks.add(
        tenant="norrtalje", queue=queue, number=mobile(index), virtual_place=minutes(place)
    )
    assert result.created
    return result.request


async def test_a_new_request_waits_and_is_due_at_once(
    callbacks: RedisCallbackQueue, clock: FakeClock
) -> None:
    request = await add(callbacks, 1, place=-3)
    assert uuid.UUID(request.id)
    assert (request.tenant, request.queue, request.status, request.attempts, request.version) == (
        "norrtalje",
        QUEUE,
        "waiting",
        0,
        1,
    )
    assert request.number == mobile(1)
    assert request.virtual_place == minutes(-3)
    assert request.requested_at == request.next_attempt_at == clock.now()
    assert await callbacks.get(request.id) == request
    assert await callbacks.get(str(uuid.uuid4())) is None


async def test_adding_again_while_active_returns_the_same_request(callbacks: RedisCallbackQueue) -> None:
    first = await add(callbacks, 1, place=0)
    again = await callbacks.add(tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=minutes(5))
    assert not again.created
    assert again.request == first  # the earlier place is kept
    other_queue = await callbacks.add(
        tenant="norrtalje", queue="bygglov", number=mobile(1), virtual_place=minutes(5)
    )
    assert other_queue.created
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=1)
    assert claim is not None
    while_dialling = await callbacks.add(
        tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=minutes(5)
    )
    assert while_dialling.request.id == first.id
    await callbacks.complete(claim)
    after_done = await callbacks.add(
        tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=minutes(9)
    )
    assert after_done.created
    assert after_done.request.id != first.id


async def test_requests_are_listed_and_claimed_in_virtual_place_order(callbacks: RedisCallbackQueue) -> None:
    places = {1: 5.0, 2: -10.0, 3: 2.5, 4: 0.0}
    added = {index: await add(callbacks, index, place) for index, place in places.items()}
    in_order = [added[index].id for index in (2, 4, 3, 1)]
    assert [request.id for request in await callbacks.in_queue_order(QUEUE)] == in_order
    claimed = []
    while (claim := await callbacks.claim_next(QUEUE, lease_s=30, free_agents=10)) is not None:
        claimed.append(claim.request.id)
        assert claim.request.status == "dialling"
    assert claimed == in_order
    assert await callbacks.in_queue_order("another-queue") == []


async def test_nothing_is_claimed_past_the_latest_place(callbacks: RedisCallbackQueue) -> None:
    early = await add(callbacks, 1, place=0)
    await add(callbacks, 2, place=10)
    assert await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5, latest_place=minutes(-1)) is None
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5, latest_place=minutes(0))
    assert claim is not None
    assert claim.request.id == early.id
    assert await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5, latest_place=minutes(9.99)) is None


async def test_claims_in_flight_are_bounded_by_the_free_agents(callbacks: RedisCallbackQueue) -> None:
    for index in range(4):
        await add(callbacks, index, place=index)
    assert await callbacks.claim_next(QUEUE, lease_s=30, free_agents=0) is None
    first = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=2)
    second = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=2)
    assert first is not None
    assert second is not None
    assert await callbacks.claim_next(QUEUE, lease_s=30, free_agents=2) is None
    await callbacks.complete(first)
    assert await callbacks.claim_next(QUEUE, lease_s=30, free_agents=2) is not None


async def test_a_request_not_yet_due_lets_the_next_one_go(
    callbacks: RedisCallbackQueue, clock: FakeClock
) -> None:
    first = await add(callbacks, 1, place=0)
    second = await add(callbacks, 2, place=1)
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert claim is not None
    retry_at = clock.now() + timedelta(minutes=5)
    rescheduled = await callbacks.reschedule(claim, not_before=retry_at, reason="busy")
    assert (rescheduled.status, rescheduled.attempts, rescheduled.last_reason) == ("waiting", 1, "busy")
    assert rescheduled.next_attempt_at == retry_at
    assert rescheduled.virtual_place == first.virtual_place  # keeps its place
    next_claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert next_claim is not None
    assert next_claim.request.id == second.id
    clock.advance(minutes=5)
    due_again = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert due_again is not None
    assert due_again.request.id == first.id


async def test_a_claimed_request_cannot_be_claimed_until_its_lease_runs_out(
    callbacks: RedisCallbackQueue,
) -> None:
    request = await add(callbacks, 1, place=0)
    claim = await callbacks.claim_next(QUEUE, lease_s=0.3, free_agents=5)
    assert claim is not None
    assert await callbacks.claim_next(QUEUE, lease_s=0.3, free_agents=5) is None
    await asyncio.sleep(0.4)
    taken_over = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert taken_over is not None
    assert taken_over.request.id == request.id
    assert taken_over.token != claim.token
    assert taken_over.request.attempts == 0  # the lost attempt reached no outcome
    with pytest.raises(LeaseLost):
        await callbacks.complete(claim)
    assert await callbacks.renew(claim, 30) is None
    done = await callbacks.complete(taken_over)
    assert (done.status, done.attempts) == ("done", 1)


async def test_renewing_keeps_the_lease(callbacks: RedisCallbackQueue) -> None:
    await add(callbacks, 1, place=0)
    claim = await callbacks.claim_next(QUEUE, lease_s=0.3, free_agents=5)
    assert claim is not None
    for _ in range(3):
        await asyncio.sleep(0.15)
        renewed = await callbacks.renew(claim, 0.3)
        assert renewed is not None
        assert renewed.lease_until > claim.lease_until
    assert await callbacks.claim_next(QUEUE, lease_s=0.3, free_agents=5) is None
    assert (await callbacks.complete(claim)).status == "done"


async def test_ended_requests_leave_the_queue(
    callbacks: RedisCallbackQueue, redis: Redis, prefix: str
) -> None:
    done, failed, cancelled, waiting = [await add(callbacks, index, place=index) for index in range(4)]
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert claim is not None
    assert claim.request.id == done.id
    assert (await callbacks.complete(claim)).status == "done"
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert claim is not None
    ended = await callbacks.fail(claim, reason="no_answer")
    assert (ended.status, ended.attempts, ended.last_reason) == ("failed", 1, "no_answer")
    assert (await callbacks.cancel(cancelled.id)).status == "cancelled"
    assert [request.id for request in await callbacks.in_queue_order(QUEUE)] == [waiting.id]
    assert 0 < await redis.ttl(f"{prefix}:request:{done.id}") <= 24 * 3600
    assert await redis.ttl(f"{prefix}:request:{waiting.id}") == -1
    stored = await callbacks.get(failed.id)
    assert stored is not None
    assert stored.status == "failed"


async def test_changes_refused_in_the_wrong_status(callbacks: RedisCallbackQueue) -> None:
    request = await add(callbacks, 1, place=0)
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=5)
    assert claim is not None
    with pytest.raises(WrongStatus, match="is dialling: cannot cancel"):
        await callbacks.cancel(request.id)
    with pytest.raises(WrongStatus):
        await callbacks.expire(request.id)
    await callbacks.complete(claim)
    with pytest.raises(LeaseLost):
        await callbacks.complete(claim)  # not twice
    with pytest.raises(WrongStatus):
        await callbacks.cancel(request.id)
    with pytest.raises(UnknownRequest):
        await callbacks.cancel(str(uuid.uuid4()))


async def test_old_waiting_requests_expire(callbacks: RedisCallbackQueue, clock: FakeClock) -> None:
    old = await add(callbacks, 1, place=0)
    clock.advance(seconds=1)
    old_but_dialling = await add(callbacks, 2, place=1)
    clock.advance(hours=5)
    recent = await add(callbacks, 3, place=300)
    assert [request.id for request in await callbacks.requested_before(clock.now())] == [
        old.id,
        old_but_dialling.id,
    ]
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=1, latest_place=minutes(1))
    assert claim is not None
    assert claim.request.id == old.id
    await callbacks.reschedule(claim, not_before=clock.now() + timedelta(hours=1), reason="busy")
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=1, latest_place=minutes(1))
    assert claim is not None
    assert claim.request.id == old_but_dialling.id
    expired = await callbacks.expire_older_than(timedelta(hours=4))
    assert [(request.id, request.status) for request in expired] == [(old.id, "expired")]
    remaining = await callbacks.in_queue_order(QUEUE)
    assert [(request.id, request.status) for request in remaining] == [
        (old_but_dialling.id, "dialling"),
        (recent.id, "waiting"),
    ]


async def test_names_and_times_are_checked(callbacks: RedisCallbackQueue) -> None:
    with pytest.raises(ValueError, match="queue"):
        await callbacks.add(tenant="norrtalje", queue="kö 1", number=mobile(1), virtual_place=minutes(0))
    with pytest.raises(ValueError, match="tenant"):
        await callbacks.add(tenant="a:b", queue=QUEUE, number=mobile(1), virtual_place=minutes(0))
    with pytest.raises(ValueError, match="timezone"):
        await callbacks.add(
            tenant="norrtalje", queue=QUEUE, number=mobile(1), virtual_place=datetime(2026, 3, 2)
        )
    assert await callbacks.in_queue_order(QUEUE) == []


@pytest.fixture
def records(tmp_path: Path) -> CallbackRecords:
    database = Database(f"sqlite:///{tmp_path / 'ivr.db'}")
    upgrade(database)
    return CallbackRecords(database)


async def test_every_change_is_recorded_in_sql(
    redis: Redis, prefix: str, clock: FakeClock, records: CallbackRecords
) -> None:
    callbacks = RedisCallbackQueue(redis, prefix, clock=clock, records=records)
    request = await add(callbacks, 1, place=0)
    row = records.get(uuid.UUID(request.id))
    assert row is not None
    assert (row.status, row.version, row.number) == ("waiting", 1, "+46700000001")
    claim = await callbacks.claim_next(QUEUE, lease_s=30, free_agents=1)
    assert claim is not None
    row = records.get(uuid.UUID(request.id))
    assert row is not None
    assert (row.status, row.version) == ("dialling", 2)
    clock.advance(minutes=1)
    await callbacks.complete(claim)
    row = records.get(uuid.UUID(request.id))
    assert row is not None
    assert (row.status, row.attempts, row.last_reason, row.number, row.version) == (
        "done",
        1,
        "answered",
        None,
        3,
    )
    assert row.ended_at == clock.now()


class FlakyRecords:
    """Refuses writes while `down`, then passes them on."""

    def __init__(self, records: CallbackRecords) -> None:
        self.records = records
        self.down = True

    def save(self, state: CallbackState) -> bool:
        if self.down:
            raise ConnectionError("database down")
        return self.records.save(state)


async def test_a_record_missed_while_the_database_was_down_is_caught_up(
    redis: Redis, prefix: str, clock: FakeClock, records: CallbackRecords
) -> None:
    flaky = FlakyRecords(records)
    callbacks = RedisCallbackQueue(redis, prefix, clock=clock, records=flaky)
    request = await add(callbacks, 1, place=0)  # the live queue works on
    cancelled = await callbacks.cancel(request.id)
    assert records.get(uuid.UUID(request.id)) is None
    assert await callbacks.sync_records() == 0  # still down
    flaky.down = False
    assert await callbacks.sync_records() == 1
    assert await callbacks.sync_records() == 0
    row = records.get(uuid.UUID(request.id))
    assert row is not None
    assert (row.status, row.version) == ("cancelled", cancelled.version)
