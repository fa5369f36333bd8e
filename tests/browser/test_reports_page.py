"""The reports page loads each report through the gateway and shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("report", ["service-level", "forecast-accuracy", "adherence"])
def test_each_report_loads_without_error(signed_in: Page, report: str) -> None:
    page = signed_in
    page.goto("/#/reports")
    tab = page.locator(f'[role="tab"][data-report="{report}"]')
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name="Show report")).to_be_enabled()
    # Either a chart/table or the "nothing to report" note, never an error message.
    expect(page.locator("#report-panel .form-error")).to_be_empty()
    expect(page.locator('[data-testid="report-chart"] > *')).to_have_count(1)
    screenshot(page, f"06-report-{report}")
