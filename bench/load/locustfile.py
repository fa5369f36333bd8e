"""Load test for the whole suite through the gateway (Locust).

    locust -f bench/load/locustfile.py --host http://127.0.0.1:5000              # web UI
    make load                                                              # headless, report

A realistic mix of the people and systems that use OptiCall at once:

- supervisors (``StaffUser``): read the live board (``GET /realtime``) most, read shifts, create
  shifts, now and then a small ``POST /predict`` (two weeks of daily volumes, 7 days ahead);
- ACD connectors (``AcdUser``): post agent state changes in small batches (``POST /events``);
- wallboards (``BoardUser``): hold a ``/realtime/ws`` WebSocket open and read its updates.

Each simulated user logs in once (``on_start``). The accounts and agents they need are created
first, as admin, through the API (admin password from ``OPTICALL_ADMIN_PASSWORD``, default
``admin123`` as in ``make run``'s development mode). Accounts are shared by several simulated
users, which log in with the right password: the auth service throttles failed logins only.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import websocket
from locust import HttpUser, between, events, task
from locust.env import Environment

RUN = uuid.uuid4().hex[:6]
PASSWORD = f"load-{uuid.uuid4().hex}"
SUPERVISORS = [f"load-sup-{RUN}-{i}" for i in range(20)]
ACDS = [f"load-acd-{RUN}-{i}" for i in range(5)]
AGENTS = [f"load-{RUN}-{i}" for i in range(300)]
QUEUES = ["sales", "support", "billing"]
STATES = ["available", "on_call", "after_call_work", "break", "lunch", "not_ready"]
# Each StaffUser gets agents of its own, so the shifts it creates never overlap another's.
_next_user = itertools.count()
_lock = threading.Lock()


def _admin_token(host: str) -> str:
    import httpx

    password = os.environ.get("OPTICALL_ADMIN_PASSWORD", "admin123")
    resp = httpx.post(f"{host}/login", json={"username": "admin", "password": password}, timeout=30)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


@events.test_start.add_listener
def create_accounts(environment: Environment, **_: Any) -> None:
    """Supervisor and ACD accounts and the agents, as admin, before any user starts."""
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per setup request otherwise
    host = environment.host or "http://127.0.0.1:5000"
    headers = {"Authorization": f"Bearer {_admin_token(host)}"}
    with httpx.Client(base_url=host, headers=headers, timeout=30) as admin:
        for names, role in ((SUPERVISORS, "supervisor"), (ACDS, "acd")):
            for name in names:
                body = {"username": name, "password": PASSWORD, "roles": [role]}
                resp = admin.post("/users", json=body)
                if resp.status_code not in (201, 409):
                    raise RuntimeError(f"cannot create {name}: {resp.status_code} {resp.text}")
        for agent in AGENTS:
            body = {"agent_id": agent, "name": agent, "queues": [random.choice(QUEUES)]}
            resp = admin.post("/agents", json=body)
            if resp.status_code not in (201, 409):
                raise RuntimeError(f"cannot create {agent}: {resp.status_code} {resp.text}")


class _LoggedIn(HttpUser):
    abstract = True
    accounts: list[str] = SUPERVISORS

    def on_start(self) -> None:
        with _lock:
            self.index = next(_next_user)
        username = self.accounts[self.index % len(self.accounts)]
        self.token = self.login(username)
        self.client.headers["Authorization"] = f"Bearer {self.token}"

    def login(self, username: str) -> str:
        """Log in as a real client does: a burst beyond auth's hashing capacity is answered
        503 with Retry-After, and the client comes back after that long. Retries are reported
        under their own name, so the report shows how many logins were shed."""
        body = {"username": username, "password": PASSWORD}
        for attempt in range(10):
            name = "POST /login" if attempt == 0 else "POST /login (after Retry-After)"
            with self.client.post("/login", json=body, name=name, catch_response=True) as r:
                if r.status_code == 200:
                    return str(r.json()["access_token"])
                if r.status_code == 503 and "Retry-After" in r.headers:
                    r.success()  # the documented answer to a burst, not an error
                    time.sleep(float(r.headers["Retry-After"]) * random.uniform(1.0, 1.5))
                    continue
                r.failure(f"{r.status_code}: {r.text[:200]}")
                break
        raise RuntimeError(f"{username} could not log in")


class StaffUser(_LoggedIn):
    weight = 6
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        super().on_start()
        self.agent = AGENTS[self.index % len(AGENTS)]
        # Shifts a day apart from a far date of this user's own: no overlap, no 409.
        self.day = itertools.count()
        self.base = datetime(2030, 1, 1, 8, tzinfo=UTC) + timedelta(days=400 * (self.index // 300))

    @task(10)
    def board(self) -> None:
        self.client.get("/realtime", name="/realtime")

    @task(5)
    def shifts(self) -> None:
        self.client.get("/shifts", params={"agent_id": self.agent, "limit": 50}, name="/shifts")

    @task(2)
    def create_shift(self) -> None:
        start = self.base + timedelta(days=next(self.day))
        body = {
            "agent_id": self.agent,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(),
            "queue": random.choice(QUEUES),
        }
        with self.client.post("/shifts", json=body, name="POST /shifts", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(1)
    def predict(self) -> None:
        start = datetime(2026, 1, 1)
        body = [
            {"ds": (start + timedelta(days=d)).date().isoformat(), "y": 150 + 30 * (d % 7 < 5)}
            for d in range(14)
        ]
        self.client.post("/predict", params={"periods": 7}, json=body, name="POST /predict")


class AcdUser(_LoggedIn):
    weight = 3
    wait_time = between(0.2, 1.0)
    accounts = ACDS

    @task
    def post_events(self) -> None:
        now = datetime.now(UTC).isoformat()
        batch = [
            {
                "agent_id": random.choice(AGENTS),
                "state": random.choice(STATES),
                "timestamp": now,
                "source": "locust",
                "queue": random.choice(QUEUES),
            }
            for _ in range(10)
        ]
        with self.client.post("/events", json=batch, name="POST /events", catch_response=True) as r:
            if r.status_code != 202:
                r.failure(f"{r.status_code}: {r.text[:200]}")


class BoardUser(_LoggedIn):
    """A wallboard: one WebSocket for the whole session, counted message by message."""

    weight = 1
    wait_time = between(0.0, 0.1)

    def on_start(self) -> None:
        super().on_start()
        url = self.host.replace("http", "ws", 1) + "/realtime/ws?access_token=" + self.token
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(url, timeout=30)
            first = self.ws.recv()
        except Exception as exc:
            self._report("WS connect+snapshot", started, 0, exc)
            raise
        self._report("WS connect+snapshot", started, len(first), None)

    def on_stop(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()

    def _report(self, name: str, started: float, size: int, exc: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=exc,
            context={},
        )

    @task
    def read_update(self) -> None:
        started = time.perf_counter()
        self.ws.settimeout(10)
        try:
            message = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return  # a quiet board is not an error
        except Exception as exc:
            self._report("WS message", started, 0, exc)
            raise
        self._report("WS message", started, len(message), None)
