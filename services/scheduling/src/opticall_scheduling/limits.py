"""List sizes checked on the parsed JSON body, before pydantic validates a single item.

A list field's ``max_length`` is enforced by pydantic only once the items are validated: a
``POST /shifts/bulk`` of 110,000 items cost a second of CPU before its 422. The route
dependencies here walk the body (already parsed by FastAPI, and cached on the request) along
the arrays the model's JSON Schema declares, and refuse the first list over its ``maxItems``
with a 422 naming it. Items are never validated for that, nor walked where no list lies below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from opticall_common.problems import Problem


@dataclass
class _Node:
    """The arrays somewhere below one point of a schema: its own limit if it is an array."""

    max_items: int | None = None
    items: _Node | None = None  # set for an array whose items hold arrays
    props: dict[str, _Node] = field(default_factory=dict)
    is_array: bool = False


def _plan(schema: dict[str, Any], defs: dict[str, Any], seen: frozenset[str]) -> _Node | None:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:  # a recursive model: its lists are bounded by validation anyway
            return None
        return _plan(defs.get(name, {}), defs, seen | {name})
    for key in ("anyOf", "oneOf", "allOf"):
        for alt in schema.get(key, []):
            found = _plan(alt, defs, seen)
            if found is not None:
                return found
    if schema.get("type") == "array":
        inner = schema.get("items")
        return _Node(
            max_items=schema.get("maxItems"),
            items=_plan(inner, defs, seen) if isinstance(inner, dict) else None,
            is_array=True,
        )
    props = {
        name: node
        for name, sub in schema.get("properties", {}).items()
        if (node := _plan(sub, defs, seen)) is not None
    }
    return _Node(props=props) if props else None


def _check(node: _Node, data: Any, where: list[str | int]) -> None:
    if node.is_array:
        if not isinstance(data, list):
            return  # validation words the type error
        if node.max_items is not None and len(data) > node.max_items:
            name = ".".join(map(str, where)) or "body"
            raise Problem(
                422,
                f"{name}: at most {node.max_items} items, not {len(data)}",
                errors=[{"field": name, "message": f"at most {node.max_items} items"}],
            )
        if node.items is not None:
            for i, item in enumerate(data):
                _check(node.items, item, [*where, i])
    elif isinstance(data, dict):
        for name, sub in node.props.items():
            if name in data:
                _check(sub, data[name], [*where, name])


@cache
def _plan_of(model: type[BaseModel]) -> _Node | None:
    schema = model.model_json_schema()
    return _plan(schema, schema.get("$defs", {}), frozenset())


def check_list_sizes(model: type[BaseModel], data: Any) -> None:
    """422 for the first list of ``data`` longer than ``model`` allows (no item validated)."""
    plan = _plan_of(model)
    if plan is not None:
        _check(plan, data, [])


async def parsed_body(request: Request) -> Any:
    """The JSON body FastAPI parsed for this request (Starlette caches it), or None."""
    try:
        return await request.json()
    except ValueError:  # not JSON: the body's own validation answers
        return None


def list_sizes(model: type[BaseModel]) -> Callable[[Request], Awaitable[None]]:
    """A route dependency: ``check_list_sizes(model, body)`` before the body is validated
    (FastAPI solves a route's dependencies before its body parameters)."""

    async def dependency(request: Request) -> None:
        check_list_sizes(model, await parsed_body(request))

    return dependency
