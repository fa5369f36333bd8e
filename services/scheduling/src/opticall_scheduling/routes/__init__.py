"""HTTP handlers, one module per resource: parse, call the domain, answer."""

from __future__ import annotations

from fastapi import APIRouter

from opticall_scheduling.routes import agents, schedules, shifts, staffing

ROUTERS: tuple[APIRouter, ...] = (
    agents.router,
    shifts.router,
    staffing.router,
    schedules.router,
)
