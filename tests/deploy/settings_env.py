"""Build a service's ``Settings`` from a deployment's environment alone (no .env, no host env)."""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest

_OURS = ("OPTICALL_", "KAFKA_", "JWKS_", "JWT_", "LOG_", "DATABASE_URL")


def load_settings(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``opticall_<service>.config.Settings`` as the container would see ``env``."""
    prefixes = (
        *_OURS,
        *(f"{s}_" for s in ("AUTH", "GATEWAY", "SCHEDULING", "FORECASTING", "REALTIME")),
    )
    for key in list(os.environ):
        if key.startswith(prefixes):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = importlib.import_module(f"opticall_{service}.config")
    return config.Settings(_env_file=None)
