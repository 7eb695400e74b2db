"""Inbound calls in the store: the app's row and the queue's wait, in either order, spooled and replayed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ivr.store.database import Database
from ivr.store.operations import InboundCallRecorded, QueueWaitMeasured, apply_batch
from ivr.store.tables import InboundCall
from ivr.store.writer import SurveyStore

from .conftest import Backend, at, fast_store, rows

UNIQUEID = "1764000000.42"


def record_inbound(store: SurveyStore, uniqueid: str = UNIQUEID) -> None:
    store.inbound_call(
        uniqueid=uniqueid,
        tenant="sundsvall",
        queue="bygglov",
        arrived_at=at(0),
        result="queue",
        position=3,
        announced_wait_s=240.0,
        offered_callback=True,
        callback_accepted=False,
    )


def measure(store: SurveyStore, uniqueid: str = UNIQUEID, wait_s: float = 300.0) -> None:
    store.queue_wait_measured(
        uniqueid=uniqueid, queue="bygglov", outcome="answered", actual_wait_s=wait_s, ended_at=at(5)
    )


def the_row(database: Database) -> InboundCall:
    (row,) = rows(database, InboundCall)
    return row


def assert_complete(row: InboundCall) -> None:
    assert (row.uniqueid, row.tenant, row.queue, row.arrived_at) == (UNIQUEID, "sundsvall", "bygglov", at(0))
    assert (row.position, row.announced_wait_s, row.offered_callback, row.callback_accepted) == (
        3,
        240.0,
        True,
        False,
    )
    assert (row.result, row.outcome, row.actual_wait_s, row.ended_at) == ("queue", "answered", 300.0, at(5))


async def test_the_app_row_then_the_queue_wait(store: SurveyStore, database: Database) -> None:
    record_inbound(store)
    assert await store.flush(5)
    row = the_row(database)
    assert (row.outcome, row.actual_wait_s, row.ended_at) == ("unknown", None, None)
    measure(store)
    assert await store.flush(5)
    assert_complete(the_row(database))


async def test_the_queue_wait_before_the_app_row(store: SurveyStore, database: Database) -> None:
    measure(store)
    assert await store.flush(5)
    row = the_row(database)
    assert (row.tenant, row.queue, row.outcome, row.actual_wait_s) == (None, "bygglov", "answered", 300.0)
    record_inbound(store)  # commits later and must not wipe the measured wait
    assert await store.flush(5)
    assert_complete(the_row(database))


def test_one_batch_in_either_order_and_twice(database: Database) -> None:
    app = InboundCallRecorded(
        uniqueid=UNIQUEID,
        tenant="sundsvall",
        queue="bygglov",
        arrived_at=at(0),
        position=3,
        announced_wait_s=240.0,
        offered_callback=True,
        callback_accepted=False,
        result="queue",
    )
    queue = QueueWaitMeasured(
        uniqueid=UNIQUEID, queue="bygglov", outcome="answered", actual_wait_s=300.0, ended_at=at(5)
    )
    apply_batch(database.engine, [queue, app])
    apply_batch(database.engine, [app, queue])
    assert_complete(the_row(database))


async def test_a_dead_database_spools_inbound_calls(
    backend: Backend, database: Database, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    down = fast_store(backend.down_url, spool_dir)
    await down.start(replay_timeout_s=0.1)
    record_inbound(down)
    measure(down)
    await down.close(timeout_s=0.2)
    assert down.stats.spooled_ops == 2
    again = fast_store(database, spool_dir)
    await again.start()
    await again.close()
    assert_complete(the_row(database))


async def test_bad_values_are_refused_at_once(store: SurveyStore) -> None:
    with pytest.raises(ValidationError, match="result"):
        store.inbound_call(
            uniqueid=UNIQUEID,
            tenant="t",
            queue="q",
            arrived_at=at(0),
            result="maybe",  # type: ignore[arg-type]
        )
    with pytest.raises(ValidationError, match="actual_wait_s"):
        store.queue_wait_measured(uniqueid=UNIQUEID, queue="q", outcome="answered", actual_wait_s=-1.0)
    assert store.pending_ops == 0
