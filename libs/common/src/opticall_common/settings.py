"""The settings base every service's ``Settings`` class extends."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opticall_common.revocations import revocations_url_for


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


# Values that only make sense on a developer's laptop; production refuses to start with them.
PLACEHOLDER_SECRETS = frozenset({"", "admin123", "changeme", "change-me", "secret", "opticall"})

LOCAL_DIR = Path(".local")


class ServiceSettings(BaseSettings):
    """Settings shared by all services; each service adds its own fields and env prefix.

    Shared infrastructure variables (``KAFKA_BOOTSTRAP_SERVERS``, ``OPTICALL_ENV``...) are read
    without a prefix so one ``.env`` file configures the whole suite.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    env: Environment = Field(default=Environment.production, alias="OPTICALL_ENV")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_json: bool = Field(default=True, alias="LOG_JSON")
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    # Lets tests (and tenants sharing a cluster) isolate their topics without renaming them.
    kafka_topic_prefix: str = Field(default="", alias="KAFKA_TOPIC_PREFIX")
    # Replicas of the topics a service creates itself (3 on a production cluster).
    kafka_replication_factor: int = Field(default=1, ge=1, alias="KAFKA_REPLICATION_FACTOR")
    jwt_issuer: str = Field(default="opticall-auth", alias="JWT_ISSUER")
    jwt_audience: str = Field(default="opticall", alias="JWT_AUDIENCE")
    jwks_url: str = Field(default="http://127.0.0.1:5001/.well-known/jwks.json", alias="JWKS_URL")
    # Auth's list of revoked users (revocations.py); empty means the JWKS URL's origin.
    revocations_url: str = Field(default="", alias="REVOCATIONS_URL")
    # How often verifiers fetch it: the worst-case delay before a disabled user's token fails.
    revocation_poll_seconds: float = Field(default=5.0, gt=0, alias="REVOCATION_POLL_SECONDS")

    @property
    def effective_revocations_url(self) -> str:
        return self.revocations_url or revocations_url_for(self.jwks_url)

    @property
    def is_development(self) -> bool:
        return self.env is not Environment.production

    def require_real_secret(self, name: str, value: str | None) -> None:
        """Refuse placeholder secrets outside development."""
        if not self.is_development and (value is None or value.strip() in PLACEHOLDER_SECRETS):
            raise ValueError(f"{name} must be set to a real secret when OPTICALL_ENV=production")

    @model_validator(mode="after")
    def _check_secrets(self) -> Self:
        self.validate_secrets()
        return self

    def validate_secrets(self) -> None:
        """Services with secrets override this and call ``require_real_secret``."""


def database_url_field(service: str) -> Any:
    """``<SERVICE>_DATABASE_URL``, else ``DATABASE_URL``, else a local SQLite file."""
    return Field(
        default=f"sqlite:///{LOCAL_DIR}/data/{service}.db",
        validation_alias=AliasChoices(f"{service.upper()}_DATABASE_URL", "DATABASE_URL"),
    )


def refuse_sqlite_in_production(settings: ServiceSettings, url: str) -> None:
    if not settings.is_development and url.startswith("sqlite"):
        raise ValueError("production needs PostgreSQL: set DATABASE_URL")
