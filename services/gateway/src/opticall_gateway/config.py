"""Settings of the gateway service, from the environment (prefix ``GATEWAY_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from opticall_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5000
    auth_url: str = "http://127.0.0.1:5001"
    scheduling_url: str = "http://127.0.0.1:5002"
    forecasting_url: str = "http://127.0.0.1:5003"
    realtime_url: str = "http://127.0.0.1:5004"

    def validate_secrets(self) -> None:
        pass


@lru_cache
def get_settings() -> Settings:
    return Settings()
