"""users.tokens_valid_after: when the user's earlier access tokens stopped counting

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: existing users have revoked nothing (a plain ADD COLUMN on both
    # SQLite and PostgreSQL, no table rewrite).
    op.add_column("users", sa.Column("tokens_valid_after", sa.DateTime(timezone=True)))
    op.create_index("ix_users_tokens_valid_after", "users", ["tokens_valid_after"])


def downgrade() -> None:
    op.drop_index("ix_users_tokens_valid_after", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("tokens_valid_after")
