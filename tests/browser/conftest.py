"""Browser tests: the dashboard in Debian's headless Chromium, driven by Playwright, against the
whole suite (real services, Kafka and PostgreSQL) started by the ``suite`` fixture of tests/conftest.py.

Playwright's own browser download cannot run here, so the tests launch ``/usr/bin/chromium``
(installed by ``tools/dashboard/scripts/ensure-chromium.sh`` when missing). Screenshots of every page go
to the git-ignored ``screenshots/`` folder for a person to look at.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.integration.suite import Suite

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    subprocess.run(
        [str(ROOT / "tools" / "dashboard" / "scripts" / "ensure-chromium.sh")], check=True
    )
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def supervisor(suite: Suite) -> Credentials:
    """A supervisor account made through the API, for signing in through the page."""
    creds = Credentials(f"sup-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(12))
    with suite.client(suite.admin_token()) as c:
        resp = c.post(
            "/users",
            json={"username": creds.username, "password": creds.password, "roles": ["supervisor"]},
        )
    assert resp.status_code == 201, resp.text
    return creds


@pytest.fixture
def page(browser: Browser, suite: Suite) -> Iterator[Page]:
    context = browser.new_context(
        base_url=suite.gateway, viewport={"width": 1440, "height": 900}, timezone_id="UTC"
    )
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    # An uncaught exception in the dashboard's scripts is a bug even when the test passed.
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Page, creds: Credentials) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(creds.username)
    page.get_by_label("Password").fill(creds.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


@pytest.fixture
def signed_in(page: Page, supervisor: Credentials) -> Page:
    sign_in(page, supervisor)
    return page


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # From the top, so the sticky header sits where a person sees it.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path
