"""List bodies are counted before their items are validated, and names refuse control
characters (issue #27)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from opticall_common.problems import Problem
from opticall_scheduling.limits import check_list_sizes


def _problem(resp: Any, status: int = 422) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    return body


def test_bulk_over_the_cap_is_refused_by_count_not_by_its_items(client: TestClient) -> None:
    # Every item is invalid: had the items been validated first, the errors would name them.
    body = _problem(client.post("/shifts/bulk", json=[{"nonsense": i} for i in range(5001)]))
    assert body["detail"] == "body: at most 5000 shifts per request"
    assert _problem(client.post("/shifts/bulk", json=[]))["detail"] == "body: no shifts given"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/staffing", {"intervals": [{"junk": 1}] * 10_001}, "intervals"),
        ("/staffing/evaluate", {"intervals": [0] * 10_001}, "intervals"),
        ("/staffing/plan", {"queues": [{"intervals": [1] * 10_001}]}, "queues.0.intervals"),
        ("/staffing/plan", {"queues": [{"intervals": [1] * 10_000}] * 6}, None),
        ("/schedules/generate", {"requirement": [None] * 20_001}, "requirement"),
        ("/schedules/generate", {"agents": [{"availability": [0] * 201}]}, "agents.0.availability"),
    ],
)
def test_list_bodies_are_counted_before_validation(
    client: TestClient, path: str, body: dict[str, Any], field: str | None
) -> None:
    problem = _problem(client.post(path, json=body))
    if field is None:  # the plan's total over every queue
        assert problem["detail"] == "60000 intervals in all; at most 50000 per plan"
    else:
        assert problem["detail"].startswith(f"{field}: at most ")
        assert problem["errors"][0]["field"] == field


def test_check_list_sizes_follows_nested_models_and_optionals() -> None:
    class Inner(BaseModel):
        tags: list[str] = Field(max_length=2)

    class Outer(BaseModel):
        inner: list[Inner] | None = Field(default=None, max_length=3)

    check_list_sizes(Outer, {"inner": [{"tags": ["a", "b"]}]})
    check_list_sizes(Outer, {"inner": "not a list"})  # validation's business
    with pytest.raises(Problem, match=r"inner\.1\.tags: at most 2 items, not 3"):
        check_list_sizes(Outer, {"inner": [{"tags": []}, {"tags": [1, 2, 3]}]})
    with pytest.raises(Problem, match="inner: at most 3 items, not 4"):
        check_list_sizes(Outer, {"inner": [{}] * 4})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/agents", {"agent_id": "a\x00b", "name": "Ada"}),
        ("/agents", {"agent_id": "a-1", "name": "Ada\x1b[31m"}),
        ("/agents", {"agent_id": "a-1", "name": "Ada", "queues": ["sa\nles"]}),
        ("/agents", {"agent_id": "a-1", "name": "Ada", "skills": ["fr\x7f"]}),
        (
            "/shifts",
            {
                "agent_id": "a-1",
                "start": "2026-06-01T08:00:00Z",
                "end": "2026-06-01T16:00:00Z",
                "activity": "wo\x00rk",
            },
        ),
        (
            "/shifts",
            {
                "agent_id": "a-1",
                "start": "2026-06-01T08:00:00Z",
                "end": "2026-06-01T16:00:00Z",
                "queue": "sa\x85les",
            },
        ),
    ],
)
def test_control_characters_are_refused(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    assert client.post("/agents", json={"agent_id": "a-1", "name": "Ada"}).status_code in (201, 409)
    problem = _problem(client.post(path, json=body))
    assert any("control characters" in e["message"] for e in problem["errors"]), problem
