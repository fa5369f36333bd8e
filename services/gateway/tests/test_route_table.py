"""The route table covers every row of ROUTES.md, with the roles it lists."""

from __future__ import annotations

import pytest

from opticall_gateway.route_table import ROUTES, RouteTable

PUBLIC = None
ANY: frozenset[str] = frozenset()
A, S, G, C = "admin", "supervisor", "agent", "acd"
SA = frozenset({S, A})

# ROUTES.md, row by row, with a concrete path for every template.
EXPECTED: list[tuple[str, str, str, frozenset[str] | None]] = [
    ("POST", "/login", "auth", PUBLIC),
    ("POST", "/refresh", "auth", PUBLIC),
    ("POST", "/logout", "auth", PUBLIC),
    ("GET", "/.well-known/jwks.json", "auth", PUBLIC),
    ("GET", "/protected", "gateway", ANY),
    ("GET", "/users", "auth", frozenset({A})),
    ("POST", "/users", "auth", frozenset({A})),
    ("GET", "/users/bob", "auth", frozenset({A})),
    ("PATCH", "/users/bob", "auth", frozenset({A})),
    ("DELETE", "/users/bob", "auth", frozenset({A})),
    ("GET", "/agents", "scheduling", SA),
    ("POST", "/agents", "scheduling", SA),
    ("GET", "/agents/a-1", "scheduling", SA),
    ("PATCH", "/agents/a-1", "scheduling", SA),
    ("DELETE", "/agents/a-1", "scheduling", SA),
    ("GET", "/shifts", "scheduling", frozenset({G, S, A})),
    ("GET", "/shifts/42", "scheduling", frozenset({G, S, A})),
    ("POST", "/shifts", "scheduling", SA),
    ("POST", "/shifts/bulk", "scheduling", SA),
    ("PATCH", "/shifts/42", "scheduling", SA),
    ("DELETE", "/shifts/42", "scheduling", SA),
    ("POST", "/staffing", "scheduling", SA),
    ("POST", "/staffing/evaluate", "scheduling", SA),
    ("POST", "/staffing/plan", "scheduling", SA),
    ("POST", "/schedules/generate", "scheduling", SA),
    ("POST", "/schedules/s-1/publish", "scheduling", SA),
    ("GET", "/schedules/s-1", "scheduling", SA),
    ("POST", "/predict", "forecasting", SA),
    ("POST", "/forecasts", "forecasting", SA),
    ("GET", "/forecasts", "forecasting", SA),
    ("GET", "/forecasts/f-1", "forecasting", SA),
    ("POST", "/history", "forecasting", SA),
    ("GET", "/history", "forecasting", SA),
    ("POST", "/history/upload", "forecasting", SA),
    ("GET", "/history/queues", "forecasting", SA),
    ("GET", "/reports/service-level", "forecasting", SA),
    ("GET", "/reports/forecast-accuracy", "forecasting", SA),
    ("GET", "/realtime", "realtime", SA),
    ("POST", "/events", "realtime", frozenset({C, A})),
    *[
        ("POST", f"/events/{v}", "realtime", frozenset({C, A}))
        for v in ("amazon-connect", "cisco-webex", "cisco-uccx", "genesys", "avaya")
    ],
    ("GET", "/adherence", "realtime", SA),
    ("GET", "/reports/adherence", "realtime", SA),
    *[
        ("GET", p, "gateway", PUBLIC)
        for p in ("/healthz", "/readyz", "/docs", "/openapi.json", "/")
    ],
    ("POST", "/realtime/ws-ticket", "auth", SA),
]


def test_metrics_are_not_on_the_public_port() -> None:
    # Served on GATEWAY_METRICS_PORT only (metrics.serve_metrics): a 404 at the edge.
    match = RouteTable().match("GET", "/metrics")
    assert match.spec is None and not match.allowed


@pytest.mark.parametrize(("method", "path", "service", "roles"), EXPECTED)
def test_every_row_of_routes_md_is_in_the_table(
    method: str, path: str, service: str, roles: frozenset[str] | None
) -> None:
    spec = RouteTable().match(method, path).spec
    assert spec is not None, f"{method} {path} missing"
    assert spec.service == service
    assert spec.roles == roles


def test_realtime_websocket_is_routed_for_supervisors_and_admins() -> None:
    spec = RouteTable().match("GET", "/realtime/ws", websocket=True).spec
    assert spec is not None and spec.websocket
    assert spec.service == "realtime" and spec.roles == SA


def test_unknown_path_and_wrong_method() -> None:
    table = RouteTable()
    assert table.match("GET", "/nope").spec is None
    assert not table.match("GET", "/nope").allowed
    wrong = table.match("PUT", "/agents")
    assert wrong.spec is None and wrong.allowed == {"GET", "HEAD", "POST"}
    assert table.match("GET", "/predict").allowed == {"POST"}


def test_static_paths_win_over_templates_per_method() -> None:
    table = RouteTable()
    generate = table.match("POST", "/schedules/generate").spec
    assert generate is not None and generate.path == "/schedules/generate"
    one = table.match("GET", "/schedules/generate").spec
    assert one is not None and one.path == "/schedules/{schedule_id}"


def test_dot_segments_and_extra_slashes_never_match() -> None:
    table = RouteTable()
    assert table.match("GET", "/agents/..").spec is None
    assert table.match("GET", "/agents/../users").spec is None
    assert table.match("GET", "/agents/a/b").spec is None
    assert table.match("GET", "/agents/").spec is None


def test_websocket_only_path_over_plain_http_needs_upgrade() -> None:
    assert RouteTable().match("GET", "/realtime/ws").upgrade_required


def test_every_template_is_reachable() -> None:
    table = RouteTable()
    for spec in ROUTES:
        concrete = spec.path.replace("{path:path}", "a/b.js")
        for name in ("username", "agent_id", "shift_id", "schedule_id", "forecast_id", "vendor"):
            concrete = concrete.replace("{" + name + "}", "x1")
        for method in spec.methods:
            found = table.match(method, concrete, websocket=spec.websocket).spec
            assert found is not None and found.service == spec.service, (method, spec.path)
