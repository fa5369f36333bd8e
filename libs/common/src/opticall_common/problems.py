"""RFC 9457 problem details: every error a service returns, in one place per app."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def title_of(status: int) -> str:
    """The RFC 9110 reason phrase for ``status`` (RFC 9457's ``title`` of about:blank)."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Problem(Exception):
    """An expected failure, answered as problem+json with its status."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or title_of(status)
        self.type = type_
        self.headers = headers
        self.extra = extra


class NotFound(Problem):
    """404 naming what was looked for: ``NotFound("shift", "42")``."""

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(404, f"{what} {str(ident)!r} not found")


class AlreadyExists(Problem):
    """409 naming what already exists."""

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(409, f"{what} {str(ident)!r} already exists")


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or title_of(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append({"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type")})
    return out


_NUL_REFUSED = "cannot contain NUL (0x00) characters"  # psycopg2's ValueError

# Every error body, as the handlers below write it (documented once per app in OpenAPI).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}
_PROBLEM_CONTENT = {
    PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}},
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document say what clients really get on errors: problem+json.

    FastAPI documents its 422 as ``application/json`` ``HTTPValidationError``; the handlers
    answer every 4xx/5xx as a problem instead, so each error response (and a ``default`` one
    for the statuses a route does not list, e.g. 404, 409 or 503) points at ``Problem``.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in schema.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses: dict[str, Any] = op["responses"]
            for code, response in responses.items():
                if code[:1] in ("4", "5") and isinstance(response, dict):
                    response["content"] = dict(_PROBLEM_CONTENT)
            responses.setdefault(
                "default", {"description": "Error (problem details)", "content": _PROBLEM_CONTENT}
            )
    return schema


def install_problem_handlers(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            type_=exc.type,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        fields = ", ".join(e["field"] for e in errors[:5])
        return problem_response(
            422,
            f"Invalid request: {fields}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # A refused or lost connection (e.g. PostgreSQL restarting) is an outage, not a bug:
        # 503 with Retry-After tells the client to try again. Other driver errors stay 500s.
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            return problem_response(
                503,
                "The database is unavailable; retry shortly.",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        if isinstance(exc, DataError):  # e.g. an offset or id beyond the column's range
            return problem_response(
                422,
                "A value is out of the range or form the database accepts.",
                instance=request.url.path,
            )
        log.exception("database error on %s %s", request.method, request.url.path)
        return problem_response(500, "An unexpected error occurred.", instance=request.url.path)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        # PostgreSQL text cannot hold NUL, and psycopg2 refuses it before sending: the input
        # was bad (any text field or filter of any service), not the server.
        if _NUL_REFUSED in str(exc):
            return problem_response(
                422, "Text must not contain NUL (\\u0000) characters.", instance=request.url.path
            )
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "An unexpected error occurred.", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with the trace for operators; the client gets no internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "An unexpected error occurred.", instance=request.url.path)
