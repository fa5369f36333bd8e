"""Forecast-job metrics: a duration histogram and a counter by outcome, read from /metrics."""

from __future__ import annotations

import time
import uuid
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from opticall_common import topics
from opticall_common.events import ForecastRequest
from opticall_forecasting.jobs import JobRunner

HISTORY = [{"ds": f"2025-01-{d:02d}T00:00:00Z", "y": 100 + d % 7} for d in range(1, 22)]


def samples(api: TestClient) -> dict[tuple[str, str], float]:
    resp = api.get("/metrics")
    assert resp.status_code == 200
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(resp.text):
        if family.name.startswith("opticall_forecasting_job"):
            for s in family.samples:
                out[(s.name, s.labels.get("outcome", ""))] = s.value
    return out


def wait_for(api: TestClient, key: tuple[str, str], above: float, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if samples(api).get(key, 0.0) > above:
            return
        time.sleep(0.5)
    raise AssertionError(f"{key} never rose above {above}: {samples(api)}")


def publish(api: TestClient, event: ForecastRequest) -> None:
    publisher = api.app.state.res.publisher  # type: ignore[attr-defined]
    assert api.portal is not None
    api.portal.call(publisher.publish, topics.FORECAST_REQUESTS, event.request_id, event)


def test_every_outcome_is_exported_from_the_start(api: TestClient) -> None:
    found = samples(api)
    for outcome in ("done", "failed", "invalid", "duplicate", "interrupted"):
        assert ("opticall_forecasting_jobs_total", outcome) in found
    assert ("opticall_forecasting_job_seconds_count", "done") in found


def test_done_invalid_and_duplicate_jobs_are_counted_and_timed(api: TestClient) -> None:
    before = samples(api)
    resp = api.post("/forecasts", json={"history": HISTORY, "periods": 3})
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    wait_for(
        api,
        ("opticall_forecasting_jobs_total", "done"),
        before[("opticall_forecasting_jobs_total", "done")],
    )
    after = samples(api)
    assert after[("opticall_forecasting_job_seconds_count", "done")] >= (
        before[("opticall_forecasting_job_seconds_count", "done")] + 1
    )
    assert (
        after[("opticall_forecasting_job_seconds_sum", "done")]
        > (before[("opticall_forecasting_job_seconds_sum", "done")])
    )
    # The same request again (a redelivery): only its result is re-published.
    publish(api, ForecastRequest(request_id=job_id, history=HISTORY, periods=3))
    wait_for(
        api,
        ("opticall_forecasting_jobs_total", "duplicate"),
        before[("opticall_forecasting_jobs_total", "duplicate")],
    )
    # A request from another system naming a queue without history: refused by the worker.
    publish(api, ForecastRequest(queue=f"none-{uuid.uuid4().hex[:6]}"))
    wait_for(
        api,
        ("opticall_forecasting_jobs_total", "invalid"),
        before[("opticall_forecasting_jobs_total", "invalid")],
    )
    assert (
        samples(api)[("opticall_forecasting_job_seconds_count", "invalid")]
        > (before[("opticall_forecasting_job_seconds_count", "invalid")])
    )


class BrokenPool:
    """A model pool whose fits raise ``error`` (the real pool is exercised above)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def run(self, *_: Any, **__: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "outcome"),
    [(ValueError("no fit"), "failed"), (BrokenProcessPool("worker died"), "interrupted")],
)
def test_failed_and_interrupted_jobs_are_counted(
    api: TestClient, error: BaseException, outcome: str
) -> None:
    state = api.app.state  # type: ignore[attr-defined]
    runner = JobRunner(state.settings, state.res.sessions, state.res.publisher, BrokenPool(error))  # type: ignore[arg-type]
    before = samples(api)
    event = ForecastRequest(history=HISTORY, periods=3)
    assert api.portal is not None
    if outcome == "interrupted":
        with pytest.raises(BrokenProcessPool):
            api.portal.call(runner.handle, event)
    else:
        api.portal.call(runner.handle, event)
        assert api.get(f"/forecasts/{event.request_id}").json()["status"] == "failed"
    after = samples(api)
    key = ("opticall_forecasting_jobs_total", outcome)
    assert after[key] == before[key] + 1
