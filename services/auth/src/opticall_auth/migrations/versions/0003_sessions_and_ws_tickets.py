"""session_revocations (logout ends access tokens) and ws_tickets (WebSocket tickets)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_revocations",
        sa.Column("sid", sa.String(32), primary_key=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_session_revocations_revoked_at", "session_revocations", ["revoked_at"])
    op.create_table(
        "ws_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_ws_tickets_user"),
            nullable=False,
        ),
        sa.Column("sid", sa.String(32), nullable=True),
        sa.Column("access_issued_at", sa.Integer(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ws_tickets_expires_at", "ws_tickets", ["expires_at"])


def downgrade() -> None:
    op.drop_table("ws_tickets")
    op.drop_table("session_revocations")
