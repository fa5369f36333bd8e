"""Fixtures of the deploy tests: the built overlays (kustomize from deploy/scripts/tools.sh)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.manifests import K8S, OVERLAYS, build


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def objs(overlay: str) -> list[dict[str, Any]]:
    return build(K8S / "overlays" / overlay)
