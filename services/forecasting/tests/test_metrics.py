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
from opticall_forecasting.jobs import JobRunner, PoisonRequest

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
    publisher = api.app.state.runtime.publisher  # type: ignore[attr-defined]
    assert api.portal is not None
    api.portal.call(publisher.publish, topics.FORECAST_REQUESTS, event.request_id, event)


def test_every_outcome_is_exported_from_the_start(api: TestClient) -> None:
    found = samples(api)
    for outcome in ("done", "failed", "invalid", "duplicate", "interrupted", "dead_lettered"):
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


def broken_runner(api: TestClient, error: BaseException) -> JobRunner:
    runtime = api.app.state.runtime  # type: ignore[attr-defined]
    return JobRunner(runtime.settings, runtime.sessions, runtime.publisher, BrokenPool(error))  # type: ignore[arg-type]


def test_a_failed_fit_is_counted_and_the_job_failed(api: TestClient) -> None:
    runner = broken_runner(api, ValueError("no fit"))
    before = samples(api)
    event = ForecastRequest(history=HISTORY, periods=3)
    assert api.portal is not None
    api.portal.call(runner.handle, event)
    assert api.get(f"/forecasts/{event.request_id}").json()["status"] == "failed"
    key = ("opticall_forecasting_jobs_total", "failed")
    assert samples(api)[key] == before[key] + 1


def test_a_request_crashing_the_pool_is_retried_then_poison(api: TestClient) -> None:
    runner = broken_runner(api, BrokenProcessPool("worker died"))
    attempts = runner.settings.max_attempts
    before = samples(api)
    event = ForecastRequest(history=HISTORY, periods=3)
    assert api.portal is not None
    with pytest.raises(PoisonRequest, match=f"{attempts} times"):
        api.portal.call(runner.handle, event)
    job = api.get(f"/forecasts/{event.request_id}").json()
    assert job["attempts"] == attempts and job["status"] == "running"
    api.portal.call(runner.fail_poison, event, "poison")
    job = api.get(f"/forecasts/{event.request_id}").json()
    assert job["status"] == "failed" and job["error"] == "poison"
    after = samples(api)
    key = ("opticall_forecasting_jobs_total", "interrupted")
    assert after[key] == before[key] + attempts
    dead = ("opticall_forecasting_jobs_total", "dead_lettered")
    assert after[dead] == before[dead] + 1


def test_a_poison_request_redelivered_before_its_failure_was_stored_is_not_fitted_again(
    api: TestClient,
) -> None:
    runner = broken_runner(api, BrokenProcessPool("worker died"))
    event = ForecastRequest(history=HISTORY, periods=3)
    assert api.portal is not None
    with pytest.raises(PoisonRequest):
        api.portal.call(runner.handle, event)
    key = ("opticall_forecasting_jobs_total", "interrupted")
    before = samples(api)[key]
    # The service died after the dead letter: the redelivered request fails at once.
    with pytest.raises(PoisonRequest):
        api.portal.call(runner.handle, event)
    assert samples(api)[key] == before
