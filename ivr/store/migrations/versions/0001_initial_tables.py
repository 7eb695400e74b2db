"""Initial tables: calls, survey_responses, survey_answers, comments.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _parent(name: str, table: str, source: str) -> list[SchemaItem]:
    return [
        sa.Column(name, sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            [name], [f"{table}.id"], name=op.f(f"fk_{source}_{name}_{table}"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "calls",
        _id(),
        _text("uniqueid"),
        _text("tenant"),
        _text("script"),
        _text("channel"),
        _text("caller_ref", nullable=True),
        _text("language"),
        _utc("started_at"),
        _utc("ended_at", nullable=True),
        _text("outcome", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_tenant_started_at", "calls", ["tenant", "started_at"])
    op.create_index("ix_calls_uniqueid", "calls", ["uniqueid"])

    op.create_table(
        "survey_responses",
        _id(),
        *_parent("call_id", "calls", "survey_responses"),
        _text("tenant"),
        _text("dialog_id"),
        _text("dialog_version"),
        _text("purpose"),
        _text("queue", nullable=True),
        _text("agent", nullable=True),
        _text("direction"),
        _text("status"),
        _utc("started_at"),
        _utc("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    op.create_index("ix_survey_responses_tenant_started_at", "survey_responses", ["tenant", "started_at"])
    op.create_index("ix_survey_responses_tenant_dialog_id", "survey_responses", ["tenant", "dialog_id"])
    op.create_index("ix_survey_responses_agent", "survey_responses", ["agent"])
    op.create_index("ix_survey_responses_queue", "survey_responses", ["queue"])
    op.create_index("ix_survey_responses_call_id", "survey_responses", ["call_id"])

    op.create_table(
        "survey_answers",
        _id(),
        *_parent("response_id", "survey_responses", "survey_answers"),
        _text("question_id"),
        _text("question_type"),
        sa.Column("position", sa.Integer(), nullable=False),
        _text("status"),
        _text("mode"),
        sa.Column("utterance", sa.Text(), nullable=False),
        _text("value", nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _utc("answered_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_survey_answers_response_id_question_id")
        ),
    )

    op.create_table(
        "comments",
        _id(),
        *_parent("response_id", "survey_responses", "comments"),
        _text("question_id"),
        _text("recording_path"),
        sa.Column("duration_s", sa.Float(), nullable=False),
        _text("ended_by"),
        _utc("recorded_at"),
        sa.Column("transcript", sa.Text(), nullable=True),
        _text("transcript_engine", nullable=True),
        _text("sentiment", nullable=True),
        sa.Column("sentiment_confidence", sa.Float(), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=True),
        sa.Column("by_area", sa.JSON(), nullable=True),
        _utc("classified_at", nullable=True),
        sa.Column("processing_status", sa.String(), server_default="pending", nullable=False),
        sa.Column("processing_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index("ix_comments_response_id", "comments", ["response_id"])
    op.create_index("ix_comments_processing_status", "comments", ["processing_status"])


def downgrade() -> None:
    op.drop_table("comments")
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
    op.drop_table("calls")
