"""Settings of the forecasting service, from the environment (prefix ``FORECASTING_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from opticall_common.settings import (
    ServiceSettings,
    database_url_field,
    refuse_sqlite_in_production,
)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="FORECASTING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5003
    database_url: str = database_url_field("forecasting")
    run_migrations: bool = True
    # Model fits are CPU-bound: they run in this many worker processes (0 = one per CPU this
    # process may use: its affinity mask capped by its cgroup quota).
    pool_size: int = Field(default=0, ge=0, le=64)
    # Import statsforecast (numba JIT, ~10 s) in each pool process right after start-up, in the
    # background, so the first job does not pay for it.
    warm_statsforecast: bool = True
    max_points: int = Field(default=50_000, ge=2)
    max_periods: int = Field(default=10_000, ge=1)
    # Prophet draws this many samples for yhat_lower/upper; 1000 (Prophet's default) is slow.
    uncertainty_samples: int = Field(default=200, ge=0, le=2000)
    # Rolling-origin backtest origins (windows of the requested horizon) per candidate model.
    backtest_folds: int = Field(default=3, ge=1, le=8)
    # Models that forecast jobs' ``auto`` backtests besides /predict's candidates (e.g.
    # ``["mstl"]``: seconds per fit on intraday data, times every origin). None by default, so
    # a job and /predict choose alike; bench/forecast measures both ways.
    job_extra_candidates: tuple[str, ...] = ()

    @field_validator("job_extra_candidates")
    @classmethod
    def _known_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # The names of engine.MODELS, spelled here so that settings import no model code.
        known = {
            "prophet",
            "weekly_profile",
            "weekly_average",
            "seasonal_naive_weekly",
            "seasonal_naive_daily",
            "mstl",
            "autoets",
        }
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown models {unknown}; use some of {sorted(known)}")
        return value

    # Claims of a request whose fit kills the model process before it is dead-lettered.
    max_attempts: int = Field(default=3, ge=1, le=20)
    # Holidays of this country (ISO code known to the ``holidays`` package) by default.
    default_country: str | None = None
    # Run the forecast-requests consumer in this process.
    worker_enabled: bool = True
    worker_group: str = "opticall-forecasting"
    # An unfinished job untouched this long is re-queued at start-up (the worker died on it).
    job_lease_seconds: int = Field(default=300, ge=1)
    max_upload_bytes: int = Field(default=20_000_000, ge=1)

    def validate_secrets(self) -> None:
        refuse_sqlite_in_production(self, self.database_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
