"""A forecast worker (the model process running a job's fits) SIGKILLed mid-job.

The forecasting service runs fits in a process pool; the job is "running" while a pool process
fits its candidate models. Killing that process must not lose the job: the pool is replaced and
the job completes. (Killing the whole service mid-job is covered by
``tests/integration/forecasting``: the request is redelivered from Kafka after restart.)
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.integration.suite import Suite

pytestmark = pytest.mark.timeout(600)

DATA = Path(__file__).resolve().parents[3] / "services" / "forecasting" / "tests" / "data"


def model_processes(service_pid: int) -> list[psutil.Process]:
    """The pool's worker processes (spawned children), not multiprocessing's resource tracker."""
    out = []
    for child in psutil.Process(service_pid).children():
        try:
            cmd = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        if "spawn_main" in cmd and "resource_tracker" not in cmd:
            out.append(child)
    return out


def job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    resp = client.get(f"/forecasts/{job_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def upload_month(client: httpx.Client, prefix: str) -> str:
    """The real 15-minute month as a new queue's history; returns the queue."""
    queue = f"{prefix}-{uuid.uuid4().hex[:6]}"
    csv = (DATA / "pyworkforce_15min.csv").read_text()
    up = client.post(
        "/history/upload",
        params={"queue": queue},
        content=csv,
        headers={"content-type": "text/csv"},
        timeout=120,
    )
    assert up.status_code == 200, up.text
    return queue


def test_killed_model_worker_mid_job_the_job_still_completes(
    fault_suite: Suite, admin: httpx.Client
) -> None:
    queue = upload_month(admin, "kill")
    service = fault_suite.stack.procs["forecasting"].pid
    before = model_processes(service)
    assert before, "the forecasting service runs no model process"
    request_id = f"kill-{uuid.uuid4().hex}"
    resp = admin.post("/forecasts", json={"request_id": request_id, "queue": queue, "periods": 96})
    assert resp.status_code == 202, resp.text
    deadline = time.monotonic() + 120
    while (status := job(admin, request_id)["status"]) == "pending":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
    assert status == "running", status
    for proc in before:
        proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(before, timeout=10)
    deadline = time.monotonic() + 300
    while (body := job(admin, request_id))["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, f"the job did not finish: {body}"
        time.sleep(1)
    assert body["status"] == "done", body
    assert len(body["points"]) == 96
    after = {p.pid for p in model_processes(service)}
    assert after and not after & {p.pid for p in before}  # the pool was replaced
