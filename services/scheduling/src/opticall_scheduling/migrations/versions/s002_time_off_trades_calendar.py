"""Time off (balances, queue allowances, requests), shift trades, calendar tokens, and the
shift's revision (its iCalendar SEQUENCE).

Revision ID: s002_time_off
Revises: s001_schedules
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from opticall_common.db import UTCDateTime

revision: str = "s002_time_off"
down_revision: str | None = "s001_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _agent_fk(name: str = "agent_id", *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(
        name,
        sa.String(128),
        sa.ForeignKey("agents.agent_id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.add_column("shifts", sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "time_off_balances",
        _agent_fk(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "type"),
    )
    op.create_table(
        "time_off_allowances",
        sa.Column("queue", sa.String(128), primary_key=True),
        sa.Column("max_agents_off", sa.Integer(), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "time_off_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        _agent_fk(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("schedule_effect", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("end_at > start_at", name="time_off_end_after_start"),
    )
    op.create_index("ix_time_off_agent_start", "time_off_requests", ["agent_id", "start_at"])
    op.create_index("ix_time_off_status_start", "time_off_requests", ["status", "start_at"])
    op.create_table(
        "shift_trades",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("shift_id", sa.String(32), nullable=False),
        _agent_fk("from_agent_id"),
        _agent_fk("to_agent_id", nullable=True),
        sa.Column("want_shift_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("accepted_by", sa.String(128), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_shift_trades_from", "shift_trades", ["from_agent_id", "created_at"])
    op.create_index("ix_shift_trades_to", "shift_trades", ["to_agent_id", "created_at"])
    op.create_index("ix_shift_trades_shift", "shift_trades", ["shift_id"])
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        _agent_fk(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_calendar_tokens_agent_id", "calendar_tokens", ["agent_id"])


def downgrade() -> None:
    op.drop_table("calendar_tokens")
    op.drop_table("shift_trades")
    op.drop_table("time_off_requests")
    op.drop_table("time_off_allowances")
    op.drop_table("time_off_balances")
    op.drop_column("shifts", "sequence")
