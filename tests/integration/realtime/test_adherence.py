"""Real-time adherence against schedule-changes, with a realtime process on 2-second graces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from opticall_common import topics
from opticall_common.events import (
    AgentEvent,
    ChangeOp,
    ScheduleChange,
    ShiftActivity,
    ShiftSnapshot,
)
from tests.integration.realtime.conftest import agents_by_id, eventually, publish
from tests.integration.suite import Suite

pytestmark = pytest.mark.usefixtures("fast_grace")


def shift_change(
    agent: str, start: datetime, end: datetime, activities: list[ShiftActivity]
) -> ScheduleChange:
    snap = ShiftSnapshot(
        id=f"shift-{agent}",
        agent_id=agent,
        start=start,
        end=end,
        activities=activities,
        queue="sales",
    )
    return ScheduleChange(op=ChangeOp.created, shift_id=snap.id, agent_id=agent, shift=snap)


def test_on_call_during_a_scheduled_break_is_out(
    suite: Suite, kafka_bootstrap: str, admin: httpx.Client, unique: str
) -> None:
    agent = f"brk-{unique}"
    now = datetime.now(UTC)
    on_call = AgentEvent(
        agent_id=agent, state="on_call", timestamp=now - timedelta(minutes=1), queue=f"adh-{unique}"
    )
    publish(kafka_bootstrap, suite.topic_prefix, topics.AGENT_EVENTS, [(agent, on_call)])
    eventually(
        lambda: agents_by_id(admin).get(agent, {}).get("adherence"), lambda a: a == "unscheduled"
    )
    change = shift_change(
        agent,
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        [
            ShiftActivity(
                kind="break", start=now - timedelta(minutes=5), end=now + timedelta(minutes=10)
            )
        ],
    )
    publish(kafka_bootstrap, suite.topic_prefix, topics.SCHEDULE_CHANGES, [(agent, change)])
    got = eventually(
        lambda: agents_by_id(admin).get(agent, {}), lambda a: a.get("adherence") == "out"
    )
    assert got["scheduled_activity"] == "break"
    # Going on break brings the agent back in adherence.
    on_break = AgentEvent(agent_id=agent, state="break", timestamp=datetime.now(UTC))
    publish(kafka_bootstrap, suite.topic_prefix, topics.AGENT_EVENTS, [(agent, on_break)])
    eventually(lambda: agents_by_id(admin)[agent]["adherence"], lambda a: a == "in")
    history = eventually(
        lambda: [
            h["adherence"]
            for h in admin.get("/adherence", params={"agent_id": agent}).json()["items"]
        ],
        lambda got: got == ["unscheduled", "out", "in"],
    )
    assert history == ["unscheduled", "out", "in"]


def test_shift_start_while_logged_out_flips_with_no_event(
    suite: Suite, kafka_bootstrap: str, admin: httpx.Client, unique: str
) -> None:
    agent = f"late-{unique}"
    now = datetime.now(UTC)
    logged_out = AgentEvent(
        agent_id=agent,
        state="logged_out",
        timestamp=now - timedelta(hours=1),
        queue=f"adh-{unique}",
    )
    publish(kafka_bootstrap, suite.topic_prefix, topics.AGENT_EVENTS, [(agent, logged_out)])
    start = now + timedelta(seconds=6)
    publish(
        kafka_bootstrap,
        suite.topic_prefix,
        topics.SCHEDULE_CHANGES,
        [(agent, shift_change(agent, start, start + timedelta(hours=8), []))],
    )
    before = eventually(
        lambda: agents_by_id(admin).get(agent, {}), lambda a: a.get("adherence") == "unscheduled"
    )
    assert before["scheduled_activity"] is None
    # Nothing else is sent: the boundary timer alone turns the agent out (after the grace).
    got = eventually(
        lambda: agents_by_id(admin)[agent], lambda a: a["adherence"] == "out", timeout=90
    )
    assert got["scheduled_activity"] == "work" and got["state"] == "logged_out"
    assert datetime.now(UTC) >= start
    items = eventually(
        lambda: admin.get("/adherence", params={"agent_id": agent}).json()["items"],
        lambda got: bool(got) and got[-1]["adherence"] == "out",
    )
    assert items[-1]["scheduled_activity"] == "work"

    report = admin.get(
        "/reports/adherence",
        params={
            "start": (now - timedelta(hours=2)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "group_by": "agent",
        },
    )
    assert report.status_code == 200, report.text
    row = next(r for r in report.json()["items"] if r["key"] == agent)
    assert row["out_seconds"] > 0 and row["unscheduled_seconds"] > 0
    csv = admin.get(
        "/reports/adherence",
        params={
            "start": (now - timedelta(hours=2)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "group_by": "queue",
            "format": "csv",
        },
    )
    assert csv.status_code == 200 and csv.text.startswith("key,agents,")
    assert f"adh-{unique}" in csv.text
