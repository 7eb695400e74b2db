from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.dialog.io import Answer, Recording
from ivr.store.database import Database
from ivr.store.migrations import upgrade
from ivr.store.operations import AnswerGiven, CommentRecorded, ResponseEnded, ResponseStarted, apply_batch
from ivr.store.pseudonym import caller_pseudonym
from ivr.store.tables import Call, Comment, SurveyAnswer, SurveyResponse
from ivr.store.writer import StoreClosedError, SurveyStore

from .conftest import Backend, at, fast_store, lines_of, rows, spooled

CALLER = "070-123 45 67"


def scale_answer(score: int, mode: str = "dtmf") -> Answer:
    return Answer(
        status="match",
        mode="dtmf" if mode == "dtmf" else "speech",
        utterance=str(score),
        value=str(score),
        confidence=1.0,
        score=score,
    )


def start_survey(store: SurveyStore, uniqueid: str = "1700000000.1") -> tuple[uuid.UUID, uuid.UUID]:
    call_id = store.call_started(
        uniqueid=uniqueid,
        tenant="sundsvall",
        script="survey",
        channel="PJSIP/trunk-0001",
        caller_number=CALLER,
        language="sv",
        started_at=at(0),
    )
    response_id = store.response_started(
        call_id=call_id,
        tenant="sundsvall",
        dialog_id="post_call",
        dialog_version="sha256:abc",
        purpose="post_call",
        direction="inbound",
        queue="kontaktcenter",
        agent="anna",
        started_at=at(0),
    )
    return call_id, response_id


async def test_a_whole_survey_is_stored(store: SurveyStore, database: Database) -> None:
    call_id, response_id = start_survey(store)
    store.answer_given(
        response_id=response_id,
        question_id="q1",
        question_type="scale",
        position=1,
        answer=scale_answer(4),
        answered_at=at(1),
    )
    store.answer_given(
        response_id=response_id,
        question_id="q2",
        question_type="yesno",
        position=2,
        answered_at=at(2),
        answer=Answer(
            status="match",
            mode="speech",
            utterance="ja absolut",
            value="ja",
            confidence=0.83,
            score=1,
            attempts=2,
        ),
    )
    store.comment_recorded(
        response_id=response_id,
        question_id="comment",
        recorded_at=at(3),
        recording=Recording(path=Path("sundsvall/c1.wav"), duration_s=7.5, ended_by="silence"),
    )
    store.response_ended(response_id=response_id, status="completed", ended_at=at(4))
    store.call_ended(call_id=call_id, outcome="completed", ended_at=at(4))
    assert await store.flush(timeout_s=10)

    [call] = rows(database, Call)
    assert (call.id, call.uniqueid, call.outcome, call.ended_at) == (
        call_id,
        "1700000000.1",
        "completed",
        at(4),
    )
    assert call.caller_ref == caller_pseudonym(CALLER)
    assert "1234567" not in str(call.model_dump())
    assert call.started_at.tzinfo is not None
    assert call.started_at == at(0)
    [response] = rows(database, SurveyResponse)
    assert (response.status, response.queue, response.agent, response.ended_at) == (
        "completed",
        "kontaktcenter",
        "anna",
        at(4),
    )
    answers = sorted(rows(database, SurveyAnswer), key=lambda a: a.position)
    assert [(a.question_id, a.value, a.score, a.mode, a.attempts) for a in answers] == [
        ("q1", "4", 4, "dtmf", 1),
        ("q2", "ja", 1, "speech", 2),
    ]
    assert answers[1].confidence == pytest.approx(0.83)
    assert answers[1].utterance == "ja absolut"
    [comment] = rows(database, Comment)
    assert (comment.recording_path, comment.duration_s, comment.ended_by, comment.processing_status) == (
        "sundsvall/c1.wav",
        7.5,
        "silence",
        "pending",
    )
    assert store.stats.committed_ops == store.stats.enqueued_ops == 7


async def test_enqueue_returns_before_the_database_is_touched(store: SurveyStore, database: Database) -> None:
    start_survey(store)
    assert store.pending_ops == 2  # nothing was awaited, so nothing can have been written
    assert rows(database, Call) == []
    assert await store.flush(timeout_s=10)
    assert store.pending_ops == 0
    assert len(rows(database, Call)) == 1


async def test_many_operations_commit_in_order_in_few_batches(store: SurveyStore, database: Database) -> None:
    responses = [start_survey(store, f"1700000000.{n}")[1] for n in range(40)]
    for response_id in responses:
        for position in range(1, 6):
            store.answer_given(
                response_id=response_id,
                question_id=f"q{position}",
                question_type="scale",
                position=position,
                answer=scale_answer(position),
            )
        store.response_ended(response_id=response_id, status="completed")
    assert await store.flush(timeout_s=20)
    assert store.stats.committed_ops == 40 * 8
    assert store.stats.batches < 40 * 8 / 4  # group commit: operations share transactions
    assert len(rows(database, SurveyAnswer)) == 200
    assert {r.status for r in rows(database, SurveyResponse)} == {"completed"}


