"""Settings of the auth service, from the environment (prefix ``AUTH_``) or ``.env``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from opticall_auth.passwords import DEFAULT_MEMORY_KIB, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from opticall_common.security import DEVELOPMENT_FORWARDED_SECRET
from opticall_common.settings import (
    LOCAL_DIR,
    Environment,
    ServiceSettings,
    database_url_field,
    refuse_sqlite_in_production,
)

# Only ever used on a developer's laptop (OPTICALL_ENV=development); production refuses it.
DEVELOPMENT_ADMIN_PASSWORD = "admin123"  # noqa: S105


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity mask, not the whole machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="AUTH_", env_file=".env", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 5001
    database_url: str = database_url_field("auth")
    run_migrations: bool = True

    # At most a day: ended sessions are published (and kept) for that long (tokens.py).
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    # Seeds the user ``admin`` when no such user exists. Development falls back to admin123.
    admin_password: SecretStr | None = None

    # One or more PEM Ed25519 private keys, concatenated: the first signs, all are published.
    signing_keys: SecretStr | None = None
    # Used when signing_keys is empty: development/test generate a key here once and reuse it.
    keys_dir: Path = LOCAL_DIR / "keys"
    # How long a key that a newer key in keys_dir replaced stays in the JWKS: at least the
    # access-token TTL plus the verifiers' JWKS refresh interval, so no live token goes stale.
    previous_key_grace_seconds: int = Field(default=3600, ge=0)
    # How often keys_dir is read again: a key added there (keys.py rotate) is published, then
    # signs from its activation time, without a restart.
    keys_reload_seconds: float = Field(default=10.0, gt=0)

    # The gateway signs the client address it states (X-Forwarded-For) with this secret;
    # auth believes a forwarded address only with that signature. Shared name, no prefix.
    forwarded_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FORWARDED_SECRET", "forwarded_secret")
    )

    # NIST SP 800-63B-4: at least 15 characters for a password that is the only factor,
    # and none found in breach corpora (password_policy.py).
    password_min_length: int = Field(default=15, ge=8, le=64)
    # How long a WebSocket ticket (POST /realtime/ws-ticket) may wait to be used, once.
    ws_ticket_ttl_seconds: int = Field(default=30, ge=5, le=300)
    login_window_seconds: int = Field(default=300, ge=1)
    login_max_failures_per_user_client: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_max_failures_per_user: int = Field(default=100, ge=1)

    # argon2id cost: OWASP's m=19 MiB, t=2, p=1 (why: passwords.py). Changing them upgrades
    # each stored hash at its user's next good login.
    argon2_time_cost: int = Field(default=DEFAULT_TIME_COST, ge=1)
    argon2_memory_kib: int = Field(default=DEFAULT_MEMORY_KIB, ge=8)
    argon2_parallelism: int = Field(default=DEFAULT_PARALLELISM, ge=1, le=64)
    # Hashes running at once: the cores this process may use (set it to the container's CPU
    # limit, which os.sched_getaffinity does not see). More would only slow each one down.
    hash_concurrency: int = Field(default_factory=usable_cores, ge=1, le=256)
    # Longest a login waits for a hashing slot; beyond it, 503 with Retry-After. Far below the
    # gateway's 60 s upstream timeout: a quick "come back in 2 s" beats a hanging request.
    hash_max_wait_seconds: float = Field(default=5.0, gt=0, le=50)

    @property
    def forwarded_secret_bytes(self) -> bytes:
        if self.forwarded_secret is not None:
            return self.forwarded_secret.get_secret_value().encode()
        return DEVELOPMENT_FORWARDED_SECRET.encode()

    @property
    def effective_admin_password(self) -> str | None:
        if self.admin_password is not None:
            return self.admin_password.get_secret_value()
        return DEVELOPMENT_ADMIN_PASSWORD if self.env is Environment.development else None

    def validate_secrets(self) -> None:
        refuse_sqlite_in_production(self, self.database_url)
        if self.admin_password is not None:
            self.require_real_secret("AUTH_ADMIN_PASSWORD", self.admin_password.get_secret_value())
        has_keys = self.signing_keys is not None and self.signing_keys.get_secret_value().strip()
        if (
            self.env is Environment.production
            and not has_keys
            and "keys_dir" not in (self.model_fields_set)
        ):
            raise ValueError(
                "production needs signing keys: set AUTH_SIGNING_KEYS to one or more PEM "
                "Ed25519 private keys, or AUTH_KEYS_DIR to a directory holding them"
            )
        secret = self.forwarded_secret.get_secret_value() if self.forwarded_secret else None
        self.require_real_secret("FORWARDED_SECRET", secret)


@lru_cache
def get_settings() -> Settings:
    return Settings()
