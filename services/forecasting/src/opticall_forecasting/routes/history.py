"""Interval history: JSON and CSV ingestion (upsert), queries, and the list of queues."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from opticall_common.problems import NotFound, Problem
from opticall_common.text import Identifier
from opticall_forecasting import history_store
from opticall_forecasting.deps import Sessions, SettingsDep, Staff, unprocessable
from opticall_forecasting.history_csv import parse_csv, parse_mapping, timezone
from opticall_forecasting.open_hours import OpenHours
from opticall_forecasting.schemas import HistoryIn, IntervalOut, QueueSummary, UpsertResult
from opticall_forecasting.series import SeriesError, time_range, to_utc

router = APIRouter(tags=["history"])

QueueParam = Annotated[Identifier, Query()]
QueuePath = Annotated[Identifier, Path()]


def _result(rows: list[dict[str, Any]], count: int) -> UpsertResult:
    stamps = [r["interval_start"] for r in rows]
    return UpsertResult(
        queues=sorted({r["queue"] for r in rows}),
        upserted=count,
        first=min(stamps),
        last=max(stamps),
    )


@router.post("/history", response_model=UpsertResult, summary="Upsert interval history (JSON)")
async def post_history(
    _: Staff,
    sessions: Sessions,
    body: HistoryIn,
    queue: Annotated[Identifier | None, Query()] = None,
) -> UpsertResult:
    rows = []
    for i, item in enumerate(body.intervals):
        name = item.queue or body.queue or queue
        if not name:
            raise unprocessable(SeriesError(f"body.intervals[{i}].queue", "no queue given"))
        row = item.model_dump(exclude={"queue"})
        row.update(queue=name, interval_start=to_utc(item.interval_start))
        rows.append(row)
    count = await asyncio.to_thread(history_store.upsert, sessions, rows)
    return _result(rows, count)


async def _read_upload(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise unprocessable(SeriesError("file", "multipart upload needs a 'file' part"))
        data = await upload.read(limit + 1)
    elif content_type in ("text/csv", "text/plain", "application/csv", "application/octet-stream"):
        data = await request.body()
    else:
        raise Problem(415, "send text/csv or multipart/form-data with a 'file' part")
    if len(data) > limit:
        raise Problem(413, f"upload larger than {limit} bytes")
    return data


@router.post(
    "/history/upload",
    response_model=UpsertResult,
    summary="Upsert interval history from a CSV export",
    description=(
        "CSV columns `interval_start, offered, handled, abandoned, aht_seconds` (optional "
        "`answered_within_sl`, `asa_seconds`); common ACD names (`tc`, `call_volume`, `aht`...) "
        "are recognised, others mapped with `?columns=theirs:ours,...`. Naive times are in `tz`."
    ),
)
async def upload_history(
    _: Staff,
    sessions: Sessions,
    settings: SettingsDep,
    request: Request,
    queue: QueueParam,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
    columns: Annotated[str | None, Query(max_length=1000)] = None,
) -> UpsertResult:
    try:
        zone = timezone(tz)
        mapping = parse_mapping(columns)
        data = await _read_upload(request, settings.max_upload_bytes)
        rows = await asyncio.to_thread(parse_csv, data, queue, zone, mapping)
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    count = await asyncio.to_thread(history_store.upsert, sessions, rows)
    return _result(rows, count)


@router.get("/history", response_model=list[IntervalOut], summary="Stored interval history")
async def get_history(
    _: Staff,
    sessions: Sessions,
    queue: QueueParam,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[IntervalOut]:
    try:
        lo, hi = time_range(start, end)
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    rows = await asyncio.to_thread(history_store.query, sessions, queue, lo, hi, limit)
    return [IntervalOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/history/queues", response_model=list[QueueSummary], summary="Queues with history")
async def get_queues(_: Staff, sessions: Sessions) -> list[QueueSummary]:
    return [QueueSummary(**q) for q in await asyncio.to_thread(history_store.queues, sessions)]


@router.put(
    "/history/queues/{queue}/open-hours",
    response_model=OpenHours,
    summary="Set a queue's weekly opening hours",
    description=(
        "Jobs on the queue then fit and forecast its open intervals only (closed ones are "
        "neither fitted as zeros nor forecast; `periods` counts open intervals)."
    ),
)
async def put_open_hours(
    _: Staff, sessions: Sessions, queue: QueuePath, body: OpenHours
) -> OpenHours:
    await asyncio.to_thread(
        history_store.set_open_hours, sessions, queue, body.model_dump(mode="json")
    )
    return body


@router.get(
    "/history/queues/{queue}/open-hours",
    response_model=OpenHours,
    summary="A queue's weekly opening hours",
)
async def get_open_hours(_: Staff, sessions: Sessions, queue: QueuePath) -> OpenHours:
    stored = await asyncio.to_thread(history_store.get_open_hours, sessions, queue)
    if stored is None:
        raise NotFound("opening hours of queue", queue)
    return OpenHours.model_validate(stored)
