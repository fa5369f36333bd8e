"""The agent-events contract as DESIGN.md fixes it, and the other event models."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from pydantic import ValidationError

from opticall_common import events
from opticall_common.events import (
    AgentEvent,
    AgentState,
    ScheduleChange,
    agent_event_core,
    agent_event_fields,
)
from opticall_common.kafka import encode

EXAMPLE = {
    "event_id": "5f0c",
    "agent_id": "a-1001",
    "state": "on_call",
    "timestamp": "2026-11-25T14:00:00Z",
    "source": "acd-cisco",
    "queue": "sales",
    "reason": None,
}


def test_design_example_parses_and_round_trips() -> None:
    event = AgentEvent.model_validate(EXAMPLE)
    assert event.state is AgentState.on_call
    assert event.timestamp == datetime(2026, 11, 25, 14, tzinfo=UTC)
    again = AgentEvent.model_validate_json(event.model_dump_json())
    assert again == event


def test_every_design_state_is_accepted() -> None:
    states = [
        "logged_out",
        "available",
        "on_call",
        "after_call_work",
        "break",
        "lunch",
        "meeting",
        "training",
        "not_ready",
    ]
    assert [s.value for s in AgentState] == states
    for state in states:
        assert AgentEvent.model_validate({**EXAMPLE, "state": state}).state.value == state


def test_extra_fields_are_kept() -> None:
    event = AgentEvent.model_validate({**EXAMPLE, "skill": "billing"})
    assert event.model_dump()["skill"] == "billing"


def test_offsets_are_normalised_to_utc() -> None:
    event = AgentEvent.model_validate({**EXAMPLE, "timestamp": "2026-11-25T15:00:00+01:00"})
    assert event.timestamp == datetime(2026, 11, 25, 14, tzinfo=UTC)
    assert event.model_dump_json().count("14:00:00Z") == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"state": "dancing"},
        {"timestamp": "2026-11-25T14:00:00"},  # naive: ambiguous, refused
        {"timestamp": "yesterday"},
        {"agent_id": ""},
        {"timestamp": "0001-01-01T00:00:00+01:00"},  # no UTC value: refused, not a crash
        {"timestamp": "9999-12-31T23:59:59-01:00"},
    ],
)
def test_invalid_events_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AgentEvent.model_validate({**EXAMPLE, **bad})


def test_missing_event_id_is_derived_from_content_so_retries_dedupe() -> None:
    body = {k: v for k, v in EXAMPLE.items() if k != "event_id"}
    first = AgentEvent.model_validate(body)
    second = AgentEvent.model_validate(dict(body))
    other = AgentEvent.model_validate({**body, "state": "available"})
    assert first.event_id == second.event_id != other.event_id


def test_schedule_change_defaults_unique_ids() -> None:
    shift = {
        "id": "s1",
        "agent_id": "a",
        "start": "2026-11-25T08:00:00Z",
        "end": "2026-11-25T16:00:00Z",
    }
    a = ScheduleChange.model_validate(
        {"op": "created", "shift_id": "s1", "agent_id": "a", "shift": shift}
    )
    b = ScheduleChange.model_validate(
        {"op": "created", "shift_id": "s1", "agent_id": "a", "shift": shift}
    )
    assert a.change_id != b.change_id


# Each field's values: accepted ones first, then the ones the model refuses or rewrites.
# Whitespace: pydantic strips Unicode's White_Space (\u00a0, \u2003, \u3000), not \x1c.
VARIANTS: dict[str, tuple[list[object], list[object]]] = {
    "event_id": (
        ["e1", " e2 ", "x" * 128, "\u2003e3", "e4\x1c"],
        ["", "  ", None, 7, "x" * 129, ["e"]],
    ),
    "agent_id": (["a-1", "  a-2\t", "é" * 128, "a-3\u3000"], ["", None, 5, "é" * 129]),
    "state": (["on_call", "break", "logged_out"], ["BREAK", " on_call ", "dancing", None, 1]),
    "timestamp": (
        [
            "2026-11-25T14:00:00Z",
            "2026-11-25T14:00:00.5Z",
            "2026-11-25T14:00:00.123456Z",
            "2026-11-25T14:00:00.1234567Z",  # pydantic truncates to microseconds
            "2026-11-25T14:00:00.9999996Z",
            "2026-11-25t14:00:00z",
            "2026-11-25T14:00Z",
            "2026-11-25T14:00:00,5Z",
            "2026-11-25T15:00:00.123456+01:00",
            "2026-11-25 14:00:00+00:00",
            "0001-01-01T00:00:00Z",
            1_764_079_200,
            1_764_079_200_123,  # milliseconds
            1_764_079_200.5,
            "1764079200",
        ],
        [
            "2026-11-25T14:00:00",
            "2026-11-25T14:00:00.25",  # naive too
            "2026-11-25T14:00:00.Z",
            "2026-02-30T14:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-W48-3T14:00:00Z",
            "2026-11-25T140000Z",
            "0001-01-01T00:00:00+01:00",
            "yesterday",
            None,
            True,
        ],
    ),
    "source": (["acd", " acd ", None, "s" * 128 + " "], [3, "s" * 129]),
    "queue": (["sales", " sales ", "\u00a0sales", "", None, "q" * 128], [12, "q" * 129]),
    "reason": (["lunch", None, "r" * 256, " lunch"], ["r" * 257]),
    # An extra field: kept by the model, not a field; pydantic refuses JSON nested too deep.
    "skill": (["billing", 3, None], [json.loads("[" * 300 + "]" * 300)]),
}


def random_payload(rng: random.Random, extra: float = 0.95, plain: float = 0.0) -> bytes | None:
    """A record as ACDs might send it; ``extra``: how often it has a field not declared,
    ``plain``: how often a field has its first value (all of them: a record as we publish it)."""
    roll = rng.random()
    if roll < 0.02:
        return rng.choice([None, b"", b"[]", b"{not json", b"null", b'"x"'])
    body = {
        k: good[0]
        if rng.random() < plain
        else rng.choice(bad if bad and rng.random() < 0.05 else good)
        for k, (good, bad) in VARIANTS.items()
        if rng.random() < (extra if k == "skill" else 0.95)
    }
    text = json.dumps(body)
    if roll < 0.05 and body.get("agent_id"):
        text = text[:-1] + ', "agent_id": "dup"}'  # a repeated key: the last one wins
    return text.encode()


def against_the_model(
    decode: Callable[[bytes | None], Any], payloads: Iterable[bytes | None]
) -> tuple[list[tuple[Any, AgentEvent]], int]:
    """``decode`` on each payload: what it gave with the model's event for those the model
    accepts, and how many it refused with the model's own error where the model did."""
    accepted = []
    refused = 0
    for raw in payloads:
        try:
            model = AgentEvent.model_validate_json(raw)  # type: ignore[arg-type]
        except ValidationError as exc:
            with pytest.raises(ValidationError) as err:
                decode(raw)
            assert str(err.value) == str(exc)  # the model's own message
            refused += 1
            continue
        accepted.append((decode(raw), model))
    return accepted, refused


