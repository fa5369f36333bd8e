"""Weak passwords and control characters are refused through the gateway (issue #27 section 3):
NIST SP 800-63B-4's minimum length and breach corpus, for new users and password changes."""

from __future__ import annotations

import secrets
import uuid

import pytest

from tests.integration.suite import Suite


@pytest.mark.parametrize(
    "password", ["12345678", "123456789012345", "passwordpassword", "qwertyuiopasdfgh"]
)
def test_weak_passwords_are_refused_for_new_users_and_changes(suite: Suite, password: str) -> None:
    username = f"pw-{uuid.uuid4().hex[:8]}"
    with suite.client(suite.admin_token()) as c:
        resp = c.post(
            "/users", json={"username": username, "password": password, "roles": ["agent"]}
        )
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"][0]["field"] == "body.password"
        strong = secrets.token_urlsafe(16)
        made = c.post("/users", json={"username": username, "password": strong, "roles": ["agent"]})
        assert made.status_code == 201, made.text
        change = c.patch(f"/users/{username}", json={"password": password})
        assert change.status_code == 422, change.text
    assert suite.login(username, strong)["access_token"]  # the old password still holds


def test_control_characters_in_user_names_are_refused(suite: Suite) -> None:
    with suite.client(suite.admin_token()) as c:
        for name in ("nul\u0000user", "new\nline", "del\u007fuser"):
            body = {"username": name, "password": secrets.token_urlsafe(16), "roles": ["agent"]}
            resp = c.post("/users", json=body)
            assert resp.status_code == 422, (name, resp.text)
    with suite.client() as c:
        resp = c.post("/login", json={"username": "nul\u0000user", "password": "whatever-it-is"})
    assert resp.status_code == 422
    assert "control characters" in resp.json()["detail"] + str(resp.json().get("errors"))
