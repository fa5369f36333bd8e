"""The agent's own view, as an agent uses it, in headless Chromium against the real suite:
their coming shifts, balances, a time-off request, a calendar link, and a shift trade offered
by one agent and accepted by another; on a desktop and on a phone-sized screen."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, Response, ViewportSize, expect

from tests.browser.conftest import LOCALE, VIEWPORTS, Credentials, screenshot, sign_in
from tests.browser.seed import agent_login
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


def _agent_user(suite: Suite, admin: str, agent_id: str, queue: str) -> Credentials:
    with suite.client(admin) as c:
        assert (
            c.post(
                "/agents", json={"agent_id": agent_id, "name": agent_id, "queues": [queue]}
            ).status_code
            == 201
        )
        body = {"balances": [{"type": "vacation", "hours": 40}]}
        assert c.put(f"/agents/{agent_id}/time-off-balances", json=body).status_code == 200
    return agent_login(suite, agent_id)


def _page(browser: Browser, suite: Suite, viewport: ViewportSize) -> tuple[Page, list[str]]:
    context = browser.new_context(
        base_url=suite.gateway,
        viewport=viewport,
        timezone_id="UTC",
        locale=LOCALE,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))

    def refused(resp: Response) -> None:
        # An agent's page must never call what the agent may not (no 401/403 at all).
        if resp.status in (401, 403):
            problems.append(f"{resp.status} {resp.request.method} {resp.url}")

    page.on("response", refused)
    return page, problems


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> Iterator[str]:
    yield str(request.param)


def test_agent_plans_time_off_gets_a_calendar_and_trades_a_shift(
    browser: Browser, suite: Suite, viewport: str
) -> None:
    admin = suite.admin_token()
    queue = f"q{uuid.uuid4().hex[:6]}"
    ada, bob = f"ada-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    ada_login, bob_login = (
        _agent_user(suite, admin, ada, queue),
        _agent_user(suite, admin, bob, queue),
    )
    day = (datetime.now(UTC) + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    with suite.client(admin) as c:
        shift = c.post(
            "/shifts",
            json={
                "agent_id": ada,
                "start": day.isoformat(),
                "end": (day + timedelta(hours=8)).isoformat(),
                "queue": queue,
                "activities": [
                    {
                        "kind": "lunch",
                        "start": (day + timedelta(hours=4)).isoformat(),
                        "end": (day + timedelta(hours=4, minutes=30)).isoformat(),
                    }
                ],
            },
        ).json()

    page, problems = _page(browser, suite, VIEWPORTS[viewport])
    sign_in(page, ada_login)
    expect(page.get_by_role("heading", name="My schedule")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My schedule")).to_be_visible()
    expect(nav.get_by_role("link", name="Live board")).to_be_hidden()
    item = page.locator(f'li.shift-item[data-shift-id="{shift["id"]}"]')
    expect(item).to_contain_text("08:00\u201316:00")
    expect(item.locator(".chip-lunch")).to_contain_text("12:00\u201312:30")
    expect(page.locator('li.balance[data-type="vacation"]')).to_contain_text("40 h")

    # Time off on a day without shifts: eight hours, approved at once, balance down to 32.
    off = (day + timedelta(days=7)).date().isoformat()
    until = (day + timedelta(days=8)).date().isoformat()
    form = page.locator("form.time-off-form")
    form.get_by_label("From").fill(off)
    form.get_by_label("Until").fill(until)
    form.get_by_label("Note").fill("wedding")
    form.get_by_role("button", name="Request").click()
    request = page.locator("li.request").first
    expect(request).to_have_attribute("data-status", "approved")
    expect(page.locator('li.balance[data-type="vacation"]')).to_contain_text("32 h")

    # The calendar link serves the shift as iCalendar, without any token.
    page.get_by_role("button", name="Get calendar link").click()
    url = page.get_by_label("Calendar link").input_value()
    assert re.fullmatch(r"http://[^/]+/calendar/[A-Za-z0-9_-]{43}\.ics", url), url
    feed = page.context.request.get(url, headers={"Authorization": ""})
    assert feed.status == 200 and f"UID:{shift['id']}" in feed.text()

    # Offer the shift to Bob.
    item.get_by_role("button", name="Offer").click()
    item.get_by_label(re.compile("Offer to")).fill(bob)
    item.get_by_role("button", name="Send offer").click()
    expect(page.locator("li.trade").first).to_have_attribute("data-status", "offered")
    if viewport == "phone":
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    screenshot(page, f"06-agent-view-{viewport}")

    # Bob accepts; the rules hold, so the shift is his at once.
    bob_page, bob_problems = _page(browser, suite, VIEWPORTS[viewport])
    sign_in(bob_page, bob_login)
    offer = bob_page.locator("li.trade").first
    expect(offer).to_contain_text(f"{ada} offers you")
    offer.get_by_role("button", name="Accept").click()
    expect(bob_page.locator("li.trade").first).to_have_attribute("data-status", "approved")
    expect(bob_page.locator(f'li.shift-item[data-shift-id="{shift["id"]}"]')).to_be_visible()
    screenshot(bob_page, f"07-agent-trade-{viewport}")
    with suite.client(admin) as c:
        assert c.get(f"/shifts/{shift['id']}").json()["agent_id"] == bob

    assert not problems and not bob_problems, problems + bob_problems
    page.context.close()
    bob_page.context.close()
