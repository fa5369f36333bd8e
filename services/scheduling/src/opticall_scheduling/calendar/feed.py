"""An agent's shifts as RFC 5545 iCalendar, built with the ``icalendar`` library.

One VEVENT per shift: ``UID`` is the shift id (stable across edits, so a calendar app updates
the event in place), times are UTC, ``SEQUENCE`` is the shift's revision (bumped by every
update, see ``models.Shift.sequence``) and ``DTSTAMP``/``LAST-MODIFIED`` its last change.
Activities (breaks, lunch, time off) are listed in the description.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta

from icalendar import Calendar, Event

from opticall_scheduling.models import Agent, Shift

PRODID = "-//OptiCall//Agent schedule//EN"
# How often calendar apps are asked to fetch the feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH = timedelta(hours=1)


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def event(shift: Shift) -> Event:
    ev = Event()
    ev.add("uid", shift.id)
    ev.add("dtstamp", shift.updated_at.astimezone(UTC))
    ev.add("dtstart", shift.start_at.astimezone(UTC))
    ev.add("dtend", shift.end_at.astimezone(UTC))
    ev.add("sequence", shift.sequence or 0)
    ev.add("created", shift.created_at.astimezone(UTC))
    ev.add("last-modified", shift.updated_at.astimezone(UTC))
    title = _label(shift.activity).capitalize()
    ev.add("summary", f"{title} ({shift.queue})" if shift.queue else title)
    acts = [
        f"{a['start'][11:16]}-{a['end'][11:16]} UTC {_label(a['kind'])}"
        for a in shift.activities or []
    ]
    if acts:
        ev.add("description", "\n".join(acts))
    ev.add("status", "CONFIRMED")
    ev.add("transp", "OPAQUE")
    return ev


def calendar(agent: Agent, shifts: Iterable[Shift]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"OptiCall: {agent.name}")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    for shift in shifts:
        cal.add_component(event(shift))
    body: bytes = cal.to_ical()
    return body
