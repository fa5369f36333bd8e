"""Adherence and conformance per agent, queue or day, from the history segments.

- adherence % = time ``in`` / (time ``in`` + time ``out``); unscheduled time counts neither.
- conformance % = time in a working state (available, on_call, after_call_work) / time
  scheduled for work. It may exceed 100 when agents work beyond their schedule.
Each segment lasts until the agent's next row, or the report's end (or now, if earlier).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from opticall_common import csv_export
from opticall_realtime.history import AdherenceSegment, utc
from opticall_realtime.record import WORKING_STATES


class GroupBy(StrEnum):
    agent = "agent"
    queue = "queue"
    day = "day"


@dataclass
class Totals:
    in_s: float = 0.0
    out_s: float = 0.0
    unscheduled_s: float = 0.0
    scheduled_work_s: float = 0.0
    worked_s: float = 0.0
    agents: set[str] = field(default_factory=set)

    def row(self, key: str) -> dict[str, Any]:
        judged = self.in_s + self.out_s
        return {
            "key": key,
            "agents": len(self.agents),
            "in_seconds": round(self.in_s, 3),
            "out_seconds": round(self.out_s, 3),
            "unscheduled_seconds": round(self.unscheduled_s, 3),
            "scheduled_work_seconds": round(self.scheduled_work_s, 3),
            "worked_seconds": round(self.worked_s, 3),
            "adherence_pct": round(100 * self.in_s / judged, 2) if judged else None,
            "conformance_pct": (
                round(100 * self.worked_s / self.scheduled_work_s, 2)
                if self.scheduled_work_s
                else None
            ),
        }


def _split_days(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        midnight = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
        stop = min(end, midnight)
        yield start, stop
        start = stop


def adherence_report(
    rows: Sequence[AdherenceSegment],
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    now: datetime,
) -> list[dict[str, Any]]:
    horizon = min(end, now)
    totals: dict[str, Totals] = defaultdict(Totals)
    for i, row in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        seg_end = utc(nxt.at) if nxt is not None and nxt.agent_id == row.agent_id else horizon
        seg_start = max(utc(row.at), start)
        seg_end = min(seg_end, horizon)
        if seg_end <= seg_start:
            continue
        for a, b in _split_days(seg_start, seg_end):
            if group_by is GroupBy.agent:
                key = row.agent_id
            elif group_by is GroupBy.queue:
                key = row.queue or "(none)"
            else:
                key = a.date().isoformat()
            t = totals[key]
            secs = (b - a).total_seconds()
            t.agents.add(row.agent_id)
            if row.adherence == "in":
                t.in_s += secs
            elif row.adherence == "out":
                t.out_s += secs
            else:
                t.unscheduled_s += secs
            if row.activity == "work":
                t.scheduled_work_s += secs
            if row.state in WORKING_STATES:
                t.worked_s += secs
    return [totals[k].row(k) for k in sorted(totals)]


REPORT_COLUMNS = (
    "key",
    "agents",
    "in_seconds",
    "out_seconds",
    "unscheduled_seconds",
    "scheduled_work_seconds",
    "worked_seconds",
    "adherence_pct",
    "conformance_pct",
)


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    return csv_export.to_csv(rows, REPORT_COLUMNS)
