"""Listing indexes that carry end_at, so "overlaps [start, end)" filters inside the index.

A btree key column after the range column is checked on the index entry itself, without a heap
fetch; ``GET /shifts`` windows scan a few thousand entries per page otherwise fetched one by one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_shifts_agent_start", table_name="shifts")
    op.drop_index("ix_shifts_start_id", table_name="shifts")
    op.create_index("ix_shifts_agent_start_id_end", "shifts", ["agent_id", "start_at", "id", "end_at"])
    op.create_index("ix_shifts_start_id_end", "shifts", ["start_at", "id", "end_at"])


def downgrade() -> None:
    op.drop_index("ix_shifts_start_id_end", table_name="shifts")
    op.drop_index("ix_shifts_agent_start_id_end", table_name="shifts")
    op.create_index("ix_shifts_agent_start", "shifts", ["agent_id", "start_at"])
    op.create_index("ix_shifts_start_id", "shifts", ["start_at", "id"])
