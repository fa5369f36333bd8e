"""docker-compose.yml, checked structurally (no Docker engine here) and against the services'
own Settings: the environment compose gives each container must be one the service accepts."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from tests.deploy.manifests import DEPLOY, PORTS, ROOT, SERVICES
from tests.deploy.settings_env import load_settings
from tests.deploy.test_dockerfiles import image_env as dockerfile_env

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = DEPLOY / "compose.env.example"
_VAR = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def read_env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def interpolate(value: Any, env: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name, op, arg = m.groups()
        if name in env:
            return env[name]
        if op == "-":
            return arg
        raise KeyError(f"${{{name}}} is not set: {arg}")

    return _VAR.sub(repl, str(value))


def image_env(service: str) -> dict[str, str]:
    """The runtime stage's ENV of the service's image (the settings part of it)."""
    envs = dockerfile_env(service)
    return {k: v for k, v in envs.items() if k.startswith((service.upper() + "_", "OPTICALL_"))}


def container_env(service: str, env_file: dict[str, str]) -> dict[str, str]:
    """What the container sees: the image's ENV, overridden by compose's environment."""
    raw = COMPOSE["services"][service].get("environment", {})
    return {**image_env(service), **{k: interpolate(v, env_file) for k, v in raw.items()}}


def test_infrastructure_images() -> None:
    services = COMPOSE["services"]
    kafka = services["kafka"]
    assert kafka["image"] == "apache/kafka:4.1.1"
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}, "KRaft"
    assert "zookeeper" not in str(COMPOSE).lower()
    assert services["postgres"]["image"] == "postgres:16"
    init = [v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init, "an init script creates the per-service databases"
    script = ROOT / init[0].split(":")[0]
    assert script.is_file() and os.access(script, os.X_OK)
    for var in ("AUTH", "SCHEDULING", "FORECASTING", "REALTIME"):
        assert f"{var}_DATABASE_URL" in script.read_text()
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")


@pytest.mark.parametrize("service", SERVICES)
def test_service_builds_from_the_one_recipe_hardened(service: str) -> None:
    spec = COMPOSE["services"][service]
    assert spec["build"]["context"] == "."
    assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
    assert spec["build"]["args"] == {"SERVICE": service, "PORT": str(PORTS[service])}
    assert (ROOT / spec["build"]["dockerfile"]).is_file()
    assert spec["read_only"] is True
    assert spec["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in spec["security_opt"]
    assert "/tmp" in spec["tmpfs"]


def test_references_resolve() -> None:
    services = COMPOSE["services"]
    volumes = set(COMPOSE.get("volumes") or {})
    for name, spec in services.items():
        for dep in spec.get("depends_on", []):
            assert dep in services, f"{name} depends on unknown {dep}"
        for vol in spec.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in volumes, f"{name} uses undeclared volume {source}"
    published = {p for s in services.values() for p in s.get("ports", [])}
    assert "127.0.0.1:5000:5000" in published, "the gateway is the one public API port"
    assert all(p.startswith("127.0.0.1:") for p in published), "publish on loopback only"


def test_every_interpolated_variable_is_in_the_env_example() -> None:
    example = read_env_file(ENV_EXAMPLE)
    text = (ROOT / "docker-compose.yml").read_text()
    for name, op, _ in _VAR.findall(text):
        assert name in example or op == "-", f"${{{name}}} is not in {ENV_EXAMPLE.name}"


@pytest.mark.parametrize("service", SERVICES)
def test_compose_environment_is_accepted_by_the_service(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = read_env_file(ENV_EXAMPLE)
    real = {k: v.replace("change-me", f"s3cret-{k.lower()}") for k, v in example.items()}
    env = container_env(service, real)
    settings = load_settings(service, env, monkeypatch)
    assert settings.env.value == "production"
    assert settings.host == "0.0.0.0"
    assert settings.port == PORTS[service]
    if service != "gateway":
        assert settings.database_url.startswith("postgresql+psycopg2://")
        assert "@postgres:5432/" in settings.database_url
    if service in ("scheduling", "forecasting", "realtime"):
        assert settings.kafka_bootstrap_servers == "kafka:9092"
    if service != "auth":
        assert settings.jwks_url == "http://auth:5001/.well-known/jwks.json"
    if service == "gateway":
        for name, url in settings.upstream_urls().items():
            assert url == f"http://{name}:{PORTS[name]}"
            assert name in COMPOSE["services"]


def test_production_refuses_the_example_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    env = container_env("auth", read_env_file(ENV_EXAMPLE))
    with pytest.raises(ValidationError, match="AUTH_ADMIN_PASSWORD"):
        load_settings("auth", env, monkeypatch)
