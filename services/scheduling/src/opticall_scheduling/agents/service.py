"""Agent operations in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import ColumnElement, cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from opticall_common.db import get_or_404
from opticall_common.events import ChangeOp
from opticall_scheduling.agents.schemas import AgentCreate, AgentOut, AgentUpdate
from opticall_scheduling.models import Agent, Shift
from opticall_scheduling.outbox.writer import record_change


def to_out(agent: Agent) -> AgentOut:
    return AgentOut.model_validate(agent, from_attributes=True)


def get_agent(session: Session, agent_id: str, *, for_update: bool = False) -> Agent:
    return get_or_404(session, Agent, agent_id, "agent", for_update=for_update)


def serves_queue(session: Session, queue: str) -> ColumnElement[bool]:
    """Agents whose ``queues`` (a JSON list, for portability) hold ``queue``, tested in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        # The column is json (no operators): as jsonb, @> '["q"]' tests list membership.
        return cast(Agent.queues, JSONB).contains([queue])
    # SQLite: json_each expands the list into rows; EXISTS keeps each agent once.
    each = func.json_each(Agent.queues).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == queue))


def create_agent(session: Session, body: AgentCreate) -> Agent:
    """Insert; a duplicate id surfaces as IntegrityError at flush (mapped to 409 by the route)."""
    agent = Agent(**body.model_dump())
    session.add(agent)
    session.flush()
    return agent


def list_agents(
    session: Session, *, queue: str | None, active: bool | None, after: str | None, limit: int
) -> tuple[list[Agent], str | None]:
    query = select(Agent).order_by(Agent.agent_id)
    if active is not None:
        query = query.where(Agent.active.is_(active))
    if after is not None:
        query = query.where(Agent.agent_id > after)
    if queue is not None:
        query = query.where(serves_queue(session, queue))
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], rows[limit - 1].agent_id


def update_agent(session: Session, agent_id: str, body: AgentUpdate) -> Agent:
    agent = get_agent(session, agent_id, for_update=True)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(agent, field, value)
    session.flush()
    return agent


def delete_agent(session: Session, agent_id: str, actor: str | None) -> None:
    """Delete the agent and its shifts, publishing a ``deleted`` change for every shift."""
    agent = get_agent(session, agent_id, for_update=True)
    shifts = list(
        session.scalars(select(Shift).where(Shift.agent_id == agent_id).order_by(Shift.start_at))
    )
    for shift in shifts:
        session.delete(shift)
    session.flush()
    for shift in shifts:
        record_change(session, ChangeOp.deleted, shift, actor)
    session.delete(agent)
    session.flush()
