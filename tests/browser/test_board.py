"""The live board puts adherence first: out-of-adherence agents lead, with how long they have
been out, names rather than ids, and tiles that count what the filters and search show."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import seed
from tests.browser.conftest import Credentials, screenshot, sign_in
from tests.integration.suite import Suite

pytestmark = pytest.mark.browser


def test_out_of_adherence_agents_lead_with_their_time_out(
    page_at: Page, screen: str, supervisor: Credentials, suite: Suite
) -> None:
    page = page_at
    tag = uuid.uuid4().hex[:5]
    now = datetime.now(UTC)
    working = seed.agent(suite, f"Abe Working {tag}", ["sales"])
    wandering = seed.agent(suite, f"Zed Wandering {tag}", ["sales"])
    for a in (working, wandering):
        seed.shift(suite, a, now - timedelta(hours=2), 4, "sales")
    sign_in(page, supervisor)
    page.goto("/#/board")
    expect(page.locator(".live-status")).to_have_attribute("data-status", "live", timeout=30_000)
    acd = suite.user_token("acd")
    cards = {a: page.locator(f'li.agent[data-agent-id="{a}"]') for a in (working, wandering)}

    # Both working while scheduled to work: in adherence, once realtime has both shifts (the
    # events are re-sent, newer each time, until it has).
    deadline = time.monotonic() + 60
    step = 0
    while not all(c.count() and c.get_attribute("data-adherence") == "in" for c in cards.values()):
        assert time.monotonic() < deadline, "the agents never showed as in adherence"
        step += 1
        for a in cards:
            seed.post_event(suite, acd, a, "available", now - timedelta(minutes=30, seconds=-step))
        page.wait_for_timeout(700)
    # One goes on break for five minutes while scheduled to work (past the grace period): out.
    seed.post_event(suite, acd, wandering, "break", now - timedelta(minutes=5))
    expect(cards[wandering]).to_have_attribute("data-adherence", "out", timeout=30_000)

    # Sorted "out of adherence first" by default: Zed, out, leads Abe, in.
    page.get_by_label("Search", exact=True).fill(tag)
    first = page.locator("li.agent").first
    expect(first).to_have_attribute("data-agent-id", wandering)
    expect(page.get_by_label("Sort by", exact=True)).to_have_value("adherence")
    # Its card names the agent, and says for how long it has been out.
    expect(cards[wandering].locator(".agent-name")).to_have_text(f"Zed Wandering {tag}")
    expect(cards[wandering].locator(".out-for")).to_contain_text("Out of adherence for")
    expect(cards[wandering].locator(".out-time")).to_have_text(
        re.compile(r"^\d+m \d\ds$"), timeout=20_000
    )

    # The tiles count what the search shows: one out, one in (50%).
    out_tile = page.locator('.tile[data-tile="out"] .tile-value')
    expect(out_tile).to_have_text("1")
    expect(page.locator('.tile[data-tile="pct"] .tile-value')).to_have_text("50%")
    page.get_by_label("Search", exact=True).fill(f"Abe Working {tag}")
    expect(out_tile).to_have_text("0")
    expect(page.locator('.tile[data-tile="available"] .tile-value')).to_have_text("1")

    # Filter by adherence: only the out agent stays; the out tile toggles the same filter.
    page.get_by_label("Search", exact=True).fill(tag)
    page.get_by_label("Adherence", exact=True).select_option("out")
    expect(page.locator("li.agent")).to_have_count(1)
    expect(page.locator("li.agent")).to_have_attribute("data-agent-id", wandering)
    page.locator('.tile[data-tile="out"]').click()
    expect(page.get_by_label("Adherence", exact=True)).to_have_value("")
    expect(page.locator("li.agent")).to_have_count(2)

    # Back to work: in adherence again; sorted by name, Abe leads.
    seed.post_event(suite, acd, wandering, "available", now)
    expect(cards[wandering]).to_have_attribute("data-adherence", "in", timeout=30_000)
    expect(cards[wandering].locator(".out-for")).to_have_count(0)
    page.get_by_label("Sort by", exact=True).select_option("name")
    expect(page.locator("li.agent").first).to_have_attribute("data-agent-id", working)
    screenshot(page, f"09-board-adherence-{screen}")
