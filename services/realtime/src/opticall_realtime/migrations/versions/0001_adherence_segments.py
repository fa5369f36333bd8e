"""adherence history segments

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adherence_segments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queue", sa.String(128), nullable=True),
        sa.Column("adherence", sa.String(16), nullable=False),
        sa.Column("previous", sa.String(16), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("activity", sa.String(32), nullable=True),
    )
    op.create_index("ix_adherence_segments_agent_at", "adherence_segments", ["agent_id", "at"])
    op.create_index("ix_adherence_segments_at", "adherence_segments", ["at"])


def downgrade() -> None:
    op.drop_table("adherence_segments")