def test_agent_event_fields_are_what_the_model_gives_for_every_payload() -> None:
    assert events._JSON_FIELDS is not None, "the fast path is gone: the model's schema changed"
    rng = random.Random(7)
    payloads = (random_payload(rng) for _ in range(20_000))
    accepted, refused = against_the_model(agent_event_fields, payloads)
    for got, model in accepted:
        expected = vars(model)
        assert got == expected and list(got) == list(expected)
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
        assert got["timestamp"].tzinfo is UTC
    assert len(accepted) > 2_000 and refused > 2_000


def test_agent_event_core_is_what_the_model_gives_for_every_payload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = []
    fields = events.agent_event_fields

    def counted(raw: bytes | None) -> dict[str, object]:
        slow.append(raw)
        return fields(raw)

    monkeypatch.setattr(events, "agent_event_fields", counted)
    rng = random.Random(11)
    payloads = (random_payload(rng, extra=0.2, plain=0.5) for _ in range(20_000))
    accepted, refused = against_the_model(agent_event_core, payloads)
    for got, model in accepted:
        expected = (
            model.agent_id,
            model.timestamp.timestamp(),
            model.event_id,
            model.state,
            model.queue,
            model.reason,
        )
        assert got == expected
        assert [type(v) for v in got] == [type(v) for v in expected]
    assert len(accepted) > 2_000 and refused > 2_000
    fast = len(accepted) + refused - len(slow)
    assert fast > 2_000, "the msgspec path took too few records: the test no longer tests it"


def test_the_plain_event_has_the_model_s_fields_and_limits() -> None:
    def limits(metadata: list[object]) -> dict[str, object]:
        return {
            k: getattr(m, k)
            for m in metadata
            for k in ("min_length", "max_length")
            if hasattr(m, k)
        }

    plain = msgspec.inspect.type_info(events._PlainAgentEvent)
    assert isinstance(plain, msgspec.inspect.StructType)
    assert [f.name for f in plain.fields] == list(AgentEvent.model_fields)
    for field in plain.fields:
        declared = AgentEvent.model_fields[field.name]
        if field.name == "state":
            assert isinstance(field.type, msgspec.inspect.EnumType)
            assert field.type.cls is AgentState
        elif field.name != "timestamp":
            kinds = getattr(field.type, "types", (field.type,))
            (text,) = (k for k in kinds if isinstance(k, msgspec.inspect.StrType))
            got = {k: v for k in ("min_length", "max_length") if (v := getattr(text, k))}
            assert got == limits(declared.metadata), field.name
        assert field.required == declared.is_required(), field.name


@pytest.mark.parametrize("at", ["2026-11-25T14:00:00Z", "2026-11-25T14:00:00.000500+00:00"])
def test_an_event_as_the_gateway_publishes_it_takes_the_msgspec_path(
    at: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fallback(raw: bytes | None) -> dict[str, object]:
        raise AssertionError("went through pydantic")

    monkeypatch.setattr(events, "agent_event_fields", no_fallback)
    event = AgentEvent.model_validate({**EXAMPLE, "timestamp": at, "queue": None})
    core = agent_event_core(encode(event))
    assert core == ("a-1001", event.timestamp.timestamp(), "5f0c", AgentState.on_call, None, None)
