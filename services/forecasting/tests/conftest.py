"""The forecasting app in-process: SQLite, the real Kafka broker under a unique topic prefix,
one pool process, and tokens from ``TokenFactory`` instead of the auth service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opticall_common.testing import TokenFactory, drop_topics
from opticall_forecasting.config import Settings
from opticall_forecasting.main import create_app


@pytest.fixture(scope="module")
def api(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tokens = TokenFactory()
    db = tmp_path_factory.mktemp("fc") / "forecasting.db"
    prefix = f"ut{uuid.uuid4().hex[:8]}."
    settings = Settings(
        OPTICALL_ENV="test",
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        KAFKA_TOPIC_PREFIX=prefix,
        database_url=f"sqlite:///{db}",
        pool_size=1,
        warm_statsforecast=False,
        max_points=5_000,
        max_periods=1_000,
        backtest_folds=1,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.runtime.resources.verifier = tokens.verifier()
        client.headers["Authorization"] = f"Bearer {tokens.token(roles=('supervisor',))}"
        client.app_state = {"tokens": tokens, "settings": settings}  # type: ignore[attr-defined]
        yield client
    drop_topics(kafka_bootstrap, prefix)


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
