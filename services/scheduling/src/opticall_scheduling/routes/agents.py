"""``/agents`` routes (supervisor, admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import IntegrityError

from opticall_common.db import transaction
from opticall_scheduling.agents import service
from opticall_scheduling.agents.schemas import AgentCreate, AgentOut, AgentPage, AgentUpdate
from opticall_scheduling.database import UNIQUE_VIOLATION, sqlstate
from opticall_scheduling.deps import Sessions, Staff
from opticall_scheduling.errors import AlreadyExists

router = APIRouter(prefix="/agents", tags=["agents"])


@router.post("", status_code=201, summary="Create an agent (409 if the id exists)")
def create_agent(body: AgentCreate, sessions: Sessions, _: Staff) -> AgentOut:
    try:
        with transaction(sessions) as session:
            agent = service.create_agent(session, body)
    except IntegrityError as exc:
        if sqlstate(exc) == UNIQUE_VIOLATION:
            raise AlreadyExists("agent", body.agent_id) from exc
        raise
    return service.to_out(agent)


@router.get("", summary="List agents, ordered by id, paginated by cursor")
def list_agents(
    sessions: Sessions,
    _: Staff,
    queue: str | None = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AgentPage:
    with transaction(sessions) as session:
        rows, next_cursor = service.list_agents(
            session, queue=queue, active=active, after=cursor, limit=limit
        )
        return AgentPage(items=[service.to_out(a) for a in rows], next_cursor=next_cursor)


@router.get("/{agent_id}", summary="One agent")
def get_agent(agent_id: str, sessions: Sessions, _: Staff) -> AgentOut:
    with transaction(sessions) as session:
        return service.to_out(service.get_agent(session, agent_id))


@router.patch("/{agent_id}", summary="Change an agent's name, queues, skills, time zone, active")
def update_agent(agent_id: str, body: AgentUpdate, sessions: Sessions, _: Staff) -> AgentOut:
    with transaction(sessions) as session:
        return service.to_out(service.update_agent(session, agent_id, body))


@router.delete("/{agent_id}", status_code=204, summary="Delete an agent and its shifts")
def delete_agent(agent_id: str, sessions: Sessions, principal: Staff) -> Response:
    with transaction(sessions) as session:
        service.delete_agent(session, agent_id, principal.username)
    return Response(status_code=204)