async def test_flush_waits_for_operations_enqueued_while_a_batch_commits(store: SurveyStore) -> None:
    _, response_id = start_survey(store)
    await asyncio.sleep(0)  # let the writer take the first batch
    store.answer_given(
        response_id=response_id, question_id="q1", question_type="scale", position=1, answer=scale_answer(5)
    )
    assert await store.flush(timeout_s=10)
    assert store.stats.committed_ops == 3
    assert store.pending_ops == 0


async def test_a_second_answer_to_a_question_replaces_the_first(
    store: SurveyStore, database: Database
) -> None:
    _, response_id = start_survey(store)
    for score in (2, 5):
        store.answer_given(
            response_id=response_id,
            question_id="q1",
            question_type="scale",
            position=1,
            answer=scale_answer(score),
        )
    assert await store.flush(timeout_s=10)
    [answer] = rows(database, SurveyAnswer)
    assert (answer.value, answer.score) == ("5", 5)


def test_applying_a_batch_twice_gives_the_same_rows(database: Database) -> None:
    call_id, response_id = uuid.uuid4(), uuid.uuid4()
    store = SurveyStore(database, Path("/nonexistent-never-written"))
    store.call_started(
        call_id=call_id,
        uniqueid="1.1",
        tenant="t",
        script="survey",
        channel="c",
        caller_number=None,
        language="sv",
        started_at=at(0),
    )
    store.response_started(
        response_id=response_id,
        call_id=call_id,
        tenant="t",
        dialog_id="d",
        dialog_version="v",
        purpose="post_call",
        direction="outbound",
        started_at=at(0),
    )
    store.answer_given(
        response_id=response_id,
        question_id="q1",
        question_type="scale",
        position=1,
        answer=scale_answer(3),
        answered_at=at(1),
    )
    store.response_ended(response_id=response_id, status="partial", ended_at=at(2))
    batch = list(store._pending)
    apply_batch(database.engine, batch)
    apply_batch(database.engine, batch)
    # A late replay of the start alone must not reopen the ended response.
    apply_batch(database.engine, [op for op in batch if isinstance(op, ResponseStarted)])
    [response] = rows(database, SurveyResponse)
    assert (response.status, response.ended_at, response.direction) == ("partial", at(2), "outbound")
    assert len(rows(database, Call)) == 1
    assert len(rows(database, SurveyAnswer)) == 1
    assert rows(database, Call)[0].caller_ref is None  # hidden number


async def test_a_dead_database_loses_nothing(backend: Backend, database: Database, spool_dir: Path) -> None:
    down = fast_store(backend.down_url, spool_dir)
    await down.start()
    call_id, response_id = start_survey(down)
    down.answer_given(
        response_id=response_id, question_id="q1", question_type="scale", position=1, answer=scale_answer(4)
    )
    down.response_ended(response_id=response_id, status="completed")
    down.call_ended(call_id=call_id, outcome="completed")
    assert not await down.flush(timeout_s=0.3)
    assert down.stats.retries >= 2
    assert down.stats.committed_ops == 0
    await down.close(timeout_s=0.1)
    [spool_file] = spooled(spool_dir, "spool-*.jsonl")
    lines = lines_of([spool_file])
    assert [json.loads(line)["kind"] for line in lines] == [
        "call_started",
        "response_started",
        "answer_given",
        "response_ended",
        "call_ended",
    ]
    assert "45 67" not in "".join(lines)
    assert "1234567" not in "".join(lines)
    assert down.stats.spooled_ops == 5

    revived = fast_store(database, spool_dir)
    await revived.start()
    assert revived.stats.replayed_ops == 5
    assert revived.stats.committed_ops == 5
    assert spooled(spool_dir, "spool-*") == []
    assert [r.status for r in rows(database, SurveyResponse)] == ["completed"]
    assert [a.value for a in rows(database, SurveyAnswer)] == ["4"]
    await revived.close()


async def test_writes_resume_when_the_database_comes_back(backend: Backend, spool_dir: Path) -> None:
    unmigrated = Database(backend.url)  # no tables yet: every write fails
    store = fast_store(unmigrated, spool_dir)
    await store.start()
    _, response_id = start_survey(store)
    store.answer_given(
        response_id=response_id, question_id="q1", question_type="scale", position=1, answer=scale_answer(1)
    )
    assert not await store.flush(timeout_s=0.2)
    assert store.stats.retries >= 1
    await asyncio.to_thread(upgrade, backend.url)
    assert await store.flush(timeout_s=10)
    assert [a.score for a in rows(unmigrated, SurveyAnswer)] == [1]
    await store.close()
    assert spooled(spool_dir, "spool-*") == []
    unmigrated.dispose()


