"""Settings of the gateway service, from the environment (prefix ``GATEWAY_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from opticall_common.settings import ServiceSettings


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


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
    # Request bodies above this are refused with 413 (Content-Length and while streaming).
    max_body_bytes: int = 10 * 1024 * 1024
    # Comma-separated origins allowed by CORS; empty (the default) sends no CORS headers.
    cors_origins: str = ""
    # Comma-separated proxy addresses (or "*") whose X-Forwarded-For the gateway believes.
    # Empty by default: the gateway is the edge, so the TCP peer is the client.
    trusted_proxies: str = ""
    upstream_connect_timeout: float = 3.0
    # Long enough for a forecast fit or a large CSV report; a stalled upstream gets a 504.
    upstream_timeout: float = 60.0
    # Per upstream service (the lean pool's limit; aiohttp's, for uploads, is shared).
    upstream_max_connections: int = 256
    # How long an upstream's /openapi.json is reused before the gateway asks again.
    openapi_cache_seconds: float = 60.0
    workers: int = 1

    @property
    def cors_origin_list(self) -> list[str]:
        return _csv(self.cors_origins)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _csv(self.trusted_proxies)

    def upstream_urls(self) -> dict[str, str]:
        return {
            "auth": self.auth_url.rstrip("/"),
            "scheduling": self.scheduling_url.rstrip("/"),
            "forecasting": self.forecasting_url.rstrip("/"),
            "realtime": self.realtime_url.rstrip("/"),
        }

    def validate_secrets(self) -> None:
        pass


@lru_cache
def get_settings() -> Settings:
    return Settings()
