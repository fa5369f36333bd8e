"""Settings of the gateway service, from the environment (prefix ``GATEWAY_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from opticall_common.security import DEVELOPMENT_FORWARDED_SECRET
from opticall_common.settings import ServiceSettings


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5000
    # /metrics is served here only, not on the public port (the ingress never routes it).
    metrics_host: str | None = None  # None: the same address as ``host``
    metrics_port: int = 5010
    auth_url: str = "http://127.0.0.1:5001"
    scheduling_url: str = "http://127.0.0.1:5002"
    forecasting_url: str = "http://127.0.0.1:5003"
    realtime_url: str = "http://127.0.0.1:5004"
    # Request bodies above this are refused with 413 (Content-Length and while streaming).
    max_body_bytes: int = 10 * 1024 * 1024
    # Comma-separated origins allowed by CORS; empty (the default) sends no CORS headers.
    cors_origins: str = ""
    # Comma-separated proxy addresses or CIDRs whose X-Forwarded-For the gateway believes.
    # Empty by default: the gateway is the edge, so the TCP peer is the client. Never "*"
    # behind an ingress: trust only the ingress controller's range.
    trusted_proxies: str = ""
    # Signs the client address the gateway states to auth (X-Forwarded-For), so auth can
    # tell it from one a client wrote; auth holds the same secret. Shared name, no prefix.
    forwarded_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FORWARDED_SECRET", "forwarded_secret")
    )
    upstream_connect_timeout: float = 3.0
    # Long enough for a forecast fit or a large CSV report; a stalled upstream gets a 504.
    upstream_timeout: float = 60.0
    # Pooled keep-alive connections per upstream service.
    upstream_max_connections: int = 256
    # How long an upstream's /openapi.json is reused before the gateway asks again.
    openapi_cache_seconds: float = 60.0
    workers: int = 1

    # --- client connections (slowloris, oversized heads; see connection_limits.py) ---
    # The request line and headers must arrive within this many seconds (408 beyond).
    header_timeout: float = Field(default=10.0, gt=0)
    # The whole body must arrive within this many seconds of the headers (408 beyond).
    body_timeout: float = Field(default=60.0, gt=0)
    # Bytes of request line + headers (431 beyond), and how many header fields (431).
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=10)
    # An idle keep-alive connection is closed after this many seconds (uvicorn's own).
    keepalive_timeout: int = Field(default=5, ge=1)

    # --- the realtime WebSocket (websocket.py) ---
    # Browser origins allowed to open it, comma-separated, besides the gateway's own
    # (same-origin is always allowed; a client without Origin is not a browser). "*": any.
    ws_origins: str = ""
    # Open WebSockets one user may hold in one gateway process (4429 beyond).
    ws_max_per_user: int = Field(default=10, ge=1)
    # Deprecated ?access_token= on the WebSocket URL (tokens end up in logs): kept working
    # because the published contract names it; set false to refuse it.
    ws_allow_query_token: bool = True

    @property
    def cors_origin_list(self) -> list[str]:
        return _csv(self.cors_origins)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _csv(self.trusted_proxies)

    @property
    def ws_origin_list(self) -> list[str]:
        return _csv(self.ws_origins)

    @property
    def forwarded_secret_bytes(self) -> bytes:
        if self.forwarded_secret is not None:
            return self.forwarded_secret.get_secret_value().encode()
        return DEVELOPMENT_FORWARDED_SECRET.encode()

    def upstream_urls(self) -> dict[str, str]:
        return {
            "auth": self.auth_url.rstrip("/"),
            "scheduling": self.scheduling_url.rstrip("/"),
            "forecasting": self.forecasting_url.rstrip("/"),
            "realtime": self.realtime_url.rstrip("/"),
        }

    def validate_secrets(self) -> None:
        if "*" in self.trusted_proxy_list and not self.is_development:
            raise ValueError(
                "GATEWAY_TRUSTED_PROXIES='*' lets any client choose its own address: "
                "list the ingress controller's addresses or CIDR instead"
            )
        secret = self.forwarded_secret.get_secret_value() if self.forwarded_secret else None
        self.require_real_secret("FORWARDED_SECRET", secret)


@lru_cache
def get_settings() -> Settings:
    return Settings()
