"""The comment pipeline's reads and writes of the `comments` table (SQL is the source of truth for its state).

`processing_status` is `pending` until the comment is transcribed and classified (`done`), or `failed` when
its job failed for good; `processing_error` says why it is not done (also while it is still pending, e.g.
Rasa down or no speech model). Blocking calls: run them in a thread from async code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, update
from sqlmodel import col

from ivr.store.database import Database
from ivr.store.tables import Comment, SurveyResponse

Status = Literal["pending", "done", "failed"]
Selection = Literal["pending", "failed", "all"]
ERROR_LIMIT = 2000  # characters of an error kept in processing_error


@dataclass(frozen=True)
class StoredComment:
    """What the pipeline needs of one comment."""

    id: uuid.UUID
    tenant: str
    recording_path: Path
    recorded_at: datetime
    status: str


@dataclass(frozen=True)
class CommentLabels:
    """What processing stores: the masked transcript, who heard it, and the classifier's labels."""

    transcript: str
    transcript_engine: str
    sentiment: str | None
    sentiment_confidence: float | None
    areas: list[str]
    by_area: dict[str, str]
    classified_at: datetime


def load_comment(database: Database, comment_id: uuid.UUID) -> StoredComment | None:
    statement = (
        select(
            col(Comment.id), col(SurveyResponse.tenant), col(Comment.recording_path), col(Comment.recorded_at)
        )
        .add_columns(col(Comment.processing_status))
        .join(SurveyResponse, col(SurveyResponse.id) == col(Comment.response_id))
        .where(col(Comment.id) == comment_id)
    )
    with database.session() as session:
        row = session.execute(statement).one_or_none()
    if row is None:
        return None
    return StoredComment(row[0], row[1], Path(row[2]), row[3], row[4])


def store_labels(database: Database, comment_id: uuid.UUID, labels: CommentLabels) -> None:
    """The comment is done: transcript and labels stored, any earlier error cleared."""
    _update(
        database,
        comment_id,
        transcript=labels.transcript,
        transcript_engine=labels.transcript_engine,
        sentiment=labels.sentiment,
        sentiment_confidence=labels.sentiment_confidence,
        areas=labels.areas,
        by_area=labels.by_area,
        classified_at=labels.classified_at,
        processing_status="done",
        processing_error=None,
    )


def mark_failed(database: Database, comment_id: uuid.UUID, error: str) -> None:
    """The comment's processing failed for good; it stays visible with the error until reprocessed."""
    _update(database, comment_id, processing_status="failed", processing_error=error[:ERROR_LIMIT])


def note_delay(database: Database, comment_id: uuid.UUID, error: str) -> None:
    """Why a comment is not done yet; its status stays as it is (pending stays pending)."""
    _update(database, comment_id, processing_error=error[:ERROR_LIMIT])


def select_comments(
    database: Database,
    which: Selection,
    *,
    since: datetime | None = None,
    tenant: str | None = None,
    recorded_before: datetime | None = None,
    limit: int | None = None,
) -> list[uuid.UUID]:
    """Comment ids in recording order: `pending`, `failed` or `all`, optionally recorded since / before a
    moment, for one tenant."""
    statement = select(col(Comment.id)).order_by(col(Comment.recorded_at), col(Comment.id))
    if which != "all":
        statement = statement.where(col(Comment.processing_status) == which)
    if since is not None:
        statement = statement.where(col(Comment.recorded_at) >= since)
    if recorded_before is not None:
        statement = statement.where(col(Comment.recorded_at) < recorded_before)
    if tenant is not None:
        statement = statement.join(
            SurveyResponse,
            col(SurveyResponse.id) == col(Comment.response_id),
        ).where(col(SurveyResponse.tenant) == tenant)
    if limit is not None:
        statement = statement.limit(limit)
    with database.session() as session:
        return list(session.scalars(statement))


def status_counts(database: Database) -> dict[str, int]:
    statement = select(col(Comment.processing_status), func.count()).group_by(col(Comment.processing_status))
    with database.session() as session:
        return {status: count for status, count in session.execute(statement)}


def failed_comments(database: Database, limit: int = 50) -> Sequence[tuple[uuid.UUID, datetime, str | None]]:
    """The failed comments with their errors, newest first."""
    statement = (
        select(col(Comment.id), col(Comment.recorded_at), col(Comment.processing_error))
        .where(col(Comment.processing_status) == "failed")
        .order_by(col(Comment.recorded_at).desc())
        .limit(limit)
    )
    with database.session() as session:
        return [(row[0], row[1], row[2]) for row in session.execute(statement)]


def _update(database: Database, comment_id: uuid.UUID, **values: object) -> None:
    statement = update(Comment).where(col(Comment.id) == comment_id).values(**values)
    with database.session() as session:
        session.execute(statement)
