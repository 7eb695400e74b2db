"""Callback requests: the record of each request the callback dialer works through.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        _text("tenant"),
        _text("queue"),
        _text("caller_ref"),
        _text("number", nullable=True),
        _text("status"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _text("last_reason", nullable=True),
        _utc("requested_at"),
        _utc("virtual_place"),
        _utc("next_attempt_at"),
        _utc("updated_at"),
        _utc("ended_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    op.create_index(
        "ix_callback_requests_tenant_requested_at", "callback_requests", ["tenant", "requested_at"]
    )
    op.create_index("ix_callback_requests_queue_status", "callback_requests", ["queue", "status"])


def downgrade() -> None:
    op.drop_table("callback_requests")
