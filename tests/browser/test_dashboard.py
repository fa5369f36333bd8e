"""The dashboard, as a supervisor uses it, in headless Chromium against the real suite."""

from __future__ import annotations

import math
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Credentials, screenshot, sign_in
from tests.browser.seed import post_event
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


def test_sign_in_rejects_a_wrong_password_then_shows_the_dashboard(
    page: Page, supervisor: Credentials
) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot(page, "01-login")
    page.get_by_label("Username").fill(supervisor.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Wrong username or password"))

    sign_in(page, supervisor)
    expect(page.locator("#user-name")).to_have_text(supervisor.username)
    # The token lives in this tab's sessionStorage only, and a reload keeps the session.
    stored = page.evaluate("() => sessionStorage.getItem('opticall.session')")
    assert stored and "access_token" in stored
    assert page.evaluate("() => localStorage.length") == 0
    page.reload()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('opticall.session')") is None


def test_an_expired_access_token_is_refreshed_transparently(
    signed_in: Page,
) -> None:
    page = signed_in
    before = page.evaluate("() => JSON.parse(sessionStorage.getItem('opticall.session'))")
    # Spoil the access token: the next API call gets a 401, refreshes, and retries.
    page.evaluate(
        """() => { const s = JSON.parse(sessionStorage.getItem('opticall.session'));
                   s.access_token = 'spoiled'; sessionStorage.setItem('opticall.session', JSON.stringify(s)); }"""
    )
    page.reload()
    page.goto("/#/schedule")
    expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
    expect(page.locator(".roster-wrap")).not_to_have_attribute("aria-busy", "true")
    after = page.evaluate("() => JSON.parse(sessionStorage.getItem('opticall.session'))")
    assert after["access_token"] not in ("spoiled", before["access_token"])
    assert after["refresh_token"] != before["refresh_token"]  # refresh tokens rotate


def test_live_board_shows_an_agent_change_state(signed_in: Page, suite: Suite) -> None:
    page = signed_in
    acd = suite.user_token("acd")
    agent_id = f"a-{uuid.uuid4().hex[:6]}"
    page.goto("/#/board")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live", timeout=30_000)

    now = datetime.now(UTC)
    post_event(suite, acd, agent_id, "available", now)
    card = page.locator(f'li.agent[data-agent-id="{agent_id}"]')
    expect(card).to_have_attribute("data-state", "available", timeout=30_000)

    # A delta over the open WebSocket, no reload: the card turns "on call".
    post_event(suite, acd, agent_id, "on_call", now + timedelta(seconds=1))
    expect(card).to_have_attribute("data-state", "on_call", timeout=30_000)
    expect(card).to_contain_text("On call")
    expect(card).to_have_class(re.compile(r"\bstate-on_call\b"))

    # Filters: by state hides the agent, by its queue shows it again.
    page.get_by_label("State", exact=True).select_option("break")
    expect(card).to_have_count(0)
    page.get_by_label("State", exact=True).select_option("")
    page.get_by_label("Queue", exact=True).select_option("sales")
    expect(card).to_be_visible()
    screenshot(page, "02-live-board")


def test_create_and_edit_a_shift_in_the_week_calendar(signed_in: Page, suite: Suite) -> None:
    page = signed_in
    agent_id = f"ag-{uuid.uuid4().hex[:6]}"
    page.goto("/#/schedule")
    page.get_by_label("Show").select_option("table")
    page.get_by_role("button", name="New agent").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Agent id").fill(agent_id)
    dialog.get_by_label("Name").fill("Grace Hopper")
    dialog.get_by_label("Queues").fill("sales, support")
    dialog.get_by_role("button", name="Create agent").click()
    expect(dialog).to_have_count(0)

    today = datetime.now(UTC).date().isoformat()
    cell = page.locator(f'td.day[data-agent-id="{agent_id}"][data-date="{today}"]')
    cell.hover()
    cell.get_by_role("button", name=re.compile("Add shift")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Start", exact=True).fill("08:00")
    dialog.get_by_label("End", exact=True).fill("16:30")
    dialog.get_by_label("Queue").fill("sales")
    dialog.get_by_role("button", name="+ Add break or activity").click()
    dialog.get_by_label("Activity 1 start").fill("12:00")
    dialog.get_by_label("Activity 1 end").fill("12:30")
    screenshot(page, "03a-shift-dialog")
    dialog.get_by_role("button", name="Create shift").click()
    expect(dialog).to_have_count(0)
    chip = cell.locator("button.shift")
    expect(chip).to_contain_text("08:00\u201316:30")
    expect(chip).to_contain_text("sales")

    # The shift is stored as sent (UTC, as the browser runs in UTC here).
    with suite.client(suite.admin_token()) as c:
        items = c.get("/shifts", params={"agent_id": agent_id}).json()["items"]
    assert [(s["start"][:16], s["end"][:16]) for s in items] == [
        (f"{today}T08:00", f"{today}T16:30")
    ]
    assert items[0]["activities"][0]["kind"] == "break"

    chip.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("End", exact=True).fill("17:00")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_have_count(0)
    expect(cell.locator("button.shift")).to_contain_text("08:00\u201317:00")
    screenshot(page, "03-schedule")


def _history_csv(path: Path, days: int = 14) -> Path:
    """Two weeks of 15-minute volumes with a daily shape, like the real sample data."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    lines = ["tc,call_volume,aht"]
    for i in range(days * 96):
        t = start + timedelta(minutes=15 * i)
        hour = t.hour + t.minute / 60
        volume = max(0.0, 60 * math.sin(math.pi * (hour - 6) / 14)) + 5 + (i * 7919 % 11)
        lines.append(f"{t:%Y-%m-%d %H:%M:%S}.000,{volume:.0f},{300 + (i % 13) * 5}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_upload_history_run_a_forecast_job_and_see_the_chart(
    signed_in: Page, tmp_path: Path
) -> None:
    page = signed_in
    queue = f"q{uuid.uuid4().hex[:6]}"
    page.goto("/#/forecasts")
    page.get_by_label("CSV file").set_input_files(str(_history_csv(tmp_path / "history.csv")))
    page.get_by_label("Queue name").fill(queue)
    page.get_by_role("button", name="Upload to queue").click()
    figure = page.locator('[data-testid="forecast-chart"] figure.chart')
    expect(page.get_by_label("Queue", exact=True)).to_have_value(queue, timeout=30_000)
    expect(figure).to_have_attribute("data-series", "History")

    page.get_by_label("Periods ahead").fill("96")
    page.get_by_label("Method").select_option("job")
    page.get_by_role("button", name="Run forecast").click()
    expect(figure).to_have_attribute(
        "data-series", "History|Forecast|Lower bound|Upper bound", timeout=120_000
    )
    expect(page.locator(".run-status")).to_contain_text("Forecast of 96 periods")
    assert page.locator(".chart-plot canvas").count() == 1
    screenshot(page, "04-forecasts")


def test_direct_predict_from_a_local_file_then_staffing_and_coverage(
    signed_in: Page, tmp_path: Path, suite: Suite
) -> None:
    page = signed_in
    with suite.client(suite.admin_token()) as c:
        generated_ids = [f"gen-{uuid.uuid4().hex[:6]}" for _ in range(2)]
        for n, agent_id in enumerate(generated_ids):
            agent = {"agent_id": agent_id, "name": f"Generated {n}"}
            assert c.post("/agents", json=agent).status_code == 201
    page.goto("/#/forecasts")
    page.get_by_label("CSV file").set_input_files(str(_history_csv(tmp_path / "local.csv", 7)))
    page.get_by_role("button", name="Chart the file only").click()
    figure = page.locator('[data-testid="forecast-chart"] figure.chart')
    expect(figure).to_have_attribute("data-series", "History")
    page.get_by_label("Periods ahead").fill("48")
    page.get_by_label("Method").select_option("predict")
    page.get_by_role("button", name="Run forecast").click()
    expect(figure).to_have_attribute(
        "data-series", "History|Forecast|Lower bound|Upper bound", timeout=120_000
    )

    # The staffing page takes the forecast just made as its workload.
    page.get_by_role("link", name="Staffing").click()
    page.get_by_label("Source").select_option("forecast")
    page.get_by_label("Interval", exact=True).select_option("30")
    page.get_by_role("button", name="Calculate staffing").click()
    staffing = page.locator('[data-testid="staffing-chart"] figure.chart')
    expect(staffing).to_have_attribute("data-series", "Required (with shrinkage)|On the phones")
    assert (
        int(staffing.get_attribute("data-points") or 0) == 24
    )  # 48 periods of 15 min in 30-min steps

    # A schedule for the requirement, its coverage chart, then published as real shifts. Only
    # this test's agents: the other tests' agents have shifts of their own.
    page.get_by_label("Agents", exact=True).select_option(generated_ids)
    page.get_by_role("button", name="Generate schedule").click()
    generated = page.get_by_role("button", name="Generate schedule")
    expect(generated).to_be_enabled(timeout=90_000)  # disabled while the solver runs
    problem = page.locator("section:has(#cov-title) .form-error").text_content()
    assert not problem, problem
    coverage = page.locator('[data-testid="coverage-chart"] figure.chart')
    expect(coverage).to_have_attribute("data-series", "Required|Scheduled")
    expect(page.locator(".stat", has_text="Status")).to_contain_text("draft")
    screenshot(page, "05-staffing")
    page.get_by_role("button", name="Publish schedule").click()
    expect(page.locator(".stat", has_text="Status")).to_contain_text("published", timeout=30_000)
    assert not page.locator("section:has(#cov-title) .form-error").text_content()


def test_live_board_colours_an_agent_out_of_adherence(signed_in: Page, suite: Suite) -> None:
    page = signed_in
    agent_id = f"adh-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    with suite.client(suite.admin_token()) as c:
        assert c.post("/agents", json={"agent_id": agent_id, "name": "Ada"}).status_code == 201
        shift = {
            "agent_id": agent_id,
            "start": (now - timedelta(hours=2)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
            "queue": "sales",
        }
        assert c.post("/shifts", json=shift).status_code == 201, "shift"
    page.goto("/#/board")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live", timeout=30_000)
    acd = suite.user_token("acd")
    card = page.locator(f'li.agent[data-agent-id="{agent_id}"]')

    # Working while scheduled to work: in adherence (once realtime has the shift from Kafka).
    # Re-sent (newer each time) until then, so the test does not depend on which of the shift
    # and the event reaches realtime first.
    def adherence() -> str | None:
        return card.get_attribute("data-adherence") if card.count() else None

    deadline = time.monotonic() + 60
    step = 0
    while adherence() != "in":
        assert time.monotonic() < deadline, "the agent never showed as in adherence"
        step += 1
        at = now - timedelta(minutes=30) + timedelta(seconds=step)
        post_event(suite, acd, agent_id, "available", at)
        page.wait_for_timeout(1000)
    expect(card).to_contain_text("In adherence")
    # On break for five minutes (past the grace period) while scheduled to work: out.
    post_event(suite, acd, agent_id, "break", now - timedelta(minutes=5))
    expect(card).to_have_attribute("data-adherence", "out", timeout=30_000)
    expect(card).to_have_class(re.compile(r"\badh-out\b"))
    expect(card).to_contain_text("Out of adherence")
    # The roster is fetched again (at most every 10 s) for a new agent's name.
    expect(card).to_contain_text("Ada", timeout=20_000)
    expect(page.locator(".tile-adh .tile-value")).not_to_have_text(
        "\u2013"
    )  # an en dash: no figure
    page.wait_for_timeout(1500)  # cosmetic: let the change highlight fade before the picture
    screenshot(page, "02b-live-board-adherence")
