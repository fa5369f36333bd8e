"""Time-off balances: hours per agent and type, set whole, imported as CSV, debited on
approval and credited back on cancellation."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from opticall_common.problems import Problem
from opticall_scheduling.agents.service import get_agent
from opticall_scheduling.models import Agent
from opticall_scheduling.timeoff.models import TimeOffBalance
from opticall_scheduling.timeoff.schemas import (
    Balance,
    BalanceImport,
    BalanceOut,
    BalanceRow,
    Balances,
)

CSV_COLUMNS = ("agent_id", "type", "hours")


def balances(session: Session, agent_id: str) -> Balances:
    get_agent(session, agent_id)  # 404 for an unknown agent
    rows = session.scalars(
        select(TimeOffBalance)
        .where(TimeOffBalance.agent_id == agent_id)
        .order_by(TimeOffBalance.type)
    )
    return Balances(
        agent_id=agent_id,
        balances=[BalanceOut(type=r.type, hours=r.hours, updated_at=r.updated_at) for r in rows],
    )


def put_balances(session: Session, agent_id: str, items: list[Balance]) -> Balances:
    """Replace the agent's balances with ``items``."""
    get_agent(session, agent_id, for_update=True)
    session.execute(
        delete(TimeOffBalance).where(
            TimeOffBalance.agent_id == agent_id,
            TimeOffBalance.type.not_in([b.type for b in items]),
        )
    )
    _upsert(session, [(agent_id, b.type, b.hours) for b in items])
    return balances(session, agent_id)


def _upsert(session: Session, rows: list[tuple[str, str, float]]) -> None:
    for agent_id, type_, hours in rows:
        row = session.get(TimeOffBalance, (agent_id, type_), with_for_update=True)
        if row is None:
            session.add(TimeOffBalance(agent_id=agent_id, type=type_, hours=hours))
        else:
            row.hours = hours
    session.flush()


def import_csv(session: Session, text: str, max_rows: int) -> BalanceImport:
    """Set the balances a CSV names (columns ``agent_id,type,hours``; other rows untouched);
    all or nothing, every bad row named by its line number."""
    # newline="": the csv module reads the line ends itself (CR, LF or CRLF, quoted or not).
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        rows, errors, seen = _read_rows(reader, max_rows)
    except csv.Error as exc:
        raise Problem(422, f"line {reader.line_num}: not valid CSV: {exc}") from exc
    known = set(
        session.scalars(select(Agent.agent_id).where(Agent.agent_id.in_({r[0] for r in rows})))
    )
    errors += [
        {"row": seen[(a, t)], "message": f"unknown agent {a!r}"}
        for a, t, _ in rows
        if a not in known
    ]
    if errors:
        errors.sort(key=lambda e: e["row"])
        raise Problem(422, f"line {errors[0]['row']}: {errors[0]['message']}", errors=errors[:100])
    _upsert(session, rows)
    return BalanceImport(rows=len(rows), agents=len({r[0] for r in rows}))


def _read_rows(
    reader: csv.DictReader[str], max_rows: int
) -> tuple[list[tuple[str, str, float]], list[dict[str, Any]], dict[tuple[str, str], int]]:
    """(rows, errors, line of each (agent, type)) of a balance CSV."""
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Problem(422, f"the CSV needs the columns {', '.join(CSV_COLUMNS)}; missing {missing}")
    rows: list[tuple[str, str, float]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= max_rows:
            raise Problem(422, f"at most {max_rows} rows per import")
        try:
            item = BalanceRow.model_validate({c: record.get(c) for c in CSV_COLUMNS})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            errors.append({"row": line, "field": field, "message": first["msg"]})
            continue
        key = (item.agent_id, item.type)
        if key in seen:
            errors.append({"row": line, "message": f"repeats line {seen[key]}"})
            continue
        seen[key] = line
        rows.append((item.agent_id, item.type, item.hours))
    return rows, errors, seen
