"""HTTP handlers, one module per resource: parse, call the domain, answer."""

from __future__ import annotations

from fastapi import APIRouter

from opticall_scheduling.routes import (
    agents,
    allowances,
    balances,
    calendar,
    schedules,
    shifts,
    staffing,
    time_off,
    trades,
)

ROUTERS: tuple[APIRouter, ...] = (
    agents.router,
    shifts.router,
    staffing.router,
    schedules.router,
    balances.router,
    allowances.router,
    time_off.router,
    trades.router,
    calendar.router,
)
