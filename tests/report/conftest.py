"""The report's tests fill a store with known data, on SQLite and on the real PostgreSQL (a schema a test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from live_services import postgres_schema
from sqlmodel import Session

from ivr.store.database import Database
from ivr.store.migrations import upgrade
from ivr.store.tables import Call, CallbackRecord, Comment, SurveyAnswer, SurveyResponse


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ivr.db'}"
        return
    with postgres_schema("report_test") as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()


@dataclass
class Said:
    """A comment as the worker leaves it: None sentiment means not classified yet."""

    sentiment: str | None
    areas: Sequence[str] = ()
    by_area: Mapping[str, str] = field(default_factory=dict)
    transcript: str = "en kommentar"


def add_response(
    database: Database,
    *,
    tenant: str,
    agent: str | None,
    started_at: datetime,
    scores: Mapping[str, int] = {},
    losning: str | None = None,
    status: str = "completed",
    queue: str = "kontaktcenter",
    comment: Said | None = None,
    hung_up: Sequence[str] = (),
) -> uuid.UUID:
    """One survey response with scale answers (`scores`), the yes/no `losning` and a comment."""
    call = Call(
        uniqueid=f"u{uuid.uuid4().hex[:8]}", tenant=tenant, script="survey", channel="SIP/x",
        language="sv", started_at=started_at,
    )  # fmt: skip
    response = SurveyResponse(
        call_id=call.id, tenant=tenant, dialog_id=f"{tenant}-enkat", dialog_version="v1", purpose="post_call",
        queue=queue, agent=agent, direction="inbound", status=status, started_at=started_at,
    )  # fmt: skip
    rows: list[object] = [call, response]
    position = 0
    for question_id, score in scores.items():
        position += 1
        rows.append(_answer(response.id, question_id, "scale", position, str(score), score, started_at))
    for question_id in hung_up:
        position += 1
        rows.append(_answer(response.id, question_id, "scale", position, None, None, started_at, "hangup"))
    if losning is not None:
        position += 1
        rows.append(
            _answer(response.id, "losning", "yesno", position, losning, int(losning == "ja"), started_at)
        )
    if comment is not None:
        rows.append(
            Comment(
                response_id=response.id,
                question_id="kommentar",
                recording_path=f"{tenant}/2026-03-03/{call.uniqueid}-kommentar.wav",
                duration_s=4.0,
                ended_by="dtmf",
                recorded_at=started_at + timedelta(minutes=1),
                transcript=comment.transcript if comment.sentiment else None,
                sentiment=comment.sentiment,
                sentiment_confidence=0.9 if comment.sentiment else None,
                areas=list(comment.areas) if comment.sentiment else None,
                by_area=dict(comment.by_area) if comment.sentiment else None,
                processing_status="done" if comment.sentiment else "pending",
            )
        )
    with Session(database.engine, expire_on_commit=False) as session:
        for row in rows:  # parents first: the tables have no ORM relationships to order the inserts
            session.add(row)
            session.flush()
        session.commit()
    return response.id


def _answer(
    response_id: uuid.UUID, question_id: str, question_type: str, position: int, value: str | None,
    score: int | None, at: datetime, status: str = "match",
) -> SurveyAnswer:  # fmt: skip
    return SurveyAnswer(
        response_id=response_id, question_id=question_id, question_type=question_type, position=position,
        status=status, mode="dtmf", utterance=value or "", value=value, score=score, confidence=1.0,
        attempts=1, answered_at=at,
    )  # fmt: skip


def add_callback(database: Database, *, tenant: str, status: str, requested_at: datetime) -> None:
    record = CallbackRecord(
        id=uuid.uuid4(), tenant=tenant, queue="kontaktcenter", caller_ref="ref", status=status, attempts=1,
        requested_at=requested_at, virtual_place=requested_at, next_attempt_at=requested_at,
        updated_at=requested_at, version=1,
    )  # fmt: skip
    with Session(database.engine) as session:
        session.add(record)
        session.commit()


def utc(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
