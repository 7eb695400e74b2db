from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from ivr.dialog.io import Answer, Recording
from ivr.store.database import Database
from ivr.store.export import RESPONSE_COLUMNS
from ivr.store.operations import EndStatus
from ivr.store.results import ResultsRepository
from ivr.store.stats import compute_dialog_stats, scale_index
from ivr.store.tables import Comment
from ivr.store.writer import SurveyStore

from .conftest import at

NOMATCH = Answer(status="nomatch", mode="speech", utterance="kanske", value=None, confidence=0.4)
HANGUP = Answer(status="hangup", mode="dtmf", utterance="", value=None, confidence=0.0)


def scale(score: int) -> Answer:
    return Answer(
        status="match", mode="dtmf", utterance=str(score), value=str(score), confidence=1.0, score=score
    )


def yes_no(yes: bool) -> Answer:
    word = "ja" if yes else "nej"
    return Answer(status="match", mode="speech", utterance=word, value=word, confidence=0.9, score=int(yes))


@dataclass(frozen=True)
class Survey:
    minute: int
    status: EndStatus
    answers: dict[str, Answer]
    tenant: str = "sundsvall"
    dialog_id: str = "post_call"
    comment: Recording | None = None


SURVEYS = [
    Survey(
        0, "completed", {"q1": scale(5), "q2": yes_no(True)}, comment=Recording(Path("a.wav"), 12.0, "dtmf")
    ),
    Survey(5, "completed", {"q1": scale(1)}, tenant="timra"),
    Survey(10, "completed", {"q1": scale(4), "q2": yes_no(False)}),
    Survey(20, "partial", {"q1": NOMATCH, "q2": HANGUP}),
    Survey(30, "ended", {"q1": scale(3)}),
    Survey(40, "completed", {"status": scale(2)}, dialog_id="other"),
]


def record(store: SurveyStore, survey: Survey) -> uuid.UUID:
    call_id = store.call_started(
        uniqueid=f"1700000000.{survey.minute}",
        tenant=survey.tenant,
        script="survey",
        channel="PJSIP/trunk-1",
        caller_number="0701234567",
        language="sv",
        started_at=at(survey.minute),
    )
    response_id = store.response_started(
        call_id=call_id,
        tenant=survey.tenant,
        dialog_id=survey.dialog_id,
        dialog_version="v1",
        purpose="post_call",
        direction="inbound",
        queue="kontaktcenter",
        agent=f"agent{survey.minute}",
        started_at=at(survey.minute),
    )
    for position, (question_id, answer) in enumerate(survey.answers.items(), 1):
        question_type = "yesno" if question_id == "q2" else "scale"
        store.answer_given(
            response_id=response_id,
            question_id=question_id,
            question_type=question_type,
            position=position,
            answer=answer,
            answered_at=at(survey.minute + position),
        )
    if survey.comment is not None:
        store.comment_recorded(
            response_id=response_id,
            question_id="comment",
            recording=survey.comment,
            recorded_at=at(survey.minute + 3),
        )
    store.response_ended(response_id=response_id, status=survey.status, ended_at=at(survey.minute + 4))
    store.call_ended(call_id=call_id, outcome=survey.status, ended_at=at(survey.minute + 4))
    return response_id


def transcribe(database: Database, transcript: str) -> None:
    with database.session() as session:
        session.execute(
            update(Comment).values(transcript=transcript, sentiment="positive", processing_status="done")
        )


@pytest.fixture
async def results(store: SurveyStore, database: Database) -> ResultsRepository:
    for survey in SURVEYS:
        record(store, survey)
    assert await store.flush(timeout_s=10)
    transcribe(database, "Bra bemötande, tack")
    return ResultsRepository(database)


def test_responses_come_with_their_answers_and_comment(results: ResultsRepository) -> None:
    records = results.responses(tenant="sundsvall")
    assert [r.response.started_at for r in records] == [at(0), at(10), at(20), at(30), at(40)]
    first = records[0]
    assert [a.question_id for a in first.answers] == ["q1", "q2"]
    assert first.answer("q2") is not None
    assert first.comment is not None
    assert (first.comment.recording_path, first.comment.transcript) == ("a.wav", "Bra bemötande, tack")
    assert first.call.uniqueid == "1700000000.0"
    assert records[1].comment is None


def test_responses_are_filtered_by_tenant_and_time(results: ResultsRepository) -> None:
    assert len(results.responses()) == 6
    assert [r.response.tenant for r in results.responses(tenant="timra")] == ["timra"]
    window = results.responses(since=at(10), until=at(30))  # since inclusive, until exclusive
    assert [r.response.started_at for r in window] == [at(10), at(20)]
    with pytest.raises(ValueError, match="timezone"):
        results.responses(since=datetime(2026, 3, 2))


