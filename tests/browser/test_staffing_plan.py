"""Staffing from a stored forecast and the queue's handle-time history, per interval; a bad
pasted line is named."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import seed
from tests.browser.conftest import Credentials, screenshot, sign_in
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


def test_staffing_from_a_stored_forecast_with_aht_from_history(
    page_at: Page, screen: str, supervisor: Credentials, suite: Suite
) -> None:
    page = page_at
    forecast = seed.stored_forecast(suite)
    sign_in(page, supervisor)
    page.goto("/#/staffing")
    page.get_by_label("Source").select_option("stored")
    picker = page.get_by_label("Forecast", exact=True)
    expect(picker.locator(f'option[value="{forecast.forecast_id}"]')).to_be_attached()
    picker.select_option(forecast.forecast_id)
    expect(page.locator(".workload-info")).to_contain_text("15-minute intervals")
    page.get_by_label("Handle time from").select_option("history")
    page.get_by_role("button", name="Calculate staffing").click()
    chart = page.locator('[data-testid="staffing-chart"] figure.chart')
    expect(chart).to_have_attribute("data-points", "96", timeout=30_000)
    # Per interval: the forecast's volume and the history's handle time (240 s throughout).
    page.get_by_text("Per-interval figures").click()
    table = page.get_by_role("region", name="Per-interval figures")
    expect(table.locator("thead")).to_contain_text("Volume")
    expect(table.locator("tbody tr").first.locator("td").nth(2)).to_have_text("240")
    expect(page.get_by_label("Interval", exact=True)).to_have_value("15")

    # One figure instead: the plan says so per interval.
    page.get_by_label("Handle time from").select_option("fixed")
    page.get_by_label("Handle time, one figure (s)").fill("420")
    page.get_by_role("button", name="Calculate staffing").click()
    expect(table.locator("tbody tr").first.locator("td").nth(2)).to_have_text("420")
    screenshot(page, f"11-staffing-plan-{screen}")


def test_a_bad_pasted_line_is_named(signed_in: Page) -> None:
    page = signed_in
    page.goto("/#/staffing")
    page.get_by_label("Source").select_option("csv")
    page.get_by_label("Intervals (CSV)").fill(
        "start,volume,aht_seconds\n2026-11-30T08:00:00Z,120,300\n\nnot-a-time,80,300\n"
    )
    page.get_by_role("button", name="Calculate staffing").click()
    expect(page.locator('form[aria-labelledby="st-form"] .form-error')).to_have_text(
        re.compile(r'^Line 4: start "not-a-time" is not a date and time')
    )
