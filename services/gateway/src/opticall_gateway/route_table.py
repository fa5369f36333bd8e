"""The gateway's route table: every public route, its owning service and who may call it.

This table is the single source of truth for routing, role enforcement, metrics labels and
the OpenAPI document. A path not in it is a 404 at the edge; a known path with another
method is a 405. Upstream services check roles again themselves (defence in depth).
``/metrics`` is not in it: the gateway serves it on its metrics port only (``__main__``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opticall_common.security import Role

# Who may call a route: PUBLIC (no token), ANY_USER (any valid access token), or role names.
PUBLIC: frozenset[str] | None = None
ANY_USER: frozenset[str] = frozenset()

A, S, G, C = Role.admin.value, Role.supervisor.value, Role.agent.value, Role.acd.value

GATEWAY = "gateway"
UPSTREAMS = ("auth", "scheduling", "forecasting", "realtime")

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(:path)?\}")


@dataclass(frozen=True, slots=True)
class RouteSpec:
    methods: frozenset[str]
    path: str  # a template such as /agents/{agent_id}; also the metrics ``route`` label
    service: str
    roles: frozenset[str] | None  # None: public; empty: any valid token
    websocket: bool = False
    summary: str = ""
    # False for the dashboard's pages and assets: HTML and files, not API, so not in OpenAPI.
    in_schema: bool = True
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    @property
    def public(self) -> bool:
        return self.roles is None

    def allows(self, method: str) -> bool:
        # HEAD is answered wherever GET is, as every ASGI framework behind us does.
        return method in self.methods or (method == "HEAD" and "GET" in self.methods)


def route(
    methods: str,
    path: str,
    service: str,
    roles: frozenset[str] | None,
    summary: str = "",
    *,
    websocket: bool = False,
    in_schema: bool = True,
) -> RouteSpec:
    regex = None
    if "{" in path:
        parts, pos = [], 0
        for m in _PARAM.finditer(path):
            parts += [re.escape(path[pos : m.start()]), ".+" if m.group(2) else "[^/]+"]
            pos = m.end()
        parts.append(re.escape(path[pos:]))
        regex = re.compile("^" + "".join(parts) + "$")
    return RouteSpec(
        methods=frozenset(methods.split(",")),
        path=path,
        service=service,
        roles=roles,
        websocket=websocket,
        summary=summary,
        in_schema=in_schema,
        regex=regex,
    )


SA = frozenset({S, A})
GSA = frozenset({G, S, A})

ROUTES: tuple[RouteSpec, ...] = (
    # auth
    route("POST", "/login", "auth", PUBLIC, "Log in: access and refresh tokens"),
    route("POST", "/refresh", "auth", PUBLIC, "Exchange a refresh token for new tokens"),
    route("POST", "/logout", "auth", PUBLIC, "Revoke a refresh token"),
    route("GET", "/.well-known/jwks.json", "auth", PUBLIC, "Public signing keys (JWKS)"),
    # A short-lived, single-use ticket for WS /realtime/ws, so browsers keep tokens out of URLs.
    route("POST", "/realtime/ws-ticket", "auth", frozenset({S, A}), "A WebSocket ticket"),
    route("GET,POST", "/users", "auth", frozenset({A}), "List or create users"),
    route("GET,PATCH,DELETE", "/users/{username}", "auth", frozenset({A}), "One user"),
    # gateway itself
    route("GET", "/protected", GATEWAY, ANY_USER, "Who am I: the verified token's user and roles"),
    route("GET", "/healthz", GATEWAY, PUBLIC, "Liveness"),
    route("GET", "/readyz", GATEWAY, PUBLIC, "Readiness: auth and upstreams reachable"),
    route("GET", "/docs", GATEWAY, PUBLIC, "This documentation", in_schema=False),
    route("GET", "/openapi.json", GATEWAY, PUBLIC, "The whole public API as OpenAPI"),
    route("GET", "/", GATEWAY, PUBLIC, "Web dashboard", in_schema=False),
    route("GET", "/static/{path:path}", GATEWAY, PUBLIC, "Dashboard assets", in_schema=False),
    # scheduling
    route("GET,POST", "/agents", "scheduling", SA, "List or create agents"),
    route("GET,PATCH,DELETE", "/agents/{agent_id}", "scheduling", SA, "One agent"),
    route("GET", "/shifts", "scheduling", frozenset({G, S, A}), "List shifts (agents: own)"),
    route("POST", "/shifts", "scheduling", SA, "Create a shift"),
    route("POST", "/shifts/bulk", "scheduling", SA, "Create many shifts"),
    route("GET", "/shifts/{shift_id}", "scheduling", frozenset({G, S, A}), "One shift"),
    route("PATCH,DELETE", "/shifts/{shift_id}", "scheduling", SA, "Change or delete a shift"),
    route("POST", "/staffing", "scheduling", SA, "Agents required per interval (Erlang C/A)"),
    route("POST", "/staffing/evaluate", "scheduling", SA, "Evaluate a staffing plan"),
    route("POST", "/staffing/plan", "scheduling", SA, "Plan staffing"),
    route("POST", "/schedules/generate", "scheduling", SA, "Generate a schedule"),
    route("GET", "/schedules/{schedule_id}", "scheduling", SA, "One schedule"),
    route("POST", "/schedules/{schedule_id}/publish", "scheduling", SA, "Publish a schedule"),
    route("GET", "/agents/{agent_id}/time-off-balances", "scheduling", GSA, "Balances (own)"),
    route("PUT", "/agents/{agent_id}/time-off-balances", "scheduling", SA, "Set balances"),
    route("POST", "/time-off-balances/import", "scheduling", SA, "Import balances (CSV)"),
    route("GET,PUT", "/queues/{queue}/time-off-allowance", "scheduling", SA, "Queue allowance"),
    route("GET,POST", "/time-off", "scheduling", GSA, "Time-off requests (agents: own)"),
    route("GET", "/time-off/{request_id}", "scheduling", GSA, "One time-off request"),
    route("POST", "/time-off/{request_id}/approve", "scheduling", SA, "Approve time off"),
    route("POST", "/time-off/{request_id}/deny", "scheduling", SA, "Deny time off"),
    route("POST", "/time-off/{request_id}/cancel", "scheduling", GSA, "Cancel time off"),
    route("GET,POST", "/shift-trades", "scheduling", GSA, "Shift trades (agents: own, open)"),
    route("GET", "/shift-trades/{trade_id}", "scheduling", GSA, "One shift trade"),
    route("POST", "/shift-trades/{trade_id}/accept", "scheduling", GSA, "Accept a trade"),
    route("POST", "/shift-trades/{trade_id}/approve", "scheduling", SA, "Approve a trade"),
    route("POST", "/shift-trades/{trade_id}/deny", "scheduling", SA, "Deny a trade"),
    route("POST", "/shift-trades/{trade_id}/cancel", "scheduling", GSA, "Withdraw a trade"),
    route("POST,DELETE", "/agents/{agent_id}/calendar-token", "scheduling", GSA, "Calendar URL"),
    route("GET", "/calendar/{token}.ics", "scheduling", PUBLIC, "Agent calendar (secret URL)"),
    # forecasting
    route("POST", "/predict", "forecasting", SA, "Forecast the periods after a series"),
    route("GET,POST", "/forecasts", "forecasting", SA, "List or request forecast jobs"),
    route("GET", "/forecasts/{forecast_id}", "forecasting", SA, "One forecast job"),
    route("GET,POST", "/history", "forecasting", SA, "Interval history (JSON)"),
    route("POST", "/history/upload", "forecasting", SA, "Upload interval history (CSV)"),
    route("GET", "/history/queues", "forecasting", SA, "Queues with history"),
    route(
        "GET,PUT",
        "/history/queues/{queue}/open-hours",
        "forecasting",
        SA,
        "A queue's weekly opening hours",
    ),
    route("GET", "/reports/service-level", "forecasting", SA, "Service-level report"),
    route("GET", "/reports/forecast-accuracy", "forecasting", SA, "Forecast accuracy report"),
    # realtime
    route("GET", "/realtime", "realtime", SA, "Current agent states"),
    route("GET", "/realtime/ws", "realtime", SA, "Agent state stream", websocket=True),
    route("POST", "/events", "realtime", frozenset({C, A}), "Agent event(s) from an ACD"),
    route("POST", "/events/{vendor}", "realtime", frozenset({C, A}), "Vendor-format events"),
    route("GET", "/adherence", "realtime", SA, "Adherence history"),
    route("GET", "/reports/adherence", "realtime", SA, "Adherence report"),
)


@dataclass(frozen=True, slots=True)
class Match:
    """``spec`` when found; else ``allowed`` methods (405) or nothing (404)."""

    spec: RouteSpec | None
    allowed: frozenset[str] = frozenset()
    upgrade_required: bool = False  # a plain HTTP request to a WebSocket-only path


class RouteTable:
    """Exact paths are one dict lookup; templated ones are tried in table order."""

    def __init__(self, routes: tuple[RouteSpec, ...] = ROUTES) -> None:
        self.routes = routes
        self._exact: dict[str, list[RouteSpec]] = {}
        self._templated: list[RouteSpec] = []
        for spec in routes:
            if spec.regex is None:
                self._exact.setdefault(spec.path, []).append(spec)
            else:
                self._templated.append(spec)

    def _candidates(self, path: str) -> list[RouteSpec]:
        found = list(self._exact.get(path, ()))
        if not _has_dot_segment(path):
            found += [s for s in self._templated if s.regex is not None and s.regex.match(path)]
        return found

    def match(self, method: str, path: str, *, websocket: bool = False) -> Match:
        exact = self._exact.get(path)
        if exact is not None and not websocket:
            # The hot path (/protected, /agents...): no list building, no regex.
            for spec in exact:
                if not spec.websocket and spec.allows(method):
                    return Match(spec)
        candidates = self._candidates(path)
        for spec in candidates:
            if spec.websocket == websocket and (websocket or spec.allows(method)):
                return Match(spec)
        if websocket:
            return Match(None)
        http_routes = [s for s in candidates if not s.websocket]
        if not http_routes and candidates:
            return Match(None, upgrade_required=True)
        allowed = frozenset(m for s in http_routes for m in s.methods)
        return Match(None, allowed | ({"HEAD"} if "GET" in allowed else set()))


def _has_dot_segment(path: str) -> bool:
    # "/agents/.." must never reach a service as a parameter value.
    return "/." in path and any(seg in (".", "..") for seg in path.split("/"))
