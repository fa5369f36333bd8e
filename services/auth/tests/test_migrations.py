"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from opticall_auth.main import MIGRATIONS, VERSION_TABLE
from opticall_auth.models import Base
from opticall_common.db import run_migrations


def test_migrations_match_the_models_and_rerun_cleanly(db_url: str) -> None:
    run_migrations(MIGRATIONS, db_url, VERSION_TABLE)
    run_migrations(MIGRATIONS, db_url, VERSION_TABLE)  # every start runs them: a no-op now
    engine = create_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []
