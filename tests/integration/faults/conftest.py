"""Fault tests: a whole stack of their own on a private broker and cluster (see ``infra``).

One stack for the folder; the tests in a module run in order and may build on each other's
state (the realtime kill test folds on top of the Kafka-restart stream).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import running_suite
from tests.integration.faults.infra import PrivateInfra
from tests.integration.suite import Suite


@pytest.fixture(scope="package")
def infra() -> Iterator[PrivateInfra]:
    private = PrivateInfra.create()
    private.start()
    try:
        yield private
    finally:
        private.stop()


@pytest.fixture(scope="package")
def fault_suite(infra: PrivateInfra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    # One model process is enough here and leaves the two cores to the faults.
    extra = {"FORECASTING_POOL_SIZE": "1"}
    with running_suite(
        infra.kafka_bootstrap, infra.database_url, tmp_path_factory, extra_env=extra
    ) as running:
        yield running


@pytest.fixture(scope="package")
def admin(fault_suite: Suite) -> Iterator[httpx.Client]:
    with fault_suite.client(fault_suite.admin_token()) as client:
        yield client
