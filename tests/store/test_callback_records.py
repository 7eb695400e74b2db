from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import inspect

from ivr.store.callbacks import CallbackRecords, CallbackState
from ivr.store.database import Database
from ivr.store.pseudonym import caller_pseudonym

from .conftest import at


def waiting(**changes: object) -> CallbackState:
    state = CallbackState(
        id=uuid.uuid4(),
        tenant="norrtalje",
        queue="kontaktcenter",
        number="+46701234567",
        status="waiting",
        attempts=0,
        last_reason=None,
        requested_at=at(5),
        virtual_place=at(1),
        next_attempt_at=at(5),
        updated_at=at(5),
        version=1,
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def test_the_table_is_migrated(database: Database) -> None:
    assert "callback_requests" in inspect(database.engine).get_table_names()


def test_a_request_is_recorded_with_its_number_while_active(database: Database) -> None:
    records = CallbackRecords(database, caller_salt="test-salt")
    state = waiting()
    assert records.save(state)
    row = records.get(state.id)
    assert row is not None
    assert (row.tenant, row.queue, row.status, row.attempts, row.version) == (
        "norrtalje",
        "kontaktcenter",
        "waiting",
        0,
        1,
    )
    assert row.number == "+46701234567"
    assert row.caller_ref == caller_pseudonym("+46701234567", "test-salt")
    assert row.virtual_place == at(1)
    assert row.requested_at.tzinfo is not None
    assert row.ended_at is None


def test_an_ended_request_keeps_only_the_pseudonym(database: Database) -> None:
    records = CallbackRecords(database)
    state = waiting()
    records.save(state)
    records.save(replace(state, status="dialling", version=2, updated_at=at(6)))
    assert records.save(
        replace(state, status="done", attempts=1, last_reason="answered", version=3, updated_at=at(7))
    )
    row = records.get(state.id)
    assert row is not None
    assert (row.status, row.attempts, row.last_reason, row.number) == ("done", 1, "answered", None)
    assert row.ended_at == at(7)
    assert row.caller_ref == caller_pseudonym("+46701234567")


def test_an_older_version_never_overwrites_a_newer_one(database: Database) -> None:
    records = CallbackRecords(database)
    state = waiting()
    assert records.save(replace(state, status="failed", attempts=3, version=5, updated_at=at(30)))
    assert not records.save(replace(state, status="dialling", attempts=2, version=4))
    assert not records.save(replace(state, status="failed", attempts=3, version=5))  # the same again
    row = records.get(state.id)
    assert row is not None
    assert (row.status, row.attempts, row.version) == ("failed", 3, 5)


def test_find_in_queue_order_and_active_requests(database: Database) -> None:
    records = CallbackRecords(database)
    late = waiting(virtual_place=at(9))
    early = waiting(virtual_place=at(2))
    other_queue = waiting(queue="bygglov", virtual_place=at(0))
    done = waiting(status="done", virtual_place=at(1))
    for state in (late, early, other_queue, done):
        records.save(state)
    assert [row.id for row in records.find(queue="kontaktcenter")] == [done.id, early.id, late.id]
    assert [row.id for row in records.active()] == [other_queue.id, early.id, late.id]
    assert [row.id for row in records.find(tenant="norrtalje", statuses=["done"])] == [done.id]
    assert records.find(tenant="sigtuna") == []


def test_records_by_url_on_a_fresh_migrated_database(database: Database) -> None:
    records = CallbackRecords(database.url.render_as_string(hide_password=False))
    try:
        state = waiting()
        assert records.save(state)
        assert records.get(state.id) is not None
        assert records.get(uuid.uuid4()) is None
    finally:
        records.close()


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"status": "ringing"}, "unknown callback status"),
        ({"requested_at": datetime(2026, 3, 2, 9, 0)}, "timezone"),
        ({"version": 0}, "out of range"),
        ({"attempts": -1}, "out of range"),
    ],
)
def test_bad_states_are_refused_before_the_database(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        waiting(**changes)
