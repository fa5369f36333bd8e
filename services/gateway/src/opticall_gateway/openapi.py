"""One OpenAPI document for the whole public API, merged from the services behind the gateway.

Each upstream's ``/openapi.json`` is fetched lazily and cached; only its paths that are in
the route table are kept. Every API route in the table is listed even when its service is
down (from the table alone), every protected one carries the bearer scheme and its roles,
and every operation a ``default`` problem response for the errors the edge itself answers
(413, 503, 504...). The dashboard's HTML pages and assets are not API and are left out.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from typing import Any

import httpx

from opticall_common.problems import PROBLEM_SCHEMA
from opticall_gateway.route_table import GATEWAY, UPSTREAMS, RouteSpec, RouteTable

log = logging.getLogger(__name__)

JSON = dict[str, Any]
_SCHEMA_REF = "#/components/schemas/"
_RETRY_FAILED_AFTER = 5.0
_PARAM = re.compile(r"\{([^}:]+)(:path)?\}")


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path)


def _problem(description: str) -> JSON:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": _SCHEMA_REF + "Problem"}}},
    }


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF):
                name = value[len(_SCHEMA_REF) :]
                out[key] = _SCHEMA_REF + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, renames) for v in node]
    return node


class OpenAPIMerger:
    """Holds the upstream documents it fetched; ``document`` merges them with the gateway's."""

    def __init__(
        self, http: httpx.AsyncClient, upstreams: dict[str, str], table: RouteTable, ttl: float
    ) -> None:
        self.http = http
        self.upstreams = upstreams
        self.table = table
        self.ttl = ttl
        self._docs: dict[str, tuple[float, JSON | None]] = {}
        self._locks = {svc: asyncio.Lock() for svc in UPSTREAMS}

    async def _upstream(self, service: str) -> JSON | None:
        ttl = self.ttl
        fetched_at, doc = self._docs.get(service, (0.0, None))
        age = time.monotonic() - fetched_at
        if fetched_at and age < (ttl if doc is not None else _RETRY_FAILED_AFTER):
            return doc
        async with self._locks[service]:
            if self._docs.get(service, (0.0, None))[0] != fetched_at:
                return self._docs[service][1]  # another request refreshed it meanwhile
            try:
                resp = await self.http.get(self.upstreams[service] + "/openapi.json", timeout=3.0)
                resp.raise_for_status()
                fresh: JSON | None = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.info("no OpenAPI from %s (%r); listing its routes from the table", service, exc)
                fresh = doc  # keep what we had: a stale document beats an empty one
            self._docs[service] = (time.monotonic(), fresh)
            return fresh

    async def document(self, own: JSON, title: str, version: str) -> JSON:
        fetched = await asyncio.gather(*(self._upstream(s) for s in UPSTREAMS))
        upstream = dict(zip(UPSTREAMS, fetched, strict=True))
        schemas: JSON = {"Problem": PROBLEM_SCHEMA}
        paths: JSON = {}
        sources: dict[str, JSON | None] = {GATEWAY: own, **upstream}
        renames = {svc: self._merge_schemas(schemas, svc, doc) for svc, doc in sources.items()}
        for spec in self.table.routes:
            if not spec.in_schema:
                continue
            doc = sources.get(spec.service)
            key, item = self._find(doc, spec.path)
            for method in sorted(spec.methods):
                op = (item or {}).get(method.lower())
                if op is not None:
                    op = _rename_refs(copy.deepcopy(op), renames[spec.service])
                    params = (item or {}).get("parameters")
                    if params and "parameters" not in op:
                        op["parameters"] = copy.deepcopy(params)
                else:
                    op = self._from_table(spec, doc is not None)
                paths.setdefault(key or spec.path, {})[method.lower()] = self._annotate(op, spec)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": title,
                "version": version,
                "description": "The whole OptiCall public API, served by the gateway.",
            },
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                },
            },
        }

    @staticmethod
    def _find(doc: JSON | None, path: str) -> tuple[str | None, JSON | None]:
        if not doc:
            return None, None
        doc_paths: JSON = doc.get("paths", {})
        if path in doc_paths:
            return path, doc_paths[path]
        # A service may name a path parameter differently ({id} vs {shift_id}).
        shape = _shape(path)
        for key, item in doc_paths.items():
            if _shape(key) == shape:
                return key, item
        return None, None

    @staticmethod
    def _merge_schemas(schemas: JSON, service: str, doc: JSON | None) -> dict[str, str]:
        """Add ``doc``'s schemas; a name another service uses differently gets a prefix."""
        if not doc:
            return {}
        theirs: JSON = doc.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in theirs.items()
            if name in schemas and schemas[name] != schema
        }
        for name, schema in theirs.items():
            schemas.setdefault(renames.get(name, name), _rename_refs(schema, renames))
        return renames

    @staticmethod
    def _from_table(spec: RouteSpec, service_answered: bool) -> JSON:
        params = [
            {"name": m.group(1), "in": "path", "required": True, "schema": {"type": "string"}}
            for m in _PARAM.finditer(spec.path)
        ]
        note = (
            ""
            if service_answered or spec.service == GATEWAY
            else f" (the {spec.service} service's own documentation is unavailable right now)"
        )
        op: JSON = {
            "summary": spec.summary,
            "description": f"Served by the {spec.service} service{note}.",
            "responses": {"200": {"description": "Success"}},
        }
        if spec.websocket:
            op["description"] += (
                " A WebSocket: browsers connect with `?ticket=` from `POST /realtime/ws-ticket`"
                " (single use, 30 s), other clients with `Authorization: Bearer`; the token in"
                " `?access_token=` is deprecated. A browser's Origin must be the gateway's own"
                " or an allowed one (else 403). Refused with close code 4401 (token), 4403"
                " (role) or 4429 (too many open sockets for the user)."
            )
            op["responses"] = {"101": {"description": "Switching to WebSocket"}}
        if params:
            op["parameters"] = params
        return op

    @staticmethod
    def _annotate(op: JSON, spec: RouteSpec) -> JSON:
        op.setdefault("tags", [spec.service])
        op["x-opticall-service"] = spec.service
        op.pop("security", None)
        responses: JSON = op.setdefault("responses", {})
        responses.setdefault("default", _problem("Error (problem details)"))
        if spec.roles is None:
            op["security"] = []
            return op
        op["security"] = [{"bearerAuth": []}]
        roles = sorted(spec.roles)
        op["x-opticall-roles"] = roles or ["any"]
        who = ", ".join(roles) if roles else "any valid token"
        op["description"] = (op.get("description", "") + f"\n\nAllowed: {who}.").strip()
        responses.setdefault("401", _problem("Missing, invalid or expired token"))
        if roles:
            responses.setdefault("403", _problem("Role not allowed"))
        return op
