"""The committed JSON Schemas and AsyncAPI document stay in step with the models."""

from __future__ import annotations

import json

from opticall_common import topics
from opticall_common.events import TOPIC_MODELS
from opticall_common.schemas import SCHEMA_DIR, asyncapi_document, json_schemas, render


def test_committed_json_schemas_match_models() -> None:
    for name, schema in json_schemas().items():
        path = SCHEMA_DIR / f"{name}.json"
        assert path.exists(), f"{path} missing: run `make schemas`"
        assert path.read_text() == render(schema), f"{path} is stale: run `make schemas`"


def test_committed_asyncapi_matches_models() -> None:
    committed = json.loads((SCHEMA_DIR.parent / "asyncapi.json").read_text())
    assert committed == asyncapi_document(), "asyncapi.json is stale: run `make schemas`"


def test_asyncapi_names_every_topic_and_its_dead_letter_topic() -> None:
    channels = asyncapi_document()["channels"]
    for name in TOPIC_MODELS:
        assert name in channels
        assert topics.dlq(name) in channels


def test_agent_events_schema_requires_the_contract_fields() -> None:
    schema = json_schemas()["agent-events"]
    assert {"agent_id", "state", "timestamp", "event_id"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"agent_id", "state", "timestamp"}
