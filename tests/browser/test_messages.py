"""Messages a person understands: the field by its label and the fix, the clashing shift's
times, client-side checks that work in current Chromium, and no silent defaults."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import seed
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


def test_agent_form_checks_the_id_in_the_browser_and_names_fields(signed_in: Page) -> None:
    page = signed_in
    page.goto("/#/schedule")
    page.get_by_role("button", name="New agent").click()
    dialog = page.get_by_role("dialog")
    agent_id = dialog.get_by_label("Agent id")
    # The pattern compiles under the `v` flag Chromium uses, so the browser really checks it.
    pattern = agent_id.get_attribute("pattern")
    assert page.evaluate("p => { new RegExp(`^(?:${p})$`, 'v'); return true; }", pattern)
    agent_id.fill("has space")
    dialog.get_by_label("Name").fill("Grace")
    dialog.get_by_role("button", name="Create agent").click()
    assert agent_id.evaluate("el => el.validity.patternMismatch")
    expect(dialog).to_be_visible()
    # The server's refusal names the field as the form labels it, without validator jargon.
    agent_id.fill("ok-id-timezone")
    dialog.get_by_label("Time zone").fill("Mars/Olympus")
    dialog.get_by_role("button", name="Create agent").click()
    error = dialog.locator(".form-error")
    expect(error).to_have_text(re.compile(r"^Time zone"))
    expect(error).not_to_contain_text("body.")


def test_shift_messages_name_the_clash_and_refuse_start_equal_end(
    signed_in: Page, suite: Suite
) -> None:
    page = signed_in
    ada = seed.agent(suite, "Ada Clash", ["sales"])
    day = seed.today() + timedelta(days=1)
    seed.shift(suite, ada, day + timedelta(hours=8), 8, "sales")
    page.goto("/#/schedule")
    dialog = _new_shift(page, ada, day, "09:00", "09:00")
    error = dialog.locator(".form-error")
    expect(error).to_contain_text("End is the same as start")
    dialog.get_by_label("End", exact=True).fill("12:00")
    dialog.get_by_role("button", name="Create shift").click()
    expect(error).to_contain_text("already has a shift from")
    expect(error).to_contain_text("08:00 to 16:00")
    expect(error).not_to_contain_text("existing shift")


def test_a_shift_saved_in_another_week_is_shown(signed_in: Page, suite: Suite) -> None:
    page = signed_in
    ada = seed.agent(suite, "Ada Later", ["later"])
    later = seed.today() + timedelta(days=21)
    page.goto("/#/schedule")
    page.get_by_label("Show").select_option("table")
    expect(page.locator(f'td.day[data-agent-id="{ada}"]').first).to_be_visible()
    dialog = _new_shift(page, ada, later, "07:00", "15:00")
    expect(dialog).to_have_count(0)
    cell = page.locator(f'td.day[data-agent-id="{ada}"][data-date="{later:%Y-%m-%d}"]')
    expect(cell.locator("button.shift")).to_contain_text("07:00\u201315:00")


def test_zero_periods_is_refused_not_replaced(signed_in: Page) -> None:
    page = signed_in
    page.goto("/#/forecasts")
    page.get_by_label("Periods ahead").fill("0")
    page.get_by_role("button", name="Run forecast").click()
    expect(page.locator("#main .form-error", has_text="Periods ahead")).to_have_text(
        re.compile("whole number from 1 to 10,000")
    )
    expect(page.locator(".run-status")).to_have_text("")


def _new_shift(page: Page, agent_id: str, day: datetime, start: str, end: str) -> Locator:
    """Fill the New shift dialog and submit it; the dialog (gone once saved)."""
    page.get_by_role("button", name="New shift").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Agent", exact=True).select_option(agent_id)
    dialog.get_by_label("Date").fill(f"{day:%Y-%m-%d}")
    dialog.get_by_label("Start", exact=True).fill(start)
    dialog.get_by_label("End", exact=True).fill(end)
    dialog.get_by_role("button", name="Create shift").click()
    return dialog
