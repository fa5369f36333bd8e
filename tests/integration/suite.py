"""The handle integration tests get on the running suite (see ``conftest.suite``)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Suite:
    """The running suite: the gateway's URL and ways to act as each role."""

    stack: Any
    env: dict[str, str]
    admin_password: str
    topic_prefix: str
    database_urls: dict[str, str]

    @property
    def gateway(self) -> str:
        return str(self.stack.url("gateway"))

    def metrics_url(self, name: str) -> str:
        """Where a service serves /metrics: the gateway on its metrics port, not the public one."""
        if name == "gateway":
            return f"http://127.0.0.1:{self.env['GATEWAY_METRICS_PORT']}/metrics"
        return str(self.stack.url(name)) + "/metrics"

    def start_service(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """(Re)start one service of the stack with the suite's environment (plus
        ``extra_env``) and wait until it is healthy."""
        import devstack  # registered by tests/conftest.py (scripts/ is not a package)

        env = devstack.service_env(self.stack.ports, self.env)
        env.update(extra_env or {})
        devstack.start_service(self.stack, name, env)
        devstack.wait_healthy(self.stack, name, timeout=180)

    def restart(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.stack.stop(name)
        self.start_service(name, extra_env)

    def client(self, token: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.gateway, headers=headers, timeout=30, **kw)

    def login(self, username: str, password: str) -> dict[str, Any]:
        with self.client() as c:
            resp = c.post("/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def admin_token(self) -> str:
        return str(self.login("admin", self.admin_password)["access_token"])

    def user_token(self, role: str, agent_id: str | None = None) -> str:
        """Create a user with ``role`` (through the gateway, as admin) and log in as it."""
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        password = secrets.token_urlsafe(12)
        body: dict[str, Any] = {"username": username, "password": password, "roles": [role]}
        if agent_id:
            body["agent_id"] = agent_id
        with self.client(self.admin_token()) as c:
            resp = c.post("/users", json=body)
        assert resp.status_code == 201, resp.text
        return str(self.login(username, password)["access_token"])