def test_jsonl_export_has_everything_of_a_response(results: ResultsRepository) -> None:
    out = io.StringIO()
    assert results.export_jsonl(out, tenant="sundsvall", until=at(15)) == 2
    documents = [json.loads(line) for line in out.getvalue().splitlines()]
    first = documents[0]
    assert first["status"] == "completed"
    assert first["agent"] == "agent0"
    assert first["call"]["uniqueid"] == "1700000000.0"
    assert len(first["call"]["caller_ref"]) == 64
    assert [(a["question_id"], a["value"], a["score"]) for a in first["answers"]] == [
        ("q1", "5", 5),
        ("q2", "ja", 1),
    ]
    assert first["comments"][0]["transcript"] == "Bra bemötande, tack"
    assert first["comments"][0]["duration_s"] == 12.0
    assert datetime.fromisoformat(first["started_at"]) == at(0)
    assert documents[1]["comments"] == []


def test_csv_export_has_a_row_per_response_and_a_column_per_question(results: ResultsRepository) -> None:
    out = io.StringIO()
    assert results.export_csv(out, tenant="sundsvall") == 5
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header[len(RESPONSE_COLUMNS) :] == [
        "q1",
        "status.value",  # a question named like a fixed column does not shadow it
        "q2",
        "comment.recording_path",
        "comment.duration_s",
        "comment.transcript",
        "comment.sentiment",
    ]
    assert header[:3] == ["response_id", "call_id", "uniqueid"]
    assert [row["q1"] for row in table] == ["5", "4", "", "3", ""]
    assert [row["q2"] for row in table] == ["ja", "nej", "", "", ""]
    assert [row["status"] for row in table] == ["completed", "completed", "partial", "ended", "completed"]
    assert table[4]["status.value"] == "2"
    assert (table[0]["comment.recording_path"], table[0]["comment.duration_s"]) == ("a.wav", "12.0")
    assert table[0]["comment.transcript"] == "Bra bemötande, tack"
    assert table[1]["comment.recording_path"] == ""
    assert datetime.fromisoformat(table[0]["ended_at"]) == at(4)


def test_question_stats_on_known_answers(results: ResultsRepository) -> None:
    stats = results.question_stats("sundsvall", "post_call")
    assert (stats.responses, stats.completed, stats.completion_rate) == (4, 2, 0.5)
    assert stats.by_status == {"completed": 2, "partial": 1, "ended": 1}
    assert [q.question_id for q in stats.questions] == ["q1", "q2"]
    q1, q2 = stats.questions
    assert (q1.answered, q1.by_status, q1.distribution) == (
        3,
        {"match": 3, "nomatch": 1},
        {"3": 1, "4": 1, "5": 1},
    )
    assert (q1.mean_score, q1.index) == (4.0, 75.0)
    assert (q2.answered, q2.by_status, q2.distribution) == (2, {"match": 2, "hangup": 1}, {"ja": 1, "nej": 1})
    assert (q2.mean_score, q2.index) == (0.5, None)  # yes/no has no scale index

    everyone = results.question_stats(None, "post_call")
    q1_all = everyone.question("q1")
    assert q1_all is not None
    assert (everyone.responses, q1_all.mean_score, q1_all.index) == (5, 3.25, 56.25)


def test_question_stats_for_a_dialog_nobody_answered(results: ResultsRepository) -> None:
    stats = results.question_stats("sundsvall", "nonexistent")
    assert (stats.responses, stats.completion_rate, stats.questions) == (0, None, ())


def test_the_index_maps_the_scale_onto_0_to_100(results: ResultsRepository) -> None:
    assert [scale_index(score) for score in (5, 4, 3, 2, 1)] == [100, 75, 50, 25, 0]
    records = results.responses(tenant="sundsvall", dialog_id="post_call")
    on_zero_to_nine = compute_dialog_stats("sundsvall", "post_call", records, scales={"q1": (0, 9)})
    q1 = on_zero_to_nine.question("q1")
    assert q1 is not None
    assert q1.index == pytest.approx(4 / 9 * 100)
    # Scores outside the scale say the scale is not what we think: no index rather than a wrong one.
    narrow = compute_dialog_stats("sundsvall", "post_call", records, scales={"q1": (1, 4)})
    narrow_q1 = narrow.question("q1")
    assert narrow_q1 is not None
    assert narrow_q1.index is None
