"""The survey tables: one call, its survey responses, their answers and spoken comments.

Primary keys are UUIDs made in Python, so the writer can insert a row and its children in one batch without
a round trip. Times are stored in UTC and always come back timezone-aware (`UTCDateTime`). Statuses are plain
text, checked where they enter (`ivr.store.operations`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# Named constraints make future migrations (and SQLite batch mode) predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The store's own registry keeps its metadata apart from any other SQLModel tables in the process.
store_registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
store_metadata = store_registry.metadata


class StoreModel(SQLModel, registry=store_registry):
    """Base of the store's tables."""


def _utc(*, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable)


class Call(StoreModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_tenant_started_at", "tenant", "started_at"),
        Index("ix_calls_uniqueid", "uniqueid"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    uniqueid: str  # Asterisk's agi_uniqueid
    tenant: str
    script: str  # the app that took the call, e.g. "survey"
    channel: str
    caller_ref: str | None = None  # salted SHA-256 pseudonym of the caller's number; never the number
    language: str
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)
    outcome: str | None = None


class SurveyResponse(StoreModel, table=True):
    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_tenant_started_at", "tenant", "started_at"),
        Index("ix_survey_responses_tenant_dialog_id", "tenant", "dialog_id"),
        Index("ix_survey_responses_agent", "agent"),
        Index("ix_survey_responses_queue", "queue"),
        Index("ix_survey_responses_call_id", "call_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: uuid.UUID = Field(foreign_key="calls.id", ondelete="CASCADE")
    tenant: str
    dialog_id: str
    dialog_version: str  # content hash of the dialog as it was run
    purpose: str  # "post_call", ...
    queue: str | None = None
    agent: str | None = None
    direction: str  # "inbound" | "outbound"
    status: str  # "in_progress" | "completed" | "partial" (hung up) | "ended" (ended early by the dialog)
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)


class SurveyAnswer(StoreModel, table=True):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    response_id: uuid.UUID = Field(foreign_key="survey_responses.id", ondelete="CASCADE")
    question_id: str
    question_type: str
    position: int  # order asked, from 1
    status: str  # match | nomatch | noinput | hangup
    mode: str  # dtmf | speech
    utterance: str = Field(sa_type=Text)
    value: str | None = None
    score: int | None = None
    confidence: float
    attempts: int
    answered_at: datetime = _utc()


class Comment(StoreModel, table=True):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_response_id", "response_id"),
        Index("ix_comments_processing_status", "processing_status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    response_id: uuid.UUID = Field(foreign_key="survey_responses.id", ondelete="CASCADE")
    question_id: str
    recording_path: str
    duration_s: float
    ended_by: str  # dtmf | silence | timeout | hangup
    recorded_at: datetime = _utc()
    # Filled later by the comment worker (transcription, classification).
    transcript: str | None = Field(default=None, sa_type=Text)
    transcript_engine: str | None = None
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    areas: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    by_area: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    classified_at: datetime | None = _utc(nullable=True)
    # pending | done | failed; the server default covers rows written by other tools
    processing_status: str = Field(default="pending", sa_column_kwargs={"server_default": "pending"})
    processing_error: str | None = Field(default=None, sa_type=Text)


class CallbackRecord(StoreModel, table=True):
    """The record of one callback request; the live request is in Redis (`ivr.queueing.callbacks`).

    The number to dial is kept only while the request may still be dialled (waiting or dialling), so the
    live queue can be rebuilt from this table; when the request ends only its pseudonym stays.
    """

    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_tenant_requested_at", "tenant", "requested_at"),
        Index("ix_callback_requests_queue_status", "queue", "status"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant: str
    queue: str
    caller_ref: str  # salted SHA-256 pseudonym of the number, as in `calls`
    number: str | None = None  # E.164, cleared when the request ends
    status: str  # waiting | dialling | done | failed | expired | cancelled
    attempts: int
    last_reason: str | None = None
    requested_at: datetime = _utc()
    virtual_place: datetime = _utc()  # when the caller joined the queue: the place the callback keeps
    next_attempt_at: datetime = _utc()
    updated_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)
    version: int  # the live request's revision this row shows; an older one never overwrites a newer one


class LabelCorrection(StoreModel, table=True):
    """An operator's correction of a comment's labels (the operator page); the newest one counts.

    The comment's own labels stay as the classifier left them; corrections are exported for retraining."""

    __tablename__ = "label_corrections"
    __table_args__ = (
        Index("ix_label_corrections_comment_id", "comment_id"),
        Index("ix_label_corrections_tenant_corrected_at", "tenant", "corrected_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    comment_id: uuid.UUID = Field(foreign_key="comments.id", ondelete="CASCADE")
    tenant: str
    sentiment: str  # positiv | skeptisk | negativ
    by_area: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # area -> its sentiment
    corrected_by: str
    corrected_at: datetime = _utc()


class InboundCall(StoreModel, table=True):
    """One caller through `/inbound` and, from the queue's AMI events, how long they actually waited.

    Either side may arrive first: the app's row and the queue's measurement are both upserts by uniqueid. A
    row with only the queue's side (tenant None) is a caller who reached the queue without `/inbound`."""

    __tablename__ = "inbound_calls"
    __table_args__ = (Index("ix_inbound_calls_tenant_arrived_at", "tenant", "arrived_at"),)

    uniqueid: str = Field(primary_key=True)  # Asterisk's uniqueid of the caller's channel
    tenant: str | None = None
    queue: str
    arrived_at: datetime | None = _utc(nullable=True)
    position: int | None = None  # the place announced (1 = first in line)
    announced_wait_s: float | None = None  # None: no wait announced (no agents, closed, hung up before)
    offered_callback: bool | None = None
    callback_accepted: bool | None = None  # pressed 1 on the offer (booked only when result is "callback")
    result: str | None = None  # INBOUND_RESULT: queue | callback | closed, or hangup
    actual_wait_s: float | None = None  # from the queue: HoldTime of AgentConnect or QueueCallerAbandon
    outcome: str = Field(
        default="unknown", sa_column_kwargs={"server_default": "unknown"}
    )  # answered | abandoned | unknown
    ended_at: datetime | None = _utc(nullable=True)  # when the queue answered or lost the caller
