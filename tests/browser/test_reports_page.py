"""The reports page shows each report, from data seeded through the gateway."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.seed import wait_forecast
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    queue: str
    forecast_id: str
    agent_id: str
    service_level: float


def _floor15(t: datetime) -> datetime:
    return t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)


@pytest.fixture(scope="module")
def seeded(suite: Suite) -> Iterator[Seeded]:
    """Nine days of a queue's history up to yesterday, a forecast job of its last day, and
    one agent event (so the adherence history has a row)."""
    queue = f"rq{uuid.uuid4().hex[:6]}"
    end = _floor15(datetime.now(UTC) - timedelta(days=1))
    start = end - timedelta(days=9)
    intervals = []
    t = start
    while t < end:
        hour = t.hour + t.minute / 60
        noise = (len(intervals) * 7919) % 9 - 4  # deterministic, so forecasts are not perfect
        offered = max(0, round(max(0.0, 50 * math.sin(math.pi * (hour - 6) / 14)) + 6 + noise))
        intervals.append(
            {
                "interval_start": t.isoformat(),
                "offered": offered,
                "handled": max(0, offered - 1),
                "abandoned": min(1, offered),
                "aht_seconds": 280 + (t.hour % 5) * 10,
                "answered_within_sl": round(offered * 0.8),
                "asa_seconds": 12 + t.hour % 7,
            }
        )
        t += timedelta(minutes=15)
    token = suite.admin_token()
    with suite.client(token) as c:
        resp = c.post("/history", json={"queue": queue, "intervals": intervals})
        assert resp.status_code == 200, resp.text
        # Trained on all but the last day, forecasting that day: actuals exist to compare.
        resp = c.post(
            "/forecasts",
            json={"queue": queue, "periods": 96, "end": (end - timedelta(days=1)).isoformat()},
        )
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]
        wait_forecast(c, job_id)
    agent_id = f"r-{uuid.uuid4().hex[:6]}"
    with suite.client(suite.user_token("acd")) as c:
        resp = c.post(
            "/events",
            json={
                "agent_id": agent_id,
                "state": "available",
                "timestamp": datetime.now(UTC).isoformat(),
            },
        )
        assert resp.status_code == 202, resp.text
    # The adherence history is written asynchronously: wait until the report has the agent.
    window = {
        "start": start.isoformat(),
        "end": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    deadline = time.monotonic() + 60
    with suite.client(token) as c:
        while time.monotonic() < deadline:
            items = c.get("/reports/adherence", params=window).json()["items"]
            if any(i["key"] == agent_id for i in items):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the agent never appeared in the adherence report")
    sl = sum(i["answered_within_sl"] for i in intervals) / sum(i["offered"] for i in intervals)
    yield Seeded(queue, job_id, agent_id, sl)


def _open(page: Page, report: str) -> None:
    page.goto("/#/reports")
    tab = page.locator(f'[role="tab"][data-report="{report}"]')
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def _no_error(page: Page) -> None:
    expect(page.get_by_role("button", name="Show report")).to_be_enabled()
    expect(page.locator("#report-panel .form-error")).to_be_empty()


def test_service_level_report_charts_the_queue(signed_in: Page, seeded: Seeded) -> None:
    page = signed_in
    _open(page, "service-level")
    page.get_by_label("Queue", exact=True).fill(seeded.queue)
    page.get_by_role("button", name="Show report").click()
    _no_error(page)
    figure = page.locator('[data-testid="report-chart"] figure.chart')
    expect(figure).to_have_attribute("data-series", seeded.queue)
    assert int(figure.get_attribute("data-points") or 0) >= 24 * 6  # hourly buckets, 6+ days
    expect(page.locator(".stat", has_text="service level")).to_contain_text(
        f"{seeded.service_level * 100:.1f}%"
    )
    screenshot(page, "06-report-service-level")


def test_forecast_accuracy_report_compares_forecast_and_actuals(
    signed_in: Page, seeded: Seeded
) -> None:
    page = signed_in
    _open(page, "forecast-accuracy")
    page.get_by_label("Forecast", exact=True).select_option(seeded.forecast_id)
    _no_error(page)
    figure = page.locator('[data-testid="report-chart"] figure.chart')
    expect(figure).to_have_attribute("data-series", "Actual|Forecast|Lower bound|Upper bound")
    expect(page.locator(".stat", has_text="Matched intervals")).to_contain_text("96 of 96")
    expect(page.locator(".stat", has_text="WAPE")).to_contain_text("%")
    screenshot(page, "07-report-forecast-accuracy")


def test_adherence_report_lists_the_agent(signed_in: Page, seeded: Seeded) -> None:
    page = signed_in
    _open(page, "adherence")
    _no_error(page)
    bars = page.locator('[data-testid="report-chart"] figure.bars')
    expect(bars.locator(".bar-key", has_text=seeded.agent_id)).to_have_count(1)
    page.get_by_label("Group by").select_option("day")
    _no_error(page)
    expect(page.locator('[data-testid="report-chart"] figure')).to_have_count(1)
    screenshot(page, "08-report-adherence")
