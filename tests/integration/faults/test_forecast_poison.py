"""A poison forecast request: every attempt at it kills the model process.

Each time the job is claimed (its ``attempts`` rises) the test SIGKILLs the service's model
processes, as a request that crashes the fit would. After ``FORECASTING_MAX_ATTEMPTS`` (3)
claims the request must be in ``forecast-requests.dlq`` with the error, its job ``failed``
with that reason, and the partition must move on: a good request on the same partition,
queued behind it, completes.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import psutil
import pytest
from aiokafka.partitioner import murmur2

from tests.integration.faults.infra import PrivateInfra
from tests.integration.faults.test_forecast_worker_kill import job, model_processes, upload_month
from tests.integration.forecasting.test_forecasting import results_for
from tests.integration.suite import Suite

pytestmark = pytest.mark.timeout(900)

ATTEMPTS = 3  # the service's default FORECASTING_MAX_ATTEMPTS
PARTITIONS = 3  # the private broker's KAFKA_NUM_PARTITIONS, used by ensure_topics too


def partition_of(key: str) -> int:
    """aiokafka's default partitioner: murmur2 of the key, positive, modulo partitions."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


def same_partition_id(other: str, prefix: str) -> str:
    target = partition_of(other)
    while True:
        candidate = f"{prefix}-{uuid.uuid4().hex}"
        if partition_of(candidate) == target:
            return candidate


def kill_models(service_pid: int) -> int:
    procs = model_processes(service_pid)
    for proc in procs:
        proc.kill()
    psutil.wait_procs(procs, timeout=10)
    return len(procs)


def test_poison_request_is_dead_lettered_and_the_partition_moves_on(
    fault_suite: Suite, admin: httpx.Client, infra: PrivateInfra
) -> None:
    queue = upload_month(admin, "poison")
    service = fault_suite.stack.procs["forecasting"].pid
    poison = f"poison-{uuid.uuid4().hex}"
    good = same_partition_id(poison, "good")
    # A week ahead with the job's candidates (MSTL included): seconds of fitting per attempt.
    resp = admin.post("/forecasts", json={"request_id": poison, "queue": queue, "periods": 672})
    assert resp.status_code == 202, resp.text
    resp = admin.post(
        "/forecasts", json={"request_id": good, "queue": queue, "periods": 96, "model": "prophet"}
    )
    assert resp.status_code == 202, resp.text

    for attempt in range(1, ATTEMPTS + 1):
        deadline = time.monotonic() + 240
        while True:
            body = job(admin, poison)
            if body["status"] == "running" and body["attempts"] == attempt:
                break
            assert body["status"] in ("pending", "running"), body
            assert time.monotonic() < deadline, f"attempt {attempt} never started: {body}"
            time.sleep(0.1)
        # The claim is stored just before the fit is submitted: kill the processes that run it.
        killed = 0
        while killed == 0:
            assert time.monotonic() < deadline, "no model process to kill"
            killed = kill_models(service)
            time.sleep(0.1)

    deadline = time.monotonic() + 240
    while (body := job(admin, poison))["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, f"the poison job never failed: {body}"
        time.sleep(0.5)
    assert body["status"] == "failed", body
    assert body["attempts"] == ATTEMPTS
    assert "crashed" in body["error"] and "BrokenProcessPool" in body["error"], body

    letters = asyncio.run(
        results_for(
            infra.kafka_bootstrap, fault_suite.topic_prefix + "forecast-requests.dlq", poison
        )
    )
    assert len(letters) == 1, letters
    assert "BrokenProcessPool" in letters[0]["error"]
    assert json.loads(letters[0]["value"])["request_id"] == poison

    deadline = time.monotonic() + 300
    while (after := job(admin, good))["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, f"the good request never completed: {after}"
        time.sleep(1)
    assert after["status"] == "done", after
    assert len(after["points"]) == 96
