"""Alembic environment of the forecasting service (the shared implementation, our metadata)."""

from opticall_common.migrations import run_env
from opticall_forecasting.db_models import Base

run_env(Base.metadata, "alembic_version_forecasting")
