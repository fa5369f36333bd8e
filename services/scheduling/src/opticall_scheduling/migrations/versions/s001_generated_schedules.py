"""Generated schedules (drafts from POST /schedules/generate, and their publication).

Revision ID: s001_schedules
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from opticall_common.db import UTCDateTime

revision: str = "s001_schedules"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "generated_schedules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(128), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("shift_ids", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("generated_schedules")
