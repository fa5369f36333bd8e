"""Start-up refusals in production, and the development defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from opticall_auth.config import Settings
from opticall_auth.keys import KeyConfigError
from opticall_auth.main import create_app

PG = "postgresql+psycopg2://opticall:x@127.0.0.1:1/never"  # never connected: startup fails first


FORWARDED = "k3Lz-9qP2-real-forwarded-secret"


def test_production_refuses_the_placeholder_admin_password() -> None:
    with pytest.raises(ValidationError, match="AUTH_ADMIN_PASSWORD"):
        Settings(OPTICALL_ENV="production", database_url=PG, admin_password="admin123")


def test_production_refuses_to_start_without_signing_keys() -> None:
    with pytest.raises(ValidationError, match="AUTH_SIGNING_KEYS"):
        Settings(OPTICALL_ENV="production", database_url=PG)


def test_production_never_generates_a_key_into_an_empty_keys_dir(tmp_path: Path) -> None:
    settings = Settings(
        OPTICALL_ENV="production",
        database_url=PG,
        forwarded_secret=FORWARDED,
        keys_dir=tmp_path / "keys",
        run_migrations=False,
    )
    with pytest.raises(KeyConfigError, match="no signing key"), TestClient(create_app(settings)):
        pass
    assert not list(tmp_path.glob("keys/*.pem"))


def test_production_accepts_real_secrets() -> None:
    settings = Settings(
        OPTICALL_ENV="production",
        database_url=PG,
        admin_password="a-real-long-secret",
        signing_keys="-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
        forwarded_secret=FORWARDED,
    )
    assert settings.effective_admin_password == "a-real-long-secret"


def test_admin_password_defaults_only_in_development() -> None:
    dev = Settings(OPTICALL_ENV="development", database_url="sqlite://")
    test = Settings(OPTICALL_ENV="test", database_url="sqlite://")
    assert dev.effective_admin_password == "admin123"
    assert test.effective_admin_password is None


def test_production_needs_a_real_forwarded_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_SIGNING_KEYS", "unused: checked before the keys are parsed")
    base = {"OPTICALL_ENV": "production", "database_url": "postgresql://x/y"}
    with pytest.raises(ValueError, match="FORWARDED_SECRET"):
        Settings(**base)
    monkeypatch.setenv("FORWARDED_SECRET", "changeme")
    with pytest.raises(ValueError, match="FORWARDED_SECRET"):
        Settings(**base)
    monkeypatch.setenv("FORWARDED_SECRET", "k3Lz-9qP2-real-secret")
    assert Settings(**base).forwarded_secret_bytes == b"k3Lz-9qP2-real-secret"


def test_development_seeds_admin_admin123(tmp_path: Path) -> None:
    settings = Settings(
        OPTICALL_ENV="development",
        database_url=f"sqlite:///{tmp_path}/a.db",
        keys_dir=tmp_path / "keys",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
    )
    with TestClient(create_app(settings)) as c:
        resp = c.post("/login", json={"username": "admin", "password": "admin123"})
        assert resp.status_code == 200
        assert c.get("/readyz").json()["checks"] == {"database": "ok"}  # no Kafka needed


def test_test_env_without_password_seeds_no_admin(tmp_path: Path) -> None:
    settings = Settings(
        OPTICALL_ENV="test",
        database_url=f"sqlite:///{tmp_path}/a.db",
        keys_dir=tmp_path / "keys",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
    )
    with TestClient(create_app(settings)) as c:
        resp = c.post("/login", json={"username": "admin", "password": "admin123"})
        assert resp.status_code == 401


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(
        OPTICALL_ENV="test",
        database_url=f"sqlite:///{tmp_path}/a.db",
        keys_dir=tmp_path / "keys",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
    )
    with TestClient(create_app(settings)) as c:
        before = c.get("/.well-known/jwks.json").json()
    with TestClient(create_app(settings)) as c:
        assert c.get("/.well-known/jwks.json").json() == before
