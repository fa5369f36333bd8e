"""Alembic environment of the auth service (the shared implementation, with our metadata)."""

from opticall_auth.models import Base
from opticall_common.migrations import run_env

run_env(Base.metadata, "alembic_version_auth")
