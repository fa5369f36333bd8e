"""Who may act for whom: an agent acts only for themself (the ``agent_id`` of their token),
a supervisor or an admin for anyone. Every route that takes or lists an agent's data asks here.
"""

from __future__ import annotations

from opticall_common.security import Principal, Role
from opticall_scheduling.errors import Forbidden

STAFF = frozenset({Role.supervisor.value, Role.admin.value})


def is_staff(principal: Principal) -> bool:
    return principal.has_any(STAFF)


def own_agent(principal: Principal) -> str:
    """The agent this (non-staff) user is; 403 for a user linked to no agent."""
    if principal.agent_id is None:
        raise Forbidden("this user is not linked to an agent")
    return principal.agent_id


def check_acts_for(principal: Principal, agent_id: str) -> None:
    """403 unless ``principal`` may act for ``agent_id``."""
    if not is_staff(principal) and own_agent(principal) != agent_id:
        raise Forbidden("agents may only act for themselves")


def agent_scope(principal: Principal, agent_id: str | None) -> str | None:
    """The agent a listing is restricted to: staff see what they ask for (None: everyone),
    an agent sees only their own (asking for another is 403)."""
    if is_staff(principal):
        return agent_id
    own = own_agent(principal)
    if agent_id is not None and agent_id != own:
        raise Forbidden("agents may only see their own data")
    return own
