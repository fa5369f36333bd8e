"""The routes the gateway answers itself (everything else is forwarded: proxy.py)."""

from __future__ import annotations

from fastapi import APIRouter

from opticall_gateway.routes import api_docs, dashboard, health, whoami


def router() -> APIRouter:
    out = APIRouter()
    for module in (health, whoami, api_docs, dashboard):
        out.include_router(module.router)
    return out
