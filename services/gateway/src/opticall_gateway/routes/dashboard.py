"""The web dashboard: ``/`` and its assets under ``/static/`` (HTML, not API)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

# The dashboard's files: index.html is served at "/", everything else under "/static/".
# Without the folder, "/" points at the docs.
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter()


# HTML pages, not API: left out of the OpenAPI document (as in the route table).
@router.get("/", include_in_schema=False)
async def index() -> Response:
    index_html = STATIC_DIR / "index.html"
    if index_html.is_file():
        return FileResponse(index_html)
    return JSONResponse({"service": "opticall-gateway", "docs": "/docs"})


def mount_static(app: FastAPI) -> None:
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
