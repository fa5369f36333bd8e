"""Settings of the realtime service, from the environment (prefix ``REALTIME_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from opticall_common.settings import (
    ServiceSettings,
    database_url_field,
    refuse_sqlite_in_production,
)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="REALTIME_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5004
    database_url: str = database_url_field("realtime")

    def validate_secrets(self) -> None:
        refuse_sqlite_in_production(self, self.database_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
