"""Alembic environment of the scheduling service (the body is shared in opticall_common)."""

from opticall_common.migrations import run_env
from opticall_scheduling.models import Base

run_env(Base.metadata, "alembic_version_scheduling")
