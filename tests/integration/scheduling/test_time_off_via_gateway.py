"""Time off, shift trades, calendar feeds and notifications through the gateway, on real
Kafka and PostgreSQL: what an agent and a supervisor do, and what integrators receive."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from icalendar import Calendar

from opticall_common import topics
from tests.integration.scheduling.changes import dedupe, read_changes, read_notifications
from tests.integration.suite import Suite

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)


def at(days: float, hours: float = 0) -> str:
    return (MONDAY + timedelta(days=days, hours=hours)).isoformat()


@pytest.fixture(scope="module")
def supervisor(suite: Suite) -> httpx.Client:
    return suite.client(suite.user_token("supervisor"))


def new_agent(staff: httpx.Client, queue: str, hours: float = 80) -> str:
    agent_id = f"to-{uuid.uuid4().hex[:10]}"
    resp = staff.post("/agents", json={"agent_id": agent_id, "name": agent_id, "queues": [queue]})
    assert resp.status_code == 201, resp.text
    body = {"balances": [{"type": "vacation", "hours": hours}]}
    assert staff.put(f"/agents/{agent_id}/time-off-balances", json=body).status_code == 200
    return agent_id


def shift(staff: httpx.Client, agent_id: str, start: str, end: str, queue: str) -> str:
    resp = staff.post(
        "/shifts", json={"agent_id": agent_id, "start": start, "end": end, "queue": queue}
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_agent_time_off_changes_the_schedule_and_tells_everyone(
    suite: Suite, supervisor: httpx.Client
) -> None:
    queue = f"q-{uuid.uuid4().hex[:6]}"
    agent_id = new_agent(supervisor, queue)
    shift_id = shift(supervisor, agent_id, at(0, 8), at(0, 16), queue)
    with suite.client(suite.user_token("agent", agent_id=agent_id)) as agent:
        resp = agent.post(
            "/time-off",
            json={
                "agent_id": agent_id,
                "type": "vacation",
                "start": at(0, 12),
                "end": at(1),
                "note": "family",
            },
        )
        assert resp.status_code == 201, resp.text
        request = resp.json()
        assert (request["status"], request["hours"]) == ("approved", 4)
        assert (
            agent.get(f"/agents/{agent_id}/time-off-balances").json()["balances"][0]["hours"] == 76
        )
        mine = agent.get("/shifts").json()["items"]
        assert [a["kind"] for a in mine[0]["activities"]] == ["time_off"]
        # Nothing of the supervisor's: an agent is refused those calls.
        assert agent.post(f"/time-off/{request['id']}/approve").status_code == 403
        assert agent.get("/queues/x/time-off-allowance").status_code == 403

    prefix = suite.topic_prefix
    changes = dedupe(
        read_changes(
            suite.env["KAFKA_BOOTSTRAP_SERVERS"],
            topics.topic(topics.SCHEDULE_CHANGES, prefix),
            lambda seen: any(c.shift_id == shift_id and c.op == "updated" for c in seen),
        )
    )
    updated = [c for c in changes if c.shift_id == shift_id and c.op == "updated"]
    assert updated and updated[-1].agent_id == agent_id
    (off,) = [a for a in updated[-1].shift.activities if a.kind == "time_off"]
    assert off.start == MONDAY + timedelta(hours=12) and off.end == MONDAY + timedelta(hours=16)

    notes = read_notifications(
        suite.env["KAFKA_BOOTSTRAP_SERVERS"],
        topics.topic(topics.AGENT_NOTIFICATIONS, prefix),
        lambda seen: any(n.time_off_id == request["id"] for n in seen),
    )
    mine_notes = [n for n in notes if n.agent_id == agent_id]
    assert [n.kind.value for n in mine_notes] == ["schedule_changed", "time_off_approved"]
    assert mine_notes[1].shift_ids == [shift_id] and "approved" in mine_notes[1].message


def test_twenty_requests_race_for_the_last_slot(suite: Suite, supervisor: httpx.Client) -> None:
    queue = f"race-{uuid.uuid4().hex[:6]}"
    assert (
        supervisor.put(
            f"/queues/{queue}/time-off-allowance", json={"max_agents_off": 2}
        ).status_code
        == 200
    )
    first = new_agent(supervisor, queue)
    taken = supervisor.post(
        "/time-off", json={"agent_id": first, "type": "vacation", "start": at(7), "end": at(8)}
    )
    assert taken.json()["status"] == "approved"  # one slot of two left
    agents = [new_agent(supervisor, queue) for _ in range(20)]
    token = suite.user_token("supervisor")

    def ask(agent_id: str) -> dict[str, str]:
        with suite.client(token) as client:
            resp = client.post(
                "/time-off",
                json={
                    "agent_id": agent_id,
                    "type": "vacation",
                    "start": at(7, 6),
                    "end": at(7, 18),
                },
            )
            assert resp.status_code == 201, resp.text
            return dict(resp.json())

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(ask, agents))
    statuses = sorted((r["status"], r["reason"] or "") for r in results)
    assert statuses == [("approved", "")] + [("pending", "allowance")] * 19, statuses
    approved = supervisor.get(
        "/time-off", params={"status": "approved", "start": at(7), "end": at(8)}
    )
    ours = [r for r in approved.json()["items"] if r["agent_id"] in set(agents) | {first}]
    assert len(ours) == 2


@pytest.fixture(scope="module")
def trade_floor(supervisor: httpx.Client) -> dict[str, str]:
    queue = f"tq-{uuid.uuid4().hex[:6]}"
    giver, taker = new_agent(supervisor, queue), new_agent(supervisor, queue)
    other = new_agent(supervisor, f"other-{queue}")
    return {"queue": queue, "giver": giver, "taker": taker, "other": other}


# max_shift_length is in the unit tests: the running service refuses such a shift at every
# write, so only a lowered setting (which a test of the real process cannot change) makes one.
RULE_CASES = ["queue", "overlap", "min_rest", "weekly_hours", "availability", "lead_time"]


@pytest.mark.parametrize("rule", RULE_CASES)
def test_each_trade_rule_is_refused_through_the_gateway(
    suite: Suite, supervisor: httpx.Client, trade_floor: dict[str, str], rule: str
) -> None:
    q, giver = trade_floor["queue"], trade_floor["giver"]
    week = 14 + 7 * RULE_CASES.index(rule)  # each case in its own week
    taker = trade_floor["other"] if rule == "queue" else trade_floor["taker"]
    if rule == "overlap":
        shift(supervisor, taker, at(week, 10), at(week, 18), q)
    elif rule == "min_rest":
        shift(supervisor, taker, at(week - 1, 14), at(week - 1, 22), q)  # ends 22:00, next at 04:00
    elif rule == "weekly_hours":
        for d in range(1, 5):
            shift(supervisor, taker, at(week + d, 8), at(week + d, 18), q)  # 40 h
    elif rule == "availability":
        off = {"agent_id": taker, "type": "vacation", "start": at(week), "end": at(week + 1)}
        assert supervisor.post("/time-off", json=off).json()["status"] == "approved"
    if rule == "lead_time":
        soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
        start, end = soon.isoformat(), (soon + timedelta(hours=6)).isoformat()
    elif rule == "min_rest":
        start, end = at(week, 4), at(week, 10)
    else:
        start, end = at(week, 8), at(week, 16)
    offered = shift(supervisor, giver, start, end, q)
    with suite.client(suite.user_token("agent", agent_id=giver)) as g:
        trade = g.post("/shift-trades", json={"shift_id": offered, "to_agent_id": taker})
        assert trade.status_code == 201, trade.text
    with suite.client(suite.user_token("agent", agent_id=taker)) as t:
        resp = t.post(f"/shift-trades/{trade.json()['id']}/accept")
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["rule"] == rule
    assert supervisor.get(f"/shifts/{offered}").json()["agent_id"] == giver


def test_a_trade_swaps_owners_and_publishes_both_sides(
    suite: Suite, supervisor: httpx.Client, trade_floor: dict[str, str]
) -> None:
    q, giver, taker = trade_floor["queue"], trade_floor["giver"], trade_floor["taker"]
    mine = shift(supervisor, giver, at(70, 8), at(70, 16), q)
    theirs = shift(supervisor, taker, at(70, 12), at(70, 20), q)
    with suite.client(suite.user_token("agent", agent_id=giver)) as g:
        trade = g.post(
            "/shift-trades", json={"shift_id": mine, "to_agent_id": taker, "want_shift_id": theirs}
        )
    with suite.client(suite.user_token("agent", agent_id=taker)) as t:
        done = t.post(f"/shift-trades/{trade.json()['id']}/accept")
    assert done.status_code == 200 and done.json()["status"] == "approved", done.text
    assert supervisor.get(f"/shifts/{mine}").json()["agent_id"] == taker
    assert supervisor.get(f"/shifts/{theirs}").json()["agent_id"] == giver
    changes = dedupe(
        read_changes(
            suite.env["KAFKA_BOOTSTRAP_SERVERS"],
            topics.topic(topics.SCHEDULE_CHANGES, suite.topic_prefix),
            lambda seen: sum(c.shift_id in (mine, theirs) for c in seen) >= 6,
        )
    )

    def seen_by(agent_id: str) -> list[tuple[str, str]]:
        # Order holds per agent (one key, one partition), not across agents.
        return [
            (c.op.value, c.shift_id)
            for c in changes
            if c.agent_id == agent_id and c.shift_id in (mine, theirs)
        ]

    assert seen_by(giver) == [("created", mine), ("deleted", mine), ("created", theirs)]
    assert seen_by(taker) == [("created", theirs), ("created", mine), ("deleted", theirs)]
    notes = read_notifications(
        suite.env["KAFKA_BOOTSTRAP_SERVERS"],
        topics.topic(topics.AGENT_NOTIFICATIONS, suite.topic_prefix),
        lambda seen: sum(n.trade_id == trade.json()["id"] for n in seen) >= 3,
    )
    kinds = {(n.agent_id, n.kind.value) for n in notes if n.trade_id == trade.json()["id"]}
    assert kinds == {(taker, "trade_offered"), (giver, "trade_approved"), (taker, "trade_approved")}


def test_calendar_feed_through_the_gateway(suite: Suite, supervisor: httpx.Client) -> None:
    queue = f"cal-{uuid.uuid4().hex[:6]}"
    agent_id = new_agent(supervisor, queue)
    ids = [shift(supervisor, agent_id, at(d, 8), at(d, 16), queue) for d in (90, 91)]
    with suite.client(suite.user_token("agent", agent_id=agent_id)) as agent:
        issued = agent.post(f"/agents/{agent_id}/calendar-token")
    assert issued.status_code == 201, issued.text
    path = issued.json()["path"]
    with httpx.Client(base_url=suite.gateway, timeout=30) as anonymous:  # no JWT at all
        feed = anonymous.get(path)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        events = Calendar.from_ical(feed.content).walk("VEVENT")
        assert [str(e["UID"]) for e in events] == ids
        assert events[0].decoded("DTSTART") == MONDAY + timedelta(days=90, hours=8)
        supervisor.patch(f"/shifts/{ids[0]}", json={"end": at(90, 15)})
        events = Calendar.from_ical(anonymous.get(path).content).walk("VEVENT")
        assert int(events[0]["SEQUENCE"]) == 1
        assert supervisor.delete(f"/agents/{agent_id}/calendar-token").status_code == 204
        assert anonymous.get(path).status_code == 410
