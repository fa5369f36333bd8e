"""Auth's routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from opticall_auth.routes import keys, revocations, sessions, users, ws_tickets


def router() -> APIRouter:
    out = APIRouter()
    for module in (sessions, keys, users, ws_tickets, revocations):
        out.include_router(module.router)
    return out
