"""The schedule as a timeline: a row per agent, activities on the shifts, a coverage row against
a requirement from a stored forecast, a queue filter, and who is off the phones at 12:15."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import seed
from tests.browser.conftest import Credentials, screenshot, sign_in
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


@pytest.fixture
def forecast(suite: Suite) -> Iterator[seed.StoredForecast]:
    # One queue per test run: the counts below are of this run's agents alone.
    yield seed.stored_forecast(suite)


def test_timeline_shows_who_is_off_the_phones_and_coverage_against_required(
    page_at: Page, screen: str, supervisor: Credentials, suite: Suite, forecast: seed.StoredForecast
) -> None:
    page = page_at
    queue, other = forecast.queue, f"o{uuid.uuid4().hex[:5]}"
    day = seed.today()
    tag = uuid.uuid4().hex[:4]  # names of this run's agents only
    ada = seed.agent(suite, f"Ada Timeline {tag}", [queue])
    bob = seed.agent(suite, f"Bob Timeline {tag}", [queue])
    cy = seed.agent(suite, f"Cy Elsewhere {tag}", [other])
    lunch = ("lunch", day + timedelta(hours=12), timedelta(minutes=30))
    brk = ("break", day + timedelta(hours=10), timedelta(minutes=15))
    seed.shift(suite, ada, day + timedelta(hours=8), 8, queue, [brk, lunch])
    seed.shift(suite, bob, day + timedelta(hours=9), 8, queue)
    seed.shift(suite, cy, day + timedelta(hours=8), 8, other)

    sign_in(page, supervisor)
    page.goto("/#/schedule")
    expect(page.get_by_label("Show")).to_have_value("timeline")
    timeline = page.locator(".tl-box[data-ready='true']")
    expect(timeline).to_be_visible()
    # One row per agent, named; the shift and its activities on Ada's row.
    expect(page.locator(".tl-agent-name", has_text=f"Ada Timeline {tag}")).to_be_visible()
    expect(page.locator(".tl-agent-name", has_text=f"Cy Elsewhere {tag}")).to_be_visible()
    shift_button = page.get_by_role(
        "button", name=re.compile(rf"^Ada Timeline {tag}: shift .*08:00\u201316:00")
    )
    expect(shift_button).to_have_attribute("aria-label", re.compile(r"lunch 12:00\u201312:30"))

    # Filter by queue: Cy (another queue) leaves, Ada and Bob stay.
    page.get_by_label("Queue", exact=True).select_option(queue)
    expect(page.locator(".tl-agent-name", has_text=f"Cy Elsewhere {tag}")).to_have_count(0)
    expect(page.locator(".tl-agent-name", has_text=f"Bob Timeline {tag}")).to_be_visible()
    # Ada's break and lunch lie on her shift (the only ones in this queue).
    expect(page.locator(".vis-item.tl-act-lunch")).to_have_count(1)
    expect(page.locator(".vis-item.tl-act-break")).to_have_count(1)

    # Who is off the phones at 12:15: Ada, at lunch; Bob is on the phones.
    page.get_by_label("Who is off the phones at").fill(f"{day:%Y-%m-%d}T12:15")
    page.get_by_label("Who is off the phones at").dispatch_event("change")
    off = page.locator(".tl-off-list")
    expect(off).to_contain_text("1 on the phones, 1 off the phones")
    expect(off.locator(f'li[data-agent-id="{ada}"]')).to_have_text(f"Ada Timeline {tag}: lunch")
    expect(page.locator(".vis-label.tl-row-off")).to_have_count(1)

    # Required from the stored forecast (listed by the period it covers): the coverage row
    # compares on the phones with required per 15-minute interval.
    picker = page.get_by_label("Required from forecast")
    option = picker.locator(f'option[value="{forecast.forecast_id}"]')
    expect(option).to_have_text(re.compile(rf"^{queue} · volume · .*00:00.*23:45 \(15 min\)$"))
    picker.select_option(forecast.forecast_id)
    expect(page.locator(".tl-req-caption")).to_contain_text("96 intervals of 15 minutes")
    expect(page.locator(".vis-item.tl-cov")).to_have_count(96)
    expect(page.locator(".vis-item.tl-cov.cov-under").first).to_be_attached()
    summary = page.locator(".tl-cov-table summary")
    expect(summary).to_have_text(
        re.compile(r"^Coverage per interval: \d+ of 96 under the requirement$")
    )
    page.locator(".tl-cov-table summary").click()
    # From 12:15 to 12:30 Ada is at lunch, Bob on the phones: one agent scheduled.
    row = page.locator(".tl-cov-table tr", has_text="12:15\u201312:30")
    expect(row.locator("td").nth(1)).to_have_text("1")
    screenshot(page, f"10-timeline-{screen}")

    # A week at once, the same rows.
    page.get_by_label("Range").select_option("week")
    expect(page.locator(".week-title")).to_contain_text("\u2013")
    expect(page.locator(".tl-agent-name", has_text=f"Ada Timeline {tag}")).to_be_visible()
