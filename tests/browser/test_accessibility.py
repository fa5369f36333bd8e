"""WCAG 2.1 AA on every page at both widths (axe-core in the browser), no sideways scrolling,
and a keyboard that reaches what a mouse does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import seed
from tests.browser.conftest import (
    Credentials,
    accessibility_problems,
    screenshot,
    sideways_overflow,
    sign_in,
)
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser

# Each page, and what shows that it has finished loading.
SUPERVISOR_PAGES = {
    "board": ".live-status[data-status='live']",
    "schedule": ".tl-box[data-ready='true']",
    "forecasts": "[data-testid='forecast-chart'] > *",
    "staffing": "[data-testid='staffing-chart'] > *",
    "reports": "[data-testid='report-chart'] > *",
}


def test_every_supervisor_page_passes_axe_and_fits_the_screen(
    page_at: Page, screen: str, supervisor: Credentials, suite: Suite
) -> None:
    page = page_at
    ada = seed.agent(suite, "Ada Axe", ["sales"])
    start = seed.today() + timedelta(hours=8)
    seed.shift(
        suite,
        ada,
        start,
        8,
        "sales",
        [("lunch", start + timedelta(hours=4), timedelta(minutes=30))],
    )
    problems: dict[str, list[str]] = {}
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    problems["login"] = accessibility_problems(page)
    sign_in(page, supervisor)
    for name, ready in SUPERVISOR_PAGES.items():
        page.goto(f"/#/{name}")
        expect(page.locator(ready).first).to_be_attached(timeout=30_000)
        found = accessibility_problems(page)
        if overflow := sideways_overflow(page):
            found.append(f"the page scrolls sideways by {overflow}px")
        problems[name] = found
        screenshot(page, f"a11y-{name}-{screen}")
    # The week table of the schedule too (the timeline is the default view).
    page.goto("/#/schedule")
    page.get_by_label("Show").select_option("table")
    expect(page.locator("table.roster")).to_be_visible()
    problems["schedule table"] = accessibility_problems(page) + (
        [f"sideways {o}px"] if (o := sideways_overflow(page)) else []
    )
    assert not any(problems.values()), problems


def test_the_agent_page_passes_axe_and_fits_a_phone(
    page_at: Page, screen: str, suite: Suite
) -> None:
    page = page_at
    agent_id = seed.agent(suite, "Bea Phone", ["sales"])
    start = seed.today() + timedelta(days=1, hours=8)
    seed.shift(suite, agent_id, start, 8, "sales")
    sign_in(page, seed.agent_login(suite, agent_id))
    expect(page.locator("li.shift-item")).to_have_count(1)
    problems = accessibility_problems(page)
    assert not problems, problems
    assert sideways_overflow(page) <= 0
    # The offer form opens inside the page and stays within the screen.
    page.get_by_role("button", name="Offer").click()
    expect(page.get_by_role("button", name="Send offer")).to_be_in_viewport()
    assert sideways_overflow(page) <= 0


def test_dialogs_fit_a_phone_and_their_buttons_are_reachable(
    page_at: Page, screen: str, supervisor: Credentials
) -> None:
    page = page_at
    sign_in(page, supervisor)
    page.goto("/#/schedule")
    page.get_by_role("button", name="New shift").click()
    dialog = page.get_by_role("dialog")
    for _ in range(3):
        dialog.get_by_role("button", name="+ Add break or activity").click()
    box = dialog.bounding_box()
    assert box is not None
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    save = dialog.get_by_role("button", name="Create shift")
    save.scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    assert not accessibility_problems(page)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)


def test_the_keyboard_reaches_the_report_table_and_the_timeline_shifts(
    signed_in: Page, suite: Suite
) -> None:
    page = signed_in
    ada = seed.agent(suite, "Ada Keys", ["kb"])
    shift = seed.shift(suite, ada, seed.today() + timedelta(hours=9), 8, "kb")
    # A shift on the timeline is a button: Tab reaches it, Enter opens it.
    page.goto("/#/schedule")
    page.get_by_label("Queue", exact=True).select_option("kb")
    button = page.locator(f'.tl-shift-btn[data-shift-id="{shift["id"]}"]')
    expect(button).to_be_visible()
    assert _tab_to(page, f'.tl-shift-btn[data-shift-id="{shift["id"]}"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("Edit shift")
    page.keyboard.press("Escape")
    # The adherence report's table scrolls in its own box: Tab must reach that box.
    page.goto("/#/reports")
    page.locator('[role="tab"][data-report="adherence"]').click()
    region = page.get_by_role("region", name="Report table")
    expect(region).to_be_attached()
    assert _tab_to(page, '[role="region"][aria-label="Report table"]')


def _tab_to(page: Page, selector: str, limit: int = 80) -> bool:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return True
    return False
