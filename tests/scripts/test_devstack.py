"""scripts/devstack.py run directly (``make run``) binds the ports the environment names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import devstack


def test_ports_default_to_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in devstack.DEFAULT_PORTS:
        monkeypatch.delenv(f"{name.upper()}_PORT", raising=False)
    assert devstack.ports_from_env() == devstack.DEFAULT_PORTS


def test_a_service_port_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "5100")
    monkeypatch.setenv("REALTIME_PORT", "5104")
    ports = devstack.ports_from_env()
    assert ports["gateway"] == 5100 and ports["realtime"] == 5104
    assert ports["auth"] == devstack.DEFAULT_PORTS["auth"]
    # The gateway is pointed at the overridden upstreams too.
    env = devstack.service_env(ports, {})
    assert env["GATEWAY_REALTIME_URL"] == "http://127.0.0.1:5104"
