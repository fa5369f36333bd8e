"""Fixtures of the deploy tests: the built overlays (kustomize from deploy/scripts/tools.sh)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.manifests import K8S, OVERLAYS, build, tool


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def objs(overlay: str) -> list[dict[str, Any]]:
    return build(K8S / "overlays" / overlay)


def pytest_collection_finish(session: pytest.Session) -> None:
    # Install kustomize (minutes on a cold Go cache) before any test runs, so that no single
    # test's timeout pays for it. A failed install fails the run: nothing is skipped.
    if any("tests/deploy" in str(item.path) for item in session.items):
        tool("kustomize")
