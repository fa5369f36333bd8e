"""``/protected``: who the verified token says the caller is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from opticall_gateway.deps import CurrentUser

router = APIRouter(tags=["gateway"])


class WhoAmI(BaseModel):
    username: str
    roles: list[str]


@router.get("/protected", summary="Who am I", response_model=WhoAmI)
async def protected(principal: CurrentUser) -> WhoAmI:
    # The edge answers this itself on the hot path; this route documents the shape.
    return WhoAmI(username=principal.username, roles=sorted(principal.roles))
