"""The service images: one multi-stage recipe (deploy/Dockerfile) for the five services,
linted by hadolint and parsed.

No Docker engine runs here, so the images are not built; these checks hold the recipe to what
the Kubernetes manifests and compose rely on (non-root user, frozen lock, entry point), with
each service's build arguments substituted as ``docker build --build-arg`` would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy.manifests import PORTS, ROOT, SERVICES

HADOLINT = Path(sys.executable).with_name("hadolint")
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(service: str) -> list[dict[str, str]]:
    parser = DockerfileParser(
        path=str(DOCKERFILE),
        build_args={"SERVICE": service, "PORT": str(PORTS[service])},
    )
    return list(parser.structure)


def stages(service: str) -> list[list[dict[str, str]]]:
    out: list[list[dict[str, str]]] = []
    for ins in instructions(service):
        if ins["instruction"] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def values(stage: list[dict[str, str]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def image_env(service: str) -> dict[str, str]:
    """The runtime stage's ENV for ``service``, build arguments substituted."""
    parser = DockerfileParser(
        path=str(DOCKERFILE),
        build_args={"SERVICE": service, "PORT": str(PORTS[service])},
    )
    return dict(parser.envs)


def test_one_recipe_serves_every_service() -> None:
    assert DOCKERFILE.is_file()
    assert not list(ROOT.glob("services/*/Dockerfile")), "no per-service copies"


def test_hadolint_passes_the_recipe() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_multi_stage_on_python_slim(service: str) -> None:
    parsed = stages(service)
    assert len(parsed) >= 2, "build and runtime stages"
    args = " ".join(i["value"] for i in instructions(service) if i["instruction"] == "ARG")
    assert "PYTHON_IMAGE=python:3.11-slim" in args
    assert all(values(s, "FROM")[0].startswith("${PYTHON_IMAGE}") for s in parsed)


@pytest.mark.parametrize("service", SERVICES)
def test_build_stage_syncs_only_this_package_from_the_frozen_lock(service: str) -> None:
    build = stages(service)[0]
    syncs = [v for v in values(build, "RUN") if "uv sync" in v]
    assert syncs, "the build stage installs with uv sync"
    for cmd in syncs:
        for flag in ("--frozen", '--package "opticall-${SERVICE}"', "--no-dev"):
            assert flag in cmd, f"{flag!r} missing from {cmd!r}"
    copies = " ".join(values(build, "COPY"))
    assert "uv.lock" in copies
    assert (ROOT / "services" / service / "pyproject.toml").is_file()
    assert f"services/{service}/pyproject.toml" in copies, "every member is in the workspace"


@pytest.mark.parametrize("service", SERVICES)
def test_runtime_stage_runs_as_non_root_with_the_service_module(service: str) -> None:
    runtime = stages(service)[-1]
    users = values(runtime, "USER")
    assert users, "the runtime stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid (runAsNonRoot can check it)"
    cmd = values(runtime, "CMD")[-1]
    assert "exec python -m" in cmd and "opticall_${OPTICALL_SERVICE}" in cmd
    env = image_env(service)
    assert env["OPTICALL_SERVICE"] == service
    assert env[f"{service.upper()}_HOST"] == "0.0.0.0"
    assert env["OPTICALL_PORT"] == str(PORTS[service])
    # Only the venv crosses from the build stage: no source tree, no uv in the image.
    from_build = [v for v in values(runtime, "COPY") if v.startswith("--from=build")]
    assert from_build == ["--from=build /app/.venv /app/.venv"]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for must in ("**/.venv", "**/.local", "**/.git", ".env", "*.env", "**/__pycache__"):
        assert must in patterns
    # What the recipe copies must not be ignored.
    for needed in ("uv.lock", "pyproject.toml", "libs", "services"):
        assert needed not in patterns
