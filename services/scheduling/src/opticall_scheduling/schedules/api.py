"""HTTP routes for schedules (filled in by its own issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["schedules"])
