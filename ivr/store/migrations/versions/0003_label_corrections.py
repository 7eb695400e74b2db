"""Label corrections: an operator's correction of a comment's sentiment and areas, with who and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("sentiment", sa.String(), nullable=False),
        sa.Column("by_area", sa.JSON(), nullable=False),
        sa.Column("corrected_by", sa.String(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_label_corrections_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_corrections")),
    )
    op.create_index("ix_label_corrections_comment_id", "label_corrections", ["comment_id"])
    op.create_index(
        "ix_label_corrections_tenant_corrected_at", "label_corrections", ["tenant", "corrected_at"]
    )


def downgrade() -> None:
    op.drop_table("label_corrections")
