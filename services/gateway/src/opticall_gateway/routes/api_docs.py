"""``/openapi.json`` (every service's API, merged) and ``/docs`` (Swagger UI over it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from opticall_gateway.deps import RuntimeDep

router = APIRouter(tags=["gateway"])


@router.get("/openapi.json", summary="The whole public API as OpenAPI")
async def openapi(request: Request, rt: RuntimeDep) -> JSONResponse:
    app = request.app
    own = get_openapi(title=app.title, version=app.version, routes=app.routes)
    return JSONResponse(await rt.openapi.document(own, app.title, app.version))


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} - docs")
