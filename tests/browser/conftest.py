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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, expect, sync_playwright

from tests.integration.suite import Suite

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# The two screens every page is tried on: a desktop and a phone.
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1400, "height": 900},
    "phone": {"width": 390, "height": 844},
}
# A British English browser in UTC: 24-hour times, so the tests can name them.
LOCALE = "en-GB"
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


@contextmanager
def open_page(browser: Browser, suite: Suite, screen: str) -> Iterator[Page]:
    """A fresh page at the width of ``screen``; an uncaught exception in the dashboard's scripts
    fails the test even when everything else passed."""
    context = browser.new_context(
        base_url=suite.gateway, viewport=VIEWPORTS[screen], timezone_id="UTC", locale=LOCALE
    )
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Browser, suite: Suite) -> Iterator[Page]:
    with open_page(browser, suite, "desktop") as pg:
        yield pg


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


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest) -> str:
    """Each test using it runs at both widths."""
    return str(request.param)


@pytest.fixture
def page_at(browser: Browser, suite: Suite, screen: str) -> Iterator[Page]:
    """A page at the width of ``screen``."""
    with open_page(browser, suite, screen) as pg:
        yield pg


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
             resultTypes: ['violations']})).violations
           .filter(v => v.impact === 'serious' || v.impact === 'critical')
           .map(v => `${v.id} (${v.impact}) x${v.nodes.length}: ${v.nodes.slice(0, 3)
             .map(n => n.target.join(' ')).join(' | ')}`)"""
    )
    return list(found)


def sideways_overflow(page: Page) -> int:
    """Pixels the page scrolls sideways (0 when everything fits the screen's width)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))
