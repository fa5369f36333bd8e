"""Interval history and forecast jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from opticall_common.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history_intervals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("offered", sa.Float(), nullable=False),
        sa.Column("handled", sa.Float(), nullable=True),
        sa.Column("abandoned", sa.Float(), nullable=True),
        sa.Column("aht_seconds", sa.Float(), nullable=True),
        sa.Column("answered_within_sl", sa.Float(), nullable=True),
        sa.Column("asa_seconds", sa.Float(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("queue", "interval_start", name="uq_history_queue_start"),
    )
    op.create_table(
        "forecast_jobs",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(128), nullable=True),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(64), nullable=True),
        sa.Column("points", sa.JSON(), nullable=True),
        sa.Column("accuracy", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_forecast_jobs_created", "forecast_jobs", ["created_at"])
    op.create_index("ix_forecast_jobs_status", "forecast_jobs", ["status"])


def downgrade() -> None:
    op.drop_table("forecast_jobs")
    op.drop_table("history_intervals")