async def test_an_operation_the_database_refuses_is_kept_aside(
    store: SurveyStore, database: Database, spool_dir: Path
) -> None:
    _, response_id = start_survey(store)
    orphan = store.answer_given(
        response_id=uuid.uuid4(), question_id="q1", question_type="scale", position=1, answer=scale_answer(3)
    )
    store.answer_given(
        response_id=response_id, question_id="q1", question_type="scale", position=1, answer=scale_answer(5)
    )
    assert await store.flush(timeout_s=10)
    assert [a.value for a in rows(database, SurveyAnswer)] == ["5"]
    assert store.stats.rejected_ops == 1
    assert store.stats.committed_ops == 3
    [rejected] = [json.loads(line) for line in lines_of(spooled(spool_dir, "rejected-*.jsonl"))]
    assert rejected["operation"]["id"] == str(orphan)
    assert "IntegrityError" in rejected["error"]


async def test_the_replay_goes_ahead_of_new_operations(database: Database, spool_dir: Path) -> None:
    writer = SurveyStore(database, spool_dir)
    call_id, response_id = start_survey(writer)
    writer.response_ended(response_id=response_id, status="partial", ended_at=at(1))
    await writer.close()  # never started: everything goes to the spool
    assert writer.stats.spooled_ops == 3

    store = fast_store(database, spool_dir)
    store.answer_given(
        response_id=response_id, question_id="q1", question_type="scale", position=1, answer=scale_answer(2)
    )  # before start(): must still come after its response
    await store.start()
    assert await store.flush(timeout_s=10)
    assert [a.value for a in rows(database, SurveyAnswer)] == ["2"]
    assert [r.status for r in rows(database, SurveyResponse)] == ["partial"]
    await store.close()
    assert call_id == rows(database, Call)[0].id


def damage(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


async def test_damaged_spool_lines_are_kept_and_the_rest_replayed(
    database: Database, spool_dir: Path
) -> None:
    writer = SurveyStore(database, spool_dir)
    start_survey(writer)
    await writer.close()
    [spool_file] = spooled(spool_dir, "spool-*.jsonl")
    first_line = lines_of([spool_file])[0]
    leftover = spool_dir / "spool-99999999T000000Z-1-cut.jsonl.tmp"  # a close that crashed mid-write
    damage(leftover, first_line + "\n" + '{"kind": "answer_gi')
    damage(spool_file, "\n".join([*lines_of([spool_file]), "not json"]))

    store = fast_store(database, spool_dir)
    await store.start()
    assert len(rows(database, Call)) == 1
    assert len(rows(database, SurveyResponse)) == 1
    corrupt = lines_of(spooled(spool_dir, "corrupt-*.jsonl"))
    assert sorted(corrupt) == sorted(["not json", '{"kind": "answer_gi'])
    assert spooled(spool_dir, "spool-*") == []
    await store.close()


async def test_bad_input_is_refused_at_once(store: SurveyStore) -> None:
    _, response_id = start_survey(store)
    with pytest.raises(ValueError, match="status"):
        store.response_ended(response_id=response_id, status="finished")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone"):
        store.response_ended(response_id=response_id, status="completed", ended_at=datetime(2026, 1, 1))
    odd = Answer(status="match", mode="speech", utterance="x", value="x", confidence=float("nan"))
    store.answer_given(
        response_id=response_id, question_id="q", question_type="choice", position=1, answer=odd
    )
    assert isinstance(store._pending[-1], AnswerGiven)
    assert store._pending[-1].confidence == 0.0
    broken = Recording(path=Path("c.wav"), duration_s=float("nan"), ended_by="error")
    store.comment_recorded(response_id=response_id, question_id="comment", recording=broken)
    assert isinstance(store._pending[-1], CommentRecorded)
    assert store._pending[-1].duration_s == 0.0
    assert await store.flush(timeout_s=10)


async def test_after_close_new_operations_are_refused(database: Database, spool_dir: Path) -> None:
    store = fast_store(database, spool_dir)
    await store.start()
    await store.close()
    with pytest.raises(StoreClosedError):
        start_survey(store)
    assert await store.flush() is True  # nothing was left unwritten


async def test_flush_before_start_is_an_error(database: Database, spool_dir: Path) -> None:
    store = SurveyStore(database, spool_dir)
    with pytest.raises(RuntimeError, match="start"):
        await store.flush()
    await store.close()


def test_end_status_has_its_own_literal() -> None:
    assert ResponseEnded(id=uuid.uuid4(), status="ended", ended_at=datetime.now(UTC)).status == "ended"
