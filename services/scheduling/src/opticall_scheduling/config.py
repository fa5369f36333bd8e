"""Settings of the scheduling service, from the environment (prefix ``SCHEDULING_``) or ``.env``."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from opticall_common.settings import (
    ServiceSettings,
    database_url_field,
    refuse_sqlite_in_production,
)

# No shift may ever be longer than this, whatever max_shift_hours says; queries rely on it to
# bound "shifts overlapping [start, end)" by an index range on start.
HARD_MAX_SHIFT_HOURS = 168
DEFAULT_MAX_SHIFT_HOURS = 12.0


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCHEDULING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5002
    database_url: str = database_url_field("scheduling")
    # A prestart job may run ``alembic upgrade head`` instead; replicas otherwise migrate at start
    # (serialised by an advisory lock in ``opticall_common.migrations``).
    run_migrations: bool = True
    # Database connections kept open. At least the request concurrency plus the relay's two:
    # below that, every request past the pool opens (and closes) its own connection.
    db_pool_size: int = Field(default=24, ge=1, le=200)
    max_shift_hours: float = Field(default=DEFAULT_MAX_SHIFT_HOURS, gt=0, le=HARD_MAX_SHIFT_HOURS)
    max_bulk_shifts: int = Field(default=5000, ge=1)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Under load the relay waits this long after a wake-up so one round publishes many rows.
    outbox_coalesce_seconds: float = Field(default=0.02, ge=0, le=1)
    outbox_max_backoff_seconds: float = Field(default=30.0, gt=0)
    # Published outbox rows are kept this long (for audit and replays), then purged.
    outbox_retention_hours: float = Field(default=168.0, ge=0)
    # Where /staffing/plan reads stored forecasts.
    forecasting_url: str = "http://127.0.0.1:5003"
    # Time off: hours a day of time off counts where the agent has no shift yet, and the
    # longest request.
    time_off_day_hours: float = Field(default=8.0, gt=0, le=24)
    max_time_off_days: int = Field(default=31, ge=1, le=366)
    max_balance_rows: int = Field(default=10_000, ge=1)
    # Shift trades: the rules re-checked on acceptance (the generator takes its own per
    # request), and whether a trade within them is approved without a supervisor.
    trade_lead_hours: float = Field(default=24.0, ge=0, le=24 * 90)
    min_rest_hours: float = Field(default=8.0, ge=0, le=48)
    max_weekly_hours: float = Field(default=40.0, gt=0, le=168)
    trade_auto_approve: bool = True
    # Calendar feeds: shifts that ended up to this many days ago are still in the feed.
    calendar_past_days: int = Field(default=30, ge=0, le=366)
    # The gateway's public base URL (https://wfm.example.com): calendar tokens are answered
    # with a full URL under it; unset, with the path alone.
    public_url: str = ""

    @property
    def max_shift_length(self) -> timedelta:
        return timedelta(hours=self.max_shift_hours)

    @property
    def trade_lead_time(self) -> timedelta:
        return timedelta(hours=self.trade_lead_hours)

    def validate_secrets(self) -> None:
        refuse_sqlite_in_production(self, self.database_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
