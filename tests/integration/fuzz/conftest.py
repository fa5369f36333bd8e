"""The fuzz tests get a stack of their own (same broker and cluster, own databases and topics).

They leave junk behind by design: garbage on the suite's topics (which other tests read whole,
e.g. schedule-changes) and whatever generated requests store. Built exactly like ``suite``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import running_suite
from tests.integration.suite import Suite


@pytest.fixture(scope="package")
def fuzz_suite(
    kafka_bootstrap: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Suite]:
    with running_suite(kafka_bootstrap, database_url, tmp_path_factory) as running:
        yield running
