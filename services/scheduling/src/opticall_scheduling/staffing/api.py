"""HTTP routes for staffing (filled in by its own issue)."""

from fastapi import APIRouter

router = APIRouter(tags=["staffing"])
