"""Inbound calls: what `/inbound` announced and offered, and how long the caller then waited in the queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_calls",
        sa.Column("uniqueid", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("announced_wait_s", sa.Float(), nullable=True),
        sa.Column("offered_callback", sa.Boolean(), nullable=True),
        sa.Column("callback_accepted", sa.Boolean(), nullable=True),
        sa.Column("result", sa.String(), nullable=True),
        sa.Column("actual_wait_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(), server_default="unknown", nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("uniqueid", name=op.f("pk_inbound_calls")),
    )
    op.create_index("ix_inbound_calls_tenant_arrived_at", "inbound_calls", ["tenant", "arrived_at"])


def downgrade() -> None:
    op.drop_table("inbound_calls")
