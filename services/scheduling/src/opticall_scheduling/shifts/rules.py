"""Pure shift rules (no database): what makes one shift, or a batch of them, acceptable."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from opticall_scheduling.shifts.schemas import Activity

Error = dict[str, Any]


def shift_errors(
    start: datetime, end: datetime, activities: list[Activity], max_length: timedelta
) -> list[Error]:
    """Field errors of one shift: order, length, and activities inside it and disjoint."""
    if end <= start:
        return [{"field": "end", "message": "end must be after start"}]
    errors: list[Error] = []
    if end - start > max_length:
        hours = max_length.total_seconds() / 3600
        errors.append({"field": "end", "message": f"shift longer than the maximum {hours:g} h"})
    previous: tuple[int, Activity] | None = None
    for i, act in sorted(enumerate(activities), key=lambda p: p[1].start):
        field = f"activities.{i}"
        if act.end <= act.start:
            errors.append({"field": field, "message": "activity end must be after its start"})
        elif act.start < start or act.end > end:
            errors.append({"field": field, "message": "activity must lie inside the shift"})
        if previous is not None and act.start < previous[1].end:
            errors.append({"field": field, "message": f"activity overlaps activity {previous[0]}"})
        if previous is None or act.end > previous[1].end:
            previous = (i, act)
    return errors


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals, like ``tstzrange`` '[)': a shift may start when another ends."""
    return a_start < b_end and b_start < a_end


def batch_overlaps(items: list[tuple[str, datetime, datetime]]) -> list[tuple[int, int]]:
    """Pairs (earlier index, later index) of items of one agent that overlap each other."""
    by_agent: dict[str, list[int]] = defaultdict(list)
    for i, (agent, _, _) in enumerate(items):
        by_agent[agent].append(i)
    pairs = []
    for idxs in by_agent.values():
        idxs.sort(key=lambda i: items[i][1])
        reach = -1  # the index whose end reaches furthest so far
        for i in idxs:
            if reach >= 0 and items[i][1] < items[reach][2]:
                pairs.append((min(reach, i), max(reach, i)))
            if reach < 0 or items[i][2] > items[reach][2]:
                reach = i
    return pairs
