"""Calendar feeds: tokens, the iCalendar parsed back with the icalendar library, revocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from opticall_common.db import transaction
from opticall_scheduling.calendar.models import CalendarToken

Headers = Callable[..., dict[str, str]]


def test_feed_round_trip_sequence_and_revocation(
    app: FastAPI, client: TestClient, as_role: Headers
) -> None:
    assert client.post("/agents", json={"agent_id": "c-1", "name": "Cal"}).status_code == 201
    assert client.post("/agents", json={"agent_id": "c-2", "name": "Other"}).status_code == 201
    ids = []
    for day in (3, 4):
        body = {
            "agent_id": "c-1",
            "start": f"2030-06-0{day}T08:00:00+02:00",
            "end": f"2030-06-0{day}T16:00:00+02:00",
            "queue": "sales",
            "activities": [
                {
                    "kind": "lunch",
                    "start": f"2030-06-0{day}T10:00:00Z",
                    "end": f"2030-06-0{day}T10:30:00Z",
                }
            ],
        }
        ids.append(client.post("/shifts", json=body).json()["id"])
    mine = as_role("agent", agent_id="c-1")
    assert client.post("/agents/c-2/calendar-token", headers=mine).status_code == 403
    issued = client.post("/agents/c-1/calendar-token", headers=mine)
    assert issued.status_code == 201, issued.text
    path = issued.json()["path"]
    assert path.startswith("/calendar/") and path.endswith(".ics") and issued.json()["url"] is None
    secret = path.removeprefix("/calendar/").removesuffix(".ics")
    assert len(secret) >= 43  # 256 bits, URL-safe base64
    with transaction(app.state.runtime.sessions) as session:
        stored = session.scalars(select(CalendarToken.token_hash)).all()
    assert secret not in stored and len(stored) == 1  # only the digest is kept

    feed = client.get(path, headers={"Authorization": ""})  # no JWT needed
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ids
    first = events[0]
    assert first.decoded("DTSTART") == datetime(2030, 6, 3, 6, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2030, 6, 3, 14, tzinfo=UTC)
    assert int(first["SEQUENCE"]) == 0
    assert "lunch" in str(first["DESCRIPTION"]) and "sales" in str(first["SUMMARY"])
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]

    # An edit bumps SEQUENCE; a deleted shift leaves the feed.
    assert (
        client.patch(f"/shifts/{ids[0]}", json={"end": "2030-06-03T15:00:00Z"}).status_code == 200
    )
    assert client.delete(f"/shifts/{ids[1]}").status_code == 204
    events = Calendar.from_ical(client.get(path).content).walk("VEVENT")
    assert [(str(e["UID"]), int(e["SEQUENCE"])) for e in events] == [(ids[0], 1)]
    assert events[0].decoded("DTEND") == datetime(2030, 6, 3, 15, tzinfo=UTC)

    # A new token revokes the old one: 410 Gone for it; DELETE revokes the new one too.
    again = client.post("/agents/c-1/calendar-token").json()["path"]
    assert client.get(path).status_code == 410
    assert client.get(again).status_code == 200
    assert client.delete("/agents/c-1/calendar-token", headers=mine).status_code == 204
    gone = client.get(again)
    assert gone.status_code == 410 and gone.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert client.get("/calendar/not-a-token.ics").status_code == 404
