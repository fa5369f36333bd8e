"""Alembic environment of the realtime service (the shared implementation, with our metadata)."""

from opticall_common.migrations import run_env
from opticall_realtime.history import Base

run_env(Base.metadata, "alembic_version_realtime")
