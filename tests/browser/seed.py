"""Data the browser tests put in through the gateway, as an integrator would."""

from __future__ import annotations

import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.browser.conftest import Credentials
from tests.integration.suite import Suite

HISTORY_AHT = 240  # seconds: every interval of the seeded history
STEP = timedelta(minutes=15)


def today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def agent(suite: Suite, name: str, queues: list[str]) -> str:
    agent_id = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}"
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/agents", json={"agent_id": agent_id, "name": name, "queues": queues})
    assert resp.status_code == 201, resp.text
    return agent_id


def shift(
    suite: Suite,
    agent_id: str,
    start: datetime,
    hours: float,
    queue: str | None = None,
    activities: list[tuple[str, datetime, timedelta]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    body = {
        "agent_id": agent_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "queue": queue,
        "activities": [
            {"kind": k, "start": at.isoformat(), "end": (at + length).isoformat()}
            for k, at, length in activities
        ],
    }
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/shifts", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["shift"])


def agent_login(suite: Suite, agent_id: str) -> Credentials:
    creds = Credentials(f"u-{agent_id}", secrets.token_urlsafe(12))
    user = {
        "username": creds.username,
        "password": creds.password,
        "roles": ["agent"],
        "agent_id": agent_id,
    }
    with suite.client(suite.admin_token()) as c:
        assert c.post("/users", json=user).status_code == 201
    return creds


@dataclass(frozen=True)
class StoredForecast:
    queue: str
    forecast_id: str
    period_start: datetime


def stored_forecast(suite: Suite, days: int = 14) -> StoredForecast:
    """A queue with ``days`` of 15-minute history up to today 00:00 UTC (handle time always
    ``HISTORY_AHT``), and a finished forecast job of today's 96 intervals."""
    queue = f"fq{uuid.uuid4().hex[:6]}"
    end = today()
    intervals = []
    t = end - timedelta(days=days)
    while t < end:
        hour = t.hour + t.minute / 60
        offered = round(max(0.0, 40 * math.sin(math.pi * (hour - 6) / 14)) + 4)
        intervals.append(
            {
                "interval_start": t.isoformat(),
                "offered": offered,
                "handled": offered,
                "aht_seconds": HISTORY_AHT,
            }
        )
        t += STEP
    with suite.client(suite.admin_token()) as c:
        resp = c.post("/history", json={"queue": queue, "intervals": intervals})
        assert resp.status_code == 200, resp.text
        # A fast model: the tests are about the pages, not about the fit.
        body = {"queue": queue, "periods": 96, "model": "seasonal_naive_daily"}
        resp = c.post("/forecasts", json=body)
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]
        wait_forecast(c, job_id)
    return StoredForecast(queue, job_id, end)


def wait_forecast(c: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    """The finished forecast job (asserting it is done, not failed)."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = c.get(f"/forecasts/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert job["status"] == "done", job
    return job


def post_event(suite: Suite, acd_token: str, agent_id: str, state: str, at: datetime) -> None:
    """One agent event through the gateway, as an ACD sends it."""
    with suite.client(acd_token) as c:
        resp = c.post(
            "/events",
            json={
                "event_id": uuid.uuid4().hex,
                "agent_id": agent_id,
                "state": state,
                "timestamp": at.isoformat(),
                "source": "browser-test",
                "queue": "sales",
            },
        )
    assert resp.status_code == 202, resp.text
